package scout

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

func TestFirstRouter(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	zid := newZID(t)
	joined(t, sys, mc, ResponderConfig{ZID: zid, WhatAmI: codec.Router, Locators: fixed("tcp/127.0.0.1:7447")})

	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	f, err := FirstRouter(ctx, mc.scoutConfig())
	if err != nil {
		t.Fatal(err)
	}
	if f.ZID != zid || f.WhatAmI != codec.Router || !slices.Equal(f.Locators, []string{"tcp/127.0.0.1:7447"}) {
		t.Fatalf("found %+v", f)
	}
	if _, ok := f.From.(*net.UDPAddr); !ok {
		t.Fatalf("From %T", f.From)
	}
	checkNoGoroutines(t, streamFuncs)
}

func TestScoutRoutersOnly(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	router, peer := newZID(t), newZID(t)
	joined(t, sys, mc, ResponderConfig{ZID: router, WhatAmI: codec.Router, Locators: fixed("tcp/127.0.0.1:7447")})
	peerPID := joined(t, sys, mc, ResponderConfig{ZID: peer, WhatAmI: codec.Peer, Locators: fixed("tcp/127.0.0.1:7448")})

	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	cfg := mc.scoutConfig()
	cfg.What = codec.Router
	var found []Found
	err := Stream(ctx, cfg, func(f Found) bool {
		found = append(found, f)
		return f.ZID != router
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ZID != router {
		t.Fatalf("found %+v", found)
	}
	// The peer heard the Scout and did not answer it.
	s := waitStats(t, sys, peerPID, "the scout ignored", func(s *ResponderStats) bool { return s.Ignored >= 1 })
	if s.Hellos != 0 {
		t.Fatalf("peer stats %+v", *s)
	}
}

func TestScoutFindsBoth(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	router, peer := newZID(t), newZID(t)
	joined(t, sys, mc, ResponderConfig{ZID: router, WhatAmI: codec.Router})
	joined(t, sys, mc, ResponderConfig{ZID: peer, WhatAmI: codec.Peer})

	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	found, err := Scout(ctx, mc.scoutConfig()) // What 0: Router|Peer
	if err != nil {
		t.Fatal(err)
	}
	roles := map[codec.ZenohID]codec.WhatAmI{}
	for _, f := range found {
		if _, dup := roles[f.ZID]; dup {
			t.Fatalf("%v reported twice: %+v", f.ZID, found)
		}
		roles[f.ZID] = f.WhatAmI
	}
	if len(roles) != 2 || roles[router] != codec.Router || roles[peer] != codec.Peer {
		t.Fatalf("found %+v", found)
	}
}

func TestFirstSkipsHelloWithoutLocators(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	bare, full := newZID(t), newZID(t)
	barePID := joined(t, sys, mc, ResponderConfig{ZID: bare, WhatAmI: codec.Router})
	joined(t, sys, mc, ResponderConfig{ZID: full, WhatAmI: codec.Router, Locators: fixed("tcp/127.0.0.1:7447")})

	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	f, err := FirstRouter(ctx, mc.scoutConfig())
	if err != nil {
		t.Fatal(err)
	}
	if f.ZID != full {
		t.Fatalf("found %v, want %v", f.ZID, full)
	}
	waitStats(t, sys, barePID, "a Hello", func(s *ResponderStats) bool { return s.Hellos == 1 })
}

func TestFirstNotFound(t *testing.T) {
	mc := multicast(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := First(ctx, mc.scoutConfig())
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	checkNoGoroutines(t, streamFuncs)
}

// fakeResponder joins the test group and hands each datagram it reads,
// with its source, to the test.
type datagram struct {
	b    []byte
	from *net.UDPAddr
}

func fakeResponder(t *testing.T, mc mcast) (*net.UDPConn, chan datagram) {
	t.Helper()
	group, err := parseGroup(mc.group)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenMulticastUDP("udp4", mc.ifi, net.UDPAddrFromAddrPort(group))
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan datagram, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, maxDatagram)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			select {
			case ch <- datagram{append([]byte(nil), buf[:n]...), from}:
			default:
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c, ch
}

func recv(t *testing.T, ch chan datagram) datagram {
	t.Helper()
	select {
	case d := <-ch:
		return d
	case <-time.After(wait):
		t.Fatalf("nothing received within %v", wait)
		return datagram{}
	}
}

func TestStreamFiltersAndDedupes(t *testing.T) {
	mc := multicast(t)
	fake, ch := fakeResponder(t, mc)
	self, r1, r2, p := newZID(t), newZID(t), newZID(t), newZID(t)
	hello := func(zid codec.ZenohID, role codec.WhatAmI, locs ...string) []byte {
		return codec.AppendHello(nil, &codec.Hello{Version: codec.ProtoVersion, WhatAmI: role, ZID: zid, Locators: locs})
	}

	ctx, cancel := context.WithTimeout(t.Context(), wait)
	defer cancel()
	type result struct {
		found []Found
		err   error
	}
	res := make(chan result, 1)
	go func() {
		cfg := mc.scoutConfig()
		cfg.What, cfg.ZID = codec.Router, self
		var found []Found
		err := Stream(ctx, cfg, func(f Found) bool {
			found = append(found, f)
			return len(found) < 3
		})
		res <- result{found, err}
	}()

	d := recv(t, ch)
	if want := scoutBytes(codec.Router, self); !bytes.Equal(d.b, want) {
		t.Fatalf("scout % x, want % x", d.b, want)
	}
	for _, b := range [][]byte{
		{0x02, 0x09},                    // garbage
		scoutBytes(codec.Router, r1),    // not a Hello
		hello(p, codec.Peer, "tcp/a:1"), // role not wanted
		hello(r1, codec.Router, "tcp/a:1"),
		hello(r1, codec.Router, "tcp/a:1"), // duplicate
		hello(self, codec.Router, "tcp/self:1"),
		hello(r2, codec.Router),
		hello(r1, codec.Router, "tcp/a:2"), // changed: reported again
	} {
		if _, err := fake.WriteToUDP(b, d.from); err != nil {
			t.Fatal(err)
		}
	}
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	var got []string
	for _, f := range r.found {
		got = append(got, f.ZID.String()+" "+f.WhatAmI.String()+" "+fmtLocs(f.Locators))
	}
	want := []string{
		r1.String() + " router [tcp/a:1]",
		r2.String() + " router []",
		r1.String() + " router [tcp/a:2]",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("found\n%q\nwant\n%q", got, want)
	}
}

func fmtLocs(l []string) string {
	b := []byte("[")
	for i, s := range l {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s...)
	}
	return string(append(b, ']'))
}

func TestStreamResends(t *testing.T) {
	mc := multicast(t)
	_, ch := fakeResponder(t, mc)
	ctx, cancel := context.WithCancel(t.Context())
	res := make(chan error, 1)
	began := time.Now()
	go func() {
		cfg := mc.scoutConfig()
		cfg.Retry, cfg.MaxRetry = 5*time.Millisecond, 20*time.Millisecond
		res <- Stream(ctx, cfg, func(Found) bool { return true })
	}()
	for range 5 {
		d := recv(t, ch)
		if !bytes.Equal(d.b, []byte{0x01, 0x09, 0x03}) {
			t.Fatalf("scout % x", d.b)
		}
	}
	// Pauses of 5, 10, 20 and 20 ms come before the 5th Scout; it can
	// only arrive later than that, never sooner.
	if d := time.Since(began); d < 55*time.Millisecond {
		t.Fatalf("5 scouts within %v: backoff not applied", d)
	}
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("Stream returned %v", err)
	}
	checkNoGoroutines(t, streamFuncs)
}

func TestStreamConfigErrors(t *testing.T) {
	for _, cfg := range []ScoutConfig{
		{What: 8},
		{Group: "10.0.0.1:7446"},
		{Group: "nonsense"},
		{Retry: -1},
	} {
		err := Stream(t.Context(), cfg, func(Found) bool { return true })
		if !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v", cfg, err)
		}
		if _, err := First(t.Context(), cfg); !errors.Is(err, ErrConfig) || errors.Is(err, ErrNotFound) {
			t.Errorf("First %+v: err %v", cfg, err)
		}
	}
}

func TestStreamCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Stream(ctx, ScoutConfig{Group: freeGroup(t)}, func(Found) bool { return true }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}
