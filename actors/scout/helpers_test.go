package scout

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// wait is how long a test waits for an event before failing.
const wait = 10 * time.Second

func newSystem(t testing.TB) *actor.ActorSystem { return actortest.NewSystem(t) }

func newZID(t testing.TB) codec.ZenohID { return actortest.NewZID(t) }

// spawned is the test owner's report of its child's PID.
type spawned struct{ pid *actor.PID }

// owner is the parent a test spawns a responder under; it forwards what
// it gets to out.
type owner struct {
	out   chan any
	child *actor.Props
}

func (o *owner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		pid := ctx.Spawn(o.child)
		ctx.Watch(pid)
		o.out <- &spawned{pid: pid}
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	default:
		o.out <- m
	}
}

// spawnResponder starts a responder under an owner and returns its PID
// and the owner's channel, without waiting for the responder to join.
func spawnResponder(t testing.TB, sys *actor.ActorSystem, cfg ResponderConfig) (*actor.PID, chan any) {
	t.Helper()
	out := make(chan any, 1024)
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return &owner{out: out, child: ResponderProps(cfg)}
	}))
	t.Cleanup(func() { _ = sys.Root.StopFuture(pid).Wait() })
	return next[*spawned](t, out).pid, out
}

// joined starts a responder with cfg on the test network (group and
// interface of mc) and waits until it has joined.
func joined(t testing.TB, sys *actor.ActorSystem, mc mcast, cfg ResponderConfig) *actor.PID {
	t.Helper()
	cfg.Group, cfg.Interface = mc.group, mc.ifi
	pid, out := spawnResponder(t, sys, cfg)
	select {
	case m := <-out:
		switch m := m.(type) {
		case *ResponderJoined:
			return pid
		case *ResponderFailed:
			t.Fatalf("responder failed: %v", m.Err)
		default:
			t.Fatalf("unexpected %T", m)
		}
	case <-time.After(wait):
		t.Fatalf("responder did not join within %v", wait)
	}
	return nil
}

// next waits for the next message of type T on ch, putting others back.
func next[T any](t testing.TB, ch chan any) T {
	t.Helper()
	return actortest.Next[T](t, ch, wait)
}

// stats asks a responder for its counters.
func stats(t testing.TB, sys *actor.ActorSystem, pid *actor.PID) *ResponderStats {
	t.Helper()
	r, err := sys.Root.RequestFuture(pid, &GetResponderStats{}, wait).Result()
	if err != nil {
		t.Fatal(err)
	}
	return r.(*ResponderStats)
}

// waitStats polls a responder's counters until cond holds; the counters
// are the only event a test can see for a datagram that gets no answer.
func waitStats(t testing.TB, sys *actor.ActorSystem, pid *actor.PID, what string, cond func(*ResponderStats) bool) *ResponderStats {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		s := stats(t, sys, pid)
		if cond(s) {
			return s
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("stats never showed %s: %+v", what, *s)
		}
	}
}

// mcast is a multicast setup that works on this host: a group on a port
// of its own, and the interface to join and send on (nil: the default).
type mcast struct {
	group string
	ifi   *net.Interface
}

func (m mcast) scoutConfig() ScoutConfig {
	return ScoutConfig{Group: m.group, Interface: m.ifi}
}

var (
	probeOnce sync.Once
	probeIfi  *net.Interface
	probeErr  error
)

// multicast returns a fresh group on an interface where a datagram sent
// to the group comes back to a member, or skips the test naming why not.
// It tries the loopback interface first (stays off the network), then the
// system default.
func multicast(t testing.TB) mcast {
	t.Helper()
	probeOnce.Do(func() { probeIfi, probeErr = probe() })
	if probeErr != nil {
		t.Skipf("multicast does not work on this host: %v", probeErr)
	}
	return mcast{group: freeGroup(t), ifi: probeIfi}
}

