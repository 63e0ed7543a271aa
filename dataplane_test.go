package zenoh

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// routerAndClients opens a router and n clients connected to it.
func routerAndClients(t *testing.T, n int) (*Session, []*Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	r := openTest(t, cfg)
	cs := make([]*Session, n)
	for i := range cs {
		c := DefaultConfig()
		c.Mode = ModeClient
		c.Connect = []string{locatorOf(t, r)}
		cs[i] = openTest(t, c)
	}
	return r, cs
}

func seqPayload(n uint64) []byte { return binary.LittleEndian.AppendUint64(nil, n) }

func seqOf(p []byte) uint64 {
	if len(p) < 8 {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

// seqTracker checks that each stream (a key and priority) arrives
// complete and in order, counting the samples.
type seqTracker struct {
	mu   sync.Mutex
	next map[string]uint64
	bad  []string
	n    atomic.Int64
}

func (s *seqTracker) add(stream string, v uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next == nil {
		s.next = map[string]uint64{}
	}
	if want := s.next[stream]; v != want && len(s.bad) < 10 {
		s.bad = append(s.bad, fmt.Sprintf("%s: got %d, want %d", stream, v, want))
	}
	s.next[stream] = v + 1
	s.n.Add(1)
}

func (s *seqTracker) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bad) > 0 {
		t.Fatalf("streams out of order, lost or duplicated: %v", s.bad)
	}
}

// waitFor waits until cond holds, polling (counters have no event).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(2 * time.Millisecond)
	}
}

// probeUntil publishes a probe on key from pub until got counts one.
func probeUntil(t *testing.T, pub *Session, key string, got func() bool) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for !got() {
		if err := pub.Put(key, nil, WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no route to %s", key)
		}
		<-time.After(10 * time.Millisecond) // the declaration is on its way
	}
}

