package scout

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gozenoh/zenoh/codec"
)

func fixed(locs ...string) func() []string {
	return func() []string { return locs }
}

func TestResponderAnswersScout(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	zid := newZID(t)
	joined(t, sys, mc, ResponderConfig{ZID: zid, WhatAmI: codec.Router, Locators: fixed("tcp/127.0.0.1:7447")})

	// What pico's z_scout sends: 01 09 03.
	c := sendRaw(t, mc, []byte{0x01, 0x09, 0x03})
	h := readHello(t, c)
	if h.ZID != zid || h.WhatAmI != codec.Router || h.Version != codec.ProtoVersion {
		t.Fatalf("Hello %+v, want zid %v router", h, zid)
	}
	if !slices.Equal(h.Locators, []string{"tcp/127.0.0.1:7447"}) {
		t.Fatalf("locators %q", h.Locators)
	}
}

func TestResponderIgnores(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	zid := newZID(t)
	for _, tc := range []struct {
		name  string
		scout []byte
	}{
		{"other roles", scoutBytes(codec.Router|codec.Client, codec.ZenohID{})},
		{"own zid", scoutBytes(codec.Peer, zid)},
		{"what zero", scoutBytes(0, codec.ZenohID{})},
		{"hello", codec.AppendHello(nil, &codec.Hello{Version: 9, WhatAmI: codec.Peer, ZID: newZID(t)})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mc
			m.group = freeGroup(t)
			pid := joined(t, sys, m, ResponderConfig{ZID: zid, WhatAmI: codec.Peer, Locators: fixed("tcp/127.0.0.1:7447")})
			sendRaw(t, m, tc.scout)
			s := waitStats(t, sys, pid, "one ignored", func(s *ResponderStats) bool { return s.Ignored == 1 })
			// The Hello would have been sent before the datagram counted.
			if s.Hellos != 0 || s.Datagrams != 1 || s.Bad != 0 {
				t.Fatalf("stats %+v", *s)
			}
		})
	}
}

func TestResponderSurvivesGarbage(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	zid := newZID(t)
	pid := joined(t, sys, mc, ResponderConfig{ZID: zid, WhatAmI: codec.Router, Locators: fixed("tcp/127.0.0.1:7447")})

	huge := bytes.Repeat([]byte{0x07}, 60000) // unknown scouting id
	garbage := [][]byte{
		{},                       // empty datagram
		{0x01},                   // Scout cut short
		{0x01, 0x09},             // Scout without flags
		{0x01, 0x09, 0x03, 0x00}, // trailing byte
		{0x01, 0x09, 0x0b},       // I flag, no ZID
		{0x81, 0x09, 0x03},       // Z flag, no extension
		{0x81, 0x09, 0x03, 0x7f}, // unknown mandatory extension
		{0x02, 0x09, 0x03, 0x01}, // Hello, role index 3
		{0x22, 0x09, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f}, // absurd locator count
		{0x01, 0x09, 0xf8, 0x00},                               // 16-byte ZID, 1 byte given
		{0x01, 0x09, 0x08, 0x00},                               // zero ZID
		{0xff, 0xff, 0xff, 0xff},
		huge,
	}
	sendRaw(t, mc, garbage...)
	waitStats(t, sys, pid, "all bad", func(s *ResponderStats) bool { return s.Bad == uint64(len(garbage)) })

	c := sendRaw(t, mc, scoutBytes(codec.Router, codec.ZenohID{}))
	if h := readHello(t, c); h.ZID != zid {
		t.Fatalf("Hello from %v, want %v", h.ZID, zid)
	}
	if s := stats(t, sys, pid); s.Bad != uint64(len(garbage)) || s.Hellos != 1 || s.Scouts != 1 {
		t.Fatalf("stats %+v", *s)
	}
}

