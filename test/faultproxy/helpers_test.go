package faultproxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testWait bounds every wait for an event in these tests.
const testWait = 5 * time.Second

// echoServer echoes every byte it receives on each connection, and closes a
// connection when its peer closes or fails.
type echoServer struct {
	ln    net.Listener
	open  atomic.Int64 // connections being served
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// startEcho starts an echo server on loopback; it stops with the test.
func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{ln: ln, conns: make(map[net.Conn]struct{})}
	e.wg.Go(e.acceptLoop)
	t.Cleanup(e.close)
	return e
}

func (e *echoServer) addr() string { return e.ln.Addr().String() }

func (e *echoServer) acceptLoop() {
	for {
		c, err := e.ln.Accept()
		if err != nil {
			return
		}
		e.mu.Lock()
		e.conns[c] = struct{}{}
		e.mu.Unlock()
		e.open.Add(1)
		e.wg.Go(func() {
			defer e.open.Add(-1)
			_, _ = io.Copy(c, c)
			_ = c.Close()
			e.mu.Lock()
			delete(e.conns, c)
			e.mu.Unlock()
		})
	}
}

// close stops the server, closes its connections and waits for its
// goroutines.
func (e *echoServer) close() {
	_ = e.ln.Close()
	e.mu.Lock()
	for c := range e.conns {
		_ = c.Close()
	}
	e.mu.Unlock()
	e.wg.Wait()
}

// newProxy starts a proxy to target; it closes with the test.
func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := New(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// dial connects to addr; the connection closes with the test.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// waitFor polls cond until it holds, failing the test after testWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(testWait)
	defer deadline.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// randomBytes returns n pseudo-random bytes from a fixed seed.
func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// echo writes payload to c from another goroutine while reading the echo
// back, fails the test unless it comes back unchanged, and returns how long
// the whole exchange took.
func echo(t *testing.T, c net.Conn, payload []byte) time.Duration {
	t.Helper()
	took, err := tryEcho(c, payload)
	if err != nil {
		t.Fatal(err)
	}
	return took
}

// tryEcho is echo for goroutines other than the test's: it returns the
// failure instead.
func tryEcho(c net.Conn, payload []byte) (time.Duration, error) {
	start := time.Now()
	_ = c.SetDeadline(start.Add(testWait))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		werr <- err
	}()
	got := make([]byte, len(payload))
	_, rerr := io.ReadFull(c, got)
	took := time.Since(start)
	if err := <-werr; err != nil {
		return took, fmt.Errorf("write: %w", err)
	}
	if rerr != nil {
		return took, fmt.Errorf("read: %w", rerr)
	}
	if !bytes.Equal(got, payload) {
		return took, fmt.Errorf("echo of %d bytes came back changed", len(payload))
	}
	return took, nil
}

// expectClosed checks that c is closed (EOF or reset) within testWait,
// allowing any bytes still in flight before the close.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testWait))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v", testWait)
	}
}

// expectNothing checks that nothing arrives on c for d: the read times out.
func expectNothing(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(d))
	var one [1]byte
	n, err := c.Read(one[:])
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read %d bytes, %v; want nothing for %v", n, err, d)
	}
}

// expectRefused checks that a connection to addr fails: the dial fails, or
// it succeeds and the connection is then closed or reset. The proxy resets
// connections it accepts only to refuse them; the reset may arrive before
// the dial returns.
func expectRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testWait)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("dial %s: %v", addr, err)
		}
		return
	}
	defer c.Close()
	expectClosed(t, c)
}
