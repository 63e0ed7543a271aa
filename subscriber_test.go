package zenoh

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCallbackDeliverySerial: goroutines deliver to one Callback at once,
// as the links' readers and local publishers do. The callback never runs
// twice at once, gets every sample under Block, and each goroutine's
// samples in the order it delivered them; under Drop, what it does not
// get is counted. A callback that delivers to itself (a Put on its own
// key) does not deadlock.
func TestCallbackDeliverySerial(t *testing.T) {
	s := &Session{}
	// A Block sample finding the queue full waits for room; the callback
	// delivering to itself waits this long, then queues beyond the bound.
	defer func(d time.Duration) { callbackWaitFor = d }(callbackWaitFor)
	callbackWaitFor = 10 * time.Millisecond
	for _, block := range []bool{true, false} {
		t.Run(fmt.Sprintf("block=%v", block), func(t *testing.T) {
			const sources, n = 4, 20000
			var inside atomic.Int32
			var overlap atomic.Bool
			next := make([]int, sources) // only the callback touches it
			var bad atomic.Int64
			var got, echoed atomic.Int64
			var c *callbackDelivery
			c = callbackHandler{fn: func(smp Sample) {
				if inside.Add(1) > 1 {
					overlap.Store(true)
				}
				defer inside.Add(-1)
				var src, seq int
				if _, err := fmt.Sscanf(smp.KeyExpr, "%d/%d", &src, &seq); err != nil {
					bad.Add(1)
					return
				}
				if src == sources { // the callback's own echo
					got.Add(1)
					return
				}
				if seq < next[src] {
					bad.Add(1) // out of order
				}
				next[src] = seq + 1
				got.Add(1)
				if seq%1000 == 0 {
					// Delivering to itself from inside: queued, run after.
					echoed.Add(1)
					c.deliver(s, Sample{KeyExpr: fmt.Sprintf("%d/%d", sources, seq)}, block, nil)
				}
			}}.newDelivery().(*callbackDelivery)
			var wg sync.WaitGroup
			for src := range sources {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for seq := range n {
						c.deliver(s, Sample{KeyExpr: fmt.Sprintf("%d/%d", src, seq)}, block, nil)
					}
				}()
			}
			wg.Wait()
			if overlap.Load() {
				t.Fatal("the callback ran twice at once")
			}
			if bad.Load() != 0 {
				t.Fatalf("%d samples out of order", bad.Load())
			}
			echoes := echoed.Load()
			total := got.Load() + int64(c.dropped())
			if block && (c.dropped() != 0 || got.Load() != sources*n+echoes) {
				t.Fatalf("under Block: %d delivered, %d dropped; want %d, 0", got.Load(), c.dropped(), sources*n+echoes)
			}
			if !block && total != sources*n+echoes {
				t.Fatalf("under Drop: %d delivered + %d dropped, want %d", got.Load(), c.dropped(), sources*n+echoes)
			}
			if c.running.Load() || c.queued.Load() != 0 {
				t.Fatal("samples left behind")
			}
		})
	}
}
