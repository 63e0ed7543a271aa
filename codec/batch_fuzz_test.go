package codec

import (
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/gozenoh/zenoh/internal/vectors"
)

// addVectorSeeds seeds a fuzz target with every captured batch. Missing
// vectors only reduce the seed corpus (the golden tests report them).
func addVectorSeeds(f *testing.F) {
	if !vectors.Available() && os.Getenv("CI") != "true" {
		return
	}
	for _, v := range vectors.Load(f) {
		f.Add(v.Data)
	}
}

// decodeBatchValues decodes a whole batch into values (frames with their
// network messages); ok is false when it does not decode completely.
func decodeBatchValues(b []byte) (tms []TransportMessage, nms [][]NetworkMessage, err error) {
	br := NewBatchReader(b)
	var tm TransportMessage
	for br.Next(&tm) {
		var frame []NetworkMessage
		if tm.ID == MidFrame {
			tm.Frame.Payload = nil
			var nm NetworkMessage
			for br.NextNetwork(&nm) {
				frame = append(frame, netOnly(&nm))
			}
		}
		tms = append(tms, onlyTransportID(tm))
		nms = append(nms, frame)
	}
	return tms, nms, br.Err()
}

func onlyTransportID(m TransportMessage) TransportMessage {
	out := TransportMessage{ID: m.ID}
	switch m.ID {
	case MidInit:
		out.Init = m.Init
	case MidOpen:
		out.Open = m.Open
	case MidClose:
		out.Close = m.Close
	case MidKeepAlive:
		out.KeepAlive = m.KeepAlive
	case MidFrame:
		out.Frame = m.Frame
	case MidFragment:
		out.Fragment = m.Fragment
	case MidJoin:
		out.Join = m.Join
	case MidTransportOAM:
		out.OAM = m.OAM
	}
	return out
}

func encodeBatchValues(tms []TransportMessage, nms [][]NetworkMessage) []byte {
	var out []byte
	for i := range tms {
		if tms[i].ID == MidFrame {
			out = AppendFrameHeader(out, &tms[i].Frame)
			for j := range nms[i] {
				out = AppendNetwork(out, &nms[i][j])
			}
			continue
		}
		out = AppendTransport(out, &tms[i])
	}
	return out
}

// FuzzBatch: any bytes either fail to decode with an error or decode to
// values that encode and decode back to the same values.
func FuzzBatch(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		tms, nms, err := decodeBatchValues(b)
		if err != nil {
			return
		}
		re := encodeBatchValues(tms, nms)
		tms2, nms2, err := decodeBatchValues(re)
		if err != nil {
			t.Fatalf("re-encoded batch fails: %v\n in  %x\n out %x", err, b, re)
		}
		if !reflect.DeepEqual(tms, tms2) || !reflect.DeepEqual(nms, nms2) {
			t.Fatalf("values differ after re-encoding\n in  %x\n out %x", b, re)
		}
		if re2 := encodeBatchValues(tms2, nms2); !bytes.Equal(re, re2) {
			t.Fatalf("encoding not stable\n %x\n %x", re, re2)
		}
	})
}

// FuzzTransport checks DecodeTransport, which finds a Frame's end itself.
func FuzzTransport(f *testing.F) {
	addVectorSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var m TransportMessage
		n, err := DecodeTransport(b, &m)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("n = %d for %d bytes", n, len(b))
		}
		m = onlyTransportID(m)
		re := AppendTransport(nil, &m)
		var m2 TransportMessage
		n2, err := DecodeTransport(re, &m2)
		if err != nil || n2 != len(re) {
			t.Fatalf("re-encoded fails: n=%d err=%v\n in  %x\n out %x", n2, err, b[:n], re)
		}
		if m2 = onlyTransportID(m2); !reflect.DeepEqual(m, m2) {
			t.Fatalf("values differ\n %#v\n %#v", m, m2)
		}
	})
}

// FuzzScouting checks the scouting decoder.
func FuzzScouting(f *testing.F) {
	for _, s := range []string{"010903", "010907", "01093ba1b2c3d4",
		"2209f00123456789abcdef0123456789abcdef01127463702f3132372e302e302e313a37343437"} {
		f.Add(mustHex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m ScoutingMessage
		if err := DecodeScouting(b, &m); err != nil {
			return
		}
		var re []byte
		if m.ID == MidScout {
			m.Hello = Hello{}
			re = AppendScout(nil, &m.Scout)
		} else {
			m.Scout = Scout{}
			re = AppendHello(nil, &m.Hello)
		}
		var m2 ScoutingMessage
		if err := DecodeScouting(re, &m2); err != nil {
			t.Fatalf("re-encoded fails: %v\n in %x\n out %x", err, b, re)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("values differ\n %#v\n %#v", m, m2)
		}
	})
}

// FuzzStreamFramer feeds a stream in arbitrary pieces: the batches must
// be those of a one-shot feed.
func FuzzStreamFramer(f *testing.F) {
	f.Add([]byte{1, 0, 4, 2, 0, 1, 2}, []byte{1, 2, 3})
	f.Add([]byte{0, 0, 1, 0, 4}, []byte{1})
	f.Fuzz(func(t *testing.T, stream, cuts []byte) {
		var want [][]byte
		whole := NewStreamFramer(1024)
		errWhole := whole.Feed(stream, func(b []byte) error { want = append(want, bytes.Clone(b)); return nil })
		var got [][]byte
		split := NewStreamFramer(1024)
		var errSplit error
		rest := stream
		for i := 0; len(rest) > 0 && errSplit == nil; i++ {
			n := len(rest)
			if i < len(cuts) {
				n = min(n, int(cuts[i])+1)
			}
			errSplit = split.Feed(rest[:n], func(b []byte) error { got = append(got, bytes.Clone(b)); return nil })
			rest = rest[n:]
		}
		if (errWhole == nil) != (errSplit == nil) {
			t.Fatalf("errors differ: whole %v, split %v", errWhole, errSplit)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batches differ: %x vs %x", got, want)
		}
		if errWhole == nil && whole.Pending() != split.Pending() {
			t.Fatalf("pending differ: %d vs %d", whole.Pending(), split.Pending())
		}
	})
}
