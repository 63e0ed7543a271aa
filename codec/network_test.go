package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gozenoh/zenoh/hlc"
)

// netHex parses hex written with spaces, '|' separators and line breaks.
func netHex(t testing.TB, s string) []byte {
	t.Helper()
	s = strings.NewReplacer(" ", "", "|", "", "\n", "", "\t", "").Replace(s)
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// seqZID is the 16-byte ZenohId whose wire bytes are first, first+1, ...
func seqZID(first byte) ZenohID {
	var b [16]byte
	for i := range b {
		b[i] = first + byte(i)
	}
	id, err := hlc.IDFromBytes(b[:])
	if err != nil {
		panic(err)
	}
	return id
}

// netOnly keeps the field of m that its ID names, so that values decoded
// into a reused NetworkMessage compare with fresh ones.
func netOnly(m *NetworkMessage) NetworkMessage {
	out := NetworkMessage{ID: m.ID}
	switch m.ID {
	case MidPush:
		out.Push = m.Push
	case MidRequest:
		out.Request = m.Request
	case MidResponse:
		out.Response = m.Response
	case MidResponseFinal:
		out.ResponseFinal = m.ResponseFinal
	case MidInterest:
		out.Interest = m.Interest
	case MidDeclare:
		out.Declare = m.Declare
	case MidOAM:
		out.OAM = m.OAM
	}
	return out
}

// netField returns the field of m that its ID names; comparing it is
// cheaper than comparing whole NetworkMessages (DeepEqual walks every
// ZenohId array byte by byte).
func netField(m *NetworkMessage) any {
	switch m.ID {
	case MidPush:
		return &m.Push
	case MidRequest:
		return &m.Request
	case MidResponse:
		return &m.Response
	case MidResponseFinal:
		return &m.ResponseFinal
	case MidInterest:
		return &m.Interest
	case MidDeclare:
		return &m.Declare
	case MidOAM:
		return &m.OAM
	}
	return nil
}

func bs(s string) []byte { return []byte(s) }

func pushMsg(we WireExpr, d Data) NetworkMessage {
	return NetworkMessage{ID: MidPush, Push: Push{WireExpr: we, QoS: DefaultQoS, Body: d}}
}

func declMsg(b Declaration) NetworkMessage {
	return NetworkMessage{ID: MidDeclare, Declare: Declare{QoS: DefaultQoS, Body: b}}
}

func declIMsg(interest uint32, qos QoS, b Declaration) NetworkMessage {
	return NetworkMessage{ID: MidDeclare, Declare: Declare{HasInterestID: true, InterestID: interest, QoS: qos, Body: b}}
}

func interestMsg(it Interest) NetworkMessage {
	if it.QoS == 0 {
		it.QoS = DefaultQoS
	}
	return NetworkMessage{ID: MidInterest, Interest: it}
}

type netCase struct {
	name string
	hex  string
	want NetworkMessage
	// decodeOnly, when set, says why our encoder cannot reproduce the
	// bytes; the case then only checks decoding.
	decodeOnly string
}

// specCases are the byte-exact examples of spec/network.md sections 3.6,
// 11 and 12.
func specCases() []netCase {
	demo := WireExpr{Suffix: bs("demo/example"), Mapping: true}
	demoStar := WireExpr{Suffix: bs("demo/**"), Mapping: true}
	ts := hlc.Timestamp{Time: 0x6650a3c1b3333333, ID: seqZID(0xa0)}
	put := func(payload string) Data { return Data{Kind: MidPut, Payload: bs(payload)} }
	withTS := put("Hello")
	withTS.Timestamp = ts
	withTS.Encoding = Encoding{ID: 4}
	qosAtt := pushMsg(demo, Data{Kind: MidPut, Attachment: []byte{1, 2}, Payload: bs("Hello")})
	qosAtt.Push.QoS = 0x1c
	fwd := pushMsg(WireExpr{Scope: 2, Suffix: bs("/example")},
		Data{Kind: MidPut, Timestamp: hlc.Timestamp{Time: 0x6650a3c1b3333330, ID: seqZID(0x30)}, Payload: bs("Hello")})

	req := NetworkMessage{ID: MidRequest, Request: Request{ID: 1,
		WireExpr: WireExpr{Suffix: bs("demo/example/**"), Mapping: true}, QoS: 0x0d, Timeout: 10000,
		Query: Query{HasConsolidation: true, Consolidation: 2, Parameters: bs("x=1")}}}
	rustReq := NetworkMessage{ID: MidRequest, Request: Request{ID: 5,
		WireExpr: WireExpr{Suffix: bs("demo/example/**"), Mapping: true}, QoS: 0x0d, Target: TargetAll,
		Timeout: 10000, Query: Query{HasConsolidation: true, Consolidation: 3}}}
	bodyReq := NetworkMessage{ID: MidRequest, Request: Request{ID: 1, WireExpr: WireExpr{Suffix: bs("a"), Mapping: true},
		QoS: DefaultQoS, Query: Query{HasBody: true, BodyEncoding: Encoding{ID: 1}, BodyPayload: bs("ab")}}}
	anyReq := NetworkMessage{ID: MidRequest, Request: Request{ID: 1, WireExpr: WireExpr{Suffix: bs("a"), Mapping: true},
		QoS: DefaultQoS, Query: Query{Parameters: bs("_anyke")}}}
	picoReq := NetworkMessage{ID: MidRequest, Request: Request{ID: 1,
		WireExpr: WireExpr{Suffix: bs("demo/example/**"), Mapping: true}, QoS: 0x0d, Timeout: 10000,
		Query: Query{HasConsolidation: true, Consolidation: 2}}}

	reply := NetworkMessage{ID: MidResponse, Response: Response{RequestID: 1,
		WireExpr: WireExpr{Suffix: bs("demo/example/a"), Mapping: true}, QoS: 0x0d,
		ResponderID: EntityGlobalID{ZID: seqZID(0x10)}, Reply: Reply{Body: put("42")}}}
	errReply := NetworkMessage{ID: MidResponse, Response: Response{RequestID: 1, WireExpr: WireExpr{Mapping: true},
		QoS: DefaultQoS, ResponderID: EntityGlobalID{ZID: seqZID(0x10)}, IsErr: true,
		Err: Err{Encoding: Encoding{ID: 1}, Payload: bs("oops")}}}
	timeout := NetworkMessage{ID: MidResponse, Response: Response{RequestID: 1, WireExpr: WireExpr{Mapping: true},
		QoS: 0x0d, ResponderID: EntityGlobalID{ZID: seqZID(0x30)}, IsErr: true, Err: Err{Payload: bs("Timeout")}}}
	picoZID, _ := hlc.IDFromBytes([]byte{0x9d, 0xf5, 0x28, 0x4b, 0xe0, 0xb8, 0x98, 0x93, 0xd8, 0x9c, 0xc7, 0x65, 0x79, 0x30, 0xf8, 0x85})
	picoReply := NetworkMessage{ID: MidResponse, Response: Response{RequestID: 1,
		WireExpr: WireExpr{Suffix: bs("demo/example/**"), Mapping: true}, QoS: 0x0d,
		ResponderID: EntityGlobalID{ZID: picoZID}, Reply: Reply{Body: put("Queryable from Pico!")}}}

	lsBody := netHexMust("01 07 00 01 10 303132333435363738393a3b3c3d3e3f 01 01 12 7463702f3132372e302e302e313a37343437 01 01")

	return []netCase{
		// 11.1
		{name: "11.1 put text/plain", hex: "7d 00 0c 64656d6f2f6578616d706c65 41 08 05 48656c6c6f",
			want: pushMsg(demo, Data{Kind: MidPut, Encoding: Encoding{ID: 4}, Payload: bs("Hello")})},
		{name: "11.1 put schema", hex: "7d 00 0c 64656d6f2f6578616d706c65 41 09 05 7574662d38 05 48656c6c6f",
			want: pushMsg(demo, Data{Kind: MidPut, Encoding: Encoding{ID: 4, Schema: bs("utf-8")}, Payload: bs("Hello")})},
		{name: "11.1 put timestamp", hex: "7d 00 0c 64656d6f2f6578616d706c65 61 b3 e6 cc 99 9b f8 a8 a8 66 10 a0a1a2a3a4a5a6a7a8a9aaabacadaeaf 08 05 48656c6c6f",
			want: pushMsg(demo, withTS)},
		{name: "11.1 put qos attachment", hex: "fd 00 0c 64656d6f2f6578616d706c65 21 1c 81 43 02 01 02 05 48656c6c6f",
			want: qosAtt},
		{name: "11.1 del", hex: "7d 00 0c 64656d6f2f6578616d706c65 02",
			want: pushMsg(demo, Data{Kind: MidDel})},
		// 11.2
		{name: "11.2 declare keyexpr", hex: "1e 20 01 00 0c 64656d6f2f6578616d706c65",
			want: declMsg(Declaration{Kind: DeclKeyExpr, ID: 1, WireExpr: WireExpr{Suffix: bs("demo/example")}})},
		{name: "11.2 push by id", hex: "5d 01 01 02 4869",
			want: pushMsg(WireExpr{Scope: 1, Mapping: true}, put("Hi"))},
		{name: "11.2 undeclare keyexpr", hex: "1e 01 01",
			want: declMsg(Declaration{Kind: UndeclKeyExpr, ID: 1})},
		// 11.3
		{name: "11.3 declare keyexpr demo", hex: "1e 20 02 00 04 64656d6f",
			want: declMsg(Declaration{Kind: DeclKeyExpr, ID: 2, WireExpr: WireExpr{Suffix: bs("demo")}})},
		{name: "11.3 declare subscriber prefix", hex: "1e 62 05 02 03 2f2a2a",
			want: declMsg(Declaration{Kind: DeclSubscriber, ID: 5, WireExpr: WireExpr{Scope: 2, Suffix: bs("/**"), Mapping: true}})},
		{name: "11.3 declare subscriber full", hex: "1e 62 05 00 07 64656d6f2f2a2a",
			want: declMsg(Declaration{Kind: DeclSubscriber, ID: 5, WireExpr: demoStar})},
		{name: "11.3 undeclare subscriber pico client", hex: "1e 03 05",
			want: declMsg(Declaration{Kind: UndeclSubscriber, ID: 5})},
		{name: "11.3 undeclare subscriber pico peer", hex: "1e 83 05 5f 05 03 02 2f2a2a",
			want: declMsg(Declaration{Kind: UndeclSubscriber, ID: 5, HasWireExprExt: true,
				WireExpr: WireExpr{Scope: 2, Suffix: bs("/**"), Mapping: true}})},
		{name: "11.3 declare queryable complete", hex: "1e e4 06 00 07 64656d6f2f2a2a 21 01",
			want: declMsg(Declaration{Kind: DeclQueryable, ID: 6, WireExpr: demoStar, Complete: true})},
		{name: "3.6.2/11.3 declare queryable complete distance 3", hex: "1e e4 06 00 07 64656d6f2f2a2a 21 81 06",
			want: declMsg(Declaration{Kind: DeclQueryable, ID: 6, WireExpr: demoStar, Complete: true, Distance: 3})},
		{name: "11.3 declare queryable", hex: "1e 64 06 00 07 64656d6f2f2a2a",
			want: declMsg(Declaration{Kind: DeclQueryable, ID: 6, WireExpr: demoStar})},
		{name: "11.3 undeclare queryable pico", hex: "1e 05 06",
			want: declMsg(Declaration{Kind: UndeclQueryable, ID: 6})},
		{name: "3.6.3/11.3 undeclare queryable rust null ext", hex: "1e 85 06 5f 02 00 00",
			want: declMsg(Declaration{Kind: UndeclQueryable, ID: 6, HasWireExprExt: true})},
		{name: "11.3 declare token", hex: "1e 66 07 00 07 64656d6f2f2a2a",
			want: declMsg(Declaration{Kind: DeclToken, ID: 7, WireExpr: demoStar})},
		{name: "11.3 undeclare token with key", hex: "1e 87 07 5f 09 03 00 64656d6f2f2a2a",
			want: declMsg(Declaration{Kind: UndeclToken, ID: 7, HasWireExprExt: true, WireExpr: demoStar})},
		{name: "3.6.4/11.3 declare final pico", hex: "3e 03 1a",
			want: declIMsg(3, DefaultQoS, Declaration{Kind: DeclFinal})},
		{name: "3.6.4/11.3 declare final rust", hex: "be 03 21 08 1a",
			want: declIMsg(3, 0x08, Declaration{Kind: DeclFinal})},
		// 11.4
		{name: "11.4 request pico parameters", hex: "fc 01 00 0f 64656d6f2f6578616d706c652f2a2a a1 0d 26 90 4e 63 02 03 783d31",
			want: req},
		{name: "11.4 request rust target all", hex: "fc 05 00 0f 64656d6f2f6578616d706c652f2a2a a1 0d b4 01 26 90 4e 23 03",
			want: rustReq},
		{name: "11.4 query body", hex: "7c 01 00 01 61 83 43 03 02 6162", want: bodyReq},
		{name: "11.4 query anyke", hex: "7c 01 00 01 61 43 06 5f616e796b65", want: anyReq},
		// 11.5
		{name: "11.5 response reply put", hex: "fb 01 00 0e 64656d6f2f6578616d706c652f61 a1 0d 43 12 f0 101112131415161718191a1b1c1d1e1f 00 04 01 02 3432",
			want: reply},
		{name: "11.5 response err", hex: "db 01 00 43 12 f0 101112131415161718191a1b1c1d1e1f 00 45 02 04 6f6f7073",
			want: errReply},
		{name: "11.5 rust timeout err", hex: "db 01 00 a1 0d 43 12 f0 303132333435363738393a3b3c3d3e3f 00 05 07 54696d656f7574",
			want: timeout},
		// 11.6
		{name: "11.6 response final pico", hex: "1a 01",
			want: NetworkMessage{ID: MidResponseFinal, ResponseFinal: ResponseFinal{RequestID: 1, QoS: DefaultQoS}}},
		{name: "11.6 response final rust", hex: "9a 01 21 0d",
			want: NetworkMessage{ID: MidResponseFinal, ResponseFinal: ResponseFinal{RequestID: 1, QoS: 0x0d}}},
		// 11.7
		{name: "11.7 interest write filter", hex: "79 03 d3 01",
			want: interestMsg(Interest{ID: 3, Mode: InterestCurrentFuture, Options: InterestAggregate | InterestSubscribers | InterestKeyExprs,
				Restricted: true, WireExpr: WireExpr{Scope: 1, Mapping: true}})},
		{name: "11.7 aggregate declare subscriber", hex: "be 03 21 08 02 02 01",
			want: declIMsg(3, 0x08, Declaration{Kind: DeclSubscriber, ID: 2, WireExpr: WireExpr{Scope: 1}})},
		{name: "11.7 liveliness get", hex: "39 01 79 00 09 67726f7570312f2a2a",
			want: interestMsg(Interest{ID: 1, Mode: InterestCurrent, Options: InterestTokens | InterestKeyExprs,
				Restricted: true, WireExpr: WireExpr{Suffix: bs("group1/**"), Mapping: true}})},
		{name: "11.7 interest final", hex: "19 03", want: interestMsg(Interest{ID: 3})},
		{name: "11.7 unrestricted keyexprs current", hex: "39 04 01",
			want: interestMsg(Interest{ID: 4, Mode: InterestCurrent, Options: InterestKeyExprs})},
		// 11.8
		{name: "11.8 push forwarded by rust", hex: "3d 02 08 2f6578616d706c65 21 b0 e6 cc 99 9b f8 a8 a8 66 10 303132333435363738393a3b3c3d3e3f 05 48656c6c6f",
			want: fwd},
		// 11.9
		{name: "11.9 oam linkstate", hex: "df 01 21 08 2c" + hex.EncodeToString(lsBody),
			want: NetworkMessage{ID: MidOAM, OAM: OAM{ID: 1, Enc: OAMZBuf, QoS: 0x08, Body: lsBody}}},
		// 12: captured pico traffic
		{name: "12.1 initial declare keyexpr", hex: "3e 00 20 01 00 0c 64656d6f2f6578616d706c65",
			want: declIMsg(0, DefaultQoS, Declaration{Kind: DeclKeyExpr, ID: 1, WireExpr: WireExpr{Suffix: bs("demo/example")}})},
		{name: "12.1 initial declare subscriber", hex: "3e 00 62 01 01 03 2f2a2a",
			want: declIMsg(0, DefaultQoS, Declaration{Kind: DeclSubscriber, ID: 1, WireExpr: WireExpr{Scope: 1, Suffix: bs("/**"), Mapping: true}})},
		{name: "12.1 initial declare final", hex: "3e 00 1a", want: declIMsg(0, DefaultQoS, Declaration{Kind: DeclFinal})},
		{name: "12.1 pico push", hex: "5d 01 01 15 5b202020305d205075622066726f6d205069636f21",
			want: pushMsg(WireExpr{Scope: 1, Mapping: true}, put("[   0] Pub from Pico!"))},
		{name: "12.2 declare queryable", hex: "3e 00 44 01 01",
			want: declIMsg(0, DefaultQoS, Declaration{Kind: DeclQueryable, ID: 1, WireExpr: WireExpr{Scope: 1, Mapping: true}})},
		{name: "12.2 request", hex: "fc 01 00 0f 64656d6f2f6578616d706c652f2a2a a1 0d 26 90 4e 23 02", want: picoReq},
		{name: "12.2 response", hex: "fb 01 00 0f 64656d6f2f6578616d706c652f2a2a a1 0d 43 12 f0 9df5284be0b89893d89cc7657930f885 00 04 01 14 517565727961626c652066726f6d205069636f21",
			want: picoReply},
		{name: "12.3 declare token", hex: "3e 00 46 01 01",
			want: declIMsg(0, DefaultQoS, Declaration{Kind: DeclToken, ID: 1, WireExpr: WireExpr{Scope: 1, Mapping: true}})},
		{name: "12.3 liveliness interest", hex: "79 01 59 01",
			want: interestMsg(Interest{ID: 1, Mode: InterestCurrentFuture, Options: InterestTokens | InterestKeyExprs,
				Restricted: true, WireExpr: WireExpr{Scope: 1, Mapping: true}})},
		{name: "12.3 undeclare token", hex: "1e 87 01 5f 02 02 01",
			want: declMsg(Declaration{Kind: UndeclToken, ID: 1, HasWireExprExt: true, WireExpr: WireExpr{Scope: 1, Mapping: true}})},
		// Decode-only: bytes our encoder writes differently.
		{name: "interest N and M without R", hex: "39 04 61",
			want:       interestMsg(Interest{ID: 4, Mode: InterestCurrent, Options: InterestKeyExprs}),
			decodeOnly: "N and M without R carry nothing and are not re-emitted"},
		{name: "declare keyexpr with bit 6", hex: "1e 60 01 00 01 61",
			want:       declMsg(Declaration{Kind: DeclKeyExpr, ID: 1, WireExpr: WireExpr{Suffix: bs("a")}}),
			decodeOnly: "DeclareKeyExpr has no M flag; bit 6 is ignored"},
		{name: "push suffix flag with empty suffix", hex: "3d 00 00 01 00",
			want:       pushMsg(WireExpr{}, Data{Kind: MidPut}),
			decodeOnly: "N is written only for a non-empty suffix"},
		{name: "non-minimal zint", hex: "1a 81 00",
			want:       NetworkMessage{ID: MidResponseFinal, ResponseFinal: ResponseFinal{RequestID: 1, QoS: DefaultQoS}},
			decodeOnly: "encoders write minimal zints"},
		{name: "reply with extension and consolidation", hex: "1b 01 00 a4 00 41 02 01 02 01 00",
			want: NetworkMessage{ID: MidResponse, Response: Response{RequestID: 1, QoS: DefaultQoS,
				Reply: Reply{HasConsolidation: true, Exts: []Extension{{Key: 0x41, Body: []byte{1, 2}}}, Body: Data{Kind: MidPut}}}}},
	}
}

func netHexMust(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestNetworkSpecExamples(t *testing.T) {
	for _, c := range specCases() {
		t.Run(c.name, func(t *testing.T) {
			wire := netHex(t, c.hex)
			var got NetworkMessage
			n, err := DecodeNetwork(wire, &got)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if n != len(wire) {
				t.Fatalf("decode used %d of %d bytes", n, len(wire))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("decode mismatch\n got  %+v\n want %+v", got, c.want)
			}
			enc := AppendNetwork(nil, &c.want)
			if c.decodeOnly != "" {
				t.Logf("encode not compared: %s (we write %x)", c.decodeOnly, enc)
				return
			}
			if !bytes.Equal(enc, wire) {
				t.Fatalf("encode mismatch\n got  %x\n want %x", enc, wire)
			}
		})
	}
}

func TestLinkStateSpecExample(t *testing.T) {
	wire := netHex(t, "df 01 21 08 2c 01 07 00 01 10 303132333435363738393a3b3c3d3e3f 01 01 12 7463702f3132372e302e302e313a37343437 01 01")
	var m NetworkMessage
	if _, err := DecodeNetwork(wire, &m); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeLinkStateList(m.OAM.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := []LinkState{{PSID: 0, SN: 1, ZID: seqZID(0x30), WhatAmI: Router, HasLocators: true,
		Locators: []string{"tcp/127.0.0.1:7447"}, Links: []uint64{1}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if enc := AppendLinkStateList(nil, want); !bytes.Equal(enc, m.OAM.Body) {
		t.Fatalf("encode\n got  %x\n want %x", enc, m.OAM.Body)
	}
}

func TestNetworkRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240524, 9))
	var got NetworkMessage // reused on purpose: stale fields must not leak
	var buf []byte
	for i := range 12000 {
		want := randNetwork(rng)
		buf = AppendNetwork(buf[:0], &want)
		n, err := DecodeNetwork(buf, &got)
		if err != nil {
			t.Fatalf("iteration %d: decode %x: %v\nvalue %+v", i, buf, err, want)
		}
		if n != len(buf) {
			t.Fatalf("iteration %d: used %d of %d bytes", i, n, len(buf))
		}
		if got.ID != want.ID || !reflect.DeepEqual(netField(&got), netField(&want)) {
			t.Fatalf("iteration %d: mismatch\n got  %+v\n want %+v\n wire %x", i, netOnly(&got), want, buf)
		}
		// Values from the generator are canonical: they re-encode to the
		// same bytes.
		if re := AppendNetwork(nil, &got); !bytes.Equal(re, buf) {
			t.Fatalf("iteration %d: re-encoding differs\n got  %x\n want %x", i, re, buf)
		}
	}
}

func TestNetworkConcatenated(t *testing.T) {
	rng := rand.New(rand.NewPCG(77, 78))
	for i := range 1000 {
		msgs := make([]NetworkMessage, 1+rng.IntN(8))
		var buf []byte
		for j := range msgs {
			msgs[j] = randNetwork(rng)
			buf = AppendNetwork(buf, &msgs[j])
		}
		var got NetworkMessage
		off := 0
		for j := range msgs {
			n, err := DecodeNetwork(buf[off:], &got)
			if err != nil {
				t.Fatalf("batch %d message %d: %v", i, j, err)
			}
			if got.ID != msgs[j].ID || !reflect.DeepEqual(netField(&got), netField(&msgs[j])) {
				t.Fatalf("batch %d message %d mismatch\n got  %+v\n want %+v", i, j, netOnly(&got), msgs[j])
			}
			off += n
		}
		if off != len(buf) {
			t.Fatalf("batch %d: %d bytes left", i, len(buf)-off)
		}
	}
}

func TestNetworkTruncated(t *testing.T) {
	var wires [][]byte
	for _, c := range specCases() {
		wires = append(wires, netHex(t, c.hex))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		m := randNetwork(rng)
		wires = append(wires, AppendNetwork(nil, &m))
	}
	for _, w := range wires {
		var m NetworkMessage
		for cut := range len(w) {
			n, err := DecodeNetwork(w[:cut], &m)
			if err == nil {
				t.Fatalf("%x cut at %d: decoded %d bytes without error", w, cut, n)
			}
			if !errors.Is(err, ErrTruncated) {
				t.Fatalf("%x cut at %d: %v, want ErrTruncated", w, cut, err)
			}
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" || e.Off < 0 || e.Off > cut {
				t.Fatalf("%x cut at %d: bad error %#v", w, cut, err)
			}
		}
	}
}

func TestNetworkDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		err  error
		ext  byte   // expected Error.Ext, if not 0
		msg  string // expected Error.Msg, if not ""
	}{
		{"empty", "", ErrTruncated, 0, "NetworkMessage"},
		{"transport id", "05 00", ErrUnknownMessage, 0, "NetworkMessage"},
		{"zenoh id at network level", "01 00", ErrUnknownMessage, 0, ""},
		{"mandatory unknown in push", "9d 00 1f 01 00", ErrMandatoryExtension, 0x1f, "Push"},
		{"nodeid in response is unknown mandatory", "9b 01 00 33 05 04 01 00", ErrMandatoryExtension, 0x33, "Response"},
		{"shm marker in put", "1d 00 81 12 00", ErrMandatoryExtension, 0x12, "Push.Put"},
		{"shm marker in err", "1b 01 00 85 12 00", ErrMandatoryExtension, 0x12, "Response.Err"},
		{"mandatory in reply", "1b 01 00 84 10 01 00", ErrMandatoryExtension, 0x10, "Response.Reply"},
		{"mandatory in declaration", "1e 9a 5f 00", ErrMandatoryExtension, 0x5f, "Declare.DeclareFinal"},
		{"undeclare wire expr in declare subscriber", "1e 82 01 00 5f 02 00 00", ErrMandatoryExtension, 0x5f, "Declare.DeclareSubscriber"},
		{"reserved ext encoding", "9d 00 61 00 01 00", ErrExtensionEncoding, 0x61, "Push"},
		{"reserved ext encoding in put", "1d 00 81 6a 01 00", ErrExtensionEncoding, 0x6a, "Push.Put"},
		{"scope overflow", "1d 80 80 04 01 00", ErrOverflow, 0, "Push"},
		{"request id overflow", "1c 80 80 80 80 10 00 03", ErrOverflow, 0, "Request"},
		{"response id overflow", "1a 80 80 80 80 10", ErrOverflow, 0, "ResponseFinal"},
		{"interest id overflow", "19 80 80 80 80 10", ErrOverflow, 0, "Interest"},
		{"declare interest id overflow", "3e 80 80 80 80 10 1a", ErrOverflow, 0, "Declare"},
		{"keyexpr id overflow", "1e 00 80 80 04 00", ErrOverflow, 0, "Declare.DeclareKeyExpr"},
		{"entity id overflow", "1e 03 80 80 80 80 10", ErrOverflow, 0, "Declare.UndeclareSubscriber"},
		{"suffix too long", "3d 00 80 80 04", ErrOverflow, 0, "Push"},
		{"qos overflow", "9d 00 21 80 02 01 00", ErrOverflow, 0, "Push"},
		{"nodeid overflow", "9d 00 33 80 80 04 01 00", ErrOverflow, 0, "Push"},
		{"budget overflow", "9c 01 00 25 80 80 80 80 10 03", ErrOverflow, 0, "Request"},
		{"target 3", "9c 01 00 34 03 03", ErrInvalid, 0, "Request"},
		{"zero zid in responder id", "9b 01 00 43 02 00 00 04 01 00", ErrInvalid, 0, "Response.ResponderId"},
		{"zero zid in source info", "1d 00 81 41 04 00 00 00 00 00", ErrInvalid, 0, "Push.Put.SourceInfo"},
		{"zero zid in del source info", "1d 00 82 41 04 00 00 00 00", ErrInvalid, 0, "Push.Del.SourceInfo"},
		{"source info trailing", "1d 00 81 41 05 00 01 00 00 00 00", ErrTrailing, 0, "Push.Put.SourceInfo"},
		{"source info short", "1d 00 81 41 02 00 01 00", ErrTruncated, 0, "Push.Put.SourceInfo"},
		{"zero zid in timestamp", "1d 00 21 00 01 00 00", ErrInvalid, 0, "Push.Put"},
		{"timestamp zid length 0", "1d 00 21 00 00 00", ErrInvalid, 0, "Push.Put"},
		{"timestamp zid length 17", "1d 00 21 00 11 0102030405060708090a0b0c0d0e0f1011 00", ErrInvalid, 0, "Push.Put"},
		{"timestamp ext trailing", "9d 00 42 04 00 01 01 ff 01 00", ErrTrailing, 0, "Push.Timestamp"},
		{"timestamp ext short", "9d 00 42 02 00 01 01 01 00", ErrTruncated, 0, "Push.Timestamp"},
		{"query in push", "1d 00 03", ErrUnknownMessage, 0, "Push"},
		{"put in request", "1c 01 00 01 00", ErrUnknownMessage, 0, "Request"},
		{"put in response", "1b 01 00 01 00", ErrUnknownMessage, 0, "Response"},
		{"query in reply", "1b 01 00 04 03", ErrUnknownMessage, 0, "Response.Reply"},
		{"unknown declaration", "1e 08", ErrUnknownMessage, 0, "Declare"},
		{"queryable info above 24 bits", "1e 84 01 00 21 80 80 80 08", ErrInvalid, 0, "Declare.DeclareQueryable"},
		{"undeclare wire expr trailing", "1e 83 05 5f 03 00 02 ff", ErrTrailing, 0, "Declare.UndeclareSubscriber"},
		{"oam reserved encoding", "7f 01", ErrExtensionEncoding, 0, "OAM"},
		{"encoding id overflow", "1d 00 41 80 80 08 00", ErrOverflow, 0, "Push.Put"},
		{"schema too long", "1d 00 41 01 80 02", ErrOverflow, 0, "Push.Put"},
		{"consolidation overflow", "1c 01 00 23 80 02", ErrOverflow, 0, "Request.Query"},
		{"query body encoding past body", "1c 01 00 83 43 01 03", ErrTruncated, 0, "Request.Query.Body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m NetworkMessage
			n, err := DecodeNetwork(netHex(t, c.hex), &m)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if n != 0 {
				t.Fatalf("n = %d on error", n)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *Error", err)
			}
			if c.ext != 0 && e.Ext != c.ext {
				t.Fatalf("Ext = %#x, want %#x", e.Ext, c.ext)
			}
			if c.msg != "" && e.Msg != c.msg {
				t.Fatalf("Msg = %q, want %q (%v)", e.Msg, c.msg, err)
			}
		})
	}
}

