package codec

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gozenoh/zenoh/hlc"
)

// Tests of the data (zenoh) messages inside Push, Request and Response.

func TestDataMessages(t *testing.T) {
	zid := seqZID(0x10)
	si := SourceInfo{ID: EntityGlobalID{ZID: zid, EID: 7}, SN: 300}
	siHex := "41 14 f0 101112131415161718191a1b1c1d1e1f 07 ac 02" // SourceInfo ext, 20-byte body
	ts := hlc.Timestamp{Time: 1, ID: seqZID(0x30)}
	tsHex := "01 10 303132333435363738393a3b3c3d3e3f"
	push := func(d Data) NetworkMessage { return pushMsg(WireExpr{Scope: 1}, d) }
	resp := func(p Response) NetworkMessage {
		p.RequestID, p.QoS = 1, DefaultQoS
		return NetworkMessage{ID: MidResponse, Response: p}
	}
	req := func(q Query) NetworkMessage {
		return NetworkMessage{ID: MidRequest, Request: Request{ID: 1, QoS: DefaultQoS, Query: q}}
	}
	cases := []netCase{
		{name: "put source info and attachment", hex: "1d 01 81 c1 14 f0 101112131415161718191a1b1c1d1e1f 07 ac 02 43 01 61 00",
			want: push(Data{Kind: MidPut, SourceInfo: si, Attachment: bs("a")})},
		{name: "del attachment is 0x42", hex: "1d 01 a2" + tsHex + " c1 14 f0 101112131415161718191a1b1c1d1e1f 07 ac 02 42 01 61",
			want: push(Data{Kind: MidDel, Timestamp: ts, SourceInfo: si, Attachment: bs("a")})},
		{name: "del with 0x43 keeps it as unknown", hex: "1d 01 82 43 01 61",
			want: push(Data{Kind: MidDel, Exts: []Extension{{Key: 0x43, Body: bs("a")}}})},
		{name: "put with 0x42 keeps it as unknown", hex: "1d 01 81 42 01 61 00",
			want: push(Data{Kind: MidPut, Exts: []Extension{{Key: 0x42, Body: bs("a")}}})},
		{name: "del ignores bit 6", hex: "1d 01 42",
			want: push(Data{Kind: MidDel}), decodeOnly: "Del has no E flag"},
		{name: "reply del with timestamp", hex: "1b 01 00 04 22" + tsHex,
			want: resp(Response{Reply: Reply{Body: Data{Kind: MidDel, Timestamp: ts}}})},
		{name: "reply put everything", hex: "1b 01 00 24 02 c1 02 " + siHex + " 00",
			want: resp(Response{Reply: Reply{HasConsolidation: true, Consolidation: 2,
				Body: Data{Kind: MidPut, SourceInfo: si, Encoding: Encoding{ID: 1}}}})},
		{name: "err with source info", hex: "1b 01 00 c5 0a " + siHex + " 01 78",
			want: resp(Response{IsErr: true, Err: Err{Encoding: Encoding{ID: 5}, SourceInfo: si, Payload: bs("x")}})},
		{name: "query rust extension order", hex: "1c 01 00 83 " + "c1 14 f0 101112131415161718191a1b1c1d1e1f 07 ac 02" + " c3 03 0a 61 62 45 01 61",
			want: req(Query{SourceInfo: si, HasBody: true, BodyEncoding: Encoding{ID: 5}, BodyPayload: bs("ab"), Attachment: bs("a")})},
		{name: "query body with empty schema", hex: "1c 01 00 83 43 02 0b 00",
			want:       req(Query{HasBody: true, BodyEncoding: Encoding{ID: 5}}),
			decodeOnly: "an empty schema decodes as none and is written without the S bit"},
		{name: "query pico extension order", hex: "1c 01 00 83 c3 03 0a 61 62 " + "c1 14 f0 101112131415161718191a1b1c1d1e1f 07 ac 02" + " 45 01 61",
			want:       req(Query{SourceInfo: si, HasBody: true, BodyEncoding: Encoding{ID: 5}, BodyPayload: bs("ab"), Attachment: bs("a")}),
			decodeOnly: "pico writes Body before SourceInfo; we use Rust's order"},
		{name: "query empty body", hex: "1c 01 00 83 43 01 00",
			want: req(Query{HasBody: true})},
		{name: "query pico consolidation zero", hex: "1c 01 00 23 00",
			want: req(Query{HasConsolidation: true})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wire := netHex(t, c.hex)
			var got NetworkMessage
			n, err := DecodeNetwork(wire, &got)
			if err != nil {
				t.Fatalf("decode %x: %v", wire, err)
			}
			if n != len(wire) {
				t.Fatalf("used %d of %d bytes", n, len(wire))
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("decode mismatch\n got  %+v\n want %+v", got, c.want)
			}
			enc := AppendNetwork(nil, &c.want)
			if c.decodeOnly != "" {
				var again NetworkMessage
				if _, err := DecodeNetwork(enc, &again); err != nil || !reflect.DeepEqual(again, c.want) {
					t.Fatalf("our encoding %x does not decode back: %v", enc, err)
				}
				return
			}
			if !bytes.Equal(enc, wire) {
				t.Fatalf("encode mismatch\n got  %x\n want %x", enc, wire)
			}
		})
	}
}

