package session

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

var roles = []codec.WhatAmI{codec.Router, codec.Peer, codec.Client}

// TestEstablishEveryRolePairing opens a session between two nodes for
// every pair of roles, as opener and acceptor, over TCP and UDP.
func TestEstablishEveryRolePairing(t *testing.T) {
	for _, proto := range []string{"tcp", "udp"} {
		for _, opener := range roles {
			for _, acceptor := range roles {
				t.Run(fmt.Sprintf("%s/%v-opens-%v", proto, opener, acceptor), func(t *testing.T) {
					sys := newSystem(t)
					a := startNode(t, sys, acceptor, []string{proto + "/127.0.0.1:0"}, nil, nil)
					eps := a.listening(t, sys, 1)
					b := startNode(t, sys, opener, nil, []string{eps[0].String()}, nil)
					oa := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
					ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })
					if oa.ZID != b.zid || oa.WhatAmI != opener {
						t.Fatalf("acceptor saw %v/%v, want %v/%v", oa.ZID, oa.WhatAmI, b.zid, opener)
					}
					if ob.ZID != a.zid || ob.WhatAmI != acceptor {
						t.Fatalf("opener saw %v/%v, want %v/%v", ob.ZID, ob.WhatAmI, a.zid, acceptor)
					}
					if !oa.Established.QoS || !ob.Established.QoS {
						t.Fatal("QoS not negotiated between two gozenoh nodes")
					}
					if oa.Link.Stream != (proto == "tcp") {
						t.Fatalf("stream = %v on %s", oa.Link.Stream, proto)
					}
				})
			}
		}
	}
}

// pushMsg is a Push(Put) on key k with payload p.
func pushMsg(k string, p []byte) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte(k), Mapping: true}, QoS: codec.DefaultQoS | codec.QoSBlock,
		Body: codec.Data{Kind: codec.MidPut, Payload: p}}}
}

// TestDataBothWaysAndFragments sends small messages and 1 MiB and 16 MiB
// ones each way through the sessions' outboxes: everything reaches the
// peer's handler once, intact and in order (a fragmented message closes
// the open batch of its priority, so nothing overtakes it).
func TestDataBothWaysAndFragments(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	b := startNode(t, sys, codec.Client, nil, []string{a.listening(t, sys, 1)[0].String()}, nil)
	oa := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })

	big1 := bytes.Repeat([]byte("0123456789abcdef"), 1<<16)  // 1 MiB
	big16 := bytes.Repeat([]byte("fedcba9876543210"), 1<<20) // 16 MiB
	for _, dir := range []struct {
		name     string
		from     *Opened // the sender's session
		sender   *node
		to       *node
		payloads [][]byte
	}{
		{"client to router", ob, b, a, [][]byte{[]byte("a"), big1, []byte("b"), big16, []byte("c")}},
		{"router to client", oa, a, b, [][]byte{[]byte("x"), big1, []byte("y")}},
	} {
		t.Run(dir.name, func(t *testing.T) {
			for i, p := range dir.payloads {
				m := pushMsg(fmt.Sprintf("demo/%d", i), p)
				if err := dir.from.Outbox.Push(&m, true, nil); err != nil {
					t.Fatalf("push %d: %v", i, err)
				}
			}
			for i, want := range dir.payloads {
				r := wait(t, dir.to.events, 20*time.Second, func(*msgCopy) bool { return true })
				if got := r.m.Push.Body.Payload; !bytes.Equal(got, want) {
					t.Fatalf("message %d: %d bytes, want %d (%q...)", i, len(got), len(want), got[:min(len(got), 8)])
				}
				if key := fmt.Sprintf("demo/%d", i); string(r.m.Push.WireExpr.Suffix) != key || !r.reliable || r.zid != dir.sender.zid {
					t.Fatalf("message %d on %q reliable=%v from %v", i, r.m.Push.WireExpr.Suffix, r.reliable, r.zid)
				}
			}
		})
	}
}

