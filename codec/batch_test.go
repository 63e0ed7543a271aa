package codec

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestTransportRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var buf []byte
	for i := 0; i < 20000; i++ {
		m := randTransport(rng)
		buf = AppendTransport(buf[:0], &m)
		var got TransportMessage
		n, err := DecodeTransport(buf, &got)
		if err != nil || n != len(buf) {
			t.Fatalf("iteration %d: n=%d/%d err=%v\n%#v\n%x", i, n, len(buf), err, m, buf)
		}
		if got = onlyTransportID(got); !reflect.DeepEqual(got, m) {
			t.Fatalf("iteration %d:\n got  %#v\n want %#v\n %x", i, got, m, buf)
		}
	}
}

func TestScoutingRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := 0; i < 5000; i++ {
		m := randScouting(rng)
		var b []byte
		if m.ID == MidScout {
			b = AppendScout(nil, &m.Scout)
		} else {
			b = AppendHello(nil, &m.Hello)
		}
		var got ScoutingMessage
		if err := DecodeScouting(b, &got); err != nil {
			t.Fatalf("%x: %v", b, err)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("got %#v want %#v", got, m)
		}
	}
}

// randBatch builds a batch as gozenoh sends them: transport messages, and
// when there is a Frame, it is last and holds random network messages.
func randBatch(rng *rand.Rand) ([]TransportMessage, [][]NetworkMessage) {
	var tms []TransportMessage
	var nms [][]NetworkMessage
	for n := rng.IntN(3); n > 0; n-- {
		m := randTransport(rng)
		if m.ID == MidFrame || m.ID == MidFragment {
			m = TransportMessage{ID: MidKeepAlive}
		}
		tms = append(tms, m)
		nms = append(nms, nil)
	}
	switch rng.IntN(3) {
	case 0:
		f := TransportMessage{ID: MidFrame, Frame: Frame{Reliable: rng.IntN(2) == 0,
			SN: uint32(randUint(rng, 28)), Priority: Priority(rng.IntN(8))}}
		var msgs []NetworkMessage
		for k := 1 + rng.IntN(6); k > 0; k-- {
			msgs = append(msgs, randNetwork(rng))
		}
		tms = append(tms, f)
		nms = append(nms, msgs)
	case 1:
		m := randTransport(rng)
		if m.ID != MidFragment {
			m = TransportMessage{ID: MidFragment, Fragment: Fragment{Priority: PriorityData, Payload: []byte{1}}}
		}
		tms = append(tms, m)
		nms = append(nms, nil)
	}
	return tms, nms
}

