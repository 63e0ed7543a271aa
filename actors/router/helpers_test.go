package router

import (
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

var t0 = time.Unix(1000, 0)

func newTables(t testing.TB, mode codec.WhatAmI) *Tables {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = mode
	tb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func open(t testing.TB, tb *Tables, id FaceID, w codec.WhatAmI, local bool) []Out {
	t.Helper()
	out, err := tb.OpenFace(id, FaceInfo{WhatAmI: w, Local: local})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func str(key string) codec.WireExpr { return codec.WireExpr{Suffix: []byte(key), Mapping: true} }

func declMsg(b codec.Declaration) *codec.NetworkMessage {
	return &codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS, Body: b}}
}

func keMsg(id uint16, key string) *codec.NetworkMessage {
	return declMsg(codec.Declaration{Kind: codec.DeclKeyExpr, ID: uint32(id), WireExpr: codec.WireExpr{Suffix: []byte(key)}})
}

func entMsg(kind byte, eid uint32, we codec.WireExpr) *codec.NetworkMessage {
	return declMsg(codec.Declaration{Kind: kind, ID: eid, WireExpr: we})
}

func interestMsg(id uint32, mode codec.InterestMode, opts byte, we *codec.WireExpr) *codec.NetworkMessage {
	m := &codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{ID: id, Mode: mode, Options: opts, QoS: codec.DefaultQoS}}
	if we != nil {
		m.Interest.Restricted = true
		m.Interest.WireExpr = *we
	}
	return m
}

func requestMsg(rid uint32, key string, target codec.Target) *codec.NetworkMessage {
	return &codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: rid, WireExpr: str(key),
		QoS: codec.DefaultQoS, Target: target, Query: codec.Query{Parameters: []byte("p=1")}}}
}

func handle(t testing.TB, tb *Tables, from FaceID, m *codec.NetworkMessage) []Out {
	t.Helper()
	out, err := tb.Handle(from, m, t0)
	if err != nil {
		t.Fatalf("Handle from %d: %v", from, err)
	}
	return out
}

// decl is a compact view of a Declare Out for assertions.
type decl struct {
	face    FaceID
	hasI    bool
	iid     uint32
	kind    byte
	id      uint32
	scope   uint16
	key     string
	mapping bool
}

func decls(t testing.TB, out []Out) []decl {
	t.Helper()
	var ds []decl
	for _, o := range out {
		if o.Msg.ID != codec.MidDeclare {
			t.Fatalf("not a Declare: %#x", o.Msg.ID)
		}
		d := &o.Msg.Declare
		if d.QoS != declQoS || !d.QoS.Block() {
			t.Fatalf("Declare QoS %#x, want data priority with Block", d.QoS)
		}
		ds = append(ds, decl{o.Face, d.HasInterestID, d.InterestID, d.Body.Kind, d.Body.ID,
			d.Body.WireExpr.Scope, string(d.Body.WireExpr.Suffix), d.Body.WireExpr.Mapping})
	}
	return ds
}

func kinds(ds []decl) []byte {
	var ks []byte
	for _, d := range ds {
		ks = append(ks, d.kind)
	}
	return ks
}
