package link

import (
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/internal/actortest"
)

// wait is how long a test waits for an event before failing.
const wait = 10 * time.Second

func newSystem(t testing.TB) *actor.ActorSystem { return actortest.NewSystem(t) }

// received is what the test owner forwards for one Inbound: the batches,
// copied, in order.
type received struct {
	batches [][]byte
}

// spawned is the test owner's report of its child's PID.
type spawned struct{ pid *actor.PID }

// owner is the parent a test spawns links and listeners under. It
// forwards what it gets to out: for an Inbound, a *received (then it
// releases it) or, with keep, the *Inbound itself; func(actor.Context)
// messages run inside it.
type owner struct {
	out   chan any
	child *actor.Props
	keep  bool
}

func (o *owner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if o.child != nil {
			o.out <- &spawned{pid: ctx.Spawn(o.child)}
		}
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	case *Inbound:
		if o.keep {
			o.out <- m
			return
		}
		r := &received{}
		_ = m.Batches(func(b []byte) error {
			r.batches = append(r.batches, append([]byte(nil), b...))
			return nil
		})
		m.Release()
		o.out <- r
	case func(actor.Context):
		m(ctx)
	default:
		o.out <- m
	}
}

// spawnOwner starts an owner of child and returns the owner, the child
// and the owner's channel. The owner is stopped when the test ends.
func spawnOwner(t testing.TB, sys *actor.ActorSystem, child *actor.Props, keep bool) (*actor.PID, *actor.PID, chan any) {
	t.Helper()
	out := make(chan any, 4096)
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &owner{out: out, child: child, keep: keep}
	}))
	t.Cleanup(func() { _ = sys.Root.StopFuture(pid).Wait() })
	s := next[*spawned](t, out)
	return pid, s.pid, out
}

// next waits for the next message of type T on ch, putting others back.
func next[T any](t testing.TB, ch chan any) T {
	t.Helper()
	return actortest.Next[T](t, ch, wait)
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { c.Close(); r.c.Close() })
	return r.c.(*net.TCPConn), c.(*net.TCPConn)
}

// frame returns b with its stream length prefix.
func frame(b []byte) []byte {
	return append([]byte{byte(len(b)), byte(len(b) >> 8)}, b...)
}

// ourGoroutines lists the goroutines running this package's loops.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, fn := range []string{"(*reader).run", "(*listenerActor).acceptLoop", "(*udpDemux).readLoop"} {
			if strings.Contains(g, "actors/link."+fn) {
				out = append(out, g)
			}
		}
	}
	return out
}

// checkNoGoroutines fails unless this package's goroutines are all gone
// within the deadline. Call it after stopping the actors.
func checkNoGoroutines(t testing.TB) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		left := ourGoroutines()
		if len(left) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

// stop stops pid and waits until it has stopped.
func stop(t testing.TB, sys *actor.ActorSystem, pid *actor.PID) {
	t.Helper()
	if err := sys.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}

// failedAndTerminated waits for both *Failed and *actor.Terminated from
// link, in either order (Terminated, a system message, may overtake
// Failed), and returns the Failed.
func failedAndTerminated(t testing.TB, out chan any, link *actor.PID) *Failed {
	t.Helper()
	var f *Failed
	terminated := false
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for f == nil || !terminated {
		select {
		case m := <-out:
			switch m := m.(type) {
			case *Failed:
				if f != nil {
					t.Fatalf("second Failed: %v", m.Err)
				}
				if !m.Link.Equal(link) {
					t.Fatalf("Failed from %v, want %v", m.Link, link)
				}
				f = m
			case *actor.Terminated:
				if !m.Who.Equal(link) {
					t.Fatalf("Terminated %v, want %v", m.Who, link)
				}
				terminated = true
			}
		case <-deadline.C:
			t.Fatalf("within %v: Failed %v, Terminated %v", wait, f != nil, terminated)
		}
	}
	return f
}
