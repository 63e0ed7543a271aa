// Package faults injects faults into running nodes through their actor
// systems (killing links, sessions, storages and aligners) during mixed
// traffic, and runs the soak test.
package faults

import (
	"context"
	"flag"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	ifaults "github.com/gozenoh/zenoh/internal/faults"
	"github.com/gozenoh/zenoh/internal/nodetest"
)

var (
	rounds   = flag.Int("faults.rounds", 2, "rounds of kills of each kind in TestFaultInjection")
	soakTime = flag.Duration("soak", 0, "run TestSoak for this long (0: skip)")
	kindList = flag.String("faults.kinds", "link,session,storage,aligner,stall,delay,cut", "faults TestFaultInjection injects, in turn")
)

func TestMain(m *testing.M) {
	flag.Parse()
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"))
}

const wait = 60 * time.Second

// repl replicates the test storages with short intervals.
var repl = zenoh.ReplicationConfig{Interval: 500 * time.Millisecond, SubIntervals: 2, Hot: 2, Warm: 2,
	PropagationDelay: 20 * time.Millisecond}

func open(t testing.TB, cfg zenoh.Config) *zenoh.Session {
	t.Helper()
	s, err := zenoh.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// router opens a router on loopback with a replicated memory storage on
// data/**, connecting to connect.
func router(t testing.TB, connect ...string) *zenoh.Session {
	t.Helper()
	return routerIn(t, "", connect...)
}

// routerIn is router with a badger storage under dataDir ("": memory).
func routerIn(t testing.TB, dataDir string, connect ...string) *zenoh.Session {
	t.Helper()
	cfg := zenoh.DefaultConfig()
	cfg.Mode = zenoh.ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.Connect = connect
	cfg.QueryTimeout = 20 * time.Second // dumps of tens of thousands of keys under -race
	r := repl
	volume := "memory"
	if dataDir != "" {
		cfg.DataDir, volume = dataDir, "badger"
	}
	cfg.Storages = map[string]zenoh.StorageConfig{"data": {KeyExpr: "data/**", Volume: volume, Replication: &r}}
	return open(t, cfg)
}

func client(t testing.TB, to *zenoh.Session) *zenoh.Session {
	t.Helper()
	cfg := zenoh.DefaultConfig()
	cfg.Mode = zenoh.ModeClient
	cfg.MulticastScouting = false
	cfg.Connect = []string{nodetest.Locator(t, to)}
	return open(t, cfg)
}

// poll waits until cond holds (the conditions here have no event).
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-time.After(10 * time.Millisecond)
	}
}

func target(t testing.TB, s *zenoh.Session) ifaults.Target {
	t.Helper()
	tg, ok := ifaults.Lookup(s)
	if !ok {
		t.Fatal("session not registered for fault injection")
	}
	return tg
}

// routerSessions returns the node's sessions to other routers, and
// their link actors.
func routerSessions(t testing.TB, s *zenoh.Session) (sessions, links []*actor.PID) {
	t.Helper()
	tg := target(t, s)
	all, err := tg.Node.Sessions()
	if err != nil {
		t.Fatal(err)
	}
	for _, zid := range slices.SortedFunc(maps.Keys(all), func(a, b codec.ZenohID) int { return a.Compare(b) }) {
		res, err := tg.Sys.Root.RequestFuture(all[zid], &session.GetStats{}, time.Second).Result()
		if err != nil {
			continue // ended meanwhile
		}
		if r, ok := res.(*session.Report); ok && r.Established.WhatAmI == codec.Router {
			sessions = append(sessions, all[zid])
			links = append(links, r.Link)
		}
	}
	return sessions, links
}

// running returns the storage and aligner actors of storage "data".
func running(t testing.TB, s *zenoh.Session) (st, al *actor.PID) {
	t.Helper()
	tg := target(t, s)
	res, err := tg.Sys.Root.RequestFuture(tg.Storages, &storage.ListRunning{}, time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	r := res.(*storage.Running)
	return r.PIDs["data"], r.Companions["data"]
}

// seqLog records the sequence numbers a subscriber received.
type seqLog struct {
	mu   sync.Mutex
	seen map[int]bool
	last int
}

func (l *seqLog) add(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[int]bool{}
	}
	l.seen[n] = true
	l.last = max(l.last, n)
}

func (l *seqLog) has(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen[n]
}

func keySeq(key string) string {
	_, rest, _ := strings.Cut(key, "data/p/")
	return rest
}

// answered runs a Get and reports whether any reply came that was not an
// error; err is the Get's own.
func answered(s *zenoh.Session, selector string, timeout time.Duration) (bool, error) {
	ch, err := s.Get(context.Background(), selector, zenoh.WithTimeout(timeout))
	if err != nil {
		return false, err
	}
	ok := false
	for rep := range ch {
		ok = ok || rep.Err == nil
	}
	return ok, nil
}
