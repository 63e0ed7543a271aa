// Package replication tests the aligner between real nodes over TCP:
// storages on the same key expression, partitioned through fault
// proxies, converge once the partition heals.
package replication

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/internal/nodetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"))
}

const wait = 30 * time.Second

// repl is the replication of the tests: one-second intervals, so that
// three intervals pass in a few seconds.
var repl = zenoh.ReplicationConfig{Interval: time.Second, SubIntervals: 5, Hot: 6, Warm: 30,
	PropagationDelay: 50 * time.Millisecond}

// router opens a router listening on loopback, connecting to connect,
// with a replicated memory storage on demo/**.
func router(t testing.TB, connect ...string) *zenoh.Session {
	t.Helper()
	return routerWith(t, repl, "", connect...)
}

// routerWith opens a router with replication r and a badger storage
// under dataDir (memory when dataDir is "").
func routerWith(t testing.TB, r zenoh.ReplicationConfig, dataDir string, connect ...string) *zenoh.Session {
	t.Helper()
	cfg := zenoh.DefaultConfig()
	cfg.Mode = zenoh.ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.Connect = connect
	cfg.QueryTimeout = 5 * time.Second
	volume := "memory"
	if dataDir != "" {
		cfg.DataDir, volume = dataDir, "badger"
	}
	cfg.Storages = map[string]zenoh.StorageConfig{"demo": {KeyExpr: "demo/**", Volume: volume, Replication: &r}}
	s, err := zenoh.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t testing.TB, s *zenoh.Session, key, value string) {
	t.Helper()
	if err := s.Put(key, []byte(value), zenoh.WithCongestionControl(zenoh.CongestionControlBlock)); err != nil {
		t.Fatal(err)
	}
}

