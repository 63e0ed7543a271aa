package scout

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

func TestHelloLocators(t *testing.T) {
	v4 := netip.MustParseAddr("192.0.2.7")
	v6 := netip.MustParseAddr("2001:db8::7")
	long := "tcp/" + strings.Repeat("a", 300) + ":1"
	for _, tc := range []struct {
		name  string
		in    []string
		local netip.Addr
		have  bool
		want  []string
	}{
		{"kept", []string{"tcp/127.0.0.1:7447", "udp/[::1]:7447"}, v4, true, []string{"tcp/127.0.0.1:7447", "udp/[::1]:7447"}},
		{"v4 wildcard", []string{"tcp/0.0.0.0:7447"}, v4, true, []string{"tcp/192.0.2.7:7447"}},
		{"v6 wildcard, v4 local", []string{"tcp/[::]:7447"}, v4, true, []string{"tcp/192.0.2.7:7447"}},
		{"v6 wildcard, v6 local", []string{"tcp/[::]:7447"}, v6, true, []string{"tcp/[2001:db8::7]:7447"}},
		{"v4 wildcard, v6 local", []string{"tcp/0.0.0.0:7447"}, v6, true, []string{"tcp/0.0.0.0:7447"}},
		{"empty host", []string{"tcp/:7447"}, v4, true, []string{"tcp/192.0.2.7:7447"}},
		{"mapped local", []string{"tcp/0.0.0.0:7447"}, netip.MustParseAddr("::ffff:192.0.2.7"), true, []string{"tcp/192.0.2.7:7447"}},
		{"no local", []string{"tcp/0.0.0.0:7447"}, netip.Addr{}, false, []string{"tcp/0.0.0.0:7447"}},
		{"metadata kept", []string{"tcp/0.0.0.0:7447?prio=1-7#x=y"}, v4, true, []string{"tcp/192.0.2.7:7447?prio=1-7#x=y"}},
		{"named port kept", []string{"tcp/0.0.0.0:zenoh"}, v4, true, []string{"tcp/0.0.0.0:zenoh"}},
		{"duplicates", []string{"tcp/0.0.0.0:7447", "tcp/192.0.2.7:7447"}, v4, true, []string{"tcp/192.0.2.7:7447"}},
		{"too long, empty, odd", []string{long, "", "serial/dev/ttyUSB0", "nonsense"}, v4, true, []string{"serial/dev/ttyUSB0", "nonsense"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := helloLocators(tc.in, tc.local, tc.have, maxHello)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHelloLocatorsBudget(t *testing.T) {
	var in []string
	for i := range 1000 {
		in = append(in, "tcp/192.0.2.1:"+strconv.Itoa(10000+i)+"?x="+strings.Repeat("x", i%50))
	}
	a := answerer{
		zid: mustID("123456789abcdef0123456789abcdef0"), role: codec.Router,
		locators: func() []string { return in },
		limit:    newLimiter(time.Millisecond, 16, 1000),
	}
	v, hello, err := a.datagram([]byte{0x01, 0x09, 0x01}, netip.MustParseAddrPort("192.0.2.9:1"), time.Unix(1, 0))
	if v != verdictAnswer || err != nil {
		t.Fatalf("verdict %v, %v", v, err)
	}
	if len(hello) > maxHello {
		t.Fatalf("Hello of %d bytes", len(hello))
	}
	var m codec.ScoutingMessage
	if err := codec.DecodeScouting(hello, &m); err != nil {
		t.Fatal(err)
	}
	if n := len(m.Hello.Locators); n < 10 || !slices.Equal(m.Hello.Locators, in[:n]) {
		t.Fatalf("%d locators, not a prefix of the input", n)
	}
}

// TestHelloGolden checks the responder's Hello against the one captured
// with pico's z_scout (spec/transport.md 10.10).
func TestHelloGolden(t *testing.T) {
	zid, err := hlc.IDFromBytes([]byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef})
	if err != nil {
		t.Fatal(err)
	}
	a := answerer{
		zid: zid, role: codec.Router,
		locators: func() []string { return []string{"tcp/127.0.0.1:7447"} },
		limit:    newLimiter(time.Millisecond, 16, 1000),
	}
	v, hello, err := a.datagram([]byte{0x01, 0x09, 0x03}, netip.MustParseAddrPort("192.0.2.9:1"), time.Unix(1, 0))
	if v != verdictAnswer || err != nil {
		t.Fatalf("verdict %v, %v", v, err)
	}
	want := []byte{0x22, 0x09, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x01, 0x12, 't', 'c', 'p', '/', '1', '2', '7', '.', '0', '.', '0', '.', '1', ':', '7', '4', '4', '7'}
	if !slices.Equal(hello, want) {
		t.Fatalf("Hello\n% x\nwant\n% x", hello, want)
	}
}

func TestAnswererVerdicts(t *testing.T) {
	zid := mustID("1234")
	src := netip.MustParseAddrPort("192.0.2.9:1")
	for _, tc := range []struct {
		name string
		role codec.WhatAmI
		in   []byte
		want verdict
	}{
		{"router for router", codec.Router, []byte{0x01, 0x09, 0x01}, verdictAnswer},
		{"client asked", codec.Client, []byte{0x01, 0x09, 0x07}, verdictAnswer},
		{"peer not asked", codec.Peer, []byte{0x01, 0x09, 0x05}, verdictIgnored},
		{"own zid", codec.Router, scoutBytes(codec.Router, zid), verdictIgnored},
		{"other zid", codec.Router, scoutBytes(codec.Router, mustID("5678")), verdictAnswer},
		{"other version", codec.Router, []byte{0x01, 0x08, 0x01}, verdictAnswer},
		{"hello", codec.Router, codec.AppendHello(nil, &codec.Hello{Version: 9, WhatAmI: codec.Router, ZID: zid}), verdictIgnored},
		{"garbage", codec.Router, []byte{0x01, 0x09}, verdictBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := answerer{zid: zid, role: tc.role, limit: newLimiter(time.Millisecond, 16, 1000)}
			v, hello, err := a.datagram(tc.in, src, time.Unix(1, 0))
			if v != tc.want || (v == verdictBad) != (err != nil) || (v == verdictAnswer) != (hello != nil) {
				t.Fatalf("verdict %v (hello %x, err %v), want %v", v, hello, err, tc.want)
			}
		})
	}
}
