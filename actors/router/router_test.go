package router

import (
	"bytes"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/internal/actortest"
	"github.com/gozenoh/zenoh/internal/sessiontest"
)

// client is a Go session to the router whose handler copies every
// network message it receives to msgs.
type client struct {
	sys    *actor.ActorSystem
	opened *session.Opened
	msgs   chan any
}

// msgHandler copies every message to out.
type msgHandler struct{ out chan any }

func (h msgHandler) Handle(m *codec.NetworkMessage, _ bool) error {
	h.out <- sessiontest.Copy(m)
	return nil
}

func (msgHandler) EndRead() error { return nil }

func copyMsg(m *codec.NetworkMessage) codec.NetworkMessage { return sessiontest.Copy(m) }

func startRouter(t *testing.T, sys *actor.ActorSystem) string {
	t.Helper()
	return startRouterWith(t, sys, nil)
}

func startRouterTB(t testing.TB, sys *actor.ActorSystem) string {
	t.Helper()
	return startRouterWith(t, sys, nil)
}

// startRouterWith starts a router (router actor and session manager
// listening on loopback) and returns its endpoint; tweak adjusts its
// configuration.
func startRouterWith(t testing.TB, sys *actor.ActorSystem, tweak func(*ActorConfig, *PlaneConfig)) string {
	t.Helper()
	rcfg := ActorConfig{Tables: DefaultConfig(), Logger: actortest.Logger(), TickEvery: 20 * time.Millisecond}
	rcfg.Tables.ZID = actortest.NewZID(t)
	rcfg.Tables.QueryTimeout = 500 * time.Millisecond
	pcfg := PlaneConfig{Logger: actortest.Logger()}
	if tweak != nil {
		tweak(&rcfg, &pcfg)
	}
	rcfg.Plane = NewPlane(sys, pcfg)
	zid := rcfg.Tables.ZID
	rprops, err := Props(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	rpid := sys.Root.Spawn(rprops)
	rcfg.Plane.SetRouter(rpid)
	ep, _ := link.ParseEndpoint("tcp/127.0.0.1:0")
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: rpid, Logger: actortest.Logger(),
		Listen: []link.Endpoint{ep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = zid, codec.Router
	props, err := session.ManagerProps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mgr := sys.Root.Spawn(props)
	rcfg.Plane.SetManager(mgr)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		res, err := sys.Root.RequestFuture(mgr, &session.GetListening{}, time.Second).Result()
		if err == nil && len(res.(*session.Listening).Endpoints) > 0 {
			return res.(*session.Listening).Endpoints[0].String()
		}
		<-time.After(10 * time.Millisecond) // binding has no event to wait on from here
	}
	t.Fatal("router not listening")
	return ""
}

// connect opens a client session to ep whose messages go to the handler
// h makes; it returns the session's Opened.
func connect(t testing.TB, sys *actor.ActorSystem, ep string, h func(o *session.Opened) session.Handler) *session.Opened {
	t.Helper()
	p := sessiontest.New(t, sys, sessiontest.Options{Handler: func(o *session.Opened, _ chan<- any) session.Handler {
		return h(o)
	}})
	startClientWith(t, sys, ep, p.PID)
	return actortest.Next[*session.Opened](t, p.Events, 5*time.Second)
}

func newClient(t *testing.T, sys *actor.ActorSystem, ep string) *client {
	t.Helper()
	c := &client{sys: sys, msgs: make(chan any, 1024)}
	c.opened = connect(t, sys, ep, func(*session.Opened) session.Handler { return msgHandler{out: c.msgs} })
	return c
}

func (c *client) send(msgs ...codec.NetworkMessage) {
	_ = sessiontest.Send(c.opened, msgs...)
}

// expect waits for a network message matching pred, dropping others.
func (c *client) expect(t *testing.T, pred func(*codec.NetworkMessage) bool) codec.NetworkMessage {
	t.Helper()
	return actortest.Await(t, c.msgs, 5*time.Second, func(m codec.NetworkMessage) bool { return pred(&m) })
}

func full(k string) codec.WireExpr { return codec.WireExpr{Suffix: []byte(k), Mapping: true} }

func declare(body codec.Declaration) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS, Body: body}}
}

func push(k, v string) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full(k), QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(v)}}}
}

// TestRouterPubSubNoEcho: a Push reaches the other client's subscriber,
// never its own publisher's face.
func TestRouterPubSubNoEcho(t *testing.T) {
	sys := actortest.NewSystem(t)
	ep := startRouter(t, sys)
	pub, sub := newClient(t, sys, ep), newClient(t, sys, ep)
	sub.send(declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("demo/**")}))
	pub.send(declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("demo/**")}))
	// The declarations race the first Push on other sessions: publish until
	// the subscriber sees one, then check order and the absence of echoes.
	deadline := time.Now().Add(5 * time.Second)
	for got := false; !got; {
		pub.send(push("demo/a", "probe"))
		select {
		case m := <-sub.msgs:
			got = m.(codec.NetworkMessage).ID == codec.MidPush
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no Push reached the subscriber")
		}
	}
	for i := 0; i < 100; i++ {
		pub.send(push("demo/a", string(rune('A'+i%26))+"-"+string(rune('0'+i/26))))
	}
	n := 0
	for n < 100 {
		m := sub.expect(t, func(m *codec.NetworkMessage) bool { return m.ID == codec.MidPush })
		if string(m.Push.Body.Payload) == "probe" {
			continue
		}
		want := string(rune('A'+n%26)) + "-" + string(rune('0'+n/26))
		if string(m.Push.Body.Payload) != want || string(m.Push.WireExpr.Suffix) != "demo/a" {
			t.Fatalf("push %d: %q on %q, want %q", n, m.Push.Body.Payload, m.Push.WireExpr.Suffix, want)
		}
		n++
	}
	for {
		select {
		case m := <-pub.msgs:
			if nm, ok := m.(codec.NetworkMessage); ok && nm.ID == codec.MidPush {
				t.Fatalf("publisher got its own Push back: %q", nm.Push.Body.Payload)
			}
		case <-time.After(200 * time.Millisecond):
			return
		}
	}
}

