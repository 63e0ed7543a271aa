package interop

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// holdFor is how long the session-holding tests keep a session open.
const holdFor = 30 * time.Second

// events collects what a session manager reports.
type events struct {
	pid *actor.PID
	ch  chan any
}

func newEvents(sys *actor.ActorSystem) *events {
	e := &events{ch: make(chan any, 1024)}
	e.pid = sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			ctx.Send(m.Session, &session.Admit{Handler: pushHandler{ch: e.ch}})
			e.ch <- m
		case *session.Closed:
			e.ch <- m
		}
	}))
	return e
}

// pushHandler reports the payload of every Push a session receives.
type pushHandler struct{ ch chan any }

func (h pushHandler) Handle(m *codec.NetworkMessage, _ bool) error {
	if m.ID == codec.MidPush {
		h.ch <- pushed(bytes.Clone(m.Push.Body.Payload))
	}
	return nil
}

func (pushHandler) EndRead() error { return nil }

type pushed []byte

func waitEvent[T any](t *testing.T, e *events, timeout time.Duration) T {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-e.ch:
			if v, ok := m.(T); ok {
				return v
			}
		case <-deadline:
			var zero T
			t.Fatalf("no %T within %v", zero, timeout)
			return zero
		}
	}
}

// noClosedFor fails if the session reports Closed within d.
func noClosedFor(t *testing.T, e *events, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case m := <-e.ch:
			if c, ok := m.(*session.Closed); ok {
				t.Fatalf("session closed after less than %v: %v", d, c.Reason)
			}
		case <-deadline:
			return
		}
	}
}

func goNode(t *testing.T, role codec.WhatAmI, listen, connect string) (*actor.ActorSystem, *events, *actor.PID) {
	t.Helper()
	logger := actortest.Logger()
	sys := actortest.NewSystem(t)
	ev := newEvents(sys)
	zid := actortest.NewZID(t)
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: ev.pid, Logger: logger}
	cfg.Session.ZID, cfg.Session.WhatAmI = zid, role
	if listen != "" {
		ep, err := link.ParseEndpoint(listen)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listen = append(cfg.Listen, ep)
	}
	if connect != "" {
		ep, err := link.ParseEndpoint(connect)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Connect = append(cfg.Connect, ep)
	}
	props, err := session.ManagerProps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return sys, ev, sys.Root.Spawn(props)
}

// keepAlivesBothWays checks that each side sent KeepAlives while the
// session was held (about every 2.5 s from us, 3.3 s from pico).
func keepAlivesBothWays(t *testing.T, r *codecRelay) {
	t.Helper()
	for _, dir := range []string{"C>S", "S>C"} {
		if n := r.count(dir, codec.MidKeepAlive); n < 5 {
			t.Errorf("%s: %d KeepAlives in %v", dir, n, holdFor)
		} else {
			t.Logf("%s: %d KeepAlives in %v", dir, n, holdFor)
		}
	}
}

// TestSessionWithPicoPeerListener: our node in peer mode connects to a pico
// peer listening with z_sub, and holds the session 30 s.
func TestSessionWithPicoPeerListener(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	start(t, dir, "z_sub", "-l", "tcp/"+addr)
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	_, ev, _ := goNode(t, codec.Peer, "", "tcp/"+relay.addr())
	o := waitEvent[*session.Opened](t, ev, 10*time.Second)
	if o.WhatAmI != codec.Peer || o.Established.QoS {
		t.Fatalf("pico peer: whatami %v, QoS %v", o.WhatAmI, o.Established.QoS)
	}
	noClosedFor(t, ev, holdFor)
	keepAlivesBothWays(t, relay)
}

// TestSessionWithPicoClient: a pico client (z_pub -m client) opens a session
// to our router and holds it 30 s.
func TestSessionWithPicoClient(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	_, ev, _ := goNode(t, codec.Router, "tcp/"+addr, "")
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	start(t, dir, "z_pub", "-m", "client", "-e", "tcp/"+relay.addr())
	o := waitEvent[*session.Opened](t, ev, 10*time.Second)
	if o.WhatAmI != codec.Client {
		t.Fatalf("pico client seen as %v", o.WhatAmI)
	}
	noClosedFor(t, ev, holdFor)
	keepAlivesBothWays(t, relay)
}

// TestPicoBatch2048FragmentsToUs: a pico client built with the CMake
// defaults (batch 2048) negotiates down with our router and its 3016-byte
// put reaches us in fragments.
func TestPicoBatch2048FragmentsToUs(t *testing.T) {
	picoDir(t)
	small := os.Getenv("ZPICO_DEFAULT")
	if small == "" {
		t.Skip("ZPICO_DEFAULT is not set (the CMake-default pico build from setup-pico.sh)")
	}
	addr := freePort(t)
	_, ev, _ := goNode(t, codec.Router, "tcp/"+addr, "")
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	value := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 116)
	start(t, small, "z_put", "-m", "client", "-e", "tcp/"+relay.addr(), "-v", value)
	o := waitEvent[*session.Opened](t, ev, 10*time.Second)
	if o.Established.BatchSize != 2048 {
		t.Fatalf("agreed batch size %d, want 2048", o.Established.BatchSize)
	}
	p := waitEvent[pushed](t, ev, 10*time.Second)
	if string(p) != value {
		t.Fatalf("payload of %d bytes, want the 3016-byte value", len(p))
	}
	if relay.count("C>S", codec.MidFragment) < 2 {
		t.Fatal("the put did not cross in fragments")
	}
}

// TestPicoBatch2048FragmentsFromUs: we send a 3000-byte Push to a pico
// subscriber (default build, batch 2048) in fragments it reassembles.
func TestPicoBatch2048FragmentsFromUs(t *testing.T) {
	picoDir(t)
	small := os.Getenv("ZPICO_DEFAULT")
	if small == "" {
		t.Skip("ZPICO_DEFAULT is not set (the CMake-default pico build from setup-pico.sh)")
	}
	addr := freePort(t)
	_, ev, _ := goNode(t, codec.Router, "tcp/"+addr, "")
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	sub := start(t, small, "z_sub", "-m", "client", "-e", "tcp/"+relay.addr())
	o := waitEvent[*session.Opened](t, ev, 10*time.Second)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	value := strings.Repeat("0123456789", 300)
	msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte("demo/example/big"), Mapping: true}, QoS: codec.DefaultQoS,
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(value)}}}
	// The subscriber's declaration travels on its own; retry until pico
	// prints the sample (it drops data that arrives before its Declare).
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = o.Outbox.Push(&msg, true, nil)
		select {
		case l := <-sub.lines:
			if strings.Contains(l, "Received") {
				if !strings.Contains(l, value) {
					t.Fatalf("pico printed %d bytes, not the 3000-byte value", len(l))
				}
				if relay.count("S>C", codec.MidFragment) < 2 {
					t.Fatal("the message did not cross in fragments")
				}
				return
			}
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("pico never printed the sample")
		}
	}
}
