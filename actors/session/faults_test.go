package session

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// rawPeer speaks the handshake by hand over TCP, to misbehave on purpose.
type rawPeer struct {
	t    testing.TB
	conn net.Conn
	fr   *codec.StreamFramer
	zid  codec.ZenohID
	q    [][]byte // batches read but not yet returned
}

func dialRaw(t testing.TB, addr string) *rawPeer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c, fr: codec.NewStreamFramer(65535), zid: newZID(t)}
}

func (p *rawPeer) send(enc func([]byte) []byte) {
	p.t.Helper()
	b := enc([]byte{0, 0})
	n := len(b) - 2
	b[0], b[1] = byte(n), byte(n>>8)
	if _, err := p.conn.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next batch's first transport message.
func (p *rawPeer) recv(timeout time.Duration) (codec.TransportMessage, error) {
	var m codec.TransportMessage
	buf := make([]byte, 65536)
	_ = p.conn.SetReadDeadline(time.Now().Add(timeout))
	for len(p.q) == 0 {
		n, err := p.conn.Read(buf)
		if n > 0 {
			if ferr := p.fr.Feed(buf[:n], func(b []byte) error {
				p.q = append(p.q, bytes.Clone(b))
				return nil
			}); ferr != nil {
				return m, ferr
			}
		}
		if err != nil && len(p.q) == 0 {
			return m, err
		}
	}
	b := p.q[0]
	p.q = p.q[1:]
	_, err := codec.DecodeTransport(b, &m)
	return m, err
}

// handshake opens a session as a client announcing lease.
func (p *rawPeer) handshake(lease time.Duration) {
	p.t.Helper()
	p.send(func(b []byte) []byte {
		return codec.AppendInit(b, &codec.Init{Version: codec.ProtoVersion, WhatAmI: codec.Client, ZID: p.zid,
			Resolution: codec.DefaultResolution, BatchSize: 65535, Patch: 1})
	})
	m, err := p.recv(5 * time.Second)
	if err != nil || m.ID != codec.MidInit || !m.Init.Ack {
		p.t.Fatalf("InitAck: %v %+v", err, m)
	}
	cookie := bytes.Clone(m.Init.Cookie)
	p.send(func(b []byte) []byte {
		return codec.AppendOpen(b, &codec.Open{Lease: lease, Cookie: cookie})
	})
	m, err = p.recv(5 * time.Second)
	if err != nil || m.ID != codec.MidOpen || !m.Open.Ack {
		p.t.Fatalf("OpenAck: %v %+v", err, m)
	}
}

// expectClosed waits until the node closes the connection, returning the
// Close it sent first, if any.
func (p *rawPeer) expectClosed(timeout time.Duration) *codec.Close {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	var last *codec.Close
	for time.Now().Before(deadline) {
		m, err := p.recv(time.Until(deadline))
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
				return last
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			return last // framing or decode errors after a Close: the link is gone
		}
		if m.ID == codec.MidClose {
			c := m.Close
			last = &c
		}
	}
	p.t.Fatalf("connection still open after %v", timeout)
	return nil
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// TestSilentPeerExpires: a peer that completes the handshake with a 1 s
// lease and then says nothing is dropped within lease + 1 s, with Close
// EXPIRED, and the session reports ErrLeaseExpired.
func TestSilentPeerExpires(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	p := dialRaw(t, a.listening(t, sys, 1)[0].Addr)
	p.handshake(time.Second)
	opened := time.Now()
	wait(t, a.events, 2*time.Second, func(*Opened) bool { return true })
	c := wait(t, a.events, 3*time.Second, func(*Closed) bool { return true })
	if !errors.Is(c.Reason, ErrLeaseExpired) {
		t.Fatalf("reason %v", c.Reason)
	}
	if d := time.Since(opened); d > 2*time.Second {
		t.Fatalf("expired after %v, want within lease + 1 s", d)
	}
	if cl := p.expectClosed(2 * time.Second); cl == nil || cl.Reason != codec.CloseExpired {
		t.Fatalf("Close sent: %+v", cl)
	}
}

// TestKeepAliveSent: a node that has nothing to send keeps a silent
// peer's lease with KeepAlives, a quarter of the shorter lease apart
// (spec 6.5).
func TestKeepAliveSent(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	p := dialRaw(t, a.listening(t, sys, 1)[0].Addr)
	p.handshake(4 * time.Second) // KeepAlives every second; expiry after 4 s
	wait(t, a.events, 2*time.Second, func(*Opened) bool { return true })
	for i := range 2 {
		m, err := p.recv(2 * time.Second)
		if err != nil || m.ID != codec.MidKeepAlive {
			t.Fatalf("batch %d: %v, id %#x; want a KeepAlive", i, err, m.ID)
		}
	}
}

// TestKillLinkReconnects: killing the link actor mid-traffic ends the
// session on both sides (Closed fires) and the dialer opens a new one.
func TestKillLinkReconnects(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	b := startNode(t, sys, codec.Client, nil, []string{a.listening(t, sys, 1)[0].String()}, nil)
	wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })

	// Traffic while the link dies: a message a millisecond, until the
	// test ends (the goroutine is waited for). Errors are expected once
	// the link is gone; cancel ends a wait for room then.
	stop, stopped := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-stopped }()
	go func() {
		defer close(stopped)
		msg := pushMsg("demo/x", []byte("12345678"))
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = ob.Outbox.Push(&msg, true, ob.Cancel)
		}
	}()
	rep, err := sys.Root.RequestFuture(ob.Session, &GetStats{}, time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	sys.Root.Stop(rep.(*Report).Link)
	cb := wait(t, b.events, 5*time.Second, func(c *Closed) bool { return c.Session.Equal(ob.Session) })
	if !errors.Is(cb.Reason, ErrLinkFailed) {
		t.Fatalf("closed with %v", cb.Reason)
	}
	wait(t, a.events, 5*time.Second, func(*Closed) bool { return true })
	o2 := wait(t, b.events, 10*time.Second, func(*Opened) bool { return true })
	if o2.Session.Equal(ob.Session) || o2.ZID != a.zid {
		t.Fatal("no new session after the link died")
	}
}

