package scout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// ScoutConfig configures Scout, Stream, First and FirstRouter.
type ScoutConfig struct {
	// What is the bitmask of roles wanted (codec.Router|codec.Peer...):
	// it goes in the Scout, and Hellos from other roles are skipped.
	// Zero means Router|Peer, what zenoh-pico asks for.
	What codec.WhatAmI

	// ZID, when not zero, is sent in the Scout (the I flag, as pico does),
	// and Hellos carrying it (the node's own responder) are skipped.
	ZID codec.ZenohID

	// Group is the multicast group and port, "ip:port" or "udp/ip:port".
	// Default DefaultGroup.
	Group string

	// Interface, when not nil, sends the Scouts out of that interface: on
	// IPv4 by binding the socket to the interface's address (Linux routes
	// multicast out of the interface owning the source address), on IPv6
	// with the group's zone. Nil leaves the choice to the routing table.
	Interface *net.Interface

	// Retry is the pause before the first re-sent Scout; each later pause
	// doubles, up to MaxRetry. Defaults 1 s and 8 s, Rust's schedule
	// (spec/transport.md 7.4).
	Retry    time.Duration
	MaxRetry time.Duration

	// MaxFound caps the distinct nodes remembered (to report each once);
	// Hellos from further nodes are skipped. Default 1024.
	MaxFound int

	// Logger receives scouting events. Nil discards them.
	Logger *slog.Logger
}

func (c *ScoutConfig) validate() (netip.AddrPort, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.What&^(codec.Router|codec.Peer|codec.Client) != 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: What %#x", ErrConfig, uint8(c.What))
	}
	if c.Retry < 0 || c.MaxRetry < 0 || c.MaxFound < 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: negative ScoutConfig field", ErrConfig)
	}
	if c.What == 0 {
		c.What = codec.Router | codec.Peer
	}
	if c.Retry == 0 {
		c.Retry = time.Second
	}
	if c.MaxRetry == 0 {
		c.MaxRetry = 8 * time.Second
	}
	c.MaxRetry = max(c.MaxRetry, c.Retry)
	if c.MaxFound == 0 {
		c.MaxFound = 1024
	}
	return parseGroup(c.Group)
}

// Found is a node that answered a Scout: the content of its Hello and the
// address the Hello came from. Locators may be empty: zenoh then leaves
// connecting to the node to whoever knows more (spec/transport.md 7.3).
type Found struct {
	ZID      codec.ZenohID
	WhatAmI  codec.WhatAmI
	Locators []string
	From     net.Addr // a *net.UDPAddr
}

// Stream scouts until ctx ends or fn returns false. It sends a Scout to
// the group from a unicast UDP socket of its own, sends it again after
// cfg.Retry, then after pauses doubling up to cfg.MaxRetry, and calls fn,
// on the caller's goroutine, for each Hello whose role is in cfg.What:
// once per node, and again if the node's role or locators change.
// Malformed datagrams are skipped.
//
// It returns nil when fn stopped it, and ctx's error when ctx ended,
// unless not one Scout could be sent (ErrSend, wrapping the kernel's
// error), or the config is unusable (ErrConfig), or the socket failed.
// It starts no goroutine that outlives it.
func Stream(ctx context.Context, cfg ScoutConfig, fn func(Found) bool) error {
	group, err := cfg.validate()
	if err != nil {
		return err
	}
	laddr, dst, err := sendFrom(group, cfg.Interface)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP(udpNetwork(group), laddr)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSend, err)
	}
	defer conn.Close()
	// Cancelling ctx wakes the read below by moving its deadline to the
	// past. The loop checks ctx after each SetReadDeadline, so it cannot
	// miss a cancellation that lands between the two.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	s := scouter{cfg: &cfg, seen: make(map[codec.ZenohID]string)}
	scout := codec.AppendScout(nil, &codec.Scout{Version: codec.ProtoVersion, What: cfg.What, ZID: cfg.ZID})
	buf := make([]byte, maxDatagram)
	pause, next := cfg.Retry, time.Now()
	sent := false
	var sendErr error
	for {
		if ctx.Err() != nil {
			break
		}
		if now := time.Now(); !now.Before(next) {
			if _, err := conn.WriteToUDP(scout, dst); err != nil {
				sendErr = err
				cfg.Logger.Debug("scout not sent", "group", dst.String(), "err", err)
			} else {
				sent = true
			}
			next = now.Add(pause)
			pause = min(2*pause, cfg.MaxRetry)
		}
		if err := conn.SetReadDeadline(next); err != nil {
			return fmt.Errorf("scout: %w", err)
		}
		if ctx.Err() != nil {
			break
		}
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			return fmt.Errorf("scout: read: %w", err)
		}
		if f, ok := s.hello(buf[:n], from); ok && !fn(f) {
			return nil
		}
	}
	if !sent && sendErr != nil {
		return fmt.Errorf("%w to %v: %w", ErrSend, dst, sendErr)
	}
	return ctx.Err()
}

