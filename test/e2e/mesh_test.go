package e2e

import (
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// mesh starts n routers and links them as edges says (i dials j).
func mesh(t *testing.T, n int, edges [][2]int) []*node {
	t.Helper()
	rs := make([]*node, n)
	for i := range rs {
		var connect []string
		for _, e := range edges {
			if e[0] == i && e[1] < i {
				connect = append(connect, rs[e[1]].ep)
			}
		}
		rs[i] = startNode(t, codec.Router, nodeOpts{connect: connect})
	}
	for i, r := range rs {
		deg := 0
		for _, e := range edges {
			if e[0] == i || e[1] == i {
				deg++
			}
		}
		r.waitSessions(t, deg)
	}
	return rs
}

func TestMeshLineOfThree(t *testing.T) {
	rs := mesh(t, 3, [][2]int{{1, 0}, {2, 1}})
	pub, mid, sub := rs[0].local(t), rs[1].local(t), rs[2].local(t)
	sub.declare(codec.DeclSubscriber, "demo/**")
	connected(t, pub, sub, "demo/probe")
	expectOnce(t, pub, "demo/x", 100, []*local{sub}, []*local{mid})
}

func TestMeshTriangle(t *testing.T) {
	rs := mesh(t, 3, [][2]int{{1, 0}, {2, 1}, {2, 0}})
	ls := []*local{rs[0].local(t), rs[1].local(t), rs[2].local(t)}
	for _, l := range ls {
		l.declare(codec.DeclSubscriber, "tri/**")
	}
	allToAll(t, ls, "tri/probe", "tri/x", 50, nil)
}

func TestMeshStarOfFour(t *testing.T) {
	rs := mesh(t, 4, [][2]int{{1, 0}, {2, 0}, {3, 0}})
	ls := []*local{rs[1].local(t), rs[2].local(t), rs[3].local(t)}
	hub := rs[0].local(t)
	for _, l := range ls {
		l.declare(codec.DeclSubscriber, "star/*")
	}
	allToAll(t, ls, "star/probe", "star/x", 50, []*local{hub})
}

// TestMeshLineOfFiveMiddleRestarted kills the middle router of a line of
// five: traffic across stops; when it is back (same id, same port) the
// line heals and traffic flows again, exactly once.
func TestMeshLineOfFiveMiddleRestarted(t *testing.T) {
	rs := mesh(t, 5, [][2]int{{1, 0}, {2, 1}, {3, 2}, {4, 3}})
	pub, sub := rs[0].local(t), rs[4].local(t)
	sub.declare(codec.DeclSubscriber, "line/**")
	connected(t, pub, sub, "line/probe")
	expectOnce(t, pub, "line/x", 100, []*local{sub}, nil)

	mid := rs[2]
	mid.Stop(0)
	rs[1].waitSessions(t, 1)
	rs[3].waitSessions(t, 1)
	rs[2] = startNode(t, codec.Router, nodeOpts{zid: mid.ZID, listen: mid.ep, connect: []string{rs[1].ep}})
	rs[2].waitSessions(t, 2)
	connected(t, pub, sub, "line/probe")
	expectOnce(t, pub, "line/y", 100, []*local{sub}, nil)
}

// TestMeshReroute: in a square, killing the router on the path makes the
// traffic take the other side.
func TestMeshReroute(t *testing.T) {
	rs := mesh(t, 4, [][2]int{{1, 0}, {2, 1}, {3, 2}, {3, 0}})
	pub, sub := rs[0].local(t), rs[2].local(t)
	sub.declare(codec.DeclSubscriber, "sq/**")
	connected(t, pub, sub, "sq/probe")
	rs[1].Stop(0)
	connected(t, pub, sub, "sq/probe")
	expectOnce(t, pub, "sq/x", 100, []*local{sub}, nil)
	rs[3].Stop(0)
	rs[0].waitSessions(t, 0)
}

func TestMeshQuery(t *testing.T) {
	rs := mesh(t, 3, [][2]int{{1, 0}, {2, 1}})
	q, qabl := rs[0].local(t), rs[2].local(t)
	qabl.declare(codec.DeclQueryable, "q/**")
	deadline := time.After(wait)
	var req codec.NetworkMessage
	rid := uint32(0)
	for req.ID != codec.MidRequest {
		rid++
		q.send(codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: rid, WireExpr: wire("q/a"),
			QoS: codec.DefaultQoS, Target: codec.TargetAll}})
		select {
		case m := <-q.msgs: // ResponseFinal at once: no route yet
			if m.ID != codec.MidResponseFinal {
				t.Fatalf("querier got %#x before its query was routed", m.ID)
			}
		case req = <-qabl.msgs:
		case <-deadline:
			t.Fatal("the query never reached the queryable")
		}
	}
	qabl.send(codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: req.Request.ID,
		QoS: codec.DefaultQoS, WireExpr: wire("q/a"), Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: []byte("hello")}}}},
		codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: req.Request.ID, QoS: codec.DefaultQoS}})
	var got []codec.NetworkMessage
	for len(got) < 2 {
		select {
		case m := <-q.msgs:
			got = append(got, m)
		case <-deadline:
			t.Fatalf("querier got %d of 2 messages", len(got))
		}
	}
	if got[0].ID != codec.MidResponse || got[0].Response.RequestID != rid || string(got[0].Response.Reply.Body.Payload) != "hello" ||
		got[1].ID != codec.MidResponseFinal || got[1].ResponseFinal.RequestID != rid {
		t.Fatalf("querier got %+v", got)
	}
}
