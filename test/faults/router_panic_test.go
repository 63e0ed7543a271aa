package faults

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
	zrouter "github.com/gozenoh/zenoh/actors/router"
)

// TestRouterPanicRecovers: the router actor of a router node panics while
// a client publishes to another client through it. The actor restarts
// with empty tables: it closes the remote sessions (the clients
// reconnect and declare again) and takes its local faces' declarations
// again. Afterwards every later sample reaches the remote subscriber, the
// router's own subscriber and its storage, and queries are answered.
func TestRouterPanicRecovers(t *testing.T) {
	for round := range 2 {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) {
			r := router(t)
			pub, sub := client(t, r), client(t, r)
			var remote, local atomic.Int64
			last := func(n *atomic.Int64) func(zenoh.Sample) {
				return func(s zenoh.Sample) {
					v, _ := strconv.ParseInt(keySeq(s.KeyExpr), 10, 64)
					for {
						old := n.Load()
						if v <= old || n.CompareAndSwap(old, v) {
							return
						}
					}
				}
			}
			if _, err := sub.DeclareSubscriber("data/p/*", zenoh.Callback(last(&remote))); err != nil {
				t.Fatal(err)
			}
			if _, err := r.DeclareSubscriber("data/p/*", zenoh.Callback(last(&local))); err != nil {
				t.Fatal(err)
			}

			// The publisher runs throughout: before, during and after the
			// failure.
			var seq atomic.Int64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
					}
					n := seq.Add(1)
					_ = pub.Put(fmt.Sprintf("data/p/%d", n), []byte("v"),
						zenoh.WithCongestionControl(zenoh.CongestionControlBlock))
					if n%64 == 0 {
						<-time.After(time.Millisecond) // a steady stream, not a flood
					}
				}
			}()
			defer func() { close(stop); <-done }()
			poll(t, "samples before the failure", func() bool { return remote.Load() > 100 && local.Load() > 100 })

			tg := target(t, r)
			tg.Sys.Root.Send(tg.Node.Router, &zrouter.InjectPanic{})

			// Once the clients are back, what is published after reaches
			// both subscribers and the storage (what the publisher sent
			// while it had no session is lost).
			mark := seq.Load() + 1000
			poll(t, "the remote subscriber past the failure", func() bool { return remote.Load() > mark })
			poll(t, "the router's own subscriber past the failure", func() bool { return local.Load() > mark })
			key := fmt.Sprintf("data/p/%d", seq.Load()+100)
			poll(t, "the storage past the failure", func() bool {
				ok, err := answered(r, key, time.Second)
				return err == nil && ok
			})
			// A query from a client crosses the restarted router too.
			ok, err := answered(sub, key, 5*time.Second)
			if err != nil || !ok {
				t.Fatalf("client query of %s after the failure: answered %v, %v", key, ok, err)
			}
			ch, err := sub.Get(context.Background(), "data/p/1")
			if err != nil {
				t.Fatal(err)
			}
			for range ch {
			}
		})
	}
}