func TestResponderRateLimit(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	pid := joined(t, sys, mc, ResponderConfig{
		ZID: newZID(t), WhatAmI: codec.Router, HelloInterval: time.Hour,
	})
	sc := scoutBytes(codec.Router, codec.ZenohID{})
	c := sendRaw(t, mc, sc, sc, sc)
	s := waitStats(t, sys, pid, "three scouts", func(s *ResponderStats) bool { return s.Scouts == 3 })
	if s.Hellos != 1 || s.Limited != 2 {
		t.Fatalf("stats %+v", *s)
	}
	if h := readHello(t, c); len(h.Locators) != 0 {
		t.Fatalf("locators %q from nil Locators", h.Locators)
	}
	// Another source is answered.
	readHello(t, sendRaw(t, mc, sc))
}

func TestResponderWildcardLocators(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	joined(t, sys, mc, ResponderConfig{
		ZID: newZID(t), WhatAmI: codec.Router,
		Locators: fixed("tcp/0.0.0.0:7447", "tcp/[::]:7448?iface=x", "tcp/127.0.0.1:7449", "tcp/127.0.0.1:7449"),
	})
	h := readHello(t, sendRaw(t, mc, scoutBytes(codec.Router, codec.ZenohID{})))
	if len(h.Locators) != 3 {
		t.Fatalf("locators %q", h.Locators)
	}
	for i, want := range []string{"7447", "7448", "7449"} {
		_, host, port, _, ok := splitLocator(h.Locators[i])
		if !ok || unspecified(host) || port != want || !strings.HasPrefix(h.Locators[i], "tcp/") {
			t.Fatalf("locator %d: %q", i, h.Locators[i])
		}
	}
	if !strings.HasSuffix(h.Locators[1], "?iface=x") {
		t.Fatalf("metadata lost: %q", h.Locators[1])
	}
}

func TestResponderFails(t *testing.T) {
	zid := newZID(t)
	bogus := &net.Interface{Index: 1 << 20, Name: "nosuch0", Flags: net.FlagUp | net.FlagMulticast}
	for _, tc := range []struct {
		name string
		cfg  ResponderConfig
		want error
	}{
		{"zero zid", ResponderConfig{WhatAmI: codec.Router}, ErrConfig},
		{"two roles", ResponderConfig{ZID: zid, WhatAmI: codec.Router | codec.Peer}, ErrConfig},
		{"unicast group", ResponderConfig{ZID: zid, WhatAmI: codec.Router, Group: "127.0.0.1:7446"}, ErrConfig},
		{"no port", ResponderConfig{ZID: zid, WhatAmI: codec.Router, Group: "224.0.0.224"}, ErrConfig},
		{"negative", ResponderConfig{ZID: zid, WhatAmI: codec.Router, MaxSources: -1}, ErrConfig},
		{"no such interface", ResponderConfig{ZID: zid, WhatAmI: codec.Router, Group: "224.0.0.224:7446", Interface: bogus}, ErrJoin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := newSystem(t)
			pid, out := spawnResponder(t, sys, tc.cfg)
			f := next[*ResponderFailed](t, out)
			if !errors.Is(f.Err, tc.want) {
				t.Fatalf("error %v, want %v", f.Err, tc.want)
			}
			if term := next[*actor.Terminated](t, out); !term.Who.Equal(pid) {
				t.Fatalf("terminated %v, want %v", term.Who, pid)
			}
		})
	}
}

func TestResponderStopLeavesNoGoroutine(t *testing.T) {
	mc := multicast(t)
	sys := newSystem(t)
	pid := joined(t, sys, mc, ResponderConfig{ZID: newZID(t), WhatAmI: codec.Router})
	readHello(t, sendRaw(t, mc, scoutBytes(codec.Router, codec.ZenohID{})))
	if len(ourGoroutines(responderLoop)) == 0 {
		t.Fatal("no reader goroutine seen while running: the check below would prove nothing")
	}
	if err := sys.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
	checkNoGoroutines(t, responderLoop)

	// The group port is free for the next node: a new responder joins.
	joined(t, sys, mc, ResponderConfig{ZID: newZID(t), WhatAmI: codec.Router})
}

func TestRouteTo(t *testing.T) {
	a, ok := routeTo(netip.MustParseAddrPort("127.0.0.1:9"))
	if !ok || a != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("routeTo loopback = %v, %v", a, ok)
	}
}
