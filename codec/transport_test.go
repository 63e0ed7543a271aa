package codec

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

func zidHex(t testing.TB, s string) ZenohID {
	t.Helper()
	id, err := hlc.IDFromBytes(mustHex(t, s))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// transportCases are byte-exact examples from spec/transport.md section 10
// (captured from zenoh-pico or accepted by it).
func transportCases(t testing.TB) []struct {
	name string
	hex  string
	msg  TransportMessage
} {
	zidRouter := zidHex(t, "0123456789abcdef0123456789abcdef")
	return []struct {
		name string
		hex  string
		msg  TransportMessage
	}{
		{"10.1 InitSyn pico client", "c1 09 f2 d7 66 6b e9 30 6b 00 d9 4c 7b 38 dc 95 87 d0 db 0a 00 08 27 01",
			TransportMessage{ID: MidInit, Init: Init{Version: 9, WhatAmI: Client,
				ZID: zidHex(t, "d7666be9306b00d94c7b38dc9587d0db"), SizeBlock: true,
				Resolution: 0x0a, BatchSize: 2048, Patch: 1}}},
		{"10.1 InitSyn Rust default", "81 09 f2 41 2d 6f 7b 0a ee c3 91 55 4e b0 a6 d3 27 1c 8f 81 27 01",
			TransportMessage{ID: MidInit, Init: Init{Version: 9, WhatAmI: Client,
				ZID: zidHex(t, "412d6f7b0aeec391554eb0a6d3271c8f"), Resolution: 0x0a, BatchSize: 65535,
				QoS: true, Patch: 1}}},
		{"10.2a InitAck to pico", "e1 09 f0 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 0a 00 08 04 de ad be ef 27 01",
			TransportMessage{ID: MidInit, Init: Init{Ack: true, Version: 9, WhatAmI: Router, ZID: zidRouter,
				SizeBlock: true, Resolution: 0x0a, BatchSize: 2048, Cookie: []byte{0xde, 0xad, 0xbe, 0xef}, Patch: 1}}},
		{"10.2b InitSyn 4-byte zid", "81 09 31 a1 b2 c3 d4 81 27 01",
			TransportMessage{ID: MidInit, Init: Init{Version: 9, WhatAmI: Peer, ZID: zidHex(t, "a1b2c3d4"),
				Resolution: 0x0a, BatchSize: 65535, QoS: true, Patch: 1}}},
		{"10.3 OpenSyn", "42 0a 00 04 de ad be ef",
			TransportMessage{ID: MidOpen, Open: Open{Lease: 10 * time.Second, Cookie: []byte{0xde, 0xad, 0xbe, 0xef}}}},
		{"10.3 OpenSyn harness", "42 0a 64 00",
			TransportMessage{ID: MidOpen, Open: Open{Lease: 10 * time.Second, InitialSN: 100}}},
		{"10.4 OpenAck", "62 0a b4 24",
			TransportMessage{ID: MidOpen, Open: Open{Ack: true, Lease: 10 * time.Second, InitialSN: 0x1234}}},
		{"OpenAck lease in ms", "22 f4 03 00",
			TransportMessage{ID: MidOpen, Open: Open{Ack: true, Lease: 500 * time.Millisecond}}},
		{"10.5 KeepAlive", "04", TransportMessage{ID: MidKeepAlive}},
		{"10.6 Close pico", "23 05", TransportMessage{ID: MidClose, Close: Close{Session: true, Reason: CloseExpired}}},
		{"10.6 Close link", "03 00", TransportMessage{ID: MidClose, Close: Close{Reason: CloseGeneric}}},
		{"10.8 Fragment last", "26 b6 24 78 78",
			TransportMessage{ID: MidFragment, Fragment: Fragment{Reliable: true, SN: 0x1236, Priority: PriorityData, Payload: []byte{0x78, 0x78}}}},
		{"10.8 Fragment first", "e6 b5 24 02 3d 00",
			TransportMessage{ID: MidFragment, Fragment: Fragment{Reliable: true, More: true, SN: 0x1235, Priority: PriorityData, First: true, Payload: []byte{0x3d, 0x00}}}},
		{"Fragment drop with QoS", "86 07 b1 01 03",
			TransportMessage{ID: MidFragment, Fragment: Fragment{SN: 7, Priority: PriorityRealTime, Drop: true}}},
		{"10.9 Join", "e7 09 f1 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 0a 00 08 0a 05 09 27 01",
			TransportMessage{ID: MidJoin, Join: Join{Version: 9, WhatAmI: Peer, ZID: zidRouter, SizeBlock: true,
				Resolution: 0x0a, BatchSize: 2048, Lease: 10 * time.Second, Next: SNPair{5, 9}, Patch: 1}}},
		{"Frame empty with QoS", "a5 07 31 00",
			TransportMessage{ID: MidFrame, Frame: Frame{Reliable: true, SN: 7, Priority: PriorityControl}}},
		{"TransportOAM z64", "a0 05 31 02 2a",
			TransportMessage{ID: MidTransportOAM, OAM: TransportOAM{ID: 5, Enc: OAMZ64, Value: 42, Priority: PriorityInteractiveHigh}}},
	}
}

func TestTransportExamples(t *testing.T) {
	for _, c := range transportCases(t) {
		t.Run(c.name, func(t *testing.T) {
			b := mustHex(t, c.hex)
			var m TransportMessage
			n, err := DecodeTransport(b, &m)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if n != len(b) {
				t.Fatalf("decoded %d of %d bytes", n, len(b))
			}
			if !reflect.DeepEqual(m, c.msg) {
				t.Fatalf("decoded\n %#v\nwant\n %#v", m, c.msg)
			}
			if got := AppendTransport(nil, &c.msg); !bytes.Equal(got, b) {
				t.Fatalf("encoded %x, want %x", got, b)
			}
		})
	}
}

func TestScoutingExamples(t *testing.T) {
	zid := zidHex(t, "0123456789abcdef0123456789abcdef")
	cases := []struct {
		name string
		hex  string
		msg  ScoutingMessage
	}{
		{"pico z_scout", "01 09 03", ScoutingMessage{ID: MidScout, Scout: Scout{Version: 9, What: Router | Peer}}},
		{"Rust client scout", "01 09 07", ScoutingMessage{ID: MidScout, Scout: Scout{Version: 9, What: Router | Peer | Client}}},
		{"scout with zid", "01 09 3b a1 b2 c3 d4", ScoutingMessage{ID: MidScout, Scout: Scout{Version: 9, What: Router | Peer, ZID: zidHex(t, "a1b2c3d4")}}},
		{"hello", "22 09 f0 01 23 45 67 89 ab cd ef 01 23 45 67 89 ab cd ef 01 12 74 63 70 2f 31 32 37 2e 30 2e 30 2e 31 3a 37 34 34 37",
			ScoutingMessage{ID: MidHello, Hello: Hello{Version: 9, WhatAmI: Router, ZID: zid, Locators: []string{"tcp/127.0.0.1:7447"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := mustHex(t, c.hex)
			var m ScoutingMessage
			if err := DecodeScouting(b, &m); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, c.msg) {
				t.Fatalf("decoded %#v\nwant %#v", m, c.msg)
			}
			var got []byte
			if m.ID == MidScout {
				got = AppendScout(nil, &c.msg.Scout)
			} else {
				got = AppendHello(nil, &c.msg.Hello)
			}
			if !bytes.Equal(got, b) {
				t.Fatalf("encoded %x want %x", got, b)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		want error
		ext  byte
	}{
		{"unknown mid", "08", ErrUnknownMessage, 0},
		{"reserved whatami", "01 09 03 01", ErrInvalid, 0},
		{"unknown mandatory ext on KeepAlive", "84 11", ErrMandatoryExtension, 0x11},
		{"reserved ext encoding", "84 63", ErrExtensionEncoding, 0x63},
		{"zero zid", "01 09 01 00", ErrInvalid, 0},
		{"cookie past end", "a1 09 00 01 05 01", ErrTruncated, 0},
		{"InitAck cookie over z16", "a1 09 00 01 80 80 04", ErrOverflow, 0},
		{"frame SN over u32", "25 80 80 80 80 10", ErrOverflow, 0},
		{"frame QoS priority 9", "a5 00 31 09", ErrInvalid, 0},
		{"lease overflow", "42 ff ff ff ff ff ff ff ff ff 00 00", ErrOverflow, 0},
		{"Join QoS body short", "87 09 00 01 0a 00 00 51 02 01 01", ErrTruncated, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m TransportMessage
			_, err := DecodeTransport(mustHex(t, c.hex), &m)
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *codec.Error: %T", err)
			}
			if c.ext != 0 && e.Ext != c.ext {
				t.Fatalf("Ext = %#x, want %#x", e.Ext, c.ext)
			}
		})
	}
}

func TestUnknownOptionalExtensionsKept(t *testing.T) {
	// KeepAlive with an unknown Z64 and an unknown ZBuf extension (M=0).
	b := mustHex(t, "84 a5 2a 46 02 01 02")
	var m TransportMessage
	n, err := DecodeTransport(b, &m)
	if err != nil || n != len(b) {
		t.Fatalf("n=%d err=%v", n, err)
	}
	want := []Extension{{Key: 0x25, Value: 42}, {Key: 0x46, Body: []byte{1, 2}}}
	if !reflect.DeepEqual(m.KeepAlive.Exts, want) {
		t.Fatalf("exts %#v", m.KeepAlive.Exts)
	}
	if got := AppendTransport(nil, &m); !bytes.Equal(got, b) {
		t.Fatalf("re-encoded %x want %x", got, b)
	}
}

func TestInitExtensionsMatchSevenBits(t *testing.T) {
	// 0x01 is QoS (Unit), 0x21 QoSLink (Z64): same id, different extension.
	b := mustHex(t, "81 09 00 01 a1 07 01")
	var m TransportMessage
	if _, err := DecodeTransport(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.Init.QoS || !m.Init.HasQoSLink || m.Init.QoSLink != 7 {
		t.Fatalf("%+v", m.Init)
	}
	// 0x27 is Patch in Init but RemoteBound in Open, which stays unknown.
	b = mustHex(t, "c2 0a 00 00 27 01")
	if _, err := DecodeTransport(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Open.Exts) != 1 || m.Open.Exts[0].Key != 0x27 {
		t.Fatalf("%+v", m.Open)
	}
}

func TestTruncationNeverPanics(t *testing.T) {
	for _, c := range transportCases(t) {
		b := mustHex(t, c.hex)
		for i := 0; i < len(b); i++ {
			var m TransportMessage
			n, err := DecodeTransport(b[:i], &m)
			// A Fragment (or an empty Frame) may legally end anywhere after its header.
			if err == nil && (m.ID == MidFragment || m.ID == MidFrame || m.ID == MidKeepAlive) {
				continue
			}
			if err == nil {
				t.Fatalf("%s: %d-byte prefix decoded (n=%d)", c.name, i, n)
			}
		}
	}
}

func TestBatchBuilderCountsPrefix(t *testing.T) {
	b := NewBatchBuilder(2048, true, nil)
	if b.Len() != 2 || !b.Empty() || b.Room() != 2046 {
		t.Fatalf("fresh builder: len %d room %d", b.Len(), b.Room())
	}
	b.Buf = append(b.Buf, make([]byte, 2046)...)
	if b.Over() || b.Room() != 0 {
		t.Fatal("2046 content bytes must fit a 2048 batch on a stream")
	}
	b.Buf = append(b.Buf, 0)
	if !b.Over() {
		t.Fatal("2047 content bytes must not fit")
	}
	b.Truncate(2048)
	out := b.Bytes()
	if len(out) != 2048 || out[0] != 0xfe || out[1] != 0x07 {
		t.Fatalf("prefix %x len %d", out[:2], len(out))
	}
	d := NewBatchBuilder(2048, false, nil)
	if d.Room() != 2048 || MaxBatchPayload(2048, false) != 2048 || MaxBatchPayload(2048, true) != 2046 {
		t.Fatal("datagram batches count no prefix")
	}
}

func TestStreamFramerLimits(t *testing.T) {
	f := NewStreamFramer(2048)
	// 2046 is the largest batch a 2048 agreement allows.
	ok := append([]byte{0xfe, 0x07}, make([]byte, 2046)...)
	n := 0
	if err := f.Feed(ok, func([]byte) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("2046-byte batch: n=%d err=%v", n, err)
	}
	err := f.Feed([]byte{0xff, 0x07}, func([]byte) error { return nil })
	if !errors.Is(err, ErrBatchTooLarge) {
		t.Fatalf("2047-byte batch: %v", err)
	}
	// Prefix split across feeds, then a zero-length batch, skipped.
	f = NewStreamFramer(65535)
	var got [][]byte
	collect := func(b []byte) error { got = append(got, bytes.Clone(b)); return nil }
	for _, p := range [][]byte{{0x01}, {0x00, 0x04, 0x00}, {0x00, 0x02}, {0x00, 0x03}} {
		if err := f.Feed(p, collect); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || f.Pending() != 1 {
		t.Fatalf("got %x pending %d", got, f.Pending())
	}
	if err := f.Feed([]byte{0x04}, collect); err != nil || len(got) != 2 || !bytes.Equal(got[1], []byte{3, 4}) {
		t.Fatalf("got %x err %v", got, err)
	}
}
