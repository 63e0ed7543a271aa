package faultproxy

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestAddrAndEndpoint(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.addr())
	if !strings.HasPrefix(p.Addr(), "127.0.0.1:") || strings.HasSuffix(p.Addr(), ":0") {
		t.Errorf("Addr() = %q, want 127.0.0.1:PORT", p.Addr())
	}
	if want := "tcp/" + p.Addr(); p.Endpoint() != want {
		t.Errorf("Endpoint() = %q, want %q", p.Endpoint(), want)
	}
}

// TestForward sends a large random payload through two connections at once,
// both ways (the echo server sends it back), and checks it is unchanged and
// counted.
func TestForward(t *testing.T) {
	const size = 1 << 20
	e := startEcho(t)
	p := newProxy(t, e.addr())
	payload := randomBytes(size)

	var wg sync.WaitGroup
	for range 2 {
		c := dial(t, p.Addr())
		wg.Go(func() {
			if _, err := tryEcho(c, payload); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	waitFor(t, "Conns() == 2", func() bool { return p.Conns() == 2 })
	waitFor(t, "all bytes counted", func() bool {
		up, down := p.Bytes()
		return up == 2*size && down == 2*size
	})
}

func TestDelay(t *testing.T) {
	const delay = 100 * time.Millisecond
	e := startEcho(t)
	p := newProxy(t, e.addr())
	c := dial(t, p.Addr())
	echo(t, c, []byte("warm up"))

	p.SetDelay(delay)
	if rtt := echo(t, c, []byte("ping")); rtt < 2*delay {
		t.Errorf("round trip took %v with a one-way delay of %v, want at least %v", rtt, delay, 2*delay)
	}
	// Many chunks in flight at once keep their order.
	if rtt := echo(t, c, randomBytes(256<<10)); rtt < 2*delay {
		t.Errorf("256 KiB round trip took %v, want at least %v", rtt, 2*delay)
	}

	// Lowering the delay releases a chunk already waiting.
	p.SetDelay(time.Hour)
	if _, err := c.Write([]byte("held")); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, c, 50*time.Millisecond)
	p.SetDelay(0)
	got := make([]byte, 4)
	_ = c.SetReadDeadline(time.Now().Add(testWait))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "held" {
		t.Fatalf("after SetDelay(0) read %q, %v; want \"held\"", got, err)
	}
}

func TestBandwidth(t *testing.T) {
	const (
		rate = 256 << 10
		size = 128 << 10
	)
	e := startEcho(t)
	p := newProxy(t, e.addr())
	c := dial(t, p.Addr())
	echo(t, c, []byte("warm up"))

	p.SetBandwidth(rate)
	// Each direction may send one bucket (20 ms at the rate) at once; the
	// rest takes (size - bucket) / rate, about 480 ms. Allow some slack.
	const least = 400 * time.Millisecond
	if took := echo(t, c, randomBytes(size)); took < least {
		t.Errorf("echo of %d bytes at %d B/s took %v, want at least %v", size, rate, took, least)
	}

	p.SetBandwidth(0)
	echo(t, c, randomBytes(size))
}

// TestStall checks that a stall forwards nothing, in either direction, and
// that everything sent meanwhile arrives once it is lifted.
func TestStall(t *testing.T) {
	const size = 256 << 10
	e := startEcho(t)
	p := newProxy(t, e.addr())
	c := dial(t, p.Addr())
	echo(t, c, []byte("warm up"))
	// A writer counts its bytes after writing them: the echo may come back
	// first.
	waitFor(t, "the warm up to be counted", func() bool {
		up, down := p.Bytes()
		return up == 7 && down == 7
	})

	p.Stall(true)
	payload := randomBytes(size)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		werr <- err
	}()
	expectNothing(t, c, 100*time.Millisecond)
	if up, down := p.Bytes(); up != 7 || down != 7 {
		t.Fatalf("during stall Bytes() = %d, %d; want 7, 7", up, down)
	}
	if p.Conns() != 1 {
		t.Fatalf("during stall Conns() = %d, want 1", p.Conns())
	}

	p.Stall(false)
	got := make([]byte, size)
	_ = c.SetReadDeadline(time.Now().Add(testWait))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read after stall: %v", err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatal("payload changed across the stall")
	}
}

