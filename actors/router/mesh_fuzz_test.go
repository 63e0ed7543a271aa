package router

import (
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// FuzzMeshOAM feeds arbitrary link-state bodies, then declarations and a
// Push naming arbitrary nodes, to a router with two mesh faces and a
// client: errors are fine, panics and unbounded graphs are not.
func FuzzMeshOAM(f *testing.F) {
	s := newSimNetTB(f, 2)
	f.Add(codec.AppendLinkStateList(nil, s.routers[1].tb.net.list()), uint16(0), uint16(1))
	f.Add([]byte{1, 7, 0, 1, 2, 0x5e, 0x02, 1, 1, 1}, uint16(1), uint16(2))
	f.Fuzz(func(t *testing.T, body []byte, node, node2 uint16) {
		tb := newTables(t, codec.Router)
		for i, z := range []byte{2, 3} {
			zid := simZID(t, int(z))
			if _, err := tb.OpenFace(FaceID(i+1), FaceInfo{WhatAmI: codec.Router, ZID: zid}); err != nil {
				t.Fatal(err)
			}
		}
		open(t, tb, 3, codec.Client, false)
		handle(t, tb, 3, entMsg(codec.DeclSubscriber, 1, str("a/**")))
		for _, fc := range []FaceID{1, 2} {
			m := &codec.NetworkMessage{ID: codec.MidOAM, OAM: codec.OAM{ID: oamLinkState, Enc: codec.OAMZBuf, Body: body}}
			_, _ = tb.Handle(fc, m, t0)
			d := entMsg(codec.DeclSubscriber, 5, str("a/b"))
			d.Declare.NodeID = node
			_, _ = tb.Handle(fc, d, t0)
			q := requestMsg(7, "a/b", codec.TargetAll)
			q.Request.NodeID = node2
			_, _ = tb.Handle(fc, q, t0)
			p := &codec.Push{WireExpr: str("a/b"), QoS: codec.DefaultQoS, NodeID: node2}
			_, _ = tb.RoutePush(fc, p)
		}
		if n := len(tb.net.zids); n > tb.cfg.MaxMeshNodes {
			t.Fatalf("%d psids, limit %d", n, tb.cfg.MaxMeshNodes)
		}
		tb.CloseFace(1, t0)
		tb.CloseFace(2, t0)
		if n := len(tb.MeshNodes()); n != 1 {
			t.Fatalf("%d routers known with no mesh face left", n)
		}
	})
}