func probe() (*net.Interface, error) {
	var errs []error
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		if ifs[i].Flags&net.FlagLoopback != 0 && ifs[i].Flags&net.FlagUp != 0 {
			err := roundTrip(&ifs[i])
			if err == nil {
				return &ifs[i], nil
			}
			errs = append(errs, fmt.Errorf("loopback %s: %w", ifs[i].Name, err))
			break
		}
	}
	err = roundTrip(nil)
	if err == nil {
		return nil, nil
	}
	errs = append(errs, fmt.Errorf("default interface: %w", err))
	return nil, errors.Join(errs...)
}

// roundTrip joins a group on ifi and sends it a datagram the way Stream
// does; it fails unless the datagram arrives within 2 s.
func roundTrip(ifi *net.Interface) error {
	var port int
	{
		c, err := net.ListenUDP("udp4", &net.UDPAddr{})
		if err != nil {
			return err
		}
		port = c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
	}
	group := netip.AddrPortFrom(netip.MustParseAddr("224.0.0.224"), uint16(port))
	m, err := net.ListenMulticastUDP("udp4", ifi, net.UDPAddrFromAddrPort(group))
	if err != nil {
		return fmt.Errorf("join: %w", err)
	}
	defer m.Close()
	laddr, dst, err := sendFrom(group, ifi)
	if err != nil {
		return err
	}
	s, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return err
	}
	defer s.Close()
	msg := []byte("gozenoh scout probe")
	if _, err := s.WriteToUDP(msg, dst); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	_ = m.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	for {
		n, _, err := m.ReadFromUDP(buf)
		if err != nil {
			return fmt.Errorf("receive: %w", err)
		}
		if bytes.Equal(buf[:n], msg) {
			return nil
		}
	}
}

// freeGroup returns 224.0.0.224 on a UDP port that was free a moment ago,
// so that tests (and other programs on the host) do not hear each other.
func freeGroup(t testing.TB) string {
	t.Helper()
	c, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return fmt.Sprintf("224.0.0.224:%d", c.LocalAddr().(*net.UDPAddr).Port)
}

// sendRaw sends datagrams to the group from a socket of its own, which it
// returns for reading answers.
func sendRaw(t testing.TB, mc mcast, datagrams ...[]byte) *net.UDPConn {
	t.Helper()
	group, err := parseGroup(mc.group)
	if err != nil {
		t.Fatal(err)
	}
	laddr, dst, err := sendFrom(group, mc.ifi)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, d := range datagrams {
		if _, err := c.WriteToUDP(d, dst); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// readHello reads one Hello from c within wait.
func readHello(t testing.TB, c *net.UDPConn) codec.Hello {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, maxDatagram)
	n, _, err := c.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no Hello: %v", err)
	}
	var m codec.ScoutingMessage
	if err := codec.DecodeScouting(buf[:n], &m); err != nil || m.ID != codec.MidHello {
		t.Fatalf("not a Hello (%v): % x", err, buf[:n])
	}
	return m.Hello
}

func scoutBytes(what codec.WhatAmI, zid codec.ZenohID) []byte {
	return codec.AppendScout(nil, &codec.Scout{Version: codec.ProtoVersion, What: what, ZID: zid})
}

// Function names whose goroutines ourGoroutines looks for: the
// responder's reader, and whatever Stream might leave behind (its
// context.AfterFunc callback).
const (
	responderLoop = "actors/scout.(*responder)."
	streamFuncs   = "actors/scout.Stream"
)

// ourGoroutines lists the goroutines running fn, a function name prefix
// of this package.
func ourGoroutines(fn string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, fn) {
			out = append(out, g)
		}
	}
	return out
}

// checkNoGoroutines fails unless the goroutines running fn are all gone
// within the deadline.
func checkNoGoroutines(t testing.TB, fn string) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		left := ourGoroutines(fn)
		if len(left) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

// mustID parses an ID's text form; s must be valid.
func mustID(s string) codec.ZenohID {
	id, err := hlc.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}
