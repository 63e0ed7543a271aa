package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// goRouter starts our router (router actor behind a session manager)
// listening on addr.
func goRouter(t *testing.T, addr string) {
	t.Helper()
	sys := actortest.NewSystem(t)
	logger := actortest.Logger()
	zid := actortest.NewZID(t)
	rcfg := router.ActorConfig{Tables: router.DefaultConfig(), Logger: logger}
	rcfg.Tables.ZID = zid
	rprops, err := router.Props(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	rpid := sys.Root.Spawn(rprops)
	ep, err := link.ParseEndpoint("tcp/" + addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: rpid, Logger: logger,
		Listen: []link.Endpoint{ep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = zid, codec.Router
	props, err := session.ManagerProps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	sys.Root.Spawn(props)
	waitListening(t, addr)
}

// TestRouterPicoPubToThreeSubs: pico z_pub → our router → 3 pico z_sub
// clients; every message arrives, in order, at each subscriber.
func TestRouterPicoPubToThreeSubs(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	goRouter(t, addr)
	var subs []*proc
	for i := 0; i < 3; i++ {
		s := start(t, dir, "z_sub", "-m", "client", "-e", "tcp/"+addr)
		s.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
		subs = append(subs, s)
	}
	const n = 10
	start(t, dir, "z_pub", "-m", "client", "-e", "tcp/"+addr, "-n", fmt.Sprint(n))
	for i, s := range subs {
		lines := s.waitLines(t, "Received", n, 30*time.Second)
		for k, l := range lines {
			if !strings.Contains(l, fmt.Sprintf("[%4d]", k)) {
				t.Fatalf("subscriber %d: sample %d out of order: %q", i, k, l)
			}
		}
	}
}
