package scout

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/gozenoh/zenoh/codec"
)

// ResponderConfig configures a responder actor.
type ResponderConfig struct {
	// ZID is the node's id, put in every Hello. Scouts carrying this ZID
	// (the node's own scouter) are not answered. Required.
	ZID codec.ZenohID

	// WhatAmI is the node's role (exactly one of Router, Peer, Client).
	// A Scout is answered when its What bitmask includes it. Required.
	WhatAmI codec.WhatAmI

	// Locators returns the node's current listen locators, such as
	// "tcp/127.0.0.1:7447". It is called for each Hello, from the
	// responder's reader goroutine: it must be safe to call concurrently
	// with the rest of the node and return quickly. A wildcard host
	// ("tcp/0.0.0.0:7447", "tcp/[::]:7447") is replaced by the local
	// address that routes to the scouter, so the Hello lists an address
	// reachable from where the Scout came from (spec/transport.md 7.4).
	// Nil: Hellos carry no locators.
	Locators func() []string

	// Group is the multicast group and port, "ip:port" or "udp/ip:port".
	// Default DefaultGroup.
	Group string

	// Interface is the interface to join the group on. Nil lets the
	// kernel pick (the interface of the default route). Tests may use the
	// loopback interface, which Linux lets join even without its
	// MULTICAST flag.
	Interface *net.Interface

	// Logger receives the responder's events. Nil discards them.
	Logger *slog.Logger

	// HelloInterval is the least time between two Hellos to one source
	// address. Default 100 ms.
	HelloInterval time.Duration

	// MaxSources caps the table of recent sources behind HelloInterval;
	// when it is full of sources seen within HelloInterval, Scouts from
	// new sources go unanswered. Default 256.
	MaxSources int

	// MaxHelloRate caps Hellos per second, all sources together (a token
	// bucket holding a fifth of a second's worth). Default 200.
	MaxHelloRate int
}

// validate fills in defaults and parses the group.
func (c *ResponderConfig) validate() (netip.AddrPort, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ZID.IsZero() {
		return netip.AddrPort{}, fmt.Errorf("%w: zero ZID", ErrConfig)
	}
	if !c.WhatAmI.Valid() {
		return netip.AddrPort{}, fmt.Errorf("%w: role %d", ErrConfig, c.WhatAmI)
	}
	if c.HelloInterval < 0 || c.MaxSources < 0 || c.MaxHelloRate < 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: negative ResponderConfig field", ErrConfig)
	}
	if c.HelloInterval == 0 {
		c.HelloInterval = 100 * time.Millisecond
	}
	if c.MaxSources == 0 {
		c.MaxSources = 256
	}
	if c.MaxHelloRate == 0 {
		c.MaxHelloRate = 200
	}
	return parseGroup(c.Group)
}

// ResponderProps returns the props of a responder: an actor that joins
// the scouting group and answers each Scout asking for its role with one
// Hello, sent by unicast to the Scout's source. It tells its parent
// *ResponderJoined once it answers, or *ResponderFailed before it stops
// when it cannot (bad config, multicast join refused). It answers
// *GetResponderStats. Stopping it closes its sockets and waits for its
// reader goroutine.
func ResponderProps(cfg ResponderConfig) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &responder{cfg: cfg}
	})
}

// maxReadFailures is how many reads in a row may fail (with a growing
// pause between them) before the responder gives up.
const maxReadFailures = 10

// responder owns the group socket, a unicast socket for Hellos, and the
// reader goroutine that reads the one and writes the other.
type responder struct {
	cfg   ResponderConfig
	mc    *net.UDPConn // joined to the group; read by the reader
	uc    *net.UDPConn // sends the Hellos
	done  chan struct{}
	wg    sync.WaitGroup
	stats struct {
		datagrams, bad, scouts, ignored, limited, hellos, sendErrors atomic.Uint64
	}
}

func (r *responder) Receive(ctx actor.Context) {
	switch ctx.Message().(type) {
	case *actor.Started:
		r.start(ctx)
	case *GetResponderStats:
		ctx.Respond(r.snapshot())
	case *actor.Stopping, *actor.Restarting:
		r.shutdown()
	}
}

func (r *responder) start(ctx actor.Context) {
	parent := ctx.Parent()
	group, err := r.cfg.validate()
	if err == nil {
		err = r.open(group)
	}
	if err != nil {
		r.cfg.Logger.Warn("scouting responder disabled", "err", err)
		if parent != nil {
			ctx.Send(parent, &ResponderFailed{Err: err})
		}
		ctx.Stop(ctx.Self())
		return
	}
	r.cfg.Logger.Debug("scouting responder joined", "group", group.String(),
		"interface", ifaceName(r.cfg.Interface), "role", r.cfg.WhatAmI.String())
	if parent != nil {
		ctx.Send(parent, &ResponderJoined{Group: net.UDPAddrFromAddrPort(group), Interface: ifaceName(r.cfg.Interface)})
	}
	ans := &answerer{
		zid:      r.cfg.ZID,
		role:     r.cfg.WhatAmI,
		locators: r.cfg.Locators,
		local:    routeTo,
		limit:    newLimiter(r.cfg.HelloInterval, r.cfg.MaxSources, r.cfg.MaxHelloRate),
	}
	root, self := ctx.ActorSystem().Root, ctx.Self()
	r.done = make(chan struct{})
	mc, uc, done := r.mc, r.uc, r.done
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := r.readLoop(ans, mc, uc, done); err != nil {
			r.cfg.Logger.Warn("scouting responder failed", "err", err)
			if parent != nil {
				root.Send(parent, &ResponderFailed{Err: err})
			}
			root.Stop(self)
		}
	}()
}

