package storage

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// loggedNode starts a router node without listeners in an actor system
// whose logs (and the node's) go to the returned buffer; both stop with
// the test.
func loggedNode(t *testing.T) (*actor.ActorSystem, *actors.Node, *slog.Logger, *actortest.Buffer) {
	t.Helper()
	logs := &actortest.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	t.Cleanup(sys.Shutdown)
	ncfg := actors.DefaultNodeConfig(codec.Router)
	ncfg.Listen = nil
	n, err := actors.StartNode(sys, ncfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop(0) })
	return sys, n, logger, logs
}

// localPublisher opens a local face on n and returns a function that
// publishes a Put (Block) on a key through it.
func localPublisher(t *testing.T, n *actors.Node) func(key string) {
	t.Helper()
	l := n.Plane.OpenLocal(router.LocalConfig{ZID: n.ZID})
	t.Cleanup(func() { l.Close(0) })
	if err := l.Sync(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return func(key string) {
		p := codec.Push{WireExpr: codec.WireExpr{Suffix: []byte(key), Mapping: true}, QoS: codec.DefaultQoS | codec.QoSBlock,
			Body: codec.Data{Kind: codec.MidPut, Payload: []byte("v")}}
		if err := l.Publish(&p, true, nil); err != nil {
			t.Error(err)
		}
	}
}

// awaitCond waits until cond holds, polling (the counters have no event).
func awaitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(2 * time.Millisecond)
	}
}

// TestStorageWriteFailure: a store error in one storage fails the write
// (counted, logged with its keys), stops that storage with the reason
// logged, and its supervisor starts it again on the same directory,
// which still holds what was stored before. The other storage, and the
// publisher, go on unaffected.
func TestStorageWriteFailure(t *testing.T) {
	sys, n, logger, logs := loggedNode(t)

	var failing atomic.Bool
	dirA, dirB := t.TempDir(), t.TempDir()
	cfgs := []Config{
		{Name: "a", KeyExpr: "fa/**", Store: Options{Dir: dirA}, Plane: n.Plane, Clock: n.Clock, ZID: n.ZID, Logger: logger,
			Fault: func() error {
				if failing.Load() {
					return errors.New("injected: no space left on device")
				}
				return nil
			}},
		{Name: "b", KeyExpr: "fb/**", Store: Options{Dir: dirB}, Plane: n.Plane, Clock: n.Clock, ZID: n.ZID, Logger: logger},
	}
	for i := range cfgs {
		cfgs[i].Stats = &Stats{}
	}
	sup := sys.Root.Spawn(SupervisorProps(SupervisorConfig{Storages: cfgs, Logger: logger, MinBackoff: 10 * time.Millisecond}))
	if _, err := sys.Root.RequestFuture(sup, &AwaitReady{}, 10*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	running := func() map[string]*actor.PID {
		res, err := sys.Root.RequestFuture(sup, &ListRunning{}, time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		return res.(*Running).PIDs
	}
	first := running()["a"]

	put := localPublisher(t, n)
	a, b := cfgs[0].Stats, cfgs[1].Stats
	put("fa/1")
	put("fb/1")
	awaitCond(t, "fa/1 and fb/1 stored", func() bool { return a.Stored.Load() == 1 && b.Stored.Load() == 1 })

	failing.Store(true)
	put("fa/2")
	put("fb/2")
	awaitCond(t, "fa/2 failed", func() bool { return a.Failed.Load() == 1 })
	awaitCond(t, "fb/2 stored", func() bool { return b.Stored.Load() == 2 })
	failing.Store(false)
	awaitCond(t, "storage a restarted", func() bool { p := running()["a"]; return p != nil && p.Id != first.Id })
	put("fa/3")
	put("fb/3")
	awaitCond(t, "fa/3 and fb/3 stored", func() bool { return a.Stored.Load() == 2 && b.Stored.Load() == 3 })

	for _, want := range []string{"store error, stopping", "injected: no space left on device",
		"sample not stored", "fa/2", "storage stopped, restarting"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs.String())
		}
	}
	sys.Root.Stop(sup)
	awaitCond(t, "storages closed", func() bool {
		s, err := Open(Options{Dir: dirA})
		if err != nil {
			return false // still held by the stopping storage
		}
		defer s.Close()
		for key, want := range map[string]bool{"fa/1": true, "fa/2": false, "fa/3": true} {
			if _, ok, err := s.Latest(key); err != nil || ok != want {
				t.Errorf("%s stored = %v (%v), want %v", key, ok, err, want)
			}
		}
		return true
	})
}

// TestStorageCorruptDirectory: a storage whose badger directory is
// damaged cannot open; it stops with the reason logged and is retried
// with backoff, while the node's other storage works.
func TestStorageCorruptDirectory(t *testing.T) {
	sys, n, logger, logs := loggedNode(t)
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "MANIFEST"), []byte("this is not a badger manifest"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgs := []Config{
		{Name: "bad", KeyExpr: "cb/**", Store: Options{Dir: bad}, Plane: n.Plane, Clock: n.Clock, ZID: n.ZID, Logger: logger, Stats: &Stats{}},
		{Name: "good", KeyExpr: "cg/**", Store: Options{InMemory: true}, Plane: n.Plane, Clock: n.Clock, ZID: n.ZID, Logger: logger, Stats: &Stats{}},
	}
	sup := sys.Root.Spawn(SupervisorProps(SupervisorConfig{Storages: cfgs, Logger: logger, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}))
	defer sys.Root.Stop(sup)
	awaitCond(t, "the good storage declared", func() bool {
		res, err := sys.Root.RequestFuture(sup, &ListRunning{}, time.Second).Result()
		return err == nil && res.(*Running).PIDs["good"] != nil
	})
	localPublisher(t, n)("cg/x")
	awaitCond(t, "cg/x stored", func() bool { return cfgs[1].Stats.Stored.Load() == 1 })
	awaitCond(t, "three failed openings", func() bool {
		return strings.Count(logs.String(), "cannot open the store") >= 3
	})
	if !strings.Contains(logs.String(), "storage=bad") {
		t.Errorf("the log does not name the storage:\n%s", logs.String())
	}
}
