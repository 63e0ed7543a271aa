package interop

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

const (
	// thrRun is how long the throughput test lets z_pub_thr publish.
	// z_pub_thr stops by itself 20 s after it declared its publisher
	// (1 s after its session opened), z_sub_thr 23 s after its session
	// opened: both still run when thrRun has passed since z_pub_thr was
	// started.
	thrRun = 20 * time.Second
	// thrPayload is the size in bytes of each z_pub_thr sample.
	thrPayload = 8
	// thrMinLines is the least number of throughput lines (one per 100 ms
	// window in which samples arrived) z_sub_thr must print.
	thrMinLines = 10
)

// sessionCounter sits between the session manager and the router actor:
// it counts Opened and Closed, reports them on events, and forwards every
// message to the router unchanged (the router reads only message
// contents, never the sender).
type sessionCounter struct {
	opened, closed atomic.Int32
	events         chan any // *session.Opened and *session.Closed

	mu      sync.Mutex
	reasons []string // of every Closed, for the report
}

func newSessionCounter() *sessionCounter {
	return &sessionCounter{events: make(chan any, 64)}
}

func (c *sessionCounter) props(next *actor.PID) *actor.Props {
	return actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *actor.Started, *actor.Stopping, *actor.Stopped, *actor.Restarting:
			return
		case *session.Opened:
			c.opened.Add(1)
			c.report(m)
		case *session.Closed:
			c.closed.Add(1)
			c.mu.Lock()
			c.reasons = append(c.reasons, fmt.Sprintf("%s: %v", m.ZID, m.Reason))
			c.mu.Unlock()
			c.report(m)
		}
		ctx.Forward(next)
	})
}

// report hands m to the test without ever blocking the node; the counters
// stay exact even if the test does not read events.
func (c *sessionCounter) report(m any) {
	select {
	case c.events <- m:
	default:
	}
}

func (c *sessionCounter) closeReasons() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.reasons)
}

