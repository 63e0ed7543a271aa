package aligner

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenID is ZenohId 0x0a0b: wire bytes 0b 0a.
func goldenID(t testing.TB) hlc.ID {
	id, err := hlc.IDFromBytes([]byte{0x0b, 0x0a})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestGolden pins the byte layout documented in doc.go, so that the
// encoder and the decoder cannot drift together.
func TestGolden(t *testing.T) {
	id := goldenID(t)
	ts := hlc.Timestamp{Time: 0x0102030405060708, ID: id}
	tests := []struct {
		name string
		msg  any
		hex  string
	}{
		{"digest", &Digest{
			SubWidth: 2 << 32, SubIntervals: 5, Hot: 6, Warm: 30, Cut: 1000, Cold: 0x0102030405060708,
			WarmFPs: []FP{{190, 0xaa}}, HotFPs: []FP{{994, 1}, {996, 2}},
		}, "01 01  8080808020 05 06 1e e807  0102030405060708" +
			"  01 be01 00000000000000aa" +
			"  02 e207 0000000000000001 01 0000000000000002"},
		{"empty digest", &Digest{SubWidth: 1, SubIntervals: 1, Hot: 1}, "01 01 01 01 01 00 00 0000000000000000 00 00"},
		{"intervals", &Request{Kind: ReqIntervals, From: 3, To: 300}, "01 02 03 ac02"},
		{"subs", &Request{Kind: ReqSubs, Intervals: []uint64{7, 8, 10}}, "01 03 03 07 00 01"},
		{"events", &Request{Kind: ReqEvents, Subs: []uint64{994, 996}, After: "a", WithValues: true}, "01 04 01 02 e207 01 01 61"},
		{"events, no values", &Request{Kind: ReqEvents}, "01 04 00 00 00"},
		{"values", &Request{Kind: ReqValues, Keys: []string{"a", "bc"}}, "01 05 02 01 61 02 6263"},
		{"fps", &Reply{Kind: RepFPs, FPs: []FP{{5, 0x1122334455667788}}}, "01 06 00 01 05 1122334455667788"},
		{"metas", &Reply{Kind: RepEvents, Metas: []EventMeta{{"k", ts, codec.MidDel}}, More: true},
			"01 07 01 01  01 6b 0102030405060708 02 0b0a 02"},
		{"values reply", &Reply{Kind: RepValues, Events: []storage.Event{{
			Key: "k", TS: ts, Kind: codec.MidPut, Encoding: codec.Encoding{ID: 3, Schema: []byte("s")}, Payload: []byte("hi"),
		}, {Key: "d", TS: ts, Kind: codec.MidDel}}},
			"01 08 00 02  01 6b 0102030405060708 02 0b0a 01 03 01 73 02 6869" +
				"  01 64 0102030405060708 02 0b0a 02 00 00 00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.hex)
			var got []byte
			var decoded any
			var err error
			switch m := tt.msg.(type) {
			case *Digest:
				got = AppendDigest(nil, m)
				var d Digest
				d, err = DecodeDigest(want)
				decoded = &d
			case *Request:
				got = AppendRequest(nil, m)
				var r Request
				r, err = DecodeRequest(want)
				decoded = &r
			case *Reply:
				got = AppendReply(nil, m)
				var r Reply
				r, err = DecodeReply(want)
				decoded = &r
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoded\n got % x\nwant % x", got, want)
			}
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(decoded, tt.msg) {
				t.Errorf("decoded %+v, want %+v", decoded, tt.msg)
			}
		})
	}
}

// randDigest returns a random valid digest.
func randDigest(g *gen) Digest {
	d := Digest{
		SubWidth:     hlc.NTP64(1 + g.rng.Uint64N(1<<34)),
		SubIntervals: uint32(1 + g.rng.IntN(6)),
		Hot:          uint32(1 + g.rng.IntN(4)),
		Warm:         uint32(g.rng.IntN(6)),
		Cold:         g.rng.Uint64() * uint64(g.rng.IntN(2)),
	}
	d.Cut = g.rng.Uint64N(uint64(hlc.MaxNTP64)/uint64(d.SubWidth) + 1)
	if g.rng.IntN(4) == 0 {
		d.Cut = g.rng.Uint64N(40)
	}
	e := d.Eras()
	d.WarmFPs = randFPs(g, e.WarmStart, e.HotStart)
	d.HotFPs = randFPs(g, e.HotSub, e.Cut)
	return d
}

// randFPs returns a random ascending subset of [from, to) with nonzero
// fingerprints.
func randFPs(g *gen, from, to uint64) []FP {
	var fps []FP
	for i := from; i < to && len(fps) < 50; i++ {
		if g.rng.IntN(3) != 0 {
			fps = append(fps, FP{Index: i, FP: 1 + g.rng.Uint64N(^uint64(0))})
		}
	}
	return fps
}

