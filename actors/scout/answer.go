package scout

import (
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// maxHello caps the Hellos a responder sends: locators that do not fit
// are left out (the first ones are kept), so a node listening on many
// addresses still answers with a datagram no scouter truncates.
const maxHello = 4096

// verdict is what the answerer made of one datagram.
type verdict uint8

const (
	verdictBad     verdict = iota // not a scouting message
	verdictIgnored                // a Hello, a Scout not for our role, or our own Scout
	verdictLimited                // a Scout for us, over the rate limits
	verdictAnswer                 // a Scout for us: send the Hello
)

// answerer is the responder's protocol logic, without I/O: it decodes a
// datagram read from the group and decides whether to answer, building
// the Hello (spec/transport.md 7.4). The reader goroutine owns it.
type answerer struct {
	zid      codec.ZenohID
	role     codec.WhatAmI
	locators func() []string
	// local returns the local address the kernel would use to reach dst,
	// to replace unspecified listen addresses in locators; nil or false:
	// locators are sent as they are.
	local func(dst netip.AddrPort) (netip.Addr, bool)
	limit *limiter

	msg codec.ScoutingMessage
	out []byte // the Hello, reused: valid until the next datagram
}

// datagram handles one datagram b from src at now. For verdictAnswer it
// returns the Hello to send to src; the slice is reused by the next call.
func (a *answerer) datagram(b []byte, src netip.AddrPort, now time.Time) (verdict, []byte, error) {
	if err := codec.DecodeScouting(b, &a.msg); err != nil {
		return verdictBad, nil, err
	}
	if a.msg.ID != codec.MidScout {
		return verdictIgnored, nil, nil
	}
	s := &a.msg.Scout
	if s.What&a.role == 0 || (!s.ZID.IsZero() && s.ZID == a.zid) {
		return verdictIgnored, nil, nil
	}
	if !a.limit.allow(src, now) {
		return verdictLimited, nil, nil
	}
	var locs []string
	if a.locators != nil {
		locs = a.locators()
	}
	var local netip.Addr
	ok := false
	if a.local != nil && hasUnspecified(locs) {
		local, ok = a.local(src)
	}
	h := codec.Hello{
		Version:  codec.ProtoVersion,
		WhatAmI:  a.role,
		ZID:      a.zid,
		Locators: helloLocators(locs, local, ok, maxHello-3-16-2),
	}
	a.out = codec.AppendHello(a.out[:0], &h)
	return verdictAnswer, a.out, nil
}

// splitLocator splits "proto/host:port?meta#cfg" into "proto/", host,
// port and the "?meta#cfg" tail. ok is false when it is not of that form.
func splitLocator(l string) (proto, host, port, tail string, ok bool) {
	i := strings.IndexByte(l, '/')
	if i < 0 {
		return "", "", "", "", false
	}
	proto, rest := l[:i+1], l[i+1:]
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		rest, tail = rest[:j], rest[j:]
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return "", "", "", "", false
	}
	return proto, host, port, tail, true
}

// unspecified reports whether host is a wildcard listen address.
func unspecified(host string) bool {
	if host == "" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsUnspecified()
}

func hasUnspecified(locs []string) bool {
	for _, l := range locs {
		if _, host, _, _, ok := splitLocator(l); ok && unspecified(host) {
			return true
		}
	}
	return false
}

// helloLocators returns the locators to put in a Hello: a wildcard host
// (tcp/0.0.0.0:7447, tcp/[::]:7447) becomes local, the address the
// scouter can reach us at, when it is known (haveLocal) and of a family
// the listener accepts (a [::] listener takes both on Linux); otherwise
// the locator is kept as it is. Locators that a Hello cannot carry
// (longer than 255 bytes) and duplicates are dropped, and the list stops
// before it exceeds budget bytes on the wire.
func helloLocators(locs []string, local netip.Addr, haveLocal bool, budget int) []string {
	out := make([]string, 0, len(locs))
	used := 0
	for _, l := range locs {
		if proto, host, port, tail, ok := splitLocator(l); ok && haveLocal && unspecified(host) {
			a, _ := netip.ParseAddr(host) // "" fails and stays invalid
			p, err := strconv.ParseUint(port, 10, 16)
			if err == nil && (!a.Is4() || local.Unmap().Is4()) {
				l = proto + netip.AddrPortFrom(local.Unmap(), uint16(p)).String() + tail
			}
		}
		if len(l) == 0 || len(l) > 255 || slices.Contains(out, l) {
			continue
		}
		n := 1 + len(l)
		if len(l) >= 128 {
			n++
		}
		if used+n > budget {
			break
		}
		used += n
		out = append(out, l)
	}
	return out
}
