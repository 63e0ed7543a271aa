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

// probe stands where a node's router would (ManagerConfig.Handler). It
// copies every message it gets to ch and admits each session it is told
// of with a Handler, by default a collector that puts a *msgCopy of
// every network message the session receives on ch. It is
// internal/sessiontest's probe, which this package's own tests cannot
// import (it imports session).
type probe struct {
	pid *actor.PID
	ch  chan any
}

// probeOptions tune a probe.
type probeOptions struct {
	// handler, if set, makes the Handler of each session opened.
	handler func(o *Opened, ch chan any) Handler
	// hold leaves the admission to the test: Opened is forwarded, and
	// the test sends the session an Admit (see newCollector).
	hold bool
}

func newProbe(t testing.TB, sys *actor.ActorSystem) *probe {
	t.Helper()
	return newProbeWith(t, sys, probeOptions{})
}

func newProbeWith(t testing.TB, sys *actor.ActorSystem, opts probeOptions) *probe {
	t.Helper()
	p := &probe{ch: make(chan any, 4096)}
	p.pid = sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case actor.SystemMessage, actor.AutoReceiveMessage:
		case *Opened:
			// Opened goes to ch before the Admit: the collector may put
			// the session's first messages on ch as soon as the session
			// has it, and a test must see Opened first.
			p.ch <- m
			if opts.hold {
				return
			}
			var h Handler
			if opts.handler != nil {
				h = opts.handler(m, p.ch)
			} else {
				h = newCollector(m, p.ch)
			}
			ctx.Send(m.Session, &Admit{Handler: h})
		default:
			p.ch <- m
		}
	}))
	return p
}

// msgCopy is one network message a session received, copied out of the
// read buffer.
type msgCopy struct {
	session  *actor.PID
	zid      codec.ZenohID
	reliable bool
	m        codec.NetworkMessage // decoded from a buffer of its own
}

// collector is a Handler that puts a *msgCopy of each message on out. It
// waits for room there (back pressure on the session's reader) until the
// session's link stops.
type collector struct {
	session *actor.PID
	zid     codec.ZenohID
	out     chan<- any
	cancel  <-chan struct{}
}

func newCollector(o *Opened, out chan<- any) *collector {
	return &collector{session: o.Session, zid: o.ZID, out: out, cancel: o.Cancel}
}

func (c *collector) Handle(m *codec.NetworkMessage, reliable bool) error {
	cp := &msgCopy{session: c.session, zid: c.zid, reliable: reliable}
	// m aliases the read buffer: re-encode it and decode the copy.
	if _, err := codec.DecodeNetwork(codec.AppendNetwork(nil, m), &cp.m); err != nil {
		return err
	}
	select {
	case c.out <- cp:
		return nil
	case <-c.cancel:
		return ErrCanceled
	}
}

func (c *collector) EndRead() error { return nil }

// wait returns the first message of type T for which match (nil: any)
// returns true, failing the test after timeout. Other messages are
// dropped.
func wait[T any](t testing.TB, p *probe, timeout time.Duration, match func(T) bool) T {
	t.Helper()
	return actortest.Await(t, p.ch, timeout, match)
}

// payloadIs matches a received Push carrying payload.
func payloadIs(payload []byte) func(*msgCopy) bool {
	return func(m *msgCopy) bool { return string(m.m.Push.Body.Payload) == string(payload) }
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
	return startNodeWith(t, sys, role, listen, connect, newProbe(t, sys), tweak)
}

// startNodeWith starts a node whose handler is p.
func startNodeWith(t testing.TB, sys *actor.ActorSystem, role codec.WhatAmI, listen, connect []string, p *probe, tweak func(*ManagerConfig)) *node {
	t.Helper()
	n := &node{zid: newZID(t), events: p}
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
