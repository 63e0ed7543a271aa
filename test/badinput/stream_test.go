package badinput

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
)

// goodStream is the well-behaved traffic: one client session publishes
// numbered samples on key at a steady rate, reliable with Block
// congestion control, and a subscriber in another client session checks
// that every one arrives, in order.
type goodStream struct {
	key      string
	pub, sub *zenoh.Session

	warm chan struct{} // a warm-up sample arrived: the route exists

	mu   sync.Mutex
	next uint64   // next sequence number expected
	recv uint64   // numbered samples received
	bad  []string // the first order violations
	nbad int

	sent     atomic.Uint64
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	err      error // of the publisher, valid after done
}

// startGoodStream opens the two clients, waits until the subscriber
// receives from the publisher, then publishes every period until finish.
func startGoodStream(t *testing.T, loc, key string, period time.Duration) *goodStream {
	t.Helper()
	g := &goodStream{key: key, warm: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	g.sub = openClient(t, loc)
	if _, err := g.sub.DeclareSubscriber(key, zenoh.Callback(g.onSample)); err != nil {
		t.Fatal(err)
	}
	g.pub = openClient(t, loc)
	// A client publishes only once its router told it of a matching
	// subscriber: warm up until one sample went through.
	deadline := time.Now().Add(wait)
	for warmed := false; !warmed; {
		if time.Now().After(deadline) {
			t.Fatalf("no warm-up sample reached the subscriber of %s within %v", key, wait)
		}
		if err := g.pub.Put(key, []byte("w"), zenoh.WithCongestionControl(zenoh.CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
		select {
		case <-g.warm:
			warmed = true
		case <-time.After(50 * time.Millisecond):
		}
	}
	go g.publish(period)
	// Before the sessions close (cleanups run last in, first out).
	t.Cleanup(g.halt)
	return g
}

// halt stops the publisher and waits for it.
func (g *goodStream) halt() {
	g.stopOnce.Do(func() { close(g.stop) })
	<-g.done
}

func (g *goodStream) publish(period time.Duration) {
	defer close(g.done)
	tk := time.NewTicker(period)
	defer tk.Stop()
	var p [8]byte
	for seq := uint64(0); ; seq++ {
		select {
		case <-g.stop:
			return
		case <-tk.C:
		}
		binary.BigEndian.PutUint64(p[:], seq)
		if err := g.pub.Put(g.key, p[:], zenoh.WithCongestionControl(zenoh.CongestionControlBlock),
			zenoh.WithReliability(zenoh.ReliabilityReliable)); err != nil {
			g.err = err
			return
		}
		g.sent.Add(1)
	}
}

func (g *goodStream) onSample(s zenoh.Sample) {
	if len(s.Payload) == 1 {
		select {
		case g.warm <- struct{}{}:
		default:
		}
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(s.Payload) != 8 {
		g.violation(fmt.Sprintf("payload of %d bytes", len(s.Payload)))
		return
	}
	seq := binary.BigEndian.Uint64(s.Payload)
	if seq != g.next {
		g.violation(fmt.Sprintf("got #%d, expected #%d", seq, g.next))
	}
	g.next = seq + 1
	g.recv++
}

func (g *goodStream) violation(s string) {
	g.nbad++
	if len(g.bad) < 10 {
		g.bad = append(g.bad, s)
	}
}

// received returns how many numbered samples arrived.
func (g *goodStream) received() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.recv
}

// waitReceived polls until n numbered samples arrived or timeout passes.
func (g *goodStream) waitReceived(n uint64, timeout time.Duration) uint64 {
	deadline := time.Now().Add(timeout)
	for {
		r := g.received()
		if r >= n || time.Now().After(deadline) {
			return r
		}
		<-time.After(5 * time.Millisecond)
	}
}

// finish stops the publisher, waits for the last sample and checks
// that every one arrived in order. It returns how many did.
func (g *goodStream) finish(t *testing.T) uint64 {
	t.Helper()
	g.halt()
	if g.err != nil {
		t.Errorf("good publisher failed: %v", g.err)
	}
	sent := g.sent.Load()
	recv := g.waitReceived(sent, wait)
	g.mu.Lock()
	defer g.mu.Unlock()
	if recv != sent {
		t.Errorf("good subscriber received %d of %d samples", recv, sent)
	}
	if g.nbad > 0 {
		t.Errorf("good subscriber saw %d order violations, first: %v", g.nbad, g.bad)
	}
	return recv
}