// TestOrderPerPublisherAndPriority: two clients publish numbered samples
// (Block) through a router, each on two priorities; a subscriber gets
// every stream (publisher, priority) complete and in order, and the
// callback never runs twice at once.
func TestOrderPerPublisherAndPriority(t *testing.T) {
	r, cs := routerAndClients(t, 3)
	var tr seqTracker
	var inside atomic.Int32
	var overlap atomic.Bool
	probes := atomic.Int64{}
	if _, err := cs[2].DeclareSubscriber("order/**", Callback(func(s Sample) {
		if inside.Add(1) > 1 {
			overlap.Store(true)
		}
		defer inside.Add(-1)
		if s.KeyExpr == "order/probe" {
			probes.Add(1)
			return
		}
		tr.add(fmt.Sprintf("%s/%d", s.KeyExpr, s.Priority), seqOf(s.Payload))
	})); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, cs[0], "order/probe", func() bool { return probes.Load() > 0 })
	probeUntil(t, cs[1], "order/probe", func() bool { return probes.Load() > 1 })
	const n = 3000
	var wg sync.WaitGroup
	for i, pub := range cs[:2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("order/p%d", i)
			for k := range uint64(n) {
				p := PriorityData
				if k%2 == 1 {
					p = PriorityInteractiveHigh
				}
				if err := pub.Put(key, seqPayload(k/2), WithPriority(p),
					WithCongestionControl(CongestionControlBlock)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	// The router's own session publishes too, from its side.
	for k := range uint64(n / 2) {
		if err := r.Put("order/r", seqPayload(k), WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	waitFor(t, "every sample", func() bool { return tr.n.Load() == 2*n+n/2 })
	tr.check(t)
	if overlap.Load() {
		t.Fatal("the callback ran twice at once")
	}
}

// TestNoEcho: a client that subscribes to what it publishes gets each of
// its samples once (from itself), never a second time back from the
// router; the router's subscriber gets each once too.
func TestNoEcho(t *testing.T) {
	r, cs := routerAndClients(t, 1)
	c := cs[0]
	var own, atRouter atomic.Int64
	if _, err := c.DeclareSubscriber("echo/**", Callback(func(Sample) { own.Add(1) })); err != nil {
		t.Fatal(err)
	}
	if _, err := r.DeclareSubscriber("echo/**", Callback(func(Sample) { atRouter.Add(1) })); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, c, "echo/probe", func() bool { return atRouter.Load() > 0 })
	own.Store(0)
	atRouter.Store(0)
	const n = 500
	for range n {
		if err := c.Put("echo/x", []byte("v"), WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the router's samples", func() bool { return atRouter.Load() == n })
	// Anything echoed would come back within a round trip: put a marker
	// through the router and back (the router's session publishes it)
	// behind the samples.
	var marker atomic.Bool
	if _, err := c.DeclareSubscriber("echo-marker", Callback(func(Sample) { marker.Store(true) })); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, r, "echo-marker", marker.Load)
	if got := own.Load(); got != n {
		t.Fatalf("the publishing client got %d of its %d samples (echoed back?)", got, n)
	}
}

// stuckPeer connects a bare session to s as a client whose handler
// stops taking messages after its first Push, until release closes; it
// declares a subscriber on key.
func stuckPeer(t *testing.T, s *Session, key string, release chan struct{}) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	declareRaw(t, rawSession(t, s, codec.Client, &stuckHandler{n: &n, release: release}), key)
	return &n
}

// stuckHandler counts Pushes and blocks at the first until release.
type stuckHandler struct {
	n       *atomic.Int64
	release chan struct{}
}

func (h *stuckHandler) Handle(m *codec.NetworkMessage, _ bool) error {
	if m.ID == codec.MidPush {
		h.n.Add(1)
		<-h.release
	}
	return nil
}

func (*stuckHandler) EndRead() error { return nil }

// TestBlockBackPressureConfined: a subscriber stops reading. The client
// publishing to it under Block is held back (its Puts stop returning),
// while another client's stream to another subscriber flows on through
// the same router, complete.
func TestBlockBackPressureConfined(t *testing.T) {
	r, cs := routerAndClients(t, 3)
	release := make(chan struct{})
	stuck := stuckPeer(t, r, "bp/stuck", release)
	var probes atomic.Int64
	var tr seqTracker
	if _, err := cs[2].DeclareSubscriber("bp/free", Callback(func(s Sample) {
		if len(s.Payload) == 0 {
			probes.Add(1)
			return
		}
		tr.add("free", seqOf(s.Payload))
	})); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, cs[1], "bp/free", func() bool { return probes.Load() > 0 })
	probeUntil(t, cs[0], "bp/stuck", func() bool { return stuck.Load() > 0 })

	// The flood toward the stuck subscriber: 1 KiB Block samples.
	var flooded atomic.Int64
	stop := make(chan struct{})
	floodDone := make(chan struct{})
	go func() {
		defer close(floodDone)
		payload := make([]byte, 1024)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if cs[0].Put("bp/stuck", payload, WithCongestionControl(CongestionControlBlock)) != nil {
				return
			}
			flooded.Add(1)
		}
	}()
	// Released first: the held-back Put returns instead of waiting out
	// wait_before_close.
	defer func() { close(release); close(stop); <-floodDone }()
	// Held back: the count stops growing once the queues are full.
	waitFor(t, "the flood held back", func() bool {
		a := flooded.Load()
		<-time.After(50 * time.Millisecond)
		return flooded.Load() == a
	})
	held := flooded.Load()
	// Meanwhile the other stream goes through, complete and in order.
	const n = 2000
	for k := range uint64(n) {
		if err := cs[1].Put("bp/free", seqPayload(k), WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the free stream", func() bool { return tr.n.Load() == n })
	tr.check(t)
	if got := flooded.Load(); got > held+1 {
		t.Fatalf("the held-back publisher went on: %d Puts, %d when held", got, held)
	}
	t.Logf("the flood was held back after %d Puts of 1 KiB", held)
}

// TestDropCountedPerDestination: a client publishes under Drop to two
// subscribers through a router; one stops reading. The samples dropped
// toward it are counted on its session in the router's Stats, the other
// subscriber gets every sample, and the router drops nothing toward it.
func TestDropCountedPerDestination(t *testing.T) {
	r, cs := routerAndClients(t, 2)
	release := make(chan struct{})
	defer close(release)
	stuck := stuckPeer(t, r, "drop/**", release)
	var fast atomic.Int64
	if _, err := cs[1].DeclareSubscriber("drop/**", Callback(func(Sample) { fast.Add(1) })); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, cs[0], "drop/probe", func() bool { return fast.Load() > 0 && stuck.Load() > 0 })
	fast.Store(0)
	// Paced by the fast subscriber, so that nothing on its path congests:
	// the stuck one's queue (4 MiB) fills after about 4,000 samples.
	const n = 10000
	payload := make([]byte, 1024)
	for i := range n {
		if err := cs[0].Put("drop/x", payload); err != nil { // Drop, the default
			t.Fatal(err)
		}
		if i%100 == 99 {
			waitFor(t, "the fast subscriber to catch up", func() bool { return fast.Load() == int64(i+1) })
		}
	}
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	c1 := cs[1].ZenohId()
	var toStuck, toFast uint64
	for _, p := range st.Peers {
		switch {
		case p.ZID == c1:
			toFast = p.Dropped
		case p.WhatAmI == ModeClient && p.ZID != cs[0].ZenohId():
			toStuck = p.Dropped
		}
	}
	if toStuck == 0 {
		t.Fatalf("nothing counted as dropped toward the stuck subscriber: %+v", st.Peers)
	}
	if toFast != 0 {
		t.Fatalf("%d dropped toward the subscriber that keeps up", toFast)
	}
	waitFor(t, "every sample at the fast subscriber", func() bool { return fast.Load() == n })
	t.Logf("%d of %d samples dropped toward the stuck subscriber, counted on its session", toStuck, n)
}

// TestRoutesSwapUnderTraffic: while a client streams numbered samples
// (Block) through a router, another client declares and undeclares
// subscribers, on other keys and on the stream's own key, hundreds of
// times: each change swaps the routing snapshot. The stream's subscriber
// gets every sample exactly once, in order.
func TestRoutesSwapUnderTraffic(t *testing.T) {
	_, cs := routerAndClients(t, 3)
	var tr seqTracker
	var probes atomic.Int64
	if _, err := cs[1].DeclareSubscriber("swap/x", Callback(func(s Sample) {
		if len(s.Payload) == 0 {
			probes.Add(1)
			return
		}
		tr.add("x", seqOf(s.Payload))
	})); err != nil {
		t.Fatal(err)
	}
	probeUntil(t, cs[0], "swap/x", func() bool { return probes.Load() > 0 })
	const n = 20000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := range uint64(n) {
			if err := cs[0].Put("swap/x", seqPayload(k), WithCongestionControl(CongestionControlBlock)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	churns := 0
	for churning := true; churning; churns++ {
		select {
		case <-done:
			churning = false
		default:
		}
		key := "swap/x"
		if churns%2 == 0 {
			key = fmt.Sprintf("swap/other/%d", churns)
		}
		sub, err := cs[2].DeclareSubscriber(key, Callback(func(Sample) {}))
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Undeclare(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every sample", func() bool { return tr.n.Load() == n })
	tr.check(t)
	t.Logf("%d declarations and undeclarations during the stream", 2*churns)
}