// TestNetworkErrorOffset checks that errors inside extension bodies point
// into the whole input.
func TestNetworkErrorOffset(t *testing.T) {
	//                 0  1  2  3  4  5  6  7  8  9
	wire := netHex(t, "1d 00 81 41 04 00 00 00 00 00")
	var m NetworkMessage
	_, err := DecodeNetwork(wire, &m)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if e.Off != 6 { // the zid byte
		t.Fatalf("Off = %d, want 6 (%v)", e.Off, err)
	}
}

func TestNetworkUnknownExtensionsKept(t *testing.T) {
	// Push with QoS, an unknown Z64 (0x2a), an unknown unit with the QoS id
	// but unit encoding (0x01), then the body.
	wire := netHex(t, "fd 00 01 61 a1 0d aa 05 01 01 01 00")
	var m NetworkMessage
	if _, err := DecodeNetwork(wire, &m); err != nil {
		t.Fatal(err)
	}
	p := m.Push
	if p.QoS != 0x0d {
		t.Fatalf("QoS = %#x", p.QoS)
	}
	want := []Extension{{Key: 0x2a, Value: 5}, {Key: 0x01}}
	if !reflect.DeepEqual(p.Exts, want) {
		t.Fatalf("Exts = %+v, want %+v", p.Exts, want)
	}
	if p.Body.Payload == nil || p.Body.Payload[0] != 0 {
		t.Fatalf("payload %x", p.Body.Payload)
	}
	// Re-encoding writes known extensions first, then the unknown ones.
	re := AppendNetwork(nil, &m)
	if want := netHex(t, "fd 00 01 61 a1 0d aa 05 01 01 01 00"); !bytes.Equal(re, want) {
		t.Fatalf("re-encoded %x, want %x", re, want)
	}
}

