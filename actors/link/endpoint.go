package link

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Endpoint is a parsed zenoh endpoint, proto/address?metadata#config
// (spec/transport.md 3.2 lists the protocols; this package speaks tcp and
// udp). Metadata and Config are kept verbatim: semicolon-separated
// key=value lists whose unknown keys are ignored. The locator part,
// proto/address?metadata, is what peers advertise; Config (after '#')
// stays local.
type Endpoint struct {
	Proto    string // "tcp" or "udp"
	Addr     string // host:port, IPv6 hosts in brackets
	Metadata string // after '?', without it
	Config   string // after '#', without it
}

// ParseEndpoint parses s as proto/address?metadata#config. The address
// must be host:port with a numeric port; an IPv6 host must be bracketed
// ([::1]:7447), and only an IPv6 host may be. The host is not resolved.
func ParseEndpoint(s string) (Endpoint, error) {
	var e Endpoint
	rest := s
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest, e.Config = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, e.Metadata = rest[:i], rest[i+1:]
	}
	proto, addr, ok := strings.Cut(rest, "/")
	if !ok || proto == "" {
		return Endpoint{}, fmt.Errorf("%w %q: missing protocol", ErrEndpoint, s)
	}
	switch proto {
	case "tcp", "udp":
	default:
		return Endpoint{}, fmt.Errorf("%w %q in endpoint %q", ErrProtocol, proto, s)
	}
	e.Proto, e.Addr = proto, addr
	if err := checkAddr(addr); err != nil {
		return Endpoint{}, fmt.Errorf("%w %q: %v", ErrEndpoint, s, err)
	}
	return e, nil
}

// checkAddr validates host:port without resolving the host.
func checkAddr(addr string) error {
	if addr == "" {
		return fmt.Errorf("missing address")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("missing host")
	}
	if port == "" {
		return fmt.Errorf("missing port")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	bracketed := addr[0] == '['
	ip, ipErr := netip.ParseAddr(host)
	switch {
	case bracketed && (ipErr != nil || !ip.Is6()):
		return fmt.Errorf("brackets around %q, which is not an IPv6 address", host)
	case !bracketed && ipErr == nil && ip.Is6():
		return fmt.Errorf("IPv6 address %q without brackets", host)
	}
	return nil
}

// String returns the endpoint as ParseEndpoint reads it: the locator,
// followed by #config when there is one.
func (e Endpoint) String() string {
	if e.Config == "" {
		return e.Locator()
	}
	return e.Locator() + "#" + e.Config
}

// Locator returns proto/address, followed by ?metadata when there is
// some: the part of the endpoint that peers advertise.
func (e Endpoint) Locator() string {
	s := e.Proto + "/" + e.Addr
	if e.Metadata != "" {
		s += "?" + e.Metadata
	}
	return s
}

// MetadataValue returns the value of key in the metadata list.
func (e Endpoint) MetadataValue(key string) (string, bool) { return lookup(e.Metadata, key) }

// ConfigValue returns the value of key in the config list.
func (e Endpoint) ConfigValue(key string) (string, bool) { return lookup(e.Config, key) }

// lookup finds key in a zenoh parameter list, k1=v1;k2=v2 (a key without
// '=' has the empty value).
func lookup(list, key string) (string, bool) {
	for list != "" {
		var kv string
		kv, list, _ = strings.Cut(list, ";")
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			return v, true
		}
	}
	return "", false
}
