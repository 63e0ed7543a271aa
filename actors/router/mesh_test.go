package router

import (
	"fmt"
	"testing"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// The mesh tests run several Tables wired to each other in memory: every
// Out toward a router face is encoded, decoded and handed to the router
// at the other end, as the actors would do over a session.

type simEnd struct {
	router int
	face   FaceID
}

type simMsg struct {
	router int
	face   FaceID
	msg    codec.NetworkMessage
}

type simRouter struct {
	zid     codec.ZenohID
	tb      *Tables
	next    FaceID
	links   map[FaceID]simEnd // router faces to the other end
	clients map[FaceID][]codec.NetworkMessage
	sn      uint64
}

type simNet struct {
	t       testing.TB
	routers []*simRouter
	queue   []simMsg
}

func simZID(t testing.TB, i int) codec.ZenohID {
	z, err := hlc.IDFromBytes([]byte{byte(i + 1), 0x5e})
	if err != nil {
		t.Fatal(err)
	}
	return z
}

func newSimNet(t *testing.T, n int) *simNet { return newSimNetTB(t, n) }

func newSimNetTB(t testing.TB, n int) *simNet {
	s := &simNet{t: t}
	for i := range n {
		s.routers = append(s.routers, nil)
		s.start(i, 1)
	}
	return s
}

// start (re)creates router i with a fresh Tables whose link-state
// sequence numbers begin at sn.
func (s *simNet) start(i int, sn uint64) {
	cfg := DefaultConfig()
	cfg.ZID = simZID(s.t, i)
	cfg.LinkStateSN = sn
	tb, err := New(cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	s.routers[i] = &simRouter{zid: cfg.ZID, tb: tb, links: map[FaceID]simEnd{},
		clients: map[FaceID][]codec.NetworkMessage{}, sn: sn}
}

func (s *simNet) enqueue(r int, outs []Out) {
	for _, o := range outs {
		s.queue = append(s.queue, simMsg{router: r, face: o.Face, msg: copyMsg(&o.Msg)})
	}
}

func (s *simNet) link(a, b int) {
	ra, rb := s.routers[a], s.routers[b]
	ra.next++
	rb.next++
	fa, fb := ra.next, rb.next
	ra.links[fa] = simEnd{b, fb}
	rb.links[fb] = simEnd{a, fa}
	oa, err := ra.tb.OpenFace(fa, FaceInfo{WhatAmI: codec.Router, ZID: rb.zid})
	if err != nil {
		s.t.Fatal(err)
	}
	ob, err := rb.tb.OpenFace(fb, FaceInfo{WhatAmI: codec.Router, ZID: ra.zid})
	if err != nil {
		s.t.Fatal(err)
	}
	s.enqueue(a, oa)
	s.enqueue(b, ob)
	s.run()
}

// kill closes every face of router i, on both ends, and forgets it.
func (s *simNet) kill(i int) {
	r := s.routers[i]
	for f, e := range r.links {
		peer := s.routers[e.router]
		delete(peer.links, e.face)
		s.enqueue(e.router, peer.tb.CloseFace(e.face, t0))
		delete(r.links, f)
	}
	s.routers[i] = nil
	s.run()
}

// client opens a client face on router r.
func (s *simNet) client(r int) FaceID {
	sr := s.routers[r]
	sr.next++
	if _, err := sr.tb.OpenFace(sr.next, FaceInfo{WhatAmI: codec.Client}); err != nil {
		s.t.Fatal(err)
	}
	sr.clients[sr.next] = nil
	return sr.next
}

// send delivers m as received from face f of router r, then runs the net.
func (s *simNet) send(r int, f FaceID, m *codec.NetworkMessage) {
	s.recv(r, f, copyMsg(m))
	s.run()
}

func (s *simNet) recv(r int, f FaceID, m codec.NetworkMessage) {
	tb := s.routers[r].tb
	if m.ID == codec.MidPush {
		dests, err := tb.RoutePush(f, &m.Push)
		if err != nil {
			s.t.Fatalf("router %d RoutePush: %v", r, err)
		}
		for _, d := range dests {
			p := m.Push
			p.WireExpr, p.NodeID = d.WireExpr, d.NodeID
			s.enqueue(r, []Out{{Face: d.Face, Msg: codec.NetworkMessage{ID: codec.MidPush, Push: p}}})
		}
		return
	}
	outs, err := tb.Handle(f, &m, t0)
	if err != nil {
		s.t.Fatalf("router %d Handle %#x: %v", r, m.ID, err)
	}
	s.enqueue(r, outs)
}

func (s *simNet) run() {
	for n := 0; len(s.queue) > 0; n++ {
		if n > 100000 {
			s.t.Fatal("the mesh does not settle")
		}
		m := s.queue[0]
		s.queue = s.queue[1:]
		sr := s.routers[m.router]
		if sr == nil {
			continue
		}
		if e, ok := sr.links[m.face]; ok {
			s.recv(e.router, e.face, m.msg)
			continue
		}
		if _, ok := sr.clients[m.face]; ok {
			if nodeID(&m.msg) != 0 {
				s.t.Errorf("router %d sent a NodeId to client %d", m.router, m.face)
			}
			sr.clients[m.face] = append(sr.clients[m.face], m.msg)
		}
	}
}

// take returns and forgets what client f of router r received.
func (s *simNet) take(r int, f FaceID) []codec.NetworkMessage {
	ms := s.routers[r].clients[f]
	s.routers[r].clients[f] = nil
	return ms
}

func pushMsg(key string, payload string) *codec.NetworkMessage {
	return &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: str(key), QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(payload)}}}
}

