package link

import (
	"context"
	"fmt"
	"net"
	"runtime"
)

// TCPMTU is the largest batch a TCP link carries, length prefix included
// (spec/transport.md 3.2).
const TCPMTU = 65535

// udpLinkMTU is the largest datagram, hence batch, a UDP link carries:
// 65535 - 8 (UDP header) - 40 (IPv6 header) on Linux and Windows, and
// zenoh's smaller defaults elsewhere (spec/transport.md 3.2). Info.MTU
// reports it.
var udpLinkMTU = udpMTU(runtime.GOOS)

func udpMTU(goos string) uint16 {
	switch goos {
	case "linux", "windows":
		return 65487
	case "darwin", "ios":
		return 9216
	default:
		return 8192
	}
}

// Dial connects to ep: a TCP connection (Nagle off) or a connected UDP
// socket, whose reads return one datagram and whose writes send one. It is
// a plain function for the dialer actor's goroutine; ctx bounds the dial.
func Dial(ctx context.Context, ep Endpoint) (net.Conn, Info, error) {
	switch ep.Proto {
	case "tcp", "udp":
	default:
		return nil, Info{}, fmt.Errorf("%w %q in endpoint %s", ErrProtocol, ep.Proto, ep)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, ep.Proto, ep.Addr)
	if err != nil {
		return nil, Info{}, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return c, connInfo(ep.Proto, c), nil
}

// connInfo describes a connected socket of protocol proto.
func connInfo(proto string, c net.Conn) Info {
	info := Info{Proto: proto, Local: c.LocalAddr().String(), Remote: c.RemoteAddr().String()}
	if proto == "udp" {
		info.MTU = udpLinkMTU
	} else {
		info.Stream, info.MTU = true, TCPMTU
	}
	return info
}
