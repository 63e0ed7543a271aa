package faults

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/internal/nodetest"
	"github.com/gozenoh/zenoh/test/faultproxy"
)

// window is a span during which a fault could lose messages.
type window struct {
	kind       string
	node       int
	start, end time.Time
}

// TestFaultInjection runs a triangle of three routers, each with a
// replicated storage on data/**, C linked to A and B through fault
// proxies, and clients: a publisher on A sending numbered samples
// (reliable, Block), a subscriber on C, a queryable on B and a querier
// on C. While the traffic runs, it kills, at random routers and moments,
// the link actor of a router-to-router session, a whole session actor, a
// storage actor and an aligner actor; it stalls a proxied link, delays
// it, and cuts it; in turn, -faults.rounds times each. After each kill it waits until the node has
// recovered by itself: its router sessions re-established and a fresh
// sample routed to the subscriber, or the storage (aligner) running
// again.
//
// At the end: every sample published outside the windows of the link
// and session kills and the cuts was delivered (stalls and delays lose
// nothing); what was lost inside is reported and
// stays below what was published in those windows; the three storages
// converge to identical contents; queries work.
func TestFaultInjection(t *testing.T) {
	a := router(t)
	b := router(t, nodetest.Locator(t, a))
	// C reaches A and B through fault proxies.
	pa, pb := nodetest.Proxy(t, a), nodetest.Proxy(t, b)
	proxies := []*faultproxy.Proxy{pa, pb}
	c := router(t, pa.Endpoint(), pb.Endpoint())
	nodes := []*zenoh.Session{a, b, c}
	for _, n := range nodes {
		poll(t, "the triangle", func() bool { return nodetest.Routers(t, n) == 2 })
	}
	pub, sub, qbl, qry := client(t, a), client(t, c), client(t, b), client(t, c)

	var got seqLog
	if _, err := sub.DeclareSubscriber("data/p/*", zenoh.Callback(func(s zenoh.Sample) {
		if n, err := strconv.Atoi(keySeq(s.KeyExpr)); err == nil {
			got.add(n)
		}
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := qbl.DeclareQueryable("q/b", func(q *zenoh.Query) { q.Reply("q/b", []byte("ok")) }); err != nil {
		t.Fatal(err)
	}
	// The route from A to C is up once a probe arrives.
	probe := -1
	routed := func() bool {
		if err := pub.Put(fmt.Sprintf("data/p/%d", probe), nil); err != nil {
			t.Fatal(err)
		}
		<-time.After(20 * time.Millisecond) // give the probe its trip before asking again
		return got.has(probe)
	}
	poll(t, "a route from A to C", routed)

	// Traffic: numbered samples, about one per millisecond, with the
	// time each was published; queries every 20 ms.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sentAt []time.Time
	var queriesOK, queriesFailed atomic.Int64
	wg.Add(2)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mu.Lock()
			sentAt = append(sentAt, time.Now())
			mu.Unlock()
			if err := pub.Put(fmt.Sprintf("data/p/%d", i), []byte(strconv.Itoa(i)),
				zenoh.WithCongestionControl(zenoh.CongestionControlBlock)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			ok, err := answered(qry, "q/b", 2*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			if ok {
				queriesOK.Add(1)
			} else {
				queriesFailed.Add(1)
			}
		}
	}()

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var windows []window
	kinds := strings.Split(*kindList, ",")
	for round := range *rounds {
		for _, kind := range kinds {
			<-time.After(time.Duration(50+rng.IntN(200)) * time.Millisecond) // a random moment in the traffic
			i := rng.IntN(len(nodes))
			n := nodes[i]
			tg := target(t, n)
			w := window{kind: kind, node: i, start: time.Now()}
			switch kind {
			case "link", "session":
				sessions, links := routerSessions(t, n)
				if len(sessions) == 0 {
					t.Fatalf("round %d: node %d has no router session", round, i)
				}
				j := rng.IntN(len(sessions))
				victim := sessions[j]
				if kind == "link" {
					victim = links[j]
				}
				tg.Sys.Root.Stop(victim)
				for _, m := range nodes {
					poll(t, "sessions re-established", func() bool { return nodetest.Routers(t, m) == 2 })
				}
				probe--
				poll(t, "a route from A to C again", routed)
			case "stall", "delay":
				// The links stay up: nothing may be lost.
				px := proxies[rng.IntN(len(proxies))]
				if kind == "stall" {
					px.Stall(true)
				} else {
					px.SetDelay(30 * time.Millisecond)
				}
				<-time.After(300 * time.Millisecond) // the fault lasts this long
				px.Stall(false)
				px.SetDelay(0)
			case "cut":
				proxies[rng.IntN(len(proxies))].Cut()
				for _, m := range nodes {
					poll(t, "sessions re-established", func() bool { return nodetest.Routers(t, m) == 2 })
				}
				probe--
				poll(t, "a route from A to C again", routed)
			case "storage", "aligner":
				st, al := running(t, n)
				victim, after := st, (*actor.PID)(nil)
				if kind == "aligner" {
					victim = al
				}
				if victim == nil {
					t.Fatalf("round %d: node %d has no %s running", round, i, kind)
				}
				tg.Sys.Root.Stop(victim)
				poll(t, kind+" running again", func() bool {
					st2, al2 := running(t, n)
					after = st2
					if kind == "aligner" {
						after = al2
					}
					return after != nil && after.Id != victim.Id
				})
			}
			w.end = time.Now()
			windows = append(windows, w)
			t.Logf("round %d: %s at node %d; recovered in %v", round, kind, i, w.end.Sub(w.start).Round(time.Millisecond))
		}
	}
	<-time.After(200 * time.Millisecond) // traffic after the last recovery
	close(stop)
	wg.Wait()

	mu.Lock()
	sent := len(sentAt)
	mu.Unlock()
	poll(t, "the last sample", func() bool { return got.has(sent - 1) })

	// Losses: only while a link or a session was down, counting what was
	// queued toward it just before (in queues, socket buffers and the
	// proxy, delayed or not), and what the mesh's routes, still
	// converging after the new session, sent the old way just after
	// (500 ms each side).
	const slack = 500 * time.Millisecond
	lost, outside := 0, 0
	inWindows := 0
	for n, at := range sentAt {
		var in bool
		for _, w := range windows {
			if (w.kind == "link" || w.kind == "session" || w.kind == "cut") && !at.Before(w.start.Add(-slack)) && !at.After(w.end.Add(slack)) {
				in = true
				break
			}
		}
		if in {
			inWindows++
		}
		if got.has(n) {
			continue
		}
		lost++
		if !in {
			outside++
			if outside <= 10 {
				near := "none"
				for _, w := range windows {
					if at.After(w.start.Add(-2*time.Second)) && at.Before(w.end.Add(2*time.Second)) {
						near = fmt.Sprintf("%s of node %d from %v to %v", w.kind, w.node, w.start.Format("15:04:05.000"), w.end.Format("15:04:05.000"))
					}
				}
				t.Errorf("sample %d, sent at %v, lost outside any link, session or cut fault (nearest fault: %s)", n, at.Format("15:04:05.000"), near)
			}
		}
	}
	if outside > 10 {
		t.Errorf("... %d samples lost outside link and session faults in all", outside)
	}
	if outside > 0 {
		for i, n := range nodes {
			tg := target(t, n)
			all, _ := tg.Node.Sessions()
			for zid, pid := range all {
				if res, err := tg.Sys.Root.RequestFuture(pid, &session.GetStats{}, time.Second).Result(); err == nil {
					r := res.(*session.Report)
					t.Logf("node %d, session to %s (%v): %d sends dropped, rx %+v", i, zid, r.Established.WhatAmI, r.DroppedSends, r.RX)
				}
			}
		}
		for _, w := range windows {
			t.Logf("fault %s at node %d from %v to %v", w.kind, w.node, w.start.Format("15:04:05.000"), w.end.Format("15:04:05.000"))
		}
		first, last := -1, -1
		for n := range sentAt {
			if !got.has(n) {
				if first < 0 {
					first = n
				}
				last = n
			}
		}
		t.Logf("lost samples span %d (%v) to %d (%v)", first, sentAt[first].Format("15:04:05.000"), last, sentAt[last].Format("15:04:05.000"))
	}
	t.Logf("%d samples sent, %d lost (all while a link or session was down: %d samples were sent then); queries: %d answered, %d failed",
		sent, lost, inWindows, queriesOK.Load(), queriesFailed.Load())
	if lost > inWindows {
		t.Errorf("lost %d, more than the %d sent during faults", lost, inWindows)
	}

	for i, n := range nodes {
		t.Logf("node %d is %s", i, n.ZenohId())
	}
	final, _ := nodetest.Converged(t, wait, "data/**", a, b, c)
	t.Logf("the three storages converged: %d keys", len(final))
	if ok, err := answered(qry, "q/b", 5*time.Second); err != nil {
		t.Fatal(err)
	} else if !ok {
		t.Error("no answer to a query after the faults")
	}
}