// TestGarbageNeverHurtsOthers throws bad input at a node while an
// established session keeps exchanging data.
func TestGarbageNeverHurtsOthers(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, func(c *ManagerConfig) {
		c.Actor.HandshakeTimeout = 500 * time.Millisecond
	})
	addr := a.listening(t, sys, 1)[0].Addr
	b := startNode(t, sys, codec.Client, nil, []string{"tcp/" + addr}, nil)
	wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })

	// healthy sends one message and waits for it on the router side.
	n := 0
	healthy := func() {
		t.Helper()
		n++
		want := []byte{byte(n), byte(n >> 8)}
		m := pushMsg("demo/ok", want)
		if err := ob.Outbox.Push(&m, true, nil); err != nil {
			t.Fatal(err)
		}
		wait(t, a.events, 5*time.Second, payloadIs(want))
	}
	healthy()

	t.Run("random bytes", func(t *testing.T) {
		p := dialRaw(t, addr)
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		_, _ = p.conn.Write(junk)
		p.expectClosed(5 * time.Second)
		healthy()
	})
	t.Run("wrong version", func(t *testing.T) {
		p := dialRaw(t, addr)
		p.send(func(b []byte) []byte {
			return codec.AppendInit(b, &codec.Init{Version: 0x08, WhatAmI: codec.Client, ZID: p.zid,
				Resolution: codec.DefaultResolution, BatchSize: 65535})
		})
		if c := p.expectClosed(5 * time.Second); c == nil || c.Reason != codec.CloseInvalid {
			t.Fatalf("Close %+v, want INVALID", c)
		}
		healthy()
	})
	t.Run("65535-byte junk batch", func(t *testing.T) {
		p := dialRaw(t, addr)
		junk := make([]byte, 2+65535)
		_, _ = rand.Read(junk)
		junk[0], junk[1] = 0xff, 0xff
		_, _ = p.conn.Write(junk)
		p.expectClosed(5 * time.Second)
		healthy()
	})
	t.Run("InitSyn then silence", func(t *testing.T) {
		p := dialRaw(t, addr)
		p.send(func(b []byte) []byte {
			return codec.AppendInit(b, &codec.Init{Version: codec.ProtoVersion, WhatAmI: codec.Client, ZID: p.zid,
				Resolution: codec.DefaultResolution, BatchSize: 65535})
		})
		if m, err := p.recv(2 * time.Second); err != nil || m.ID != codec.MidInit {
			t.Fatalf("InitAck: %v", err)
		}
		p.expectClosed(3 * time.Second)
		healthy()
	})
	t.Run("forged cookie", func(t *testing.T) {
		p := dialRaw(t, addr)
		p.send(func(b []byte) []byte {
			return codec.AppendInit(b, &codec.Init{Version: codec.ProtoVersion, WhatAmI: codec.Client, ZID: p.zid,
				Resolution: codec.DefaultResolution, BatchSize: 65535})
		})
		m, err := p.recv(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		forged := bytes.Clone(m.Init.Cookie)
		forged[len(forged)-1] ^= 1
		p.send(func(b []byte) []byte {
			return codec.AppendOpen(b, &codec.Open{Lease: 10 * time.Second, Cookie: forged})
		})
		if c := p.expectClosed(3 * time.Second); c == nil || c.Reason != codec.CloseInvalid {
			t.Fatalf("Close %+v, want INVALID", c)
		}
		healthy()
	})
	t.Run("1000 half-open connections", func(t *testing.T) {
		conns := make([]net.Conn, 0, 1000)
		for i := 0; i < 1000; i++ {
			c, err := net.DialTimeout("tcp", addr, 20*time.Second)
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		healthy()
		// Every one of them is closed by the node: beyond the handshake
		// limit at once, the others at the handshake timeout.
		buf := make([]byte, 64)
		deadline := time.Now().Add(30 * time.Second) // generous: 2 cores, -race, parallel packages
		for i, c := range conns {
			_ = c.SetReadDeadline(deadline)
			for {
				_, err := c.Read(buf)
				if err == nil {
					continue // a Close before the end is fine
				}
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("connection %d still open", i)
				}
				break
			}
			c.Close()
		}
		healthy()
	})
}

