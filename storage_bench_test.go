package zenoh

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkStorageFromRemotePublisher: samples of 64 B on 10,000 keys
// published by a client (Block) through a router into the router's
// storage, on a memory and on a badger volume. Reports stored samples/s
// and the samples per badger batch.
func BenchmarkStorageFromRemotePublisher(b *testing.B) {
	for _, volume := range []string{"memory", "badger"} {
		b.Run(volume, func(b *testing.B) {
			r, c := storageWithClient(b, "bench", "bench/**", volume)
			keys := make([]string, 10000)
			for i := range keys {
				keys[i] = fmt.Sprintf("bench/%d/%d", i%100, i)
			}
			payload := make([]byte, 64)
			st := r.storageStats["bench"]
			base := st.Stored.Load() + st.Stale.Load()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := c.Put(keys[i%len(keys)], payload, WithCongestionControl(CongestionControlBlock)); err != nil {
					b.Fatal(err)
				}
			}
			deadline := time.Now().Add(time.Minute)
			for st.Stored.Load()+st.Stale.Load()-base < uint64(b.N) {
				if time.Now().After(deadline) {
					b.Fatalf("stored %d of %d", st.Stored.Load()+st.Stale.Load()-base, b.N)
				}
				<-time.After(time.Millisecond) // the storage has no completion event
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "samples/s")
			b.ReportMetric(float64(b.N)/float64(st.Batches.Load()), "samples/batch")
		})
	}
}

// BenchmarkStorageQuery: a client queries a router's badger storage over
// TCP, for one key and for 10,000 keys (selector/**), and reports the
// median and 99th percentile round trip of a Get until its last reply.
func BenchmarkStorageQuery(b *testing.B) {
	r, c := storageWithClient(b, "q", "q/**", "badger")
	payload := make([]byte, 64)
	const n = 10000
	for i := range n {
		if err := c.Put(fmt.Sprintf("q/many/%05d", i), payload, WithCongestionControl(CongestionControlBlock)); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Put("q/one", payload); err != nil {
		b.Fatal(err)
	}
	waitStored(b, r.storageStats["q"], n+1)
	for _, tc := range []struct {
		name, selector string
		want           int
	}{{"one-key", "q/one", 1}, {"10k-keys", "q/many/**", n}} {
		b.Run(tc.name, func(b *testing.B) {
			var rtts []time.Duration
			for b.Loop() {
				start := time.Now()
				ch, err := c.Get(context.Background(), tc.selector, WithConsolidation(ConsolidationNone))
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				for rep := range ch {
					if rep.Err != nil {
						b.Fatal(rep.Err)
					}
					got++
				}
				rtts = append(rtts, time.Since(start))
				if got != tc.want {
					b.Fatalf("%d replies, want %d", got, tc.want)
				}
			}
			slices.Sort(rtts)
			b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "median-us")
			b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99-us")
		})
	}
}