// open joins the group and opens the unicast socket.
func (r *responder) open(group netip.AddrPort) error {
	network := udpNetwork(group)
	mc, err := net.ListenMulticastUDP(network, r.cfg.Interface, net.UDPAddrFromAddrPort(group))
	if err != nil {
		name := ifaceName(r.cfg.Interface)
		if name == "" {
			name = "default interface"
		}
		return fmt.Errorf("%w %v on %s: %w", ErrJoin, group, name, err)
	}
	uc, err := net.ListenUDP(network, nil)
	if err != nil {
		_ = mc.Close()
		return fmt.Errorf("%w: unicast socket: %w", ErrJoin, err)
	}
	r.mc, r.uc = mc, uc
	return nil
}

// readLoop reads the group socket mc until it is closed or done is
// (nil), or until it keeps failing (the error). It answers on uc. It runs
// in the reader goroutine and touches no field that shutdown writes.
func (r *responder) readLoop(ans *answerer, mc, uc *net.UDPConn, done <-chan struct{}) error {
	buf := make([]byte, maxDatagram)
	fails := 0
	delay := 5 * time.Millisecond
	for {
		n, src, err := mc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			if fails++; fails >= maxReadFailures {
				return fmt.Errorf("%w: %w", ErrRead, err)
			}
			r.cfg.Logger.Debug("scouting read failed", "err", err, "retry_in", delay)
			t := time.NewTimer(delay)
			select {
			case <-done:
				t.Stop()
				return nil
			case <-t.C:
			}
			delay = min(2*delay, time.Second)
			continue
		}
		fails, delay = 0, 5*time.Millisecond
		r.handle(ans, uc, buf[:n], netip.AddrPortFrom(src.Addr().Unmap(), src.Port()))
	}
}

// handle answers one datagram if it calls for it, and counts it.
func (r *responder) handle(ans *answerer, uc *net.UDPConn, b []byte, src netip.AddrPort) {
	r.stats.datagrams.Add(1)
	v, hello, err := ans.datagram(b, src, time.Now())
	switch v {
	case verdictBad:
		r.stats.bad.Add(1)
		r.cfg.Logger.Debug("bad scouting datagram", "from", src.String(), "len", len(b), "err", err)
		return
	case verdictIgnored:
		if ans.msg.ID == codec.MidScout {
			r.stats.scouts.Add(1)
		}
		r.stats.ignored.Add(1)
		return
	case verdictLimited:
		r.stats.scouts.Add(1)
		r.stats.limited.Add(1)
		return
	}
	r.stats.scouts.Add(1)
	if _, err := uc.WriteToUDPAddrPort(hello, src); err != nil {
		r.stats.sendErrors.Add(1)
		r.cfg.Logger.Debug("hello not sent", "to", src.String(), "err", err)
		return
	}
	r.stats.hellos.Add(1)
}

// routeTo returns the local address the kernel would send from to reach
// dst. Connecting a UDP socket sends nothing; it only looks up the route.
func routeTo(dst netip.AddrPort) (netip.Addr, bool) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return netip.Addr{}, false
	}
	defer c.Close()
	a, ok := c.LocalAddr().(*net.UDPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ap := a.AddrPort()
	return ap.Addr().Unmap(), ap.Addr().IsValid() && !ap.Addr().IsUnspecified()
}

func (r *responder) snapshot() *ResponderStats {
	s := &r.stats
	return &ResponderStats{
		Datagrams:  s.datagrams.Load(),
		Bad:        s.bad.Load(),
		Scouts:     s.scouts.Load(),
		Ignored:    s.ignored.Load(),
		Limited:    s.limited.Load(),
		Hellos:     s.hellos.Load(),
		SendErrors: s.sendErrors.Load(),
	}
}

// shutdown closes the sockets and waits for the reader. It runs on
// Stopping (and Restarting, should a supervisor restart the responder:
// the new incarnation joins again on Started).
func (r *responder) shutdown() {
	if r.done != nil {
		close(r.done)
		r.done = nil
	}
	if r.mc != nil {
		_ = r.mc.Close()
		_ = r.uc.Close()
		r.mc, r.uc = nil, nil
	}
	r.wg.Wait()
}