// TestBatchRoundTrip encodes random batches, frames them as a TCP stream,
// feeds the stream one byte at a time, and decodes every batch back.
func TestBatchRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 43))
	var stream []byte
	type batch struct {
		tms []TransportMessage
		nms [][]NetworkMessage
	}
	var want []batch
	for i := 0; i < 3000; i++ {
		tms, nms := randBatch(rng)
		if len(tms) == 0 {
			continue
		}
		b := encodeBatchValues(tms, nms)
		if len(b) > 65533 {
			continue
		}
		stream = append(stream, byte(len(b)), byte(len(b)>>8))
		stream = append(stream, b...)
		want = append(want, batch{tms, nms})
	}
	fr := NewStreamFramer(65535)
	i := 0
	for off := range stream {
		err := fr.Feed(stream[off:off+1], func(b []byte) error {
			tms, nms, err := decodeBatchValues(b)
			if err != nil {
				t.Fatalf("batch %d: %v\n%x", i, err, b)
			}
			for k := range tms {
				if tms[k].ID == MidFrame {
					tms[k].Frame.Payload = nil
				}
			}
			w := want[i]
			for k := range w.tms {
				if w.tms[k].ID == MidFrame {
					w.tms[k].Frame.Payload = nil
				}
			}
			if !reflect.DeepEqual(tms, w.tms) {
				t.Fatalf("batch %d transport:\n got  %#v\n want %#v", i, tms, w.tms)
			}
			if !reflect.DeepEqual(nms, w.nms) {
				t.Fatalf("batch %d network:\n got  %#v\n want %#v", i, nms, w.nms)
			}
			i++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if i != len(want) {
		t.Fatalf("decoded %d batches of %d", i, len(want))
	}
}

// TestFrameFollowedByTransport: Rust may put transport messages after a
// Frame; the Frame ends at the first non-network id.
func TestFrameFollowedByTransport(t *testing.T) {
	push := NetworkMessage{ID: MidPush, Push: Push{WireExpr: WireExpr{Suffix: []byte("a/b"), Mapping: true},
		QoS: DefaultQoS, Body: Data{Kind: MidPut, Payload: []byte("x")}}}
	var b []byte
	b = AppendFrameHeader(b, &Frame{Reliable: true, SN: 1, Priority: PriorityData})
	b = AppendNetwork(b, &push)
	b = AppendNetwork(b, &push)
	frameEnd := len(b)
	b = AppendFrameHeader(b, &Frame{SN: 9, Priority: PriorityData})
	b = AppendNetwork(b, &push)
	b = AppendKeepAlive(b, &KeepAlive{})

	var m TransportMessage
	n, err := DecodeTransport(b, &m)
	if err != nil || n != frameEnd || m.Frame.SN != 1 {
		t.Fatalf("n=%d (want %d) err=%v", n, frameEnd, err)
	}
	var kinds []byte
	br := NewBatchReader(b)
	var nm NetworkMessage
	for br.Next(&m) {
		kinds = append(kinds, m.ID)
		if m.ID == MidFrame && m.Frame.SN == 9 {
			for br.NextNetwork(&nm) {
				kinds = append(kinds, nm.ID)
			}
		}
	}
	// The first Frame's messages are skipped without NextNetwork.
	want := []byte{MidFrame, MidFrame, MidPush, MidKeepAlive}
	if br.Err() != nil || !bytes.Equal(kinds, want) {
		t.Fatalf("kinds %x want %x err %v", kinds, want, br.Err())
	}
}

func TestBatchReaderErrorOffset(t *testing.T) {
	// A Frame whose second Push is cut short.
	b := mustHex(t, "2501 5d0101024869 5d0101")
	br := NewBatchReader(b)
	var m TransportMessage
	var nm NetworkMessage
	if !br.Next(&m) || !br.NextNetwork(&nm) {
		t.Fatalf("first message: %v", br.Err())
	}
	if br.NextNetwork(&nm) || br.Err() == nil {
		t.Fatal("truncated Push decoded")
	}
	e, ok := br.Err().(*Error)
	if !ok || e.Off != len(b) || e.Msg == "" {
		t.Fatalf("error %#v", br.Err())
	}
}

func TestResetFrameIteratesPayload(t *testing.T) {
	b := mustHex(t, "2501 5d0101024869 5d01010248 69")
	var m TransportMessage
	if _, err := DecodeTransport(b, &m); err != nil {
		t.Fatal(err)
	}
	br := &BatchReader{}
	br.ResetFrame(m.Frame.Payload)
	var nm NetworkMessage
	n := 0
	for br.NextNetwork(&nm) {
		if string(nm.Push.Body.Payload) != "Hi" {
			t.Fatalf("payload %q", nm.Push.Body.Payload)
		}
		n++
	}
	if n != 2 || br.Err() != nil {
		t.Fatalf("n=%d err=%v", n, br.Err())
	}
}

// TestHugeLengthsDoNotAllocate: length and count fields claiming far more
// than the input holds fail before anything is allocated for them.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	cases := []struct {
		name, hex string
		decode    func([]byte) error
	}{
		{"OpenSyn cookie 2^32-1", "42 0a 00 ffffffff0f 00", func(b []byte) error {
			var m TransportMessage
			_, err := DecodeTransport(b, &m)
			return err
		}},
		{"Hello 2^60 locators", "22 09 00 01 8080808080808080 10", func(b []byte) error {
			var m ScoutingMessage
			return DecodeScouting(b, &m)
		}},
		{"Put payload 2^32-1", "5d 01 01 ffffffff0f 00", func(b []byte) error {
			var m NetworkMessage
			_, err := DecodeNetwork(b, &m)
			return err
		}},
		{"linkstate 2^40 entries", "8080808080 20 00", func(b []byte) error {
			_, err := DecodeLinkStateList(b)
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := mustHex(t, c.hex)
			var err error
			allocs := testing.AllocsPerRun(10, func() { err = c.decode(in) })
			if err == nil {
				t.Fatal("decoded")
			}
			// The error value itself is the only allocation allowed.
			if allocs > 1 {
				t.Fatalf("%.0f allocations", allocs)
			}
		})
	}
}