// TestDataEncoderNormalises checks the encoder's documented choices for
// values the decoder never produces.
func TestDataEncoderNormalises(t *testing.T) {
	cases := []struct {
		name string
		m    NetworkMessage
		hex  string
	}{
		{"kind 0 is a put", pushMsg(WireExpr{}, Data{Payload: bs("a")}), "1d 00 01 01 61"},
		{"del drops encoding and payload", pushMsg(WireExpr{}, Data{Kind: MidDel, Encoding: Encoding{ID: 1}, Payload: bs("a")}), "1d 00 02"},
		{"timestamp without id is absent", pushMsg(WireExpr{}, Data{Kind: MidPut, Timestamp: hlc.Timestamp{Time: 5}}), "1d 00 01 00"},
		{"source info without zid is absent", pushMsg(WireExpr{}, Data{Kind: MidPut, SourceInfo: SourceInfo{SN: 5}}), "1d 00 01 00"},
		{"consolidation without flag", NetworkMessage{ID: MidRequest, Request: Request{QoS: DefaultQoS, Query: Query{Consolidation: 3}}},
			"1c 00 00 23 03"},
		{"zero qos is written", NetworkMessage{ID: MidResponseFinal}, "9a 00 21 00"},
		{"final interest drops options and key", NetworkMessage{ID: MidInterest, Interest: Interest{QoS: DefaultQoS,
			Options: 0xff, Restricted: true, WireExpr: WireExpr{Scope: 1}}}, "19 00"},
		{"interest options masked", NetworkMessage{ID: MidInterest, Interest: Interest{Mode: InterestFuture, QoS: DefaultQoS,
			Options: 0xff}}, "59 00 8f"},
		{"keyexpr declaration ignores mapping", declMsg(Declaration{Kind: DeclKeyExpr, ID: 1, WireExpr: WireExpr{Suffix: bs("a"), Mapping: true}}),
			"1e 20 01 00 01 61"},
		{"declaration without wire expr ext", declMsg(Declaration{Kind: UndeclToken, ID: 1, WireExpr: WireExpr{Scope: 3}}), "1e 07 01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := AppendNetwork(nil, &c.m)
			if want := netHex(t, c.hex); !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
		})
	}
}

// TestPushAppendsToDst checks that encoders append and never touch what
// dst already holds, including the Z bit logic that patches headers.
func TestPushAppendsToDst(t *testing.T) {
	m := NetworkMessage{ID: MidPush, Push: Push{QoS: 0x0d, Body: Data{Kind: MidPut, Attachment: bs("a")}}}
	prefix := []byte{0xff, 0x00, 0x7f}
	got := AppendNetwork(append([]byte(nil), prefix...), &m)
	if !bytes.Equal(got[:3], prefix) {
		t.Fatalf("prefix changed: %x", got[:3])
	}
	if want := netHex(t, "9d 00 21 0d 81 43 01 61 00"); !bytes.Equal(got[3:], want) {
		t.Fatalf("got %x, want %x", got[3:], want)
	}
}