func payloads(ms []codec.NetworkMessage) []string {
	var ps []string
	for _, m := range ms {
		if m.ID == codec.MidPush {
			ps = append(ps, string(m.Push.Body.Payload))
		}
	}
	return ps
}

// subscribe declares a subscriber on key for client f of router r.
func (s *simNet) subscribe(r int, f FaceID, id uint32, key string) {
	s.send(r, f, entMsg(codec.DeclSubscriber, id, str(key)))
}

// checkDelivery publishes from (pr, pf) and checks that exactly the
// clients in want receive it, once.
func (s *simNet) checkDelivery(pr int, pf FaceID, key string, want map[simEnd]bool) {
	s.t.Helper()
	payload := fmt.Sprintf("from %d/%d on %s", pr, pf, key)
	s.send(pr, pf, pushMsg(key, payload))
	for ri, r := range s.routers {
		if r == nil {
			continue
		}
		for f := range r.clients {
			got := payloads(s.take(ri, f))
			n := 0
			for _, p := range got {
				if p == payload {
					n++
				}
			}
			exp := 0
			if want[simEnd{ri, f}] {
				exp = 1
			}
			if n != exp {
				s.t.Errorf("%s: client %d of router %d got it %d times, want %d", payload, f, ri, n, exp)
			}
		}
	}
}

func (s *simNet) checkConverged() {
	s.t.Helper()
	for i, r := range s.routers {
		if r == nil {
			continue
		}
		if got := len(r.tb.MeshNodes()); got != s.reachable(i) {
			s.t.Errorf("router %d knows %d routers, want %d", i, got, s.reachable(i))
		}
	}
}

// reachable counts the routers connected to i, itself included.
func (s *simNet) reachable(i int) int {
	seen := map[int]bool{i: true}
	stack := []int{i}
	for len(stack) > 0 && s.routers[i] != nil {
		r := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range s.routers[r].links {
			if !seen[e.router] {
				seen[e.router] = true
				stack = append(stack, e.router)
			}
		}
	}
	return len(seen)
}

func TestMeshLineOfThree(t *testing.T) {
	s := newSimNet(t, 3)
	s.link(0, 1)
	s.link(1, 2)
	s.checkConverged()
	pub := s.client(0)
	sub := s.client(2)
	mid := s.client(1)
	s.subscribe(2, sub, 1, "demo/**")
	s.checkDelivery(0, pub, "demo/a", map[simEnd]bool{{2, sub}: true})
	s.subscribe(1, mid, 1, "demo/a")
	s.checkDelivery(0, pub, "demo/a", map[simEnd]bool{{2, sub}: true, {1, mid}: true})
	s.checkDelivery(2, sub, "demo/a", map[simEnd]bool{{1, mid}: true})
	s.checkDelivery(0, pub, "other", nil)
	s.send(2, sub, entMsg(codec.UndeclSubscriber, 1, codec.WireExpr{}))
	s.checkDelivery(0, pub, "demo/a", map[simEnd]bool{{1, mid}: true})
}

func TestMeshTriangleNoDuplicates(t *testing.T) {
	s := newSimNet(t, 3)
	s.link(0, 1)
	s.link(1, 2)
	s.link(2, 0)
	s.checkConverged()
	var cl [3]FaceID
	for i := range cl {
		cl[i] = s.client(i)
		s.subscribe(i, cl[i], 1, "t/**")
	}
	for i := range cl {
		want := map[simEnd]bool{}
		for j := range cl {
			if j != i {
				want[simEnd{j, cl[j]}] = true
			}
		}
		s.checkDelivery(i, cl[i], "t/x", want)
	}
}