// TestLocalCloseSurfacesAtPeer: closing a session flushes what is queued,
// then surfaces on both sides (the peer sees our Close's reason, we
// report a local close), and the dialer opens a new session.
func TestLocalCloseSurfacesAtPeer(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	ep := a.listening(t, sys, 1)[0].String()
	b := startNode(t, sys, codec.Peer, nil, []string{ep}, nil)
	wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	ob := wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })
	// A local close goes out after what is queued: everything pushed
	// before it reaches the peer, then the Close.
	const queued = 500
	for i := range queued {
		m := pushMsg("demo/before/close", fmt.Appendf(make([]byte, 0, 1024), "%04d%01020d", i, 0))
		if err := ob.Outbox.Push(&m, true, nil); err != nil {
			t.Fatal(err)
		}
	}
	sys.Root.Send(ob.Session, &CloseSession{Reason: codec.CloseGeneric})
	var ca *Closed
	for n := 0; ca == nil; {
		switch m := wait[any](t, a.events, 5*time.Second, nil).(type) {
		case *msgCopy:
			if want := fmt.Sprintf("%04d", n); string(m.m.Push.Body.Payload[:4]) != want {
				t.Fatalf("message %q, want %s", m.m.Push.Body.Payload[:4], want)
			}
			n++
		case *Closed:
			if n != queued {
				t.Fatalf("Closed after %d of the %d messages queued before the close", n, queued)
			}
			ca = m
		}
	}
	var pc *PeerClosedError
	if !errors.As(ca.Reason, &pc) || pc.Reason != codec.CloseGeneric {
		t.Fatalf("acceptor's Closed reason = %v", ca.Reason)
	}
	cb := wait(t, b.events, 5*time.Second, func(*Closed) bool { return true })
	if cb.Reason != nil {
		t.Fatalf("local close reported %v", cb.Reason)
	}
	// The dialer reconnects: a new session with the same peer opens.
	o2 := wait(t, a.events, 10*time.Second, func(*Opened) bool { return true })
	if o2.ZID != b.zid {
		t.Fatalf("reconnected session from %v", o2.ZID)
	}
}

// TestShutdownSendsClose: a node shutting down tells each peer with
// Close(GENERIC), and its dialers do not reconnect.
func TestShutdownSendsClose(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	b := startNode(t, sys, codec.Client, nil, []string{a.listening(t, sys, 1)[0].String()}, nil)
	wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	wait(t, b.events, 5*time.Second, func(*Opened) bool { return true })
	if _, err := sys.Root.RequestFuture(b.manager, &Shutdown{}, 3*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	c := wait(t, a.events, 5*time.Second, func(*Closed) bool { return true })
	var pc *PeerClosedError
	if !errors.As(c.Reason, &pc) || pc.Reason != codec.CloseGeneric {
		t.Fatalf("peer saw %v", c.Reason)
	}
	// No reconnection within a few backoff periods.
	select {
	case m := <-a.events.ch:
		if o, ok := m.(*Opened); ok {
			t.Fatalf("reconnected after shutdown: %v", o.ZID)
		}
	case <-time.After(500 * time.Millisecond):
	}
}

// TestSameZIDReplaces: a second session from a peer ZenohId that already
// has one replaces it; the first ends with ErrReplaced.
func TestSameZIDReplaces(t *testing.T) {
	sys := newSystem(t)
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, nil)
	addr := a.listening(t, sys, 1)[0].Addr
	p1 := dialRaw(t, addr)
	p1.handshake(10 * time.Second)
	o1 := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	p2 := dialRaw(t, addr)
	p2.zid = p1.zid
	p2.handshake(10 * time.Second)
	o2 := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	if o2.ZID != o1.ZID || o2.Session.Equal(o1.Session) {
		t.Fatal("second session not distinct")
	}
	c := wait(t, a.events, 5*time.Second, func(*Closed) bool { return true })
	if !c.Session.Equal(o1.Session) || !errors.Is(c.Reason, ErrReplaced) {
		t.Fatalf("closed %v with %v", c.Session, c.Reason)
	}
	if cl := p1.expectClosed(3 * time.Second); cl == nil {
		t.Fatal("the replaced peer got no Close")
	}
	res, err := sys.Root.RequestFuture(a.manager, &GetSessions{}, time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if s := res.(*Sessions).ByZID; len(s) != 1 || !s[o1.ZID].Equal(o2.Session) {
		t.Fatalf("sessions after replacement: %v", s)
	}
}
