package link

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

func mustEndpoint(t testing.TB, s string) Endpoint {
	t.Helper()
	ep, err := ParseEndpoint(s)
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func listenerStats(t testing.TB, sys *actor.ActorSystem, pid *actor.PID) *ListenerStats {
	t.Helper()
	r, err := sys.Root.RequestFuture(pid, &GetStats{}, wait).Result()
	if err != nil {
		t.Fatal(err)
	}
	return r.(*ListenerStats)
}

func TestListenerTCP(t *testing.T) {
	for _, s := range []string{"tcp/127.0.0.1:0?prio=2#iface=lo", "tcp/[::1]:0"} {
		t.Run(s, func(t *testing.T) {
			if strings.Contains(s, "::1") {
				ln, err := net.Listen("tcp", "[::1]:0")
				if err != nil {
					t.Skip("no IPv6 loopback:", err)
				}
				ln.Close()
			}
			testListenerTCP(t, mustEndpoint(t, s))
		})
	}
}

func testListenerTCP(t *testing.T, ep Endpoint) {
	sys := newSystem(t)
	_, lnPID, out := spawnOwner(t, sys, ListenerProps(ep, ListenerConfig{}), false)
	l := next[*Listening](t, out)
	if l.Endpoint.Proto != "tcp" || strings.HasSuffix(l.Endpoint.Addr, ":0") ||
		l.Endpoint.Metadata != ep.Metadata || l.Endpoint.Config != ep.Config {
		t.Fatalf("Listening on %s, from %s", l.Endpoint, ep)
	}
	const n = 5
	var dialed []net.Conn
	for range n {
		c, info, err := Dial(context.Background(), l.Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if !info.Stream || info.MTU != TCPMTU || info.Proto != "tcp" || info.Remote != l.Endpoint.Addr {
			t.Fatalf("Dial info %+v", info)
		}
		dialed = append(dialed, c)
	}
	remotes := map[string]bool{}
	for range n {
		a := next[*Accepted](t, out)
		defer a.Conn.Close()
		if a.Endpoint != l.Endpoint || !a.Info.Stream || a.Info.MTU != TCPMTU || a.Info.Local != l.Endpoint.Addr {
			t.Fatalf("Accepted %+v on %s", a.Info, a.Endpoint)
		}
		remotes[a.Info.Remote] = true
	}
	for _, c := range dialed {
		if !remotes[c.LocalAddr().String()] {
			t.Errorf("connection from %s not accepted", c.LocalAddr())
		}
	}
	if s := listenerStats(t, sys, lnPID); s.Accepted != n {
		t.Errorf("stats %+v; want %d accepted", s, n)
	}
	stop(t, sys, lnPID)
	next[*actor.Terminated](t, out)
	checkNoGoroutines(t)
	if c, _, err := Dial(context.Background(), l.Endpoint); err == nil {
		c.Close()
		t.Fatal("dial succeeded after the listener stopped")
	}
}

func TestListenFailed(t *testing.T) {
	sys := newSystem(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tt := range []struct {
		ep   Endpoint
		want error
	}{
		{Endpoint{Proto: "tcp", Addr: busy.Addr().String()}, syscall.EADDRINUSE},
		{Endpoint{Proto: "quic", Addr: "127.0.0.1:0"}, ErrProtocol},
		{Endpoint{Proto: "udp", Addr: "192.0.2.1:0"}, syscall.EADDRNOTAVAIL},
	} {
		t.Run(tt.ep.String(), func(t *testing.T) {
			_, pid, out := spawnOwner(t, sys, ListenerProps(tt.ep, ListenerConfig{}), false)
			f := next[*ListenFailed](t, out)
			if f.Endpoint != tt.ep || !errors.Is(f.Err, tt.want) {
				t.Fatalf("ListenFailed %s: %v; want %v", f.Endpoint, f.Err, tt.want)
			}
			if term := next[*actor.Terminated](t, out); !term.Who.Equal(pid) {
				t.Fatalf("Terminated %v", term.Who)
			}
		})
	}
	checkNoGoroutines(t)
}

// fakeListener returns the errors in errs from Accept, then conn, then
// blocks until closed.
type fakeListener struct {
	mu     sync.Mutex
	errs   []error
	conn   net.Conn
	closed chan struct{}
	once   sync.Once
}

type tempErr struct{}

func (tempErr) Error() string   { return "temporary" }
func (tempErr) Timeout() bool   { return false }
func (tempErr) Temporary() bool { return true }

func (l *fakeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		l.mu.Unlock()
		return nil, err
	}
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.closed
	return nil, net.ErrClosed
}

func (l *fakeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9} }

func TestListenerAcceptErrors(t *testing.T) {
	sys := newSystem(t)
	ep := mustEndpoint(t, "tcp/127.0.0.1:0")

	t.Run("temporary", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		fl := &fakeListener{errs: []error{tempErr{}, tempErr{}, tempErr{}}, conn: a, closed: make(chan struct{})}
		cfg := ListenerConfig{listen: func(string) (net.Listener, error) { return fl, nil }}
		_, pid, out := spawnOwner(t, sys, ListenerProps(ep, cfg), false)
		if l := next[*Listening](t, out); l.Endpoint.Addr != "127.0.0.1:9" {
			t.Fatalf("Listening on %s", l.Endpoint)
		}
		if acc := next[*Accepted](t, out); acc.Conn != a {
			t.Fatalf("Accepted %v", acc.Conn)
		}
		stop(t, sys, pid)
		select {
		case <-fl.closed:
		default:
			t.Fatal("listener not closed on stop")
		}
	})
	t.Run("permanent", func(t *testing.T) {
		bad := errors.New("permanent")
		fl := &fakeListener{errs: []error{tempErr{}, bad}, closed: make(chan struct{})}
		cfg := ListenerConfig{listen: func(string) (net.Listener, error) { return fl, nil }}
		_, pid, out := spawnOwner(t, sys, ListenerProps(ep, cfg), false)
		next[*Listening](t, out)
		if f := next[*ListenFailed](t, out); !errors.Is(f.Err, bad) {
			t.Fatalf("ListenFailed: %v", f.Err)
		}
		if term := next[*actor.Terminated](t, out); !term.Who.Equal(pid) {
			t.Fatalf("Terminated %v", term.Who)
		}
	})
	checkNoGoroutines(t)
}

func TestDial(t *testing.T) {
	if _, _, err := Dial(context.Background(), Endpoint{Proto: "quic", Addr: "127.0.0.1:1"}); !errors.Is(err, ErrProtocol) {
		t.Errorf("dial quic: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Dial(ctx, mustEndpoint(t, "tcp/127.0.0.1:1")); err == nil {
		t.Error("dial with a cancelled context succeeded")
	}
	c, info, err := Dial(context.Background(), mustEndpoint(t, "udp/127.0.0.1:9"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if info.Stream || info.MTU != udpLinkMTU || info.Proto != "udp" || info.Remote != "127.0.0.1:9" || info.Local == "" {
		t.Errorf("udp info %+v", info)
	}
}
