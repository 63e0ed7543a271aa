package scout

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// FuzzAnswerer feeds arbitrary datagrams and locator lists to the
// responder's core. Properties: no panic; a Hello is produced only for a
// Scout asking for our role, never exceeds maxHello, and decodes back to
// our id and role.
func FuzzAnswerer(f *testing.F) {
	f.Add([]byte{0x01, 0x09, 0x03}, "tcp/0.0.0.0:7447")
	f.Add([]byte{0x01, 0x09, 0x07}, "tcp/[::]:7447?a=b")
	f.Add([]byte{0x81, 0x09, 0x01, 0x01, 0x00}, "")
	f.Add([]byte{0x22, 0x09, 0x00, 0x01, 0x01, 0x01, 'x'}, "x/:")
	zid := mustID("abcdef")
	f.Fuzz(func(t *testing.T, b []byte, locs string) {
		a := answerer{
			zid: zid, role: codec.Router,
			locators: func() []string { return []string{locs, locs + "1", "tcp/0.0.0.0:1"} },
			local: func(netip.AddrPort) (netip.Addr, bool) {
				return netip.MustParseAddr("192.0.2.1"), true
			},
			limit: newLimiter(time.Millisecond, 16, 1000),
		}
		v, hello, _ := a.datagram(b, netip.MustParseAddrPort("192.0.2.9:1"), time.Unix(1, 0))
		if v != verdictAnswer {
			if hello != nil {
				t.Fatalf("verdict %v with a Hello", v)
			}
			return
		}
		if len(hello) > maxHello {
			t.Fatalf("Hello of %d bytes", len(hello))
		}
		var m codec.ScoutingMessage
		if err := codec.DecodeScouting(hello, &m); err != nil {
			t.Fatalf("our Hello does not decode: %v\n% x", err, hello)
		}
		if m.ID != codec.MidHello || m.Hello.ZID != zid || m.Hello.WhatAmI != codec.Router {
			t.Fatalf("Hello %+v", m.Hello)
		}
	})
}