// scouter filters the Hellos read by Stream.
type scouter struct {
	cfg  *ScoutConfig
	msg  codec.ScoutingMessage
	seen map[codec.ZenohID]string // node → what it last told us
}

// hello decodes one datagram and reports whether it is a Hello to hand
// to the caller.
func (s *scouter) hello(b []byte, from netip.AddrPort) (Found, bool) {
	if err := codec.DecodeScouting(b, &s.msg); err != nil {
		s.cfg.Logger.Debug("bad datagram while scouting", "from", from.String(), "err", err)
		return Found{}, false
	}
	h := &s.msg.Hello
	if s.msg.ID != codec.MidHello || h.WhatAmI&s.cfg.What == 0 || h.ZID == s.cfg.ZID {
		return Found{}, false
	}
	key := h.WhatAmI.String() + "\x00" + strings.Join(h.Locators, "\x00")
	prev, known := s.seen[h.ZID]
	if known && prev == key {
		return Found{}, false
	}
	if !known && len(s.seen) >= s.cfg.MaxFound {
		s.cfg.Logger.Debug("too many nodes found; skipping", "zid", h.ZID.String())
		return Found{}, false
	}
	s.seen[h.ZID] = key
	return Found{
		ZID:      h.ZID,
		WhatAmI:  h.WhatAmI,
		Locators: h.Locators, // DecodeScouting copied them
		From:     net.UDPAddrFromAddrPort(netip.AddrPortFrom(from.Addr().Unmap(), from.Port())),
	}, true
}

// Scout scouts until ctx ends and returns the nodes found, in the order
// their Hellos came (see Stream). The end of ctx is the normal end: the
// error is nil then, and set only when scouting could not work at all.
func Scout(ctx context.Context, cfg ScoutConfig) ([]Found, error) {
	var found []Found
	err := Stream(ctx, cfg, func(f Found) bool {
		found = append(found, f)
		return true
	})
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		err = nil
	}
	return found, err
}

// First scouts until a node whose role is in cfg.What answers with at
// least one locator, and returns it: what a client or peer without a
// connect endpoint dials (spec/transport.md 7.4). When ctx ends first it
// returns an error wrapping ErrNotFound and the reason (ctx's error, or
// ErrSend when no Scout could be sent).
func First(ctx context.Context, cfg ScoutConfig) (Found, error) {
	var first Found
	ok := false
	err := Stream(ctx, cfg, func(f Found) bool {
		if len(f.Locators) == 0 {
			return true
		}
		first, ok = f, true
		return false
	})
	if ok {
		return first, nil
	}
	if errors.Is(err, ErrConfig) {
		return Found{}, err
	}
	return Found{}, fmt.Errorf("%w: %w", ErrNotFound, err)
}

// FirstRouter is First for routers only (cfg.What is set to Router).
func FirstRouter(ctx context.Context, cfg ScoutConfig) (Found, error) {
	cfg.What = codec.Router
	return First(ctx, cfg)
}
