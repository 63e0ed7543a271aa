package badinput

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/session"
)

// closeWait bounds how long a bad connection may stay open once it has
// sent its last byte: the node must close it at once when it cannot
// decode, or at the latest when the 1 s lease the raw client announced
// expires (the node ticks every 125 ms then). Generous for -race on two
// shared cores.
const closeWait = 8 * time.Second

// badStats sums what the bad connections did and saw.
type badStats struct {
	mu         sync.Mutex
	conns      int
	byKind     map[string]int
	ops        map[string]int
	batches    int // bad batches written (the poison batch excluded)
	bytes      int
	byNode     int            // connections the node closed within closeWait
	closes     map[string]int // Close messages received, by reason
	silent     int            // closed without a Close message
	handshakes int            // valid handshakes completed
	slowest    time.Duration  // longest time from the last byte to the node's close
	hung       []string       // attacks the node did not close in time
	nhung      int
	broken     []string // handshakes that failed where they should not
}

func (s *badStats) add(a *attack, o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns++
	s.byKind[a.kind]++
	for _, op := range a.ops {
		s.ops[op]++
	}
	s.batches += len(a.pieces)
	s.bytes += o.written
	if o.handshake {
		s.handshakes++
	}
	if o.brokenHandshake != nil && len(s.broken) < 5 {
		s.broken = append(s.broken, fmt.Sprintf("%s: %v", a.describe(), o.brokenHandshake))
	}
	if !o.byNode {
		s.nhung++
		if len(s.hung) < 5 {
			s.hung = append(s.hung, a.describe())
		}
		return
	}
	s.byNode++
	s.slowest = max(s.slowest, o.elapsed)
	if o.gotClose {
		s.closes[session.ReasonName(o.reason)]++
	} else {
		s.silent++
	}
}

// outcome is what one bad connection saw.
type outcome struct {
	handshake       bool  // the valid handshake completed
	brokenHandshake error // a handshake that should have worked did not
	written         int
	byNode          bool
	gotClose        bool
	reason          byte
	elapsed         time.Duration
}

// runAttack makes one bad connection to the router at loc.
func runAttack(loc string, a *attack) outcome {
	var o outcome
	r, err := dialRaw(loc)
	if err != nil {
		o.brokenHandshake = fmt.Errorf("dial: %w", err)
		o.byNode = true // nothing to close
		return o
	}
	if a.handshake {
		// Behind a mutated OpenSyn, a batch that cannot decode: if the
		// mutation emptied the OpenSyn or left it valid, the node
		// fails on that one instead of waiting for its handshake
		// timeout.
		var trailer []byte
		if a.mutateOpen != nil {
			trailer = poisonBatch
		}
		err := r.handshake(a.opts, a.mutateOpen, trailer)
		switch {
		case err == nil:
			o.handshake = true
		case a.mutateOpen == nil:
			o.brokenHandshake = err
		}
	}
	r.drain()
	if !a.handshake || o.handshake {
		b := a.stream()
		step := a.chunk
		if step <= 0 {
			step = len(b)
		}
		for len(b) > 0 {
			n := min(step, len(b))
			if r.write(b[:n]) != nil {
				break // the node closed already
			}
			o.written += n
			b = b[n:]
		}
	}
	start := time.Now()
	o.byNode = r.waitClosed(closeWait)
	o.elapsed = time.Since(start)
	o.gotClose, o.reason = r.gotClose.Load(), byte(r.reason.Load())
	return o
}

// TestBadInputKeepsServing sends a router random bytes and mutated
// golden batches, before and after valid handshakes, from raw
// connections, for -badinput (5 s by default), while a client publishes
// on good/k to a subscriber of another client. Every bad connection must
// be closed by the node; the good subscriber must get every sample in
// order; no actor may panic; the heap and the goroutines must come back.
func TestBadInputKeepsServing(t *testing.T) {
	seeds := loadSeeds(t)
	logger, logs := newLogger("[ACTOR] Recovering", "closing session", "session ends", "undecodable",
		"message refused", "push refused", "refusing")
	_, loc := startRouter(t, logger)
	good := startGoodStream(t, loc, "good/k", 2*time.Millisecond)

	baseG := runtime.NumGoroutine()
	baseHeap := heapInuse()
	start := time.Now()
	end := start.Add(*badinputFor)
	stats := &badStats{byKind: map[string]int{}, ops: map[string]int{}, closes: map[string]int{}}
	const workers = 8
	seed := uint64(time.Now().UnixNano())
	t.Logf("mutation seed %d (workers use seed+i)", seed)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			m := &mutator{rng: rand.New(rand.NewPCG(seed+uint64(i), 0x9e3779b97f4a7c15)), seeds: seeds}
			for time.Now().Before(end) {
				a := m.next()
				stats.add(a, runAttack(loc, a))
			}
		})
	}
	wg.Wait()
	badTime := time.Since(start)
	recv := good.finish(t)

	// Every bad connection is closed: the goroutines the node ran for
	// them end.
	g := waitGoroutines(baseG+5, wait)
	if g > baseG+5 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d after the bad connections, %d before\n%s", g, baseG, buf[:runtime.Stack(buf, true)])
	}
	heap := heapInuse()
	growth := int64(heap) - int64(baseHeap)
	if growth > 64*mib {
		t.Errorf("heap in use grew by %s (%s → %s)", mibs(growth), mibs(int64(baseHeap)), mibs(int64(heap)))
	}

	stats.mu.Lock()
	defer stats.mu.Unlock()
	if stats.nhung > 0 {
		t.Errorf("%d of %d bad connections were not closed by the node within %v of their last byte; first:\n%s",
			stats.nhung, stats.conns, closeWait, strings.Join(stats.hung, "\n"))
	}
	if len(stats.broken) > 0 {
		t.Errorf("valid handshakes or dials failed:\n%s", strings.Join(stats.broken, "\n"))
	}
	if n, first := logs.count("[ACTOR] Recovering"); n > 0 {
		t.Errorf("%d actor panics recovered by protoactor, first: %s", n, first)
	}
	if stats.conns == 0 {
		t.Fatal("no bad connection was made")
	}
	t.Logf("%v of bad input: %d bad connections (%.0f/s; %d with a valid handshake), %d bad batches, %d bytes",
		badTime.Round(time.Millisecond), stats.conns, float64(stats.conns)/badTime.Seconds(), stats.handshakes, stats.batches, stats.bytes)
	t.Logf("by kind: %s", fmtCounts(stats.byKind))
	t.Logf("mutations: %s", fmtCounts(stats.ops))
	t.Logf("closed by the node: %d (Close received: %s; without Close: %d); slowest close after the last byte: %v",
		stats.byNode, fmtCounts(stats.closes), stats.silent, stats.slowest.Round(time.Millisecond))
	t.Logf("good stream: %d samples received in order, none missing", recv)
	t.Logf("heap in use: %s before, %s after (growth %s); goroutines: %d before, %d after",
		mibs(int64(baseHeap)), mibs(int64(heap)), mibs(growth), baseG, g)
	for _, w := range []string{"closing session", "session ends", "undecodable", "message refused", "push refused", "refusing"} {
		n, first := logs.count(w)
		t.Logf("log %q: %d lines; first: %s", w, n, first)
	}
}

// fmtCounts formats a count map sorted by key.
func fmtCounts(m map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return b.String()
}
