package link

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// ListenerConfig tunes a listener actor.
type ListenerConfig struct {
	// Logger receives the listener's events. Nil discards them.
	Logger *slog.Logger

	// MaxBackoff caps the pause after a temporary accept or receive error
	// (out of file descriptors...), which starts at 5 ms and doubles.
	// Default 1 s.
	MaxBackoff time.Duration

	// UDPMaxRemotes caps the table of remote addresses a UDP listener
	// demultiplexes; datagrams from further remotes are dropped (and
	// counted) until a connection closes. Default 1024.
	UDPMaxRemotes int

	// UDPQueueLen caps the datagrams queued for each remote whose link has
	// not read them yet; excess datagrams are dropped. Default 64.
	UDPQueueLen int

	// UDPQueueBytes caps the bytes queued across all remotes. Default 16 MiB.
	UDPQueueBytes int

	// listen replaces net.ListenConfig.Listen for TCP in tests.
	listen func(addr string) (net.Listener, error)
}

func (c *ListenerConfig) validate() error {
	if c.MaxBackoff < 0 || c.UDPMaxRemotes < 0 || c.UDPQueueLen < 0 || c.UDPQueueBytes < 0 {
		return fmt.Errorf("%w: negative ListenerConfig field", ErrConfig)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = time.Second
	}
	if c.UDPMaxRemotes == 0 {
		c.UDPMaxRemotes = 1024
	}
	if c.UDPQueueLen == 0 {
		c.UDPQueueLen = 64
	}
	if c.UDPQueueBytes == 0 {
		c.UDPQueueBytes = 16 << 20
	}
	return nil
}

// ListenerProps returns the props of a listener on ep. Once bound it sends
// its parent *Listening (with the actual address), then *Accepted for each
// connection; if it cannot listen it sends *ListenFailed and stops.
// Limiting connections that are accepted but not yet established is the
// parent's job. Props panics on a negative cfg field.
func ListenerProps(ep Endpoint, cfg ListenerConfig) *actor.Props {
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &listenerActor{ep: ep, cfg: cfg}
	})
}

// acceptFailed is sent by the accept goroutine when accepting fails for
// good.
type acceptFailed struct{ err error }

// IgnoreDeadLetterLogging: the listener may be gone by the time it arrives.
func (*acceptFailed) IgnoreDeadLetterLogging() {}

// listenerActor owns a TCP listener and its accept goroutine, or a UDP
// demultiplexer and its receive goroutine.
type listenerActor struct {
	ep  Endpoint
	cfg ListenerConfig

	bound    Endpoint
	ln       net.Listener
	accepted atomic.Uint64 // TCP connections handed to the parent
	udp      *udpDemux
	done     chan struct{}
	wg       sync.WaitGroup
	stopped  bool
}

func (a *listenerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.start(ctx)
	case *acceptFailed:
		a.fail(ctx, m.err)
	case *GetStats:
		ctx.Respond(a.stats())
	case *actor.Stopping, *actor.Restarting:
		a.shutdown()
	}
}

func (a *listenerActor) start(ctx actor.Context) {
	a.done = make(chan struct{})
	root, self, parent := ctx.ActorSystem().Root, ctx.Self(), ctx.Parent()
	if parent == nil {
		panic("link: listener spawned without a parent")
	}
	var err error
	switch a.ep.Proto {
	case "tcp":
		err = a.listenTCP(root, self, parent)
	case "udp":
		err = a.listenUDP(root, parent)
	default:
		err = fmt.Errorf("%w %q", ErrProtocol, a.ep.Proto)
	}
	if err != nil {
		a.fail(ctx, err)
		return
	}
	a.cfg.Logger.Debug("listening", "endpoint", a.bound.String())
	ctx.Send(parent, &Listening{Endpoint: a.bound})
}

func (a *listenerActor) listenTCP(root *actor.RootContext, self, parent *actor.PID) error {
	listen := a.cfg.listen
	if listen == nil {
		listen = func(addr string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(context.Background(), "tcp", addr)
		}
	}
	ln, err := listen(a.ep.Addr)
	if err != nil {
		return err
	}
	a.ln = ln
	a.bound = a.ep
	a.bound.Addr = ln.Addr().String()
	bound := a.bound
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.acceptLoop(ln, func(c net.Conn) {
			root.Send(parent, &Accepted{Conn: c, Info: connInfo("tcp", c), Endpoint: bound})
		}); err != nil {
			root.Send(self, &acceptFailed{err: err})
		}
	}()
	return nil
}

func (a *listenerActor) listenUDP(root *actor.RootContext, parent *actor.PID) error {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(context.Background(), "udp", a.ep.Addr)
	if err != nil {
		return err
	}
	sock, ok := pc.(*net.UDPConn)
	if !ok {
		_ = pc.Close()
		return fmt.Errorf("%w: udp listen returned %T", ErrProtocol, pc)
	}
	a.bound = a.ep
	a.bound.Addr = sock.LocalAddr().String()
	bound := a.bound
	a.udp = newUDPDemux(sock, &a.cfg, func(c *udpConn) {
		root.Send(parent, &Accepted{Conn: c, Info: c.info(), Endpoint: bound})
	})
	a.udp.start()
	return nil
}

// acceptLoop accepts until the listener closes (nil) or fails for good
// (the error). Temporary errors pause it with a growing backoff.
func (a *listenerActor) acceptLoop(ln net.Listener, accepted func(net.Conn)) error {
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err == nil {
			delay = 0
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetNoDelay(true)
			}
			a.accepted.Add(1)
			accepted(c)
			continue
		}
		select {
		case <-a.done:
			return nil
		default:
		}
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if !isTemporary(err) {
			return err
		}
		delay = nextBackoff(delay, a.cfg.MaxBackoff)
		a.cfg.Logger.Debug("accept error; backing off", "endpoint", a.ep.String(), "err", err, "delay", delay)
		if !sleep(delay, a.done) {
			return nil
		}
	}
}

// isTemporary reports a net error that says it may pass (EMFILE,
// ECONNABORTED...), as net/http's Server.Serve decides.
func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// nextBackoff doubles d from 5 ms up to limit.
func nextBackoff(d, limit time.Duration) time.Duration {
	if d == 0 {
		d = 5 * time.Millisecond
	} else {
		d *= 2
	}
	return min(d, limit)
}

// sleep waits d or until done closes; it reports whether d elapsed.
func sleep(d time.Duration, done <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-done:
		return false
	}
}

func (a *listenerActor) fail(ctx actor.Context, err error) {
	if a.stopped {
		return
	}
	a.cfg.Logger.Warn("listener failed", "endpoint", a.ep.String(), "err", err)
	ctx.Send(ctx.Parent(), &ListenFailed{Endpoint: a.ep, Err: err})
	ctx.Stop(ctx.Self())
}

func (a *listenerActor) stats() *ListenerStats {
	s := &ListenerStats{}
	if a.udp != nil {
		a.udp.fillStats(s)
	} else {
		s.Accepted = a.accepted.Load()
	}
	return s
}

// shutdown closes the listener and waits for its goroutine.
func (a *listenerActor) shutdown() {
	if a.stopped {
		return
	}
	a.stopped = true
	if a.done != nil {
		close(a.done)
	}
	if a.ln != nil {
		_ = a.ln.Close()
	}
	if a.udp != nil {
		a.udp.close()
	}
	a.wg.Wait()
}
