package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/codec"
)

// waitMesh waits until each router has want sessions.
func waitMesh(t *testing.T, want []int, rs ...*actors.Node) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for i, r := range rs {
		for {
			s, err := r.Sessions()
			if err == nil && len(s) == want[i] {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("router %d: %d sessions, want %d", i, len(s), want[i])
			}
			<-time.After(10 * time.Millisecond) // no session-count event to wait on
		}
	}
}

// TestMeshPicoClients: a line of three of our routers, pico clients at
// both ends: z_pub at one end reaches z_sub at the other exactly once and
// in order; z_get at one end reaches z_queryable at the other and ends
// by itself; a token at one end is seen by z_get_liveliness at the other.
func TestMeshPicoClients(t *testing.T) {
	dir := picoDir(t)
	a, b, c := freePort(t), freePort(t), freePort(t)
	_, ra := goPeerNode(t, codec.Router, "tcp/"+a)
	_, rb := goPeerNode(t, codec.Router, "tcp/"+b, "tcp/"+a)
	_, rc := goPeerNode(t, codec.Router, "tcp/"+c, "tcp/"+b)
	waitMesh(t, []int{1, 2, 1}, ra, rb, rc)

	sub := start(t, dir, "z_sub", "-m", "client", "-e", "tcp/"+a)
	sub.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	q := start(t, dir, "z_queryable", "-m", "client", "-e", "tcp/"+a)
	q.waitLines(t, "Press CTRL-C", 1, 10*time.Second)
	tok := start(t, dir, "z_liveliness", "-m", "client", "-e", "tcp/"+a)
	tok.waitLines(t, "Press CTRL-C", 1, 10*time.Second)

	const n = 10
	start(t, dir, "z_pub", "-m", "client", "-e", "tcp/"+c, "-n", fmt.Sprint(n))
	lines := sub.waitLines(t, "Received", n, 30*time.Second)
	for k, l := range lines {
		if !strings.Contains(l, fmt.Sprintf("[%4d]", k)) {
			t.Fatalf("sample %d out of order or duplicated: %q", k, l)
		}
	}

	get := start(t, dir, "z_get", "-m", "client", "-e", "tcp/"+c, "-k", "demo/example/**")
	get.waitLines(t, ">> Received", 1, 20*time.Second)
	select {
	case <-get.done:
	case <-time.After(20 * time.Second):
		t.Fatal("z_get did not end by itself")
	}
	lg := start(t, dir, "z_get_liveliness", "-m", "client", "-e", "tcp/"+c)
	lg.waitLines(t, ">> Alive token ('group1/zenoh-pico')", 1, 20*time.Second)
}
