package session

import (
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

func newSystem(t testing.TB) *actor.ActorSystem { return actortest.NewSystem(t) }

func testLogger() *slog.Logger { return actortest.Logger() }

// probe is an actor that copies every message it gets to a channel.
type probe struct {
	pid *actor.PID
	ch  chan any
}

func newProbe(t testing.TB, sys *actor.ActorSystem) *probe {
	t.Helper()
	p := &probe{ch: make(chan any, 4096)}
	p.pid = sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.SystemMessage, actor.AutoReceiveMessage:
		case *Received:
			// Copy what the test needs, then give the buffers back.
			var c receivedCopy
			c.zid = m.ZID
			for _, f := range m.Frames {
				c.frames = append(c.frames, append([]byte(nil), f.Payload...))
			}
			for _, w := range m.Whole {
				c.whole = append(c.whole, append([]byte(nil), w.Msg...))
			}
			m.Release()
			p.ch <- &c
		default:
			p.ch <- m
		}
	}))
	return p
}

type receivedCopy struct {
	zid    codec.ZenohID
	frames [][]byte
	whole  [][]byte
}

// wait returns the first message of type T for which match returns true,
// failing the test after timeout. Other messages are dropped.
func wait[T any](t testing.TB, p *probe, timeout time.Duration, match func(T) bool) T {
	t.Helper()
	return actortest.Await(t, p.ch, timeout, match)
}

func newZID(t testing.TB) codec.ZenohID { return actortest.NewZID(t) }

// node is one manager with its handler probe.
type node struct {
	zid     codec.ZenohID
	manager *actor.PID
	events  *probe
}

func startNode(t testing.TB, sys *actor.ActorSystem, role codec.WhatAmI, listen, connect []string, tweak func(*ManagerConfig)) *node {
	t.Helper()
	n := &node{zid: newZID(t), events: newProbe(t, sys)}
	cfg := ManagerConfig{Session: DefaultConfig(), Handler: n.events.pid, Logger: testLogger()}
	cfg.Session.ZID = n.zid
	cfg.Session.WhatAmI = role
	for _, s := range listen {
		cfg.Listen = append(cfg.Listen, mustEndpoint(t, s))
	}
	for _, s := range connect {
		cfg.Connect = append(cfg.Connect, mustEndpoint(t, s))
	}
	if tweak != nil {
		tweak(&cfg)
	}
	props, err := ManagerProps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.manager = sys.Root.Spawn(props)
	return n
}

func mustEndpoint(t testing.TB, s string) link.Endpoint {
	t.Helper()
	ep, err := link.ParseEndpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// listening waits until the node's listeners are bound and returns their
// endpoints.
func (n *node) listening(t testing.TB, sys *actor.ActorSystem, want int) []link.Endpoint {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := sys.Root.RequestFuture(n.manager, &GetListening{}, time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		if l := res.(*Listening); len(l.Endpoints) >= want {
			return l.Endpoints
		}
		if time.Now().After(deadline) {
			t.Fatalf("listeners not bound after 5 s")
		}
		// Binding is asynchronous and has no event to wait on from here;
		// poll the manager on a short tick.
		<-time.After(10 * time.Millisecond)
	}
}
