package zenoh

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/storage"
)

// runningStorage returns the actor of the storage name once it runs and
// has declared itself (after a restart, the new one).
func runningStorage(t *testing.T, s *Session, name string, not *actor.PID) *actor.PID {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for time.Now().Before(deadline) {
		res, err := s.sys.Root.RequestFuture(s.storages, &storage.ListRunning{}, time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		if pid := res.(*storage.Running).PIDs[name]; pid != nil && (not == nil || pid.Id != not.Id) {
			return pid
		}
		<-time.After(10 * time.Millisecond) // restart backoff: no event to wait on from here
	}
	t.Fatalf("storage %s not running within %v", name, testWait)
	return nil
}

// waitStored waits until the storage has applied at least n events.
func waitStored(t testing.TB, st *storage.Stats, n uint64) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for st.Stored.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("stored %d events, want %d", st.Stored.Load(), n)
		}
		<-time.After(time.Millisecond) // the storage has no completion event
	}
}

// TestStorageKilledUnderLoad stops a badger storage's actor three times
// while a remote client publishes distinct keys without pause. Each time it is restarted
// by its supervisor on the same directory. Every event the storage had
// acknowledged (applied in a flushed badger batch, counted in Stored) is
// still there at the end, no write failed, and what is published after
// the last restart is all stored. Samples routed to the storage while it
// was down are lost to it (the aligner's job): the test reports how many.
func TestStorageKilledUnderLoad(t *testing.T) {
	r, c := storageWithClient(t, "k", "kill/**", "badger")
	st := r.storageStats["k"]

	// The client publishes distinct keys until told to stop; the storage
	// is stopped each time it has stored 1,000 more since it started.
	stop := make(chan struct{})
	done := make(chan error, 1)
	var published atomic.Int64
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := c.Put(fmt.Sprintf("kill/load/%07d", i), []byte("v"), WithCongestionControl(CongestionControlBlock)); err != nil {
				done <- err
				return
			}
			published.Add(1)
		}
	}()
	pid := runningStorage(t, r, "k", nil)
	for kill := range 3 {
		waitStored(t, st, st.Stored.Load()+1000)
		r.sys.Root.Stop(pid)
		pid = runningStorage(t, r, "k", pid)
		t.Logf("kill %d: %d published, %d stored", kill+1, published.Load(), st.Stored.Load())
	}
	waitStored(t, st, st.Stored.Load()+1000)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n := int(published.Load())

	const tail = 1000
	for i := range tail {
		if err := c.Put(fmt.Sprintf("kill/tail/%04d", i), []byte("t"), WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	// Everything the client sent travels one path in order: once the
	// last tail key is stored, so is whatever the storage will get.
	storageGet(t, c, fmt.Sprintf("kill/tail/%04d", tail-1), []string{fmt.Sprintf("kill/tail/%04d=t", tail-1)})

	var load, tails int
	for _, rep := range getAll(t, c, "kill/**", WithTimeout(testWait)) {
		switch {
		case rep.Err != nil:
			t.Fatalf("reply error: %v", rep.Err)
		case len(rep.Sample.KeyExpr) > 10 && rep.Sample.KeyExpr[:10] == "kill/load/":
			load++
		default:
			tails++
		}
	}
	if got, acked := uint64(load+tails), st.Stored.Load(); got != acked {
		t.Errorf("the storage holds %d keys but acknowledged %d", got, acked)
	}
	if tails != tail {
		t.Errorf("%d of the %d samples published after the last restart are stored", tails, tail)
	}
	if f := st.Failed.Load(); f != 0 {
		t.Errorf("%d writes failed", f)
	}
	t.Logf("3 kills under load: %d of %d samples stored, %d lost while the storage was down", load, n, n-load)
}