// goRouterPIDs is goRouter, with c (if not nil) as the manager's handler
// in front of the router actor. It returns the actor system, the session
// manager's PID and the router actor's PID.
func goRouterPIDs(t *testing.T, addr string, c *sessionCounter) (*actor.ActorSystem, *actor.PID, *actor.PID) {
	t.Helper()
	sys := actortest.NewSystem(t)
	logger := actortest.Logger()
	zid := actortest.NewZID(t)
	plane := router.NewPlane(sys, router.PlaneConfig{Logger: logger})
	rcfg := router.ActorConfig{Tables: router.DefaultConfig(), Plane: plane, Logger: logger}
	rcfg.Tables.ZID = zid
	rprops, err := router.Props(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	rpid := sys.Root.Spawn(rprops)
	plane.SetRouter(rpid)
	handler := rpid
	if c != nil {
		handler = sys.Root.Spawn(c.props(rpid))
	}
	ep, err := link.ParseEndpoint("tcp/" + addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: handler, Logger: logger,
		Listen: []link.Endpoint{ep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = zid, codec.Router
	props, err := session.ManagerProps(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mgr := sys.Root.Spawn(props)
	waitListening(t, addr)
	return sys, mgr, rpid
}

// waitOpened waits for the next Opened on c, failing on a Closed.
func waitOpened(t *testing.T, c *sessionCounter, who string, timeout time.Duration) *session.Opened {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case ev := <-c.events:
			switch m := ev.(type) {
			case *session.Opened:
				return m
			case *session.Closed:
				t.Fatalf("waiting for %s's session: session %s closed: %v", who, m.ZID, m.Reason)
			}
		case <-deadline:
			t.Fatalf("%s opened no session in %v", who, timeout)
		}
	}
}

// thrRates parses the msg/s figures a pico *_thr example printed; other
// lines are returned apart.
func thrRates(p *proc) (rates []float64, other []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.all {
		v, err := strconv.ParseFloat(strings.TrimSpace(l), 64)
		if err != nil {
			other = append(other, l)
			continue
		}
		rates = append(rates, v)
	}
	return rates, other
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TestRouterPicoThroughput: pico z_pub_thr → our router → pico z_sub_thr,
// both clients, for thrRun: samples flow the whole time, no session is
// lost and neither example dies.
func TestRouterPicoThroughput(t *testing.T) {
	dir := picoDir(t)
	if testing.Short() {
		t.Skipf("-short: the throughput test runs for %v", thrRun)
	}
	addr := freePort(t)
	c := newSessionCounter()
	sys, mgr, _ := goRouterPIDs(t, addr, c)
	ep := "tcp/" + addr

	// z_sub_thr prints nothing until samples arrive: its session opening
	// at the router says it is there. It declares its subscriber right
	// after; z_pub_thr waits 1 s after its own open before publishing.
	sub := start(t, dir, "z_sub_thr", "-m", "client", "-e", ep)
	subOpened := waitOpened(t, c, "z_sub_thr", 10*time.Second)
	pub := start(t, dir, "z_pub_thr", "-m", "client", "-e", ep, "-s", strconv.Itoa(thrPayload))
	began := time.Now()
	pubOpened := waitOpened(t, c, "z_pub_thr", 10*time.Second)

	// Run for thrRun, failing at once on a lost session or a dead example.
	firstSample := time.Duration(-1)
	end := time.NewTimer(thrRun - time.Since(began))
	defer end.Stop()
	for running := true; running; {
		select {
		case l := <-sub.lines:
			if firstSample < 0 {
				if v, err := strconv.ParseFloat(strings.TrimSpace(l), 64); err == nil && v > 0 {
					firstSample = time.Since(began)
				}
			}
		case ev := <-c.events:
			switch m := ev.(type) {
			case *session.Closed:
				t.Fatalf("after %v: session %s closed: %v", time.Since(began).Round(time.Millisecond), m.ZID, m.Reason)
			case *session.Opened:
				t.Fatalf("after %v: unexpected new session %s", time.Since(began).Round(time.Millisecond), m.ZID)
			}
		case <-sub.done:
			t.Fatalf("z_sub_thr exited after %v", time.Since(began).Round(time.Millisecond))
		case <-pub.done:
			t.Fatalf("z_pub_thr exited after %v", time.Since(began).Round(time.Millisecond))
		case <-end.C:
			running = false
		}
	}
	elapsed := time.Since(began)

	// Both examples still run, and both sessions are the ones opened at
	// the start.
	for _, p := range []struct {
		name string
		p    *proc
	}{{"z_sub_thr", sub}, {"z_pub_thr", pub}} {
		select {
		case <-p.p.done:
			t.Errorf("%s is no longer running after %v", p.name, elapsed.Round(time.Millisecond))
		default:
		}
	}
	if o, cl := c.opened.Load(), c.closed.Load(); o != 2 || cl != 0 {
		t.Errorf("sessions: %d opened, %d closed; want 2 opened, 0 closed (closes: %v)", o, cl, c.closeReasons())
	}
	res, err := sys.Root.RequestFuture(mgr, &session.GetSessions{}, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("GetSessions: %v", err)
	}
	byZID := res.(*session.Sessions).ByZID
	if len(byZID) != 2 {
		t.Errorf("manager has %d sessions, want 2", len(byZID))
	}
	for _, o := range []*session.Opened{subOpened, pubOpened} {
		if pid, ok := byZID[o.ZID]; !ok || !pid.Equal(o.Session) {
			t.Errorf("session of %s is %v, want the one opened at the start (%v)", o.ZID, pid, o.Session)
		}
	}

	// Throughput: z_sub_thr prints one msg/s figure per 100 ms window in
	// which samples arrived, z_pub_thr one per window in which it put.
	subRates, subOther := thrRates(sub)
	pubRates, pubOther := thrRates(pub)
	if len(subOther) > 0 {
		t.Errorf("z_sub_thr printed unexpected lines: %q", subOther)
	}
	if len(pubOther) > 0 {
		t.Errorf("z_pub_thr printed unexpected lines: %q", pubOther)
	}
	if len(subRates) < thrMinLines {
		t.Fatalf("z_sub_thr printed %d throughput lines in %v, want at least %d", len(subRates), elapsed.Round(time.Millisecond), thrMinLines)
	}
	for _, v := range subRates {
		if v <= 0 {
			t.Errorf("z_sub_thr printed a non-positive rate %v", v)
		}
	}
	t.Logf("%d-byte samples over %v (first sample at the subscriber after %v)", thrPayload, elapsed.Round(time.Millisecond), firstSample.Round(time.Millisecond))
	subTotal := thrLog(t, "z_sub_thr", "samples", subRates)
	if pubTotal := thrLog(t, "z_pub_thr", "puts", pubRates); pubTotal > 0 {
		t.Logf("delivered/put ≈ %.2f (z_pub_thr puts with congestion control Drop)", subTotal/pubTotal)
	}
}

// thrLog logs the figures of one *_thr example and returns about how many
// messages they add up to (each is the rate over a window of about
// 100 ms; windows without messages print nothing).
func thrLog(t *testing.T, name, what string, rates []float64) float64 {
	t.Helper()
	if len(rates) == 0 {
		t.Logf("%s: no window with %s", name, what)
		return 0
	}
	var sum float64
	for _, v := range rates {
		sum += v
	}
	total := sum / 10
	t.Logf("%s: %d windows with %s, median %.0f msg/s (min %.0f, max %.0f), ≈%.0f messages",
		name, len(rates), what, median(rates), slices.Min(rates), slices.Max(rates), total)
	return total
}