func TestCut(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.addr())
	a, b := dial(t, p.Addr()), dial(t, p.Addr())
	echo(t, a, []byte("a"))
	echo(t, b, []byte("b"))
	waitFor(t, "2 connections", func() bool { return p.Conns() == 2 && e.open.Load() == 2 })

	p.Cut()
	expectClosed(t, a)
	expectClosed(t, b)
	waitFor(t, "the target's side to close", func() bool { return e.open.Load() == 0 })
	waitFor(t, "Conns() == 0", func() bool { return p.Conns() == 0 })

	c := dial(t, p.Addr())
	echo(t, c, randomBytes(64<<10))
	waitFor(t, "Conns() == 1", func() bool { return p.Conns() == 1 })
}

func TestPartition(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.addr())
	a := dial(t, p.Addr())
	echo(t, a, []byte("a"))

	p.Partition(true)
	expectClosed(t, a)
	waitFor(t, "the target's side to close", func() bool { return e.open.Load() == 0 })
	// The connection is accepted, then reset before reaching the target.
	expectRefused(t, p.Addr())
	if n := p.Conns(); n != 0 {
		t.Fatalf("Conns() = %d during partition, want 0", n)
	}
	if n := e.open.Load(); n != 0 {
		t.Fatalf("target has %d connections during partition, want 0", n)
	}

	p.Partition(false)
	c := dial(t, p.Addr())
	echo(t, c, []byte("healed"))
}

// TestHalfClose checks that when one side closes, what it sent before is
// still delivered (after the delay) and then the other side is closed.
func TestHalfClose(t *testing.T) {
	for _, closer := range []string{"client", "server"} {
		t.Run(closer, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			p := newProxy(t, ln.Addr().String())
			p.SetDelay(20 * time.Millisecond)
			client := dial(t, p.Addr())
			_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(testWait))
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()

			from, to := client, server
			if closer == "server" {
				from, to = server, client
			}
			if _, err := from.Write([]byte("last words")); err != nil {
				t.Fatal(err)
			}
			if err := from.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			_ = to.SetReadDeadline(time.Now().Add(testWait))
			got, err := io.ReadAll(to)
			if err != nil || string(got) != "last words" {
				t.Fatalf("other side read %q, %v; want \"last words\" then EOF", got, err)
			}
			expectClosed(t, from)
			waitFor(t, "Conns() == 0", func() bool { return p.Conns() == 0 })
		})
	}
}

func TestDialFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Start the proxy while ln holds the port, so that the proxy cannot get
	// it and dial itself, then close ln: nothing listens on the target.
	p := newProxy(t, ln.Addr().String())
	ln.Close()
	expectRefused(t, p.Addr())
	if n := p.Conns(); n != 0 {
		t.Fatalf("Conns() = %d, want 0", n)
	}
}

// TestConcurrentControl changes every setting while data flows, for the
// race detector; the payload must still arrive unchanged.
func TestConcurrentControl(t *testing.T) {
	e := startEcho(t)
	p := newProxy(t, e.addr())
	c := dial(t, p.Addr())

	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				p.Stall(false)
				return
			case <-tick.C:
			}
			p.SetDelay(time.Duration(i%3) * time.Millisecond)
			p.SetBandwidth([]int{0, 8 << 20}[i%2])
			p.Stall(i%4 == 1)
			_ = p.Conns()
			_, _ = p.Bytes()
		}
	})
	echo(t, c, randomBytes(1<<20))
	close(done)
	wg.Wait()
}

// TestClose closes a proxy with data held by a stall and by a delay, and
// checks that every goroutine ends and the clients see the close.
func TestClose(t *testing.T) {
	e := startEcho(t)
	before := goleak.IgnoreCurrent()

	p, err := New(e.addr())
	if err != nil {
		t.Fatal(err)
	}
	a := dial(t, p.Addr())
	b := dial(t, p.Addr())
	echo(t, a, []byte("a"))
	echo(t, b, []byte("b"))
	p.SetBandwidth(1)
	p.SetDelay(time.Hour)
	if _, err := a.Write(randomBytes(64 << 10)); err != nil {
		t.Fatal(err)
	}
	p.Stall(true)
	if _, err := b.Write([]byte("stalled")); err != nil {
		t.Fatal(err)
	}

	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close has waited: no proxy goroutine is left, not even one ending.
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	for _, fn := range []string{"faultproxy.(*Proxy)", "faultproxy.(*pipe)", "faultproxy.(*writer)"} {
		if bytes.Contains(stacks, []byte(fn)) {
			t.Fatalf("a goroutine in %s is still running after Close:\n%s", fn, stacks)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := p.Conns(); n != 0 {
		t.Errorf("Conns() = %d after Close, want 0", n)
	}
	expectClosed(t, a)
	expectClosed(t, b)
	expectRefused(t, p.Addr())
	waitFor(t, "the target's side to close", func() bool { return e.open.Load() == 0 })
	goleak.VerifyNone(t, before)
}
