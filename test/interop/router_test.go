package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// goRouter starts our router (router actor behind a session manager)
// listening on addr.
func goRouter(t *testing.T, addr string) {
	t.Helper()
	goRouterPIDs(t, addr, nil)
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

// TestRouterPicoGetQueryable: pico z_get → our router → pico z_queryable;
// the reply arrives and z_get ends by itself.
func TestRouterPicoGetQueryable(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	goRouter(t, addr)
	q := start(t, dir, "z_queryable", "-m", "client", "-e", "tcp/"+addr)
	q.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	get := start(t, dir, "z_get", "-m", "client", "-e", "tcp/"+addr, "-k", "demo/example/**")
	get.waitLines(t, ">> Received", 1, 20*time.Second)
	select {
	case <-get.done:
	case <-time.After(20 * time.Second):
		t.Fatal("z_get did not end by itself")
	}
}

// TestRouterPicoLiveliness: a pico token seen through our router by a
// z_sub_liveliness started before it (pico's default liveliness
// subscriber has no history: a Future interest), and by z_get_liveliness
// (a Current interest).
func TestRouterPicoLiveliness(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	goRouter(t, addr)
	sub := start(t, dir, "z_sub_liveliness", "-m", "client", "-e", "tcp/"+addr)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	tok := start(t, dir, "z_liveliness", "-m", "client", "-e", "tcp/"+addr)
	tok.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	sub.waitLines(t, "New alive token", 1, 20*time.Second)
	get := start(t, dir, "z_get_liveliness", "-m", "client", "-e", "tcp/"+addr)
	get.waitLines(t, ">> Alive token ('group1/zenoh-pico')", 1, 20*time.Second)
}

// TestRouterPicoPut: z_put seen by z_sub. (pico 1.9.0 ships no z_delete
// example; deletes are covered by the Go tests.)
func TestRouterPicoPut(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	goRouter(t, addr)
	sub := start(t, dir, "z_sub", "-m", "client", "-e", "tcp/"+addr)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	start(t, dir, "z_put", "-m", "client", "-e", "tcp/"+addr)
	sub.waitLines(t, "Received ('demo/example/zenoh-pico-put'", 1, 20*time.Second)
}
