package zenoh

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
	"github.com/gozenoh/zenoh/internal/sessiontest"
)

// rawSession connects a bare session (no router, no API: nothing on its
// side allocates per message) to s as a node of mode whose received
// messages go to h, and returns its Opened.
func rawSession(tb testing.TB, s *Session, mode codec.WhatAmI, h session.Handler) *session.Opened {
	tb.Helper()
	sys := actortest.NewSystem(tb)
	p := sessiontest.New(tb, sys, sessiontest.Options{Handler: func(*session.Opened, chan<- any) session.Handler {
		return h
	}})
	ep, err := link.ParseEndpoint(locatorOf(tb, s))
	if err != nil {
		tb.Fatal(err)
	}
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: p.PID, Logger: actortest.Logger(),
		Connect: []link.Endpoint{ep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = actortest.NewZID(tb), mode
	props, err := session.ManagerProps(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	mgr := sys.Root.Spawn(props)
	tb.Cleanup(func() { _ = sys.Root.StopFuture(mgr).Wait() })
	return actortest.Next[*session.Opened](tb, p.Events, testWait)
}

// declareRaw declares subscriber 1 on key through a bare session.
func declareRaw(tb testing.TB, o *session.Opened, key string) {
	tb.Helper()
	if err := sessiontest.Send(o, codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
		Body: codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: wire(key)}}}); err != nil {
		tb.Fatal(err)
	}
}

// rawSubscriber connects a bare peer session to s, declares a subscriber
// on key through it, and returns its count of Pushes received.
func rawSubscriber(tb testing.TB, s *Session, key string) *atomic.Int64 {
	tb.Helper()
	var n atomic.Int64
	declareRaw(tb, rawSession(tb, s, codec.Peer, sessiontest.PushCounter{N: &n}), key)
	return &n
}

// awaitCount publishes on pub until the raw subscriber has counted a
// Push (its declaration has reached the publisher's node).
func awaitCount(tb testing.TB, pub *Publisher, n *atomic.Int64) {
	tb.Helper()
	deadline := time.Now().Add(testWait)
	for n.Load() == 0 {
		if err := pub.Put([]byte("probe")); err != nil {
			tb.Fatal(err)
		}
		if time.Now().After(deadline) {
			tb.Fatal("the raw subscriber never received a Push")
		}
		<-time.After(5 * time.Millisecond) // the declaration travels; no event to wait on here
	}
}

// TestPublisherPutNoAllocs: Publisher.Put without options allocates
// nothing: the key is validated and the route cached once, the payload is
// encoded straight into the destination session's batches.
func TestPublisherPutNoAllocs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	s := openTest(t, cfg)
	n := rawSubscriber(t, s, "alloc/**")
	pub, err := s.DeclarePublisher("alloc/x", WithCongestionControl(CongestionControlBlock))
	if err != nil {
		t.Fatal(err)
	}
	awaitCount(t, pub, n)
	payload := make([]byte, 64)
	allocs := testing.AllocsPerRun(10000, func() {
		if err := pub.Put(payload); err != nil {
			t.Fatal(err)
		}
	})
	// Allocations anywhere in the process count (AllocsPerRun reads the
	// global statistics): the receiving side and the timers of the
	// node may add a few over 10,000 runs.
	if allocs > 0.01 {
		t.Fatalf("%v allocations per Put", allocs)
	}
}

// BenchmarkPublisherPut: Publisher.Put (Block) to a peer over loopback
// TCP whose raw session counts; every message is waited for.
func BenchmarkPublisherPut(b *testing.B) {
	for _, size := range []int{8, 1024} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Listen = []string{"tcp/127.0.0.1:0"}
			cfg.Logger = actortest.Logger()
			s := openTest(b, cfg)
			n := rawSubscriber(b, s, "bench/**")
			pub, err := s.DeclarePublisher("bench/x", WithCongestionControl(CongestionControlBlock))
			if err != nil {
				b.Fatal(err)
			}
			awaitCount(b, pub, n)
			payload := make([]byte, size)
			base := n.Load()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for range b.N {
				if err := pub.Put(payload); err != nil {
					b.Fatal(err)
				}
			}
			awaitAllCounted(b, n, base)
		})
	}
}

// rawPublisher connects a bare peer session to s: pushing through its
// outbox publishes with nothing of the API on the sending side.
func rawPublisher(tb testing.TB, s *Session) *session.Opened {
	tb.Helper()
	var n atomic.Int64
	return rawSession(tb, s, codec.Peer, sessiontest.PushCounter{N: &n})
}

// BenchmarkSubscriberCallback: a bare peer pushes (Block) over loopback
// TCP to a session whose Callback subscriber counts: the receiving side
// of the API alone.
func BenchmarkSubscriberCallback(b *testing.B) {
	for _, h := range []struct {
		name string
		make func(func(Sample)) Handler
	}{{"owned", Callback}, {"loaned", LoanedCallback}} {
		for _, size := range []int{8, 1024, 8192} {
			b.Run(fmt.Sprintf("%s/%dB", h.name, size), func(b *testing.B) {
				benchSubscriber(b, size, h.make)
			})
		}
	}
}

func benchSubscriber(b *testing.B, size int, handler func(func(Sample)) Handler) {
	cfg := DefaultConfig()
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	s := openTest(b, cfg)
	var n atomic.Int64
	if _, err := s.DeclareSubscriber("bench/**", handler(func(Sample) { n.Add(1) })); err != nil {
		b.Fatal(err)
	}
	o := rawPublisher(b, s)
	msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: wire("bench/x"),
		QoS: codec.DefaultQoS | codec.QoSBlock, Body: codec.Data{Kind: codec.MidPut, Payload: make([]byte, size)}}}
	for deadline := time.Now().Add(testWait); n.Load() == 0; {
		_ = o.Outbox.Push(&msg, true, nil)
		if time.Now().After(deadline) {
			b.Fatal("no route to the subscriber")
		}
		<-time.After(5 * time.Millisecond) // the peer's interest is on its way
	}
	base := n.Load()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if err := o.Outbox.Push(&msg, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	awaitAllCounted(b, &n, base)
}

// awaitAllCounted waits until n counts b.N more than base, stops the
// timer and reports the rate.
func awaitAllCounted(b *testing.B, n *atomic.Int64, base int64) {
	b.Helper()
	for deadline := time.Now().Add(time.Minute); n.Load()-base < int64(b.N); {
		if time.Now().After(deadline) {
			b.Fatalf("received %d of %d", n.Load()-base, b.N)
		}
		<-time.After(time.Millisecond) // counting has no event; poll briefly
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