func randIndexes(g *gen) []uint64 {
	var idx []uint64
	x := g.rng.Uint64N(1 << uint(g.rng.IntN(64)))
	for range g.rng.IntN(20) {
		idx = append(idx, x)
		step := 1 + g.rng.Uint64N(1<<uint(g.rng.IntN(40)))
		if x > ^uint64(0)-step {
			break
		}
		x += step
	}
	return idx
}

func randKeys(g *gen) []string {
	var keys []string
	for i := range g.rng.IntN(10) {
		keys = append(keys, fmt.Sprintf("k/%03d/%d", i, g.rng.IntN(1000)))
	}
	return keys
}

func randRequest(g *gen) Request {
	switch g.rng.IntN(4) {
	case 0:
		from, to := g.rng.Uint64(), g.rng.Uint64()
		if to < from {
			from, to = to, from
		}
		return Request{Kind: ReqIntervals, From: from, To: to}
	case 1:
		return Request{Kind: ReqSubs, Intervals: randIndexes(g)}
	case 2:
		after := ""
		if g.rng.IntN(2) == 0 {
			after = "k/after"
		}
		return Request{Kind: ReqEvents, Subs: randIndexes(g), After: after, WithValues: g.rng.IntN(2) == 0}
	}
	return Request{Kind: ReqValues, Keys: randKeys(g)}
}

func randReply(g *gen) Reply {
	rep := Reply{More: g.rng.IntN(3) == 0}
	switch g.rng.IntN(3) {
	case 0:
		rep.Kind = RepFPs
		start := g.rng.Uint64N(1 << 40)
		rep.FPs = randFPs(g, start, start+g.rng.Uint64N(60))
	case 1:
		rep.Kind = RepEvents
		for i := range g.rng.IntN(10) {
			ev := g.event(fmt.Sprintf("m/%d", i), 1, hlc.MaxNTP64)
			rep.Metas = append(rep.Metas, EventMeta{Key: ev.Key, TS: ev.TS, Kind: ev.Kind})
		}
	default:
		rep.Kind = RepValues
		for i := range g.rng.IntN(10) {
			rep.Events = append(rep.Events, g.event(fmt.Sprintf("v/%d", i), 1, hlc.MaxNTP64))
		}
	}
	if len(rep.FPs)+len(rep.Metas)+len(rep.Events) == 0 {
		rep.More = false
	}
	return rep
}

