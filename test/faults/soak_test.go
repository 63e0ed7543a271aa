package faults

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
)

type footprint struct {
	heap       uint64
	goroutines int
}

func measure() footprint {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{heap: ms.HeapInuse, goroutines: runtime.NumGoroutine()}
}

// TestSoak (off by default: go test ./test/faults -run Soak -soak=10m -timeout 15m)
// runs 100 client sessions on a router with a badger storage for the given
// time: each publishes on its own keys (stored), subscribes to a
// neighbour's, and queries the storage and a queryable now and then.
// Memory and goroutines are measured after a warm-up and at the end:
// neither may grow beyond noise.
func TestSoak(t *testing.T) {
	if *soakTime <= 0 {
		t.Skip("soak off: run with -soak=DURATION")
	}
	const sessions = 100
	r := routerIn(t, t.TempDir()) // on disk: badger's tables are not the heap
	clients := make([]*zenoh.Session, sessions)
	for i := range clients {
		clients[i] = client(t, r)
	}
	var received, published, queries, failed atomic.Int64
	for i, c := range clients {
		next := (i + 1) % sessions
		if _, err := c.DeclareSubscriber(fmt.Sprintf("data/s%03d/**", next), zenoh.Callback(func(zenoh.Sample) { received.Add(1) })); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if _, err := c.DeclareQueryable(fmt.Sprintf("q/%03d", i), func(q *zenoh.Query) { q.Reply(q.KeyExpr(), []byte("ok")) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				// Keys cycle so that the storage stays the same size.
				if err := c.Put(fmt.Sprintf("data/s%03d/k%d", i, n%100), []byte("payload"),
					zenoh.WithCongestionControl(zenoh.CongestionControlBlock)); err != nil {
					t.Error(err)
					return
				}
				published.Add(1)
				if n%100 == 0 && n > 0 {
					sel := fmt.Sprintf("q/%03d", (i/10)*10)
					if n%200 == 0 {
						sel = fmt.Sprintf("data/s%03d/**", i)
					}
					ok, err := answered(c, sel, 5*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					queries.Add(1)
					if !ok {
						failed.Add(1)
					}
				}
			}
		}()
	}
	// go test's -timeout (10 minutes by default) would kill a soak as
	// long: keep a margin for setting up and closing 100 sessions.
	soak := *soakTime
	if dl, ok := t.Deadline(); ok {
		if room := time.Until(dl) - 90*time.Second; room < soak {
			t.Logf("soak cut to %v by go test's -timeout (pass -timeout to run it all)", room.Round(time.Second))
			soak = room
		}
	}
	warm := min(soak/5, 30*time.Second)
	<-time.After(warm) // the warm-up is a span of time, not an event
	start := measure()
	t.Logf("after %v: heap %d MiB, %d goroutines, %d published, %d received",
		warm, start.heap>>20, start.goroutines, published.Load(), received.Load())
	<-time.After(soak - warm)
	end := measure()
	close(stop)
	wg.Wait()
	t.Logf("after %v: heap %d MiB, %d goroutines, %d published, %d received, %d queries (%d failed)",
		soak, end.heap>>20, end.goroutines, published.Load(), received.Load(), queries.Load(), failed.Load())
	if end.heap > start.heap+start.heap/4+16<<20 {
		t.Errorf("heap grew from %d to %d MiB", start.heap>>20, end.heap>>20)
	}
	if end.goroutines > start.goroutines+20 {
		t.Errorf("goroutines grew from %d to %d", start.goroutines, end.goroutines)
	}
	if failed.Load() > 0 {
		t.Errorf("%d queries got no answer", failed.Load())
	}
}