// TestPartitionHeals: three routers with replicated storages on demo/**.
// C is cut off from A and B; both sides write different keys and
// conflicting values of the same keys, and a delete on one side meets an
// older put on the other. After healing, all three hold identical
// contents, each conflict resolved to the newest write. Then a fourth
// router with an empty storage joins and catches up.
func TestPartitionHeals(t *testing.T) {
	a := router(t)
	b := router(t, nodetest.Locator(t, a))
	pa, pb := nodetest.Proxy(t, a), nodetest.Proxy(t, b)
	c := router(t, pa.Endpoint(), pb.Endpoint())
	nodetest.WaitRouters(t, c, 2, wait)
	nodetest.WaitRouters(t, a, 2, wait)
	for i := range 50 {
		put(t, a, fmt.Sprintf("demo/base/%02d", i), "base")
	}
	if got, _ := nodetest.Converged(t, wait, "demo/**", a, b, c); len(got) != 50 {
		t.Fatalf("before the partition: %d keys", len(got))
	}

	pa.Partition(true)
	pb.Partition(true)
	nodetest.WaitRouters(t, c, 0, wait)
	nodetest.WaitRouters(t, a, 1, wait)
	const n = 200
	for i := range n {
		put(t, a, fmt.Sprintf("demo/a/%03d", i), "a")
		put(t, c, fmt.Sprintf("demo/c/%03d", i), "c")
	}
	// Conflicts: x keys are written by A then C (C's is newer), y keys
	// by C then A. A delete on C beats base keys; a delete on A beats
	// an older put on C.
	for i := range 50 {
		put(t, a, fmt.Sprintf("demo/x/%02d", i), "a-old")
		put(t, c, fmt.Sprintf("demo/y/%02d", i), "c-old")
		put(t, c, fmt.Sprintf("demo/del/%02d", i), "c-old")
	}
	<-time.After(20 * time.Millisecond) // the newer writes must carry a later clock reading
	for i := range 50 {
		put(t, c, fmt.Sprintf("demo/x/%02d", i), "c-new")
		put(t, a, fmt.Sprintf("demo/y/%02d", i), "a-new")
		if err := a.Delete(fmt.Sprintf("demo/del/%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		if err := c.Delete(fmt.Sprintf("demo/base/%02d", i)); err != nil {
			t.Fatal(err)
		}
	}

	pa.Partition(false)
	pb.Partition(false)
	nodetest.WaitRouters(t, c, 2, wait)
	got, took := nodetest.Converged(t, wait, "demo/**", a, b, c)
	t.Logf("converged %v after the links came back (interval %v)", took, repl.Interval)
	if took > 3*repl.Interval {
		t.Errorf("converged after %v: more than three intervals", took)
	}
	want := 40 + 2*n + 100
	if len(got) != want {
		t.Errorf("%d keys after healing, want %d", len(got), want)
	}
	for i := range 50 {
		if v := got.Value(fmt.Sprintf("demo/x/%02d", i)); v != "c-new" {
			t.Errorf("demo/x/%02d = %q, want c-new", i, v)
		}
		if v := got.Value(fmt.Sprintf("demo/y/%02d", i)); v != "a-new" {
			t.Errorf("demo/y/%02d = %q, want a-new", i, v)
		}
		if _, ok := got[fmt.Sprintf("demo/del/%02d", i)]; ok {
			t.Errorf("demo/del/%02d came back", i)
		}
	}
	for i := range 10 {
		if _, ok := got[fmt.Sprintf("demo/base/%02d", i)]; ok {
			t.Errorf("demo/base/%02d came back", i)
		}
	}

	d := router(t, nodetest.Locator(t, b))
	got2, took := nodetest.Converged(t, wait, "demo/**", a, b, c, d)
	t.Logf("an empty storage caught up in %v", took)
	if !maps.Equal(got, got2) {
		t.Errorf("the contents changed when D joined: %d keys, then %d", len(got), len(got2))
	}
	keys := slices.Sorted(maps.Keys(got2))
	if len(keys) > 0 {
		t.Logf("%d keys, from %s to %s", len(keys), keys[0], keys[len(keys)-1])
	}
}

// TestLossyLinkConverges: 1,500 writes published on A with Drop
// congestion control, 16 KiB each, while A's link to C is capped at
// 128 KiB/s: A drops what C's link cannot carry, here and there as its
// queue toward C drains (more than the 10% the issue asks for). Once the
// writes stop, the aligners bring C's storage level with the others.
func TestLossyLinkConverges(t *testing.T) {
	a := router(t)
	b := router(t, nodetest.Locator(t, a))
	pa := nodetest.Proxy(t, a)
	c := router(t, pa.Endpoint())
	nodetest.WaitRouters(t, c, 1, wait)
	nodetest.WaitRouters(t, a, 2, wait)
	var received atomic.Int64 // by pub/sub at C; the aligners publish nothing on demo/**
	if _, err := c.DeclareSubscriber("demo/**", zenoh.Callback(func(zenoh.Sample) { received.Add(1) })); err != nil {
		t.Fatal(err)
	}
	pa.SetBandwidth(128 << 10)
	// 24 MB in all, well beyond what the queues and socket buffers toward C
	// hold (about 10 MB), and no more: checking convergence reads every
	// storage whole, again and again (4-5 s a time under -race for 3
	// copies of 40 MB).
	const n = 1500
	payload := make([]byte, 16384)
	for i := range n {
		if err := a.Put(fmt.Sprintf("demo/lossy/%05d", i), payload, zenoh.WithCongestionControl(zenoh.CongestionControlDrop)); err != nil {
			t.Fatal(err)
		}
	}
	pa.SetBandwidth(0)
	got, took := nodetest.Converged(t, wait, "demo/**", a, b, c)
	// Drop also applies at the source: what A's own storage missed, no
	// replica has. What C lacked came from the aligners.
	lost := int64(len(got)) - received.Load()
	t.Logf("%d of %d writes stored; %d of them (%.0f%%) dropped on the way to C; converged %v after the writes",
		len(got), n, lost, 100*float64(lost)/float64(len(got)), took)
	if lost <= 0 {
		t.Errorf("the capped link dropped nothing: the test tested nothing")
	}
	if len(got) < n/4 {
		t.Errorf("only %d of %d writes stored anywhere", len(got), n)
	}
}

// TestDownStorageRealigns: a router with a badger storage is stopped;
// the others go on writing, and deleting some of its keys, until those
// writes are in the Cold era (with Hot and Warm of one short interval,
// about a second later). Restarted on its directory, it realigns through
// the Cold era (intervals, then sub-intervals, then events).
func TestDownStorageRealigns(t *testing.T) {
	r := zenoh.ReplicationConfig{Interval: 400 * time.Millisecond, SubIntervals: 2, Hot: 1, Warm: 1,
		PropagationDelay: 20 * time.Millisecond}
	a := routerWith(t, r, "")
	b := routerWith(t, r, "", nodetest.Locator(t, a))
	dir := t.TempDir()
	c := routerWith(t, r, dir, nodetest.Locator(t, a))
	nodetest.WaitRouters(t, a, 2, wait)
	for i := range 100 {
		put(t, a, fmt.Sprintf("demo/old/%03d", i), "old")
	}
	nodetest.Converged(t, wait, "demo/**", a, b, c)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	nodetest.WaitRouters(t, a, 1, wait)
	for i := range 300 {
		put(t, b, fmt.Sprintf("demo/new/%03d", i), "new")
	}
	for i := range 20 {
		put(t, a, fmt.Sprintf("demo/old/%03d", i), "newer")
		if err := b.Delete(fmt.Sprintf("demo/old/%03d", 50+i)); err != nil {
			t.Fatal(err)
		}
	}
	// Three intervals: every write above is older than Hot and Warm.
	<-time.After(3 * r.Interval)
	c2 := routerWith(t, r, dir, nodetest.Locator(t, a))
	got, took := nodetest.Converged(t, wait, "demo/**", a, b, c2)
	t.Logf("the restarted storage realigned in %v", took)
	if len(got) != 80+300 {
		t.Errorf("%d keys, want %d", len(got), 80+300)
	}
	if v := got.Value("demo/old/005"); v != "newer" {
		t.Errorf("demo/old/005 = %q, want newer", v)
	}
}

// BenchmarkConvergence10k measures how long three routers take to
// converge after a partition during which 10,000 keys diverged (5,000
// written on each side), from the moment the links are back. Run with
// -benchtime=1x.
func BenchmarkConvergence10k(b *testing.B) {
	for range b.N {
		a := router(b)
		bb := router(b, nodetest.Locator(b, a))
		pa, pb := nodetest.Proxy(b, a), nodetest.Proxy(b, bb)
		c := router(b, pa.Endpoint(), pb.Endpoint())
		nodetest.WaitRouters(b, c, 2, wait)
		pa.Partition(true)
		pb.Partition(true)
		nodetest.WaitRouters(b, c, 0, wait)
		for i := range 5000 {
			put(b, a, fmt.Sprintf("demo/a/%05d", i), "a")
			put(b, c, fmt.Sprintf("demo/c/%05d", i), "c")
		}
		pa.Partition(false)
		pb.Partition(false)
		nodetest.WaitRouters(b, c, 2, wait)
		got, took := nodetest.Converged(b, wait, "demo/**", a, bb, c)
		if len(got) != 10000 {
			b.Fatalf("%d keys", len(got))
		}
		b.ReportMetric(took.Seconds(), "s-to-converge")
	}
}
