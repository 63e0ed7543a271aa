package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// goPeerNode starts one of our nodes (listening on listen unless empty,
// connecting to connect) with an in-process session whose received Pushes
// arrive on the returned channel.
func goPeerNode(t *testing.T, mode codec.WhatAmI, listen string, connect ...string) (*goLocal, *actors.Node) {
	t.Helper()
	sys := actortest.NewSystem(t)
	cfg := actors.DefaultNodeConfig(mode)
	cfg.Logger = actortest.Logger()
	cfg.Listen = nil
	cfg.Dialer.MaxBackoff = 500 * time.Millisecond
	if listen != "" {
		ep, err := link.ParseEndpoint(listen)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listen = []link.Endpoint{ep}
	}
	for _, c := range connect {
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
	l := &goLocal{pushes: make(chan codec.Push, 1024)}
	l.face = n.Plane.OpenLocal(router.LocalConfig{ZID: n.ZID})
	if err := l.face.Sync(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return l, n
}

type goLocal struct {
	face   *router.Local
	pushes chan codec.Push
}

// Deliver keeps a copy of each publication routed to the subscriber.
func (l *goLocal) Deliver(key string, p codec.Push, _ router.Delivery) bool {
	c := p
	c.Body.Payload = append([]byte(nil), p.Body.Payload...)
	c.WireExpr = codec.WireExpr{Suffix: []byte(key), Mapping: true}
	select {
	case l.pushes <- c:
	default:
	}
	return true
}

func (l *goLocal) subscribe(key string) {
	_ = l.face.Declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1,
		WireExpr: codec.WireExpr{Suffix: []byte(key), Mapping: true}}, l)
}

func (l *goLocal) publish(kind byte, key, value string) {
	p := codec.Push{QoS: codec.DefaultQoS, WireExpr: codec.WireExpr{Suffix: []byte(key), Mapping: true},
		Body: codec.Data{Kind: kind, Payload: []byte(value)}}
	_ = l.face.Publish(&p, true, nil)
}

// awaitPush waits for a Push whose payload has the given prefix.
func (l *goLocal) awaitPush(t *testing.T, prefix string, timeout time.Duration) codec.Push {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case p := <-l.pushes:
			if len(p.Body.Payload) >= len(prefix) && string(p.Body.Payload[:len(prefix)]) == prefix {
				return p
			}
		case <-deadline:
			t.Fatalf("no Push with payload %q... within %v", prefix, timeout)
		}
	}
}

// publishUntil publishes numbered values from l until the pico process
// prints n lines containing substr (pico peers learn our subscriber-less
// publisher's writes without an interest, but the session must be up).
func publishUntil(t *testing.T, l *goLocal, p *proc, key, value string, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	got := 0
	for i := 0; got < n; i++ {
		select {
		case line := <-p.lines:
			if strings.Contains(line, value) {
				got++
			}
		case <-tick.C:
			l.publish(codec.MidPut, key, fmt.Sprintf("%s %d", value, i))
		case <-deadline:
			t.Fatalf("pico printed %d of %d lines with %q", got, n, value)
		}
	}
}

// TestPeerPicoSubListens: pico `z_sub -l` in peer mode, our peer
// connects with -e and publishes; pico receives.
func TestPeerPicoSubListens(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	sub := start(t, dir, "z_sub", "-m", "peer", "-l", "tcp/"+addr)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	pub, _ := goPeerNode(t, codec.Peer, "", "tcp/"+addr)
	publishUntil(t, pub, sub, "demo/example/go-peer", "from go peer", 5)
}

// TestPeerPicoNToN: an N:N graph of two pico peers and one of ours: pico
// z_sub listens on A; pico z_pub listens on B and connects to A; our peer
// listens on C and connects to A and B, subscribes and publishes. Both
// pico's publications reach us and ours reach pico's subscriber.
func TestPeerPicoNToN(t *testing.T) {
	dir := picoDir(t)
	a, b := freePort(t), freePort(t)
	sub := start(t, dir, "z_sub", "-m", "peer", "-l", "tcp/"+a)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	pub := start(t, dir, "z_pub", "-m", "peer", "-l", "tcp/"+b, "-e", "tcp/"+a)
	pub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	us, _ := goPeerNode(t, codec.Peer, "tcp/127.0.0.1:0", "tcp/"+a, "tcp/"+b)
	us.subscribe("demo/**")
	us.awaitPush(t, "[", 20*time.Second) // "[   N] Pub from Pico!"
	sub.waitLines(t, "Pub from Pico", 1, 20*time.Second)
	publishUntil(t, us, sub, "demo/example/go-peer", "from go peer", 3)
}

// TestRouterPicoDelete: a Del published through our router is seen by a
// pico z_sub client (pico 1.9.0 has no z_delete example; its z_sub prints
// a delete as an empty value).
func TestRouterPicoDelete(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	us, _ := goPeerNode(t, codec.Router, "tcp/"+addr)
	sub := start(t, dir, "z_sub", "-m", "client", "-e", "tcp/"+addr)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	deadline := time.After(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line := <-sub.lines:
			if strings.Contains(line, "Received ('demo/example/gone': '')") {
				return
			}
		case <-tick.C:
			us.publish(codec.MidDel, "demo/example/gone", "")
		case <-deadline:
			t.Fatal("z_sub never printed the delete")
		}
	}
}
