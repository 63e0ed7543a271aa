package interop

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gozenoh/zenoh/actors/scout"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// scoutResponder starts a scouting responder on the default group and
// interface, or skips the test when the host refuses multicast, or when
// our own scouter cannot find it (the host does not loop multicast back,
// so pico could not either).
func scoutResponder(t *testing.T, cfg scout.ResponderConfig) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	sys := actortest.NewSystem(t)
	events := make(chan any, 16)
	parent := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Started:
			events <- ctx.Spawn(scout.ResponderProps(cfg))
		case *scout.ResponderJoined, *scout.ResponderFailed:
			events <- m
		}
	}))
	t.Cleanup(func() { _ = sys.Root.StopFuture(parent).Wait() })
	pid := (<-events).(*actor.PID)
	select {
	case m := <-events:
		if f, ok := m.(*scout.ResponderFailed); ok {
			t.Skipf("multicast refused on this host: %v", f.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("responder neither joined nor failed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	seen := false
	err := scout.Stream(ctx, scout.ScoutConfig{What: cfg.WhatAmI}, func(f scout.Found) bool {
		seen = f.ZID == cfg.ZID
		return !seen
	})
	if !seen {
		t.Skipf("multicast does not loop back on this host (our own scout got no Hello: %v)", err)
	}
	return sys, pid
}

// TestPicoScoutFindsOurResponder runs pico's z_scout, which sends the
// Scout 01 09 03 to 224.0.0.224:7446 on the default interface and prints
// each Hello it gets, against our responder (spec/transport.md 7, 10.10).
// It skips when the host refuses multicast.
func TestPicoScoutFindsOurResponder(t *testing.T) {
	dir := picoDir(t)
	if _, err := os.Stat(filepath.Join(dir, "z_scout")); err != nil {
		t.Skipf("no z_scout in %s: %v", dir, err)
	}
	zid, err := hlc.NewRandomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	explicit := "tcp/" + freePort(t)
	_, port, _ := strings.Cut(freePort(t), ":")
	wildcard := "tcp/0.0.0.0:" + port

	scoutResponder(t, scout.ResponderConfig{
		ZID:      zid,
		WhatAmI:  codec.Router,
		Locators: func() []string { return []string{explicit, wildcard} },
	})

	p := start(t, dir, "z_scout")
	// z_scout prints the ZID's wire bytes in order, uppercase hex.
	want := fmt.Sprintf("%X", zid.Bytes())
	line := p.waitLines(t, want, 1, 10*time.Second)[0]
	if !strings.Contains(line, `"Router"`) || !strings.Contains(line, `"`+explicit+`"`) {
		t.Fatalf("z_scout printed %q; want router and %s", line, explicit)
	}
	if strings.Contains(line, "0.0.0.0") || !strings.Contains(line, ":"+port+`"`) {
		t.Fatalf("z_scout printed %q; want %s rewritten to a reachable address", line, wildcard)
	}
	t.Logf("z_scout: %s", line)
}

// TestPicoClientScoutsAndDials runs pico's z_sub without a connect
// endpoint: a pico client then scouts (What = router|peer, with its ZID)
// and opens the first locator of the first Hello. The locator is a bare
// TCP listener here, which checks that an InitSyn arrives.
func TestPicoClientScoutsAndDials(t *testing.T) {
	dir := picoDir(t)
	zid, err := hlc.NewRandomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	loc := "tcp/" + ln.Addr().String()
	sys, pid := scoutResponder(t, scout.ResponderConfig{
		ZID:      zid,
		WhatAmI:  codec.Router,
		Locators: func() []string { return []string{loc} },
	})

	start(t, dir, "z_sub", "-k", "demo/scout")
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	var c net.Conn
	select {
	case c = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatalf("pico did not dial %s", loc)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b [3]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		t.Fatal(err)
	}
	if b[2]&0x1f != 0x01 || b[2]&0x20 != 0 {
		t.Fatalf("first message header %#x, want InitSyn", b[2])
	}
	r, err := sys.Root.RequestFuture(pid, &scout.GetResponderStats{}, 10*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if s := r.(*scout.ResponderStats); s.Hellos < 2 || s.Bad != 0 {
		t.Fatalf("responder stats %+v", *s)
	}
}