// TestOversizedMessageDroppedSessionLives: a fragmented message above the
// receiver's reassembly cap is dropped and counted; the session goes on.
func TestOversizedMessageDroppedSessionLives(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, func(c *ManagerConfig) {
		c.Actor.RX = RXConfig{MaxMessage: 1 << 20, MaxBuffered: 4 << 20}
	})
	b := startNode(t, sys, codec.Client, nil, []string{a.listening(t, sys, 1)[0].String()}, nil)
	oa := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })
	big := pushMsg("demo/big", make([]byte, 2<<20))
	small := pushMsg("demo/small", []byte("after"))
	for _, m := range []*codec.NetworkMessage{&big, &small} {
		if err := ob.Outbox.Push(m, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The walker publishes its counters at the end of each read. A
	// message pushed once "after" is in the handler comes in a later
	// read: when it is handled, the read that dropped the big one ended.
	marker := pushMsg("demo/sync", []byte("sync"))
	for _, want := range []string{"after", "sync"} {
		r := wait(t, a.events, 5*time.Second, func(r *msgCopy) bool {
			if len(r.m.Push.Body.Payload) > 1<<20 {
				t.Fatal("a message above the cap was delivered")
			}
			return string(r.m.Push.Body.Payload) == want
		})
		if r.zid != b.zid {
			t.Fatalf("%q from %v", want, r.zid)
		}
		if want == "after" {
			if err := ob.Outbox.Push(&marker, true, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := sys.Root.RequestFuture(oa.Session, &GetStats{}, time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if st := res.(*Report).RX; st.Oversized != 1 {
		t.Fatalf("Oversized = %d, want 1 (%+v)", st.Oversized, st)
	}
}
