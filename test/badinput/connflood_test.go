package badinput

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
)

// Defaults of the session manager (actors/session/manager.go) and of the
// session actor (actors/session/session.go), which zenoh.Open keeps.
const (
	maxHandshakes    = 256
	handshakeTimeout = 10 * time.Second
)

// TestConnectionFlood opens 5,000 TCP connections to a router at once and
// leaves them idle, without a byte of handshake. The session manager must
// close those beyond MaxHandshakes at once, with a log line each; the
// rest must be closed by the handshake timeout. Sessions already open
// are served throughout; once the flood is gone a new client connects;
// file descriptors and goroutines return to where they were.
func TestConnectionFlood(t *testing.T) {
	const conns = 5000
	const refusedLine = "too many handshakes in progress" // logged once, then once a second with a count
	const timeoutLine = "handshake timed out"
	logger, logs := newLogger(refusedLine, timeoutLine, "[ACTOR] Recovering")
	r, loc := startRouter(t, logger)
	good := startGoodStream(t, loc, "good/k", 2*time.Millisecond)
	baseFD := openFDs(t)
	baseG := runtime.NumGoroutine()
	addr := strings.TrimPrefix(loc, "tcp/")

	// Dial from a few goroutines: 5,000 at once would only overflow the
	// listen backlog (somaxconn).
	start := time.Now()
	cs := make([]net.Conn, conns)
	var dialErrs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 32 {
		wg.Go(func() {
			d := net.Dialer{Timeout: wait}
			for {
				i := int(next.Add(1)) - 1
				if i >= conns {
					return
				}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					dialErrs.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				cs[i] = c
			}
		})
	}
	wg.Wait()
	dialed := time.Since(start)
	if n := dialErrs.Load(); n > 0 {
		t.Errorf("%d of %d dials failed, first: %v", n, conns, firstErr.Load())
	}
	peakFD := openFDs(t)

	// Those beyond MaxHandshakes are refused at once, logged with their count.
	wantRefused := conns - maxHandshakes - int(dialErrs.Load())
	refused := logs.waitCount(refusedLine, wantRefused, wait)
	refusedIn := time.Since(start)
	if refused < wantRefused {
		t.Errorf("%d connections refused (logged %q) within %v, want at least %d", refused, refusedLine, wait, wantRefused)
	}
	_, firstRefused := logs.count(refusedLine)

	// During the flood the open sessions are served...
	before := good.received()
	if got := good.waitReceived(before+100, wait); got < before+100 {
		t.Errorf("the good stream stalled during the flood: %d samples in %v", got-before, wait)
	}
	// ...but a new session cannot get in while the idle connections hold
	// every handshake slot: record what happens to one.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	late, lateErr := zenoh.Open(ctx, zenoh.Config{Mode: zenoh.ModeClient, Connect: []string{loc}})
	cancel()
	if lateErr == nil {
		_ = late.Close()
	}

	// Every connection ends: read until EOF or reset. The node closes
	// them; a connection still open at the deadline is the test's to
	// close, and a failure.
	deadline := start.Add(handshakeTimeout + wait)
	var byNode, byTest atomic.Int64
	var lastClose atomic.Int64
	var readers sync.WaitGroup
	const perReader = 125
	for lo := 0; lo < conns; lo += perReader {
		readers.Go(func() {
			var b [64]byte
			for _, c := range cs[lo:min(lo+perReader, conns)] {
				if c == nil {
					continue
				}
				_ = c.SetReadDeadline(deadline)
				for {
					_, err := c.Read(b[:])
					if err == nil {
						continue // a Close message, perhaps
					}
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						byTest.Add(1)
					} else {
						byNode.Add(1)
						lastClose.Store(int64(time.Since(start)))
					}
					break
				}
				_ = c.Close()
			}
		})
	}
	readers.Wait()
	if n := byTest.Load(); n > 0 {
		t.Errorf("%d of %d idle connections were still open %v after the flood began (handshake timeout %v)",
			n, conns, deadline.Sub(start), handshakeTimeout)
	}
	timedOut, firstTimeout := logs.count(timeoutLine)
	if timedOut < int(conns-dialErrs.Load())-refused {
		t.Errorf("%d handshake timeouts logged (%q), want %d", timedOut, timeoutLine, int(conns-dialErrs.Load())-refused)
	}

	// A new client gets in, and the router serves it.
	after := openClient(t, loc)
	got := make(chan struct{}, 1)
	if _, err := after.DeclareSubscriber("after/k", zenoh.Callback(func(zenoh.Sample) {
		select {
		case got <- struct{}{}:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}
	waitDelivery(t, r, "after/k", got)
	recv := good.finish(t)

	// Descriptors and goroutines come back (the new client adds some).
	_ = after.Close()
	fd := waitFDs(t, baseFD+2, wait)
	if fd > baseFD+2 {
		ents, _ := os.ReadDir("/proc/self/fd")
		t.Errorf("open file descriptors: %d after the flood, %d before (%d entries)", fd, baseFD, len(ents))
	}
	g := waitGoroutines(baseG+5, wait)
	if g > baseG+5 {
		t.Errorf("goroutines: %d after the flood, %d before", g, baseG)
	}
	if c, first := logs.count("[ACTOR] Recovering"); c > 0 {
		t.Errorf("%d actor panics, first: %s", c, first)
	}
	t.Logf("%d connections dialed in %v; %d refused at once (all logged within %v), first: %s",
		conns, dialed.Round(time.Millisecond), refused, refusedIn.Round(time.Millisecond), firstRefused)
	t.Logf("closed by the node: %d (the last %v after the flood began), by the test: %d; handshake timeouts logged: %d, first: %s",
		byNode.Load(), time.Duration(lastClose.Load()).Round(time.Millisecond), byTest.Load(), timedOut, firstTimeout)
	t.Logf("a client opening during the flood: %v", errOrOK(lateErr))
	t.Logf("file descriptors: %d before, %d at the peak, %d after; goroutines: %d before, %d after; good stream: %d samples in order",
		baseFD, peakFD, fd, baseG, g, recv)
}

func errOrOK(err error) string {
	if err == nil {
		return "connected"
	}
	return err.Error()
}