// TestRouterQuery: a Request reaches the queryable with a router-chosen
// id; the reply and ResponseFinal come back with the querier's id.
func TestRouterQuery(t *testing.T) {
	sys := actortest.NewSystem(t)
	ep := startRouter(t, sys)
	querier, qable := newClient(t, sys, ep), newClient(t, sys, ep)
	qable.send(declare(codec.Declaration{Kind: codec.DeclQueryable, ID: 7, WireExpr: full("demo/q/**"), Complete: true}))
	req := codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: 42, WireExpr: full("demo/q/x"),
		QoS: codec.DefaultQoS, Query: codec.Query{Parameters: []byte("a=1")}}}
	var fwd codec.NetworkMessage
	deadline := time.Now().Add(5 * time.Second)
	for fwd.ID != codec.MidRequest {
		querier.send(req)
		// Until the queryable is known the router answers ResponseFinal at once.
		select {
		case m := <-qable.msgs:
			if nm, ok := m.(codec.NetworkMessage); ok {
				fwd = nm
			}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the Request never reached the queryable")
		}
	}
	if string(fwd.Request.Query.Parameters) != "a=1" || string(fwd.Request.WireExpr.Suffix) != "demo/q/x" {
		t.Fatalf("forwarded request %+v", fwd.Request)
	}
	qable.send(codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: fwd.Request.ID,
		WireExpr: full("demo/q/x"), QoS: codec.DefaultQoS,
		Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: []byte("answer")}}}},
		codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: fwd.Request.ID, QoS: codec.DefaultQoS}})
	r := querier.expect(t, func(m *codec.NetworkMessage) bool {
		return m.ID == codec.MidResponse && bytes.Equal(m.Response.Reply.Body.Payload, []byte("answer"))
	})
	if r.Response.RequestID != 42 {
		t.Fatalf("reply carries request id %d, want 42", r.Response.RequestID)
	}
	querier.expect(t, func(m *codec.NetworkMessage) bool {
		return m.ID == codec.MidResponseFinal && m.ResponseFinal.RequestID == 42
	})
}

// TestRouterLivelinessGet: a Current token interest is answered with the
// other client's token and DeclareFinal.
func TestRouterLivelinessGet(t *testing.T) {
	sys := actortest.NewSystem(t)
	ep := startRouter(t, sys)
	a, b := newClient(t, sys, ep), newClient(t, sys, ep)
	a.send(declare(codec.Declaration{Kind: codec.DeclToken, ID: 3, WireExpr: full("group1/a")}))
	deadline := time.Now().Add(5 * time.Second)
	for iid := uint32(1); ; iid++ {
		b.send(codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{ID: iid, Mode: codec.InterestCurrent,
			Options: codec.InterestKeyExprs | codec.InterestTokens, Restricted: true, WireExpr: full("group1/**"), QoS: codec.DefaultQoS}})
		tok := false
		for done := false; !done; {
			m := b.expect(t, func(m *codec.NetworkMessage) bool { return m.ID == codec.MidDeclare })
			switch m.Declare.Body.Kind {
			case codec.DeclToken:
				tok = string(m.Declare.Body.WireExpr.Suffix) == "group1/a"
			case codec.DeclFinal:
				done = m.Declare.InterestID == iid
			}
		}
		if tok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the token was never reported")
		}
	}
}

// TestRouterTimestampsPuts: with timestamping on, a Put without a
// timestamp reaches the subscriber stamped with the router's clock.
func TestRouterTimestampsPuts(t *testing.T) {
	sys := actortest.NewSystem(t)
	zid := actortest.NewZID(t)
	clock, err := hlc.NewClock(zid, hlc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ep := startRouterWith(t, sys, func(c *ActorConfig, p *PlaneConfig) {
		c.Tables.ZID, p.Timestamping, p.Clock = zid, true, clock
	})
	pub, sub := newClient(t, sys, ep), newClient(t, sys, ep)
	sub.send(declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("demo/**")}))
	deadline := time.Now().Add(5 * time.Second)
	for {
		pub.send(push("demo/t", "x"))
		select {
		case m := <-sub.msgs:
			nm, ok := m.(codec.NetworkMessage)
			if !ok || nm.ID != codec.MidPush {
				continue
			}
			if ts := nm.Push.Body.Timestamp; ts.ID != zid || ts.Time == 0 {
				t.Fatalf("timestamp %v, want one from the router %v", ts, zid)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no Push reached the subscriber")
		}
	}
}

// startClientWith opens a client session to ep whose handler is h.
func startClientWith(b testing.TB, sys *actor.ActorSystem, ep string, h *actor.PID) {
	b.Helper()
	cep, _ := link.ParseEndpoint(ep)
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: h, Logger: actortest.Logger(),
		Connect: []link.Endpoint{cep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = actortest.NewZID(b), codec.Client
	props, err := session.ManagerProps(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sys.Root.Spawn(props)
}