func TestNetworkDecodeAliases(t *testing.T) {
	wire := netHex(t, "7d 00 0c 64656d6f2f6578616d706c65 41 08 05 48656c6c6f")
	var m NetworkMessage
	if _, err := DecodeNetwork(wire, &m); err != nil {
		t.Fatal(err)
	}
	wire[3] = 'D'
	wire[len(wire)-1] = 'O'
	if string(m.Push.WireExpr.Suffix) != "Demo/example" || string(m.Push.Body.Payload) != "HellO" {
		t.Fatal("decoded slices do not alias the input")
	}
	if cap(m.Push.WireExpr.Suffix) != len(m.Push.WireExpr.Suffix) {
		t.Fatal("suffix capacity reaches past the field")
	}
}

func TestNetworkNoAllocs(t *testing.T) {
	zid := seqZID(0x10)
	ts := hlc.Timestamp{Time: 0x6650a3c1b3333333, ID: zid}
	msgs := map[string]NetworkMessage{
		"push": {ID: MidPush, Push: Push{WireExpr: WireExpr{Scope: 3, Suffix: bs("/a/b"), Mapping: true}, QoS: 0x1c,
			Timestamp: ts, Body: Data{Kind: MidPut, Timestamp: ts, Encoding: Encoding{ID: 4, Schema: bs("utf-8")},
				SourceInfo: SourceInfo{ID: EntityGlobalID{ZID: zid, EID: 7}, SN: 9}, Attachment: bs("att"), Payload: bs("12345678")}}},
		"push del": {ID: MidPush, Push: Push{WireExpr: WireExpr{Scope: 3}, QoS: DefaultQoS,
			Body: Data{Kind: MidDel, Timestamp: ts, Attachment: bs("x")}}},
		"request": {ID: MidRequest, Request: Request{ID: 9, WireExpr: WireExpr{Suffix: bs("demo/**"), Mapping: true},
			QoS: 0x0d, Timestamp: ts, Target: TargetAll, Budget: 3, Timeout: 10000, NodeID: 2,
			Query: Query{HasConsolidation: true, Consolidation: 3, Parameters: bs("a=1"),
				SourceInfo: SourceInfo{ID: EntityGlobalID{ZID: zid}}, HasBody: true, BodyPayload: bs("b"), Attachment: bs("c")}}},
		"response": {ID: MidResponse, Response: Response{RequestID: 9, WireExpr: WireExpr{Suffix: bs("demo/a")},
			QoS: 0x0d, ResponderID: EntityGlobalID{ZID: zid}, Reply: Reply{Body: Data{Kind: MidPut, Payload: bs("x")}}}},
		"response err": {ID: MidResponse, Response: Response{RequestID: 9, QoS: 0x0d, IsErr: true,
			Err: Err{Encoding: Encoding{ID: 1}, SourceInfo: SourceInfo{ID: EntityGlobalID{ZID: zid}}, Payload: bs("e")}}},
		"declare": {ID: MidDeclare, Declare: Declare{HasInterestID: true, InterestID: 3, QoS: 0x08, Timestamp: ts,
			Body: Declaration{Kind: DeclQueryable, ID: 4, WireExpr: WireExpr{Scope: 1, Suffix: bs("/**")}, Complete: true, Distance: 2}}},
		"undeclare": {ID: MidDeclare, Declare: Declare{QoS: 0x08,
			Body: Declaration{Kind: UndeclToken, ID: 4, HasWireExprExt: true, WireExpr: WireExpr{Scope: 1, Suffix: bs("/**")}}}},
		"interest": {ID: MidInterest, Interest: Interest{ID: 1, Mode: InterestCurrentFuture, Options: 0x0f, Restricted: true,
			WireExpr: WireExpr{Scope: 1}, QoS: DefaultQoS}},
		"final": {ID: MidResponseFinal, ResponseFinal: ResponseFinal{RequestID: 1, QoS: 0x0d}},
	}
	for name, m := range msgs {
		t.Run(name, func(t *testing.T) {
			wire := AppendNetwork(nil, &m)
			var got NetworkMessage
			if a := testing.AllocsPerRun(100, func() {
				if _, err := DecodeNetwork(wire, &got); err != nil {
					t.Fatal(err)
				}
			}); a != 0 {
				t.Errorf("decode: %v allocs", a)
			}
			if !reflect.DeepEqual(netOnly(&got), m) {
				t.Fatalf("mismatch\n got  %+v\n want %+v", netOnly(&got), m)
			}
			buf := make([]byte, 0, 256)
			if a := testing.AllocsPerRun(100, func() { buf = AppendNetwork(buf[:0], &m) }); a != 0 {
				t.Errorf("encode: %v allocs", a)
			}
		})
	}
}