// checkPrefixes decodes every strict prefix of a valid message, which
// must all fail.
func checkPrefixes(t *testing.T, b []byte, decode func([]byte) error) {
	t.Helper()
	for n := range len(b) {
		if err := decode(b[:n]); err == nil {
			t.Fatalf("prefix of %d bytes of % x decodes", n, b)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	g := newGen(7)
	for i := range 500 {
		d := randDigest(g)
		b := AppendDigest(nil, &d)
		got, err := DecodeDigest(b)
		if err != nil || !reflect.DeepEqual(got, d) {
			t.Fatalf("%d: digest %+v decoded as %+v, %v", i, d, got, err)
		}
		checkPrefixes(t, b, func(b []byte) error { _, err := DecodeDigest(b); return err })

		req := randRequest(g)
		b = AppendRequest(nil, &req)
		gotReq, err := DecodeRequest(b)
		if err != nil || !reflect.DeepEqual(gotReq, req) {
			t.Fatalf("%d: request %+v decoded as %+v, %v", i, req, gotReq, err)
		}
		checkPrefixes(t, b, func(b []byte) error { _, err := DecodeRequest(b); return err })

		rep := randReply(g)
		b = AppendReply(nil, &rep)
		gotRep, err := DecodeReply(b)
		if err != nil || !reflect.DeepEqual(gotRep, rep) {
			t.Fatalf("%d: reply %+v decoded as %+v, %v", i, rep, gotRep, err)
		}
		checkPrefixes(t, b, func(b []byte) error { _, err := DecodeReply(b); return err })
	}
}

func TestDecodeErrors(t *testing.T) {
	uv := func(v uint64) string { return hex.EncodeToString(binary.AppendUvarint(nil, v)) }
	const ts = "0102030405060708 02 0b0a"
	tests := []struct {
		name string
		dec  string // "digest", "request" or "reply"
		hex  string
		want error
	}{
		{"empty", "digest", "", ErrMalformed},
		{"version 0", "digest", "00 01 01 01 01 00 00 0000000000000000 00 00", ErrVersion},
		{"version 2", "request", "02 02 00 00", ErrVersion},
		{"request as digest", "digest", "01 02 00 00", ErrType},
		{"reply as request", "request", "01 06 00 00", ErrType},
		{"digest as reply", "reply", "01 01 01 01 01 00 00 0000000000000000 00 00", ErrType},
		{"unknown type", "reply", "01 09 00 00", ErrType},
		{"trailing", "request", "01 02 00 00 00", ErrTrailing},
		{"bad uvarint", "request", "01 02 ffffffffffffffffffff01 00", ErrMalformed},
		{"zero width", "digest", "01 01 00 01 01 00 00 0000000000000000 00 00", ErrMalformed},
		{"zero hot", "digest", "01 01 01 01 00 00 00 0000000000000000 00 00", ErrMalformed},
		{"sub-intervals over 32 bits", "digest", "01 01 01 " + uv(1<<32) + " 01 00 00 0000000000000000 00 00", ErrMalformed},
		{"cut past NTP64", "digest", "01 01 02 01 01 00 " + uv(1<<63) + " 0000000000000000 00 00", ErrMalformed},
		{"hot fp zero", "digest", "01 01 01 01 01 00 05 0000000000000000 00 01 04 0000000000000000", ErrMalformed},
		{"hot fp at the cut", "digest", "01 01 01 01 01 00 05 0000000000000000 00 01 05 0000000000000001", ErrMalformed},
		{"warm fp in the hot era", "digest", "01 01 01 01 01 05 05 0000000000000000 01 04 0000000000000001 00", ErrMalformed},
		{"fp count past the bytes", "digest", "01 01 01 01 01 00 05 0000000000000000 00 02 04 0000000000000001", ErrMalformed},
		{"fp count over the limit", "reply", "01 06 00 " + uv(MaxItems+1), ErrLimit},
		{"index overflow", "request", "01 03 02 " + uv(1<<64-1) + " 00", ErrMalformed},
		{"from after to", "request", "01 02 05 04", ErrMalformed},
		{"unknown request flag", "request", "01 04 02 00 00", ErrMalformed},
		{"unknown reply flag", "reply", "01 06 02 00", ErrMalformed},
		{"more and empty", "reply", "01 06 01 00", ErrMalformed},
		{"empty key", "request", "01 05 01 00 00", ErrMalformed},
		{"keys out of order", "request", "01 05 02 01 62 01 61", ErrMalformed},
		{"duplicate keys", "request", "01 05 02 01 61 01 61", ErrMalformed},
		{"key over the limit", "request", "01 05 01 " + uv(MaxKey+1), ErrLimit},
		{"after over the limit", "request", "01 04 00 00 " + uv(MaxKey+1), ErrLimit},
		{"zero fp in reply", "reply", "01 06 00 01 05 0000000000000000", ErrMalformed},
		{"wild key", "reply", "01 07 00 01 01 2a " + ts + " 01", ErrMalformed},
		{"zero time", "reply", "01 07 00 01 01 6b 0000000000000000 02 0b0a 01", ErrMalformed},
		{"zero id", "reply", "01 07 00 01 01 6b 0102030405060708 01 00 01", ErrMalformed},
		{"id too long", "reply", "01 07 00 01 01 6b 0102030405060708 11 " + strings.Repeat("01", 17) + " 01", ErrMalformed},
		{"id not canonical", "reply", "01 07 00 01 01 6b 0102030405060708 03 0b0a00 01", ErrMalformed},
		{"bad kind", "reply", "01 07 00 01 01 6b " + ts + " 03", ErrMalformed},
		{"encoding id over 16 bits", "reply", "01 08 00 01 01 6b " + ts + " 01 " + uv(1<<16) + " 00 00", ErrMalformed},
		{"schema over 255", "reply", "01 08 00 01 01 6b " + ts + " 01 00 " + uv(256), ErrLimit},
		{"payload over the limit", "reply", "01 08 00 01 01 6b " + ts + " 01 00 00 " + uv(MaxPayload+1), ErrLimit},
		{"payload past the end", "reply", "01 08 00 01 01 6b " + ts + " 01 00 00 05 6869", ErrMalformed},
		{"tombstone with a payload", "reply", "01 08 00 01 01 6b " + ts + " 02 00 00 02 6869", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := unhex(t, tt.hex)
			var err error
			switch tt.dec {
			case "digest":
				_, err = DecodeDigest(b)
			case "request":
				_, err = DecodeRequest(b)
			case "reply":
				_, err = DecodeReply(b)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("decode % x: %v, want %v", b, err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "aligner: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestEncodePanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"reply kind as request", func() { AppendRequest(nil, &Request{Kind: RepFPs}) }},
		{"request kind as reply", func() { AppendReply(nil, &Reply{Kind: ReqSubs}) }},
		{"indexes out of order", func() { AppendRequest(nil, &Request{Kind: ReqSubs, Intervals: []uint64{2, 2}}) }},
		{"fps out of order", func() { AppendDigest(nil, &Digest{HotFPs: []FP{{3, 1}, {1, 1}}}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tt.f()
		})
	}
}

func TestMsgKindString(t *testing.T) {
	for k, want := range map[MsgKind]string{MsgDigest: "Digest", ReqValues: "ReqValues", RepValues: "RepValues", 0: "MsgKind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", byte(k), got, want)
		}
	}
}