func TestMeshStarOfFour(t *testing.T) {
	s := newSimNet(t, 4)
	for i := 1; i < 4; i++ {
		s.link(0, i)
	}
	s.checkConverged()
	var cl [4]FaceID
	for i := range cl {
		cl[i] = s.client(i)
		s.subscribe(i, cl[i], 7, "star/*")
	}
	for i := range cl {
		want := map[simEnd]bool{}
		for j := range cl {
			if j != i {
				want[simEnd{j, cl[j]}] = true
			}
		}
		s.checkDelivery(i, cl[i], "star/x", want)
	}
}

func TestMeshLineOfFiveMiddleRestarted(t *testing.T) {
	s := newSimNet(t, 5)
	for i := range 4 {
		s.link(i, i+1)
	}
	s.checkConverged()
	pub := s.client(0)
	sub := s.client(4)
	s.subscribe(4, sub, 1, "l/**")
	s.checkDelivery(0, pub, "l/1", map[simEnd]bool{{4, sub}: true})

	s.kill(2)
	s.checkConverged()
	if n := len(s.routers[0].tb.MeshNodes()); n != 2 {
		t.Fatalf("router 0 knows %d routers after the cut, want 2", n)
	}
	s.checkDelivery(0, pub, "l/2", nil)

	s.start(2, 1) // same ZID, sequence numbers from the start again
	s.link(1, 2)
	s.link(2, 3)
	s.checkConverged()
	s.checkDelivery(0, pub, "l/3", map[simEnd]bool{{4, sub}: true})
}

func TestMeshRouterLossWithdrawsDeclarations(t *testing.T) {
	s := newSimNet(t, 3)
	s.link(0, 1)
	s.link(1, 2)
	watcher := s.client(0)
	s.send(0, watcher, interestMsg(5, codec.InterestCurrentFuture, codec.InterestSubscribers|codec.InterestTokens, nil))
	s.take(0, watcher)
	far := s.client(2)
	s.subscribe(2, far, 3, "w/a")
	s.send(2, far, entMsg(codec.DeclToken, 4, str("w/tok")))
	ds := decls(t, asOuts(s.take(0, watcher)))
	if len(ds) != 2 || ds[0].kind != codec.DeclSubscriber || ds[0].key != "w/a" || ds[1].kind != codec.DeclToken {
		t.Fatalf("watcher got %+v, want the subscriber and the token of router 2", ds)
	}
	s.kill(2)
	ds = decls(t, asOuts(s.take(0, watcher)))
	if len(ds) != 2 || ds[0].kind != codec.UndeclSubscriber || ds[1].kind != codec.UndeclToken {
		t.Fatalf("after router 2 died the watcher got %+v, want two undeclarations", ds)
	}
}

func TestMeshQueryAcrossLine(t *testing.T) {
	s := newSimNet(t, 3)
	s.link(0, 1)
	s.link(1, 2)
	q := s.client(0)
	qabl := s.client(2)
	s.send(2, qabl, entMsg(codec.DeclQueryable, 1, str("q/**")))
	s.send(0, q, requestMsg(9, "q/x", codec.TargetBestMatching))
	got := s.take(2, qabl)
	if len(got) != 1 || got[0].ID != codec.MidRequest {
		t.Fatalf("queryable got %d messages, want the request", len(got))
	}
	rid := got[0].Request.ID
	s.send(2, qabl, &codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: rid,
		QoS: codec.DefaultQoS, WireExpr: str("q/x"), Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut,
			Payload: []byte("answer")}}}})
	s.send(2, qabl, &codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: rid, QoS: codec.DefaultQoS}})
	got = s.take(0, q)
	if len(got) != 2 || got[0].ID != codec.MidResponse || got[0].Response.RequestID != 9 ||
		string(got[0].Response.Reply.Body.Payload) != "answer" || got[1].ID != codec.MidResponseFinal {
		t.Fatalf("querier got %+v, want the reply and one ResponseFinal", got)
	}
	for i := range 3 {
		if n := s.routers[i].tb.PendingQueries(); n != 0 {
			t.Errorf("router %d still has %d pending queries", i, n)
		}
	}
}

// nodeID returns the NodeId extension of m, if its kind carries one.
func nodeID(m *codec.NetworkMessage) uint16 {
	switch m.ID {
	case codec.MidPush:
		return m.Push.NodeID
	case codec.MidRequest:
		return m.Request.NodeID
	case codec.MidDeclare:
		return m.Declare.NodeID
	case codec.MidInterest:
		return m.Interest.NodeID
	}
	return 0
}

func asOuts(ms []codec.NetworkMessage) []Out {
	out := make([]Out, len(ms))
	for i := range ms {
		out[i].Msg = ms[i]
	}
	return out
}