func TestNetworkLongExtensionBodies(t *testing.T) {
	// Bodies built in place (Query Body, Undeclare WireExpr) longer than
	// 127 bytes need a two-byte length written after the body.
	long := bytes.Repeat([]byte("k"), 300)
	msgs := []NetworkMessage{
		{ID: MidRequest, Request: Request{QoS: DefaultQoS, Query: Query{HasBody: true, BodyPayload: long}}},
		{ID: MidDeclare, Declare: Declare{QoS: DefaultQoS, Body: Declaration{Kind: UndeclSubscriber, HasWireExprExt: true,
			WireExpr: WireExpr{Scope: 1, Suffix: long}}}},
	}
	for _, m := range msgs {
		wire := AppendNetwork(nil, &m)
		var got NetworkMessage
		if n, err := DecodeNetwork(wire, &got); err != nil || n != len(wire) {
			t.Fatalf("n=%d err=%v", n, err)
		}
		if !reflect.DeepEqual(netOnly(&got), m) {
			t.Fatalf("mismatch %+v", netOnly(&got))
		}
	}
}

func TestLinkStateRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 5000 {
		want := randLinkStateList(rng)
		wire := AppendLinkStateList(nil, want)
		got, err := DecodeLinkStateList(wire)
		if err != nil {
			t.Fatalf("iteration %d: %v (%x)", i, err, wire)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: mismatch\n got  %+v\n want %+v", i, got, want)
		}
		if i >= 500 {
			continue // prefixes of the first lists are enough
		}
		for cut := range len(wire) {
			if _, err := DecodeLinkStateList(wire[:cut]); err == nil {
				t.Fatalf("iteration %d: prefix %d decoded", i, cut)
			}
		}
	}
}

func TestLinkStateErrors(t *testing.T) {
	cases := []struct {
		name string
		hex  string
		err  error
	}{
		{"empty", "", ErrTruncated},
		{"count beyond input", "ff ff ff ff 0f 00 00 00 00", ErrTruncated},
		{"locator count beyond input", "01 04 00 00 ff ff ff ff 0f", ErrTruncated},
		{"link count beyond input", "01 00 00 00 ff ff ff ff 0f", ErrTruncated},
		{"weights beyond input", "01 08 00 00 02 01 01 01", ErrTruncated},
		{"whatami 3", "01 02 00 00 03 00", ErrInvalid},
		{"zid length 0", "01 01 00 00 00 00", ErrInvalid},
		{"zero zid", "01 01 00 00 01 00 00", ErrInvalid},
		{"weight overflow", "01 08 00 00 01 01 80 80 04", ErrOverflow},
		{"locator too long", "01 04 00 00 01 80 02", ErrOverflow},
		{"trailing", "00 00", ErrTrailing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeLinkStateList(netHex(t, c.hex))
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
		})
	}
}

func TestAppendNetworkPanicsOnBadID(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	AppendNetwork(nil, &NetworkMessage{ID: MidFrame})
}
