// Package e2e runs whole nodes (session managers and router actors) over
// loopback TCP in one process: router meshes, client and peer modes.
package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
	"github.com/gozenoh/zenoh/internal/sessiontest"
)

const wait = 10 * time.Second

type node struct {
	*actors.Node
	sys *actor.ActorSystem
	ep  string // first listen endpoint, "" if none
}

type nodeOpts struct {
	zid     codec.ZenohID
	listen  string // default tcp/127.0.0.1:0 (none for clients)
	connect []string
}

// startNode starts a node in its own actor system; it stops with the test
// unless stopped before.
func startNode(t *testing.T, mode codec.WhatAmI, o nodeOpts) *node {
	t.Helper()
	sys := actortest.NewSystem(t)
	cfg := actors.DefaultNodeConfig(mode)
	cfg.ZID = o.zid
	cfg.Logger = actortest.Logger()
	cfg.TickEvery = 20 * time.Millisecond
	cfg.Dialer.MaxBackoff = 200 * time.Millisecond
	cfg.Listen = nil
	listen := o.listen
	if listen == "" && mode != codec.Client {
		listen = "tcp/127.0.0.1:0"
	}
	if listen != "" {
		ep, err := link.ParseEndpoint(listen)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listen = []link.Endpoint{ep}
	}
	for _, c := range o.connect {
		ep, err := link.ParseEndpoint(c)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Connect = append(cfg.Connect, ep)
	}
	n, err := actors.StartNode(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	nd := &node{Node: n, sys: sys}
	if l := n.Listening(); len(l) > 0 {
		nd.ep = l[0].String()
	}
	return nd
}

// waitSessions waits until n has exactly want established sessions.
func (n *node) waitSessions(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s, err := n.Sessions()
		if err == nil && len(s) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %v: %d sessions after %v, want %d (err %v)", n.ZID, len(s), wait, want, err)
		}
		// The manager has no session-count event to subscribe to.
		<-time.After(10 * time.Millisecond)
	}
}

// local is an in-process session of a node: what is routed to it
// arrives, copied, on msgs (publications through its subscribers,
// control messages through its Control actor).
type local struct {
	n    *node
	face *router.Local
	msgs chan codec.NetworkMessage
	next uint32
}

func copyMsg(m *codec.NetworkMessage) codec.NetworkMessage { return sessiontest.Copy(m) }

func (n *node) local(t *testing.T) *local {
	t.Helper()
	l := &local{n: n, msgs: make(chan codec.NetworkMessage, 65536)}
	pid := n.sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if c, ok := ctx.Message().(*router.Control); ok {
			for i := range c.Msgs {
				l.msgs <- copyMsg(&c.Msgs[i])
			}
		}
	}))
	l.face = n.Plane.OpenLocal(router.LocalConfig{ZID: n.ZID, Control: pid})
	if err := l.face.Sync(wait); err != nil {
		t.Fatal(err)
	}
	return l
}

// localSub copies the publications routed to a local's subscriber.
type localSub struct{ l *local }

func (s localSub) Deliver(key string, p codec.Push, _ router.Delivery) bool {
	c := p
	c.WireExpr = wire(key)
	s.l.msgs <- copyMsg(&codec.NetworkMessage{ID: codec.MidPush, Push: c})
	return true
}

// send publishes Pushes and sends everything else to the router.
func (l *local) send(ms ...codec.NetworkMessage) {
	for i := range ms {
		m := &ms[i]
		switch m.ID {
		case codec.MidPush:
			_ = l.face.Publish(&m.Push, true, nil)
		case codec.MidDeclare:
			var sub router.Subscriber
			if m.Declare.Body.Kind == codec.DeclSubscriber {
				sub = localSub{l: l}
			}
			_ = l.face.Declare(m.Declare.Body, sub)
		default:
			_ = l.face.Send(*m)
		}
	}
}

func wire(key string) codec.WireExpr { return codec.WireExpr{Suffix: []byte(key), Mapping: true} }

func (l *local) declare(kind byte, key string) uint32 {
	l.next++
	l.send(codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
		Body: codec.Declaration{Kind: kind, ID: l.next, WireExpr: wire(key)}}})
	return l.next
}

func (l *local) put(key, payload string) {
	l.send(codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: wire(key), QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(payload)}}})
}

// nextPush waits for the next Push l receives, skipping other messages.
func (l *local) nextPush(t *testing.T) codec.Push {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-l.msgs:
			if m.ID == codec.MidPush {
				return m.Push
			}
		case <-deadline:
			t.Fatalf("no Push within %v", wait)
		}
	}
}

// connected publishes probes from pub on key until sub receives one: the
// route exists. Probes still in flight are drained by later checks,
// which look for their own payloads.
func connected(t *testing.T, pub, sub *local, key string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for i := 0; ; i++ {
		pub.put(key, fmt.Sprintf("probe %d", i))
		select {
		case m := <-sub.msgs:
			if m.ID == codec.MidPush {
				drain(sub)
				return
			}
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no route from %v to %v on %s within %v", pub.n.ZID, sub.n.ZID, key, wait)
		}
	}
}

// drain discards what l received so far.
func drain(l *local) {
	for {
		select {
		case <-l.msgs:
		default:
			return
		}
	}
}

// expectOnce publishes n messages from pub then a marker, and checks that
// every sub receives each message exactly once, in order, before the
// marker; others receive none of them.
func expectOnce(t *testing.T, pub *local, key string, n int, subs []*local, others []*local) {
	t.Helper()
	tag := fmt.Sprintf("%p-%d", pub, time.Now().UnixNano())
	for i := range n {
		pub.put(key, fmt.Sprintf("%s %d", tag, i))
	}
	pub.put(key, tag+" end")
	for si, s := range subs {
		i := 0
		for {
			p := s.nextPush(t)
			got := string(p.Body.Payload)
			if got == tag+" end" {
				break
			}
			if len(got) > len(tag) && got[:len(tag)] == tag {
				if want := fmt.Sprintf("%s %d", tag, i); got != want {
					t.Fatalf("subscriber %d got %q, want %q", si, got, want)
				}
				i++
			}
		}
		if i != n {
			t.Fatalf("subscriber %d got %d of %d messages", si, i, n)
		}
	}
	for oi, o := range others {
		for {
			select {
			case m := <-o.msgs:
				if m.ID == codec.MidPush && len(m.Push.Body.Payload) > len(tag) && string(m.Push.Body.Payload[:len(tag)]) == tag {
					t.Fatalf("bystander %d got %q", oi, m.Push.Body.Payload)
				}
				continue
			default:
			}
			break
		}
	}
}

// allToAll makes each of ls publish n messages on key; every other one
// must receive each exactly once (all subscribe to probe's key space).
func allToAll(t *testing.T, ls []*local, probe, key string, n int, others []*local) {
	t.Helper()
	for i, pub := range ls {
		var subs []*local
		for j, l := range ls {
			if j != i {
				connected(t, pub, l, probe)
				subs = append(subs, l)
			}
		}
		for _, l := range ls {
			drain(l)
		}
		expectOnce(t, pub, key, n, subs, others)
	}
}
