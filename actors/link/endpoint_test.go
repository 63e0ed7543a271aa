package link

import (
	"errors"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in   string
		want Endpoint
		err  error // nil: valid
	}{
		{in: "tcp/127.0.0.1:7447", want: Endpoint{Proto: "tcp", Addr: "127.0.0.1:7447"}},
		{in: "udp/127.0.0.1:7447", want: Endpoint{Proto: "udp", Addr: "127.0.0.1:7447"}},
		{in: "tcp/[::1]:7447", want: Endpoint{Proto: "tcp", Addr: "[::1]:7447"}},
		{in: "tcp/[::]:0", want: Endpoint{Proto: "tcp", Addr: "[::]:0"}},
		{in: "tcp/[fe80::1%eth0]:7447", want: Endpoint{Proto: "tcp", Addr: "[fe80::1%eth0]:7447"}},
		{in: "tcp/localhost:7447", want: Endpoint{Proto: "tcp", Addr: "localhost:7447"}},
		{in: "tcp/0.0.0.0:65535", want: Endpoint{Proto: "tcp", Addr: "0.0.0.0:65535"}},
		{in: "udp/10.0.0.1:7447?iface=eth0", want: Endpoint{Proto: "udp", Addr: "10.0.0.1:7447", Metadata: "iface=eth0"}},
		{in: "tcp/10.0.0.1:7447#so_sndbuf=65000", want: Endpoint{Proto: "tcp", Addr: "10.0.0.1:7447", Config: "so_sndbuf=65000"}},
		{in: "tcp/[::1]:7447?prio=1-7;rel=1#iface=lo;bind=x", want: Endpoint{Proto: "tcp", Addr: "[::1]:7447", Metadata: "prio=1-7;rel=1", Config: "iface=lo;bind=x"}},
		{in: "tcp/h:1?#", want: Endpoint{Proto: "tcp", Addr: "h:1"}},

		{in: "", err: ErrEndpoint},
		{in: "tcp", err: ErrEndpoint},
		{in: "/127.0.0.1:7447", err: ErrEndpoint},
		{in: "quic/127.0.0.1:7447", err: ErrProtocol},
		{in: "TCP/127.0.0.1:7447", err: ErrProtocol},
		{in: "tls/127.0.0.1:7447", err: ErrProtocol},
		{in: "tcp/", err: ErrEndpoint},
		{in: "tcp/127.0.0.1", err: ErrEndpoint},
		{in: "tcp/127.0.0.1:", err: ErrEndpoint},
		{in: "tcp/:7447", err: ErrEndpoint},
		{in: "tcp/127.0.0.1:http", err: ErrEndpoint},
		{in: "tcp/127.0.0.1:65536", err: ErrEndpoint},
		{in: "tcp/127.0.0.1:-1", err: ErrEndpoint},
		{in: "tcp/::1:7447", err: ErrEndpoint},
		{in: "tcp/[::1:7447", err: ErrEndpoint},
		{in: "tcp/::1]:7447", err: ErrEndpoint},
		{in: "tcp/[::1]7447", err: ErrEndpoint},
		{in: "tcp/[127.0.0.1]:7447", err: ErrEndpoint},
		{in: "tcp/[localhost]:7447", err: ErrEndpoint},
		{in: "tcp/[]:7447", err: ErrEndpoint},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEndpoint(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ParseEndpoint(%q) = %+v, %v; want error %v", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseEndpoint(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			back, err := ParseEndpoint(got.String())
			if err != nil || back != got {
				t.Fatalf("round trip of %q via %q = %+v, %v", tt.in, got.String(), back, err)
			}
		})
	}
}

func TestEndpointString(t *testing.T) {
	e := Endpoint{Proto: "tcp", Addr: "127.0.0.1:7447"}
	if s := e.String(); s != "tcp/127.0.0.1:7447" {
		t.Errorf("String() = %q", s)
	}
	e.Metadata, e.Config = "prio=2", "iface=lo"
	if s := e.String(); s != "tcp/127.0.0.1:7447?prio=2#iface=lo" {
		t.Errorf("String() = %q", s)
	}
	if s := e.Locator(); s != "tcp/127.0.0.1:7447?prio=2" {
		t.Errorf("Locator() = %q", s)
	}
}

func TestEndpointValues(t *testing.T) {
	e, err := ParseEndpoint("udp/127.0.0.1:7447?iface=eth0;flag;x=#a=1;b=two")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		get       func(string) (string, bool)
		key, want string
		ok        bool
	}{
		{e.MetadataValue, "iface", "eth0", true},
		{e.MetadataValue, "flag", "", true},
		{e.MetadataValue, "x", "", true},
		{e.MetadataValue, "nope", "", false},
		{e.ConfigValue, "a", "1", true},
		{e.ConfigValue, "b", "two", true},
		{e.ConfigValue, "iface", "", false},
	} {
		if v, ok := c.get(c.key); v != c.want || ok != c.ok {
			t.Errorf("value of %q = %q, %v; want %q, %v", c.key, v, ok, c.want, c.ok)
		}
	}
}
