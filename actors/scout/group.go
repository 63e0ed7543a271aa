package scout

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// DefaultGroup is zenoh's scouting group and port (spec/transport.md 7.1),
// the same in Rust (scouting.multicast.address) and in pico
// (Z_CONFIG_MULTICAST_LOCATOR_DEFAULT).
const DefaultGroup = "224.0.0.224:7446"

// maxDatagram is the largest UDP payload; the read buffers are this big so
// the kernel never truncates a datagram silently.
const maxDatagram = 65535

// parseGroup parses a group given as "ip:port" or as the locator
// "udp/ip:port" ("" means DefaultGroup). It resolves no names: a group is
// an address.
func parseGroup(s string) (netip.AddrPort, error) {
	if s == "" {
		s = DefaultGroup
	}
	ap, err := netip.ParseAddrPort(strings.TrimPrefix(s, "udp/"))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: group %q: %v", ErrConfig, s, err)
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	if !ap.Addr().IsMulticast() || ap.Port() == 0 {
		return netip.AddrPort{}, fmt.Errorf("%w: group %q is not a multicast address and port", ErrConfig, s)
	}
	return ap, nil
}

// udpNetwork is the network name for sockets talking to group.
func udpNetwork(group netip.AddrPort) string {
	if group.Addr().Is4() {
		return "udp4"
	}
	return "udp6"
}

// ifaceName names ifi for logs and messages ("" for the system default).
func ifaceName(ifi *net.Interface) string {
	if ifi == nil {
		return ""
	}
	return ifi.Name
}

// sendFrom returns the local address a scouter binds to send to group
// out of ifi, and the destination to send to. Linux routes a multicast
// datagram out of the interface that owns its source address when the
// socket has no IP_MULTICAST_IF, so binding to the interface's IPv4
// address picks the interface with the standard library alone. IPv6
// selects the interface with the destination's zone instead. With ifi nil
// both are left to the routing table.
func sendFrom(group netip.AddrPort, ifi *net.Interface) (laddr, dst *net.UDPAddr, err error) {
	dst = net.UDPAddrFromAddrPort(group)
	if ifi == nil {
		return nil, dst, nil
	}
	if group.Addr().Is6() {
		dst.Zone = ifi.Name
		return nil, dst, nil
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: addresses of %s: %v", ErrConfig, ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip4 := n.IP.To4(); ip4 != nil {
				return &net.UDPAddr{IP: ip4}, dst, nil
			}
		}
	}
	return nil, nil, fmt.Errorf("%w: interface %s has no IPv4 address", ErrConfig, ifi.Name)
}
