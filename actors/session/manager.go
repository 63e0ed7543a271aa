package session

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/scout"
	"github.com/gozenoh/zenoh/codec"
)

// ManagerConfig configures a node's session manager.
type ManagerConfig struct {
	// Session is the node's session configuration; a missing CookieSecret
	// is filled with random bytes.
	Session Config
	Listen  []link.Endpoint
	Connect []link.Endpoint
	// Handler receives Opened and Closed, and admits each session
	// (Admit); nil admits every session with a handler that drops what
	// it receives.
	Handler *actor.PID
	// MaxSessions bounds established sessions (Rust: 1000); a session
	// beyond it is closed.
	MaxSessions int
	// MaxHandshakes bounds accepted connections still in their handshake;
	// connections beyond it are closed at once.
	MaxHandshakes int
	// Actor is the template for each session (RX/TX limits, timeouts).
	Actor  ActorConfig
	Dialer DialerConfig
	// Scouting configures UDP multicast scouting (spec/transport.md 7).
	Scouting ScoutingConfig
	Logger   *slog.Logger
}

// ScoutingConfig configures multicast scouting for a node.
type ScoutingConfig struct {
	// Multicast answers Scouts with Hellos listing the node's locators,
	// and makes a client or peer without connect endpoints scout for a
	// router to connect to.
	Multicast bool
	// Group is the multicast group (default 224.0.0.224:7446).
	Group string
	// Interface is where to scout and answer (nil: the default route's).
	Interface *net.Interface
}

// Listening answers GetListening: the endpoints the listeners bound
// (ports resolved).
type Listening struct {
	Endpoints []link.Endpoint
	// Failed holds one error per listen endpoint that could not bind.
	Failed []error
}

// GetListening asks the Manager for its bound listen endpoints.
type GetListening struct{}

// Shutdown asks the Manager to close every session with Close(GENERIC)
// and answer ShutdownDone once all of them ended (or after Timeout), so
// that the node can stop knowing its peers were told.
type Shutdown struct {
	Timeout time.Duration
}

// ShutdownDone answers Shutdown.
type ShutdownDone struct{}

// CloseAll asks the Manager to close every established session with
// Close(Reason); listeners and dialers go on, so peers can come back.
type CloseAll struct {
	Reason byte
}

// shutdownTimeout ends a Shutdown that waited too long.
type shutdownTimeout struct{}

// GetSessions asks the Manager for its established sessions; it answers
// with Sessions.
type GetSessions struct{}

// Sessions lists established sessions by peer.
type Sessions struct {
	ByZID map[codec.ZenohID]*actor.PID
}

// ManagerProps returns the props of a node's session manager. It spawns a
// listener per listen endpoint and a dialer per connect endpoint as its
// children, spawns a session for each accepted connection, keeps one
// session per peer ZenohId (a newer one replaces the older), and forwards
// Opened and Closed to the Handler.
func ManagerProps(cfg ManagerConfig) (*actor.Props, error) {
	if len(cfg.Session.CookieSecret) == 0 {
		cfg.Session.CookieSecret = make([]byte, 32)
		if _, err := rand.Read(cfg.Session.CookieSecret); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrRandom, err)
		}
	}
	acc, err := NewAcceptor(cfg.Session)
	if err != nil {
		return nil, err
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = 1000
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &manager{cfg: cfg, acceptor: acc, sessions: map[codec.ZenohID]*actor.PID{},
			pending: map[string]bool{}}
	}), nil
}

type manager struct {
	cfg      ManagerConfig
	acceptor *Acceptor
	sessions map[codec.ZenohID]*actor.PID // established, by peer
	pending  map[string]bool              // accepted sessions in handshake, by PID id
	// refusing: a refusal was logged less than a second ago; refused
	// counts those since, logged by refusedSummary.
	refusing  bool
	refused   int
	listening []link.Endpoint
	failed    []error
	listeners []*actor.PID
	dialers   []*actor.PID

	locs atomic.Pointer[[]string] // listen locators, read by the scout responder

	shutdownReply *actor.PID // who asked for Shutdown; nil when none is running
	shutdownTimer *time.Timer
}

func (m *manager) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		for _, ep := range m.cfg.Listen {
			m.listeners = append(m.listeners, ctx.Spawn(link.ListenerProps(ep, link.ListenerConfig{Logger: m.cfg.Logger})))
		}
		for _, ep := range m.cfg.Connect {
			m.dialers = append(m.dialers, ctx.Spawn(DialerProps(ep, m.dialerConfig(ctx))))
		}
		if sc := m.cfg.Scouting; sc.Multicast {
			ctx.Spawn(scout.ResponderProps(scout.ResponderConfig{ZID: m.cfg.Session.ZID,
				WhatAmI: m.cfg.Session.WhatAmI, Locators: m.locators, Group: sc.Group,
				Interface: sc.Interface, Logger: m.cfg.Logger}))
			if len(m.cfg.Connect) == 0 && m.cfg.Session.WhatAmI != codec.Router {
				d := m.dialerConfig(ctx)
				d.Discover = m.discover
				m.dialers = append(m.dialers, ctx.Spawn(DialerProps(link.Endpoint{}, d)))
			}
		}
	case *scout.ResponderFailed:
		m.cfg.Logger.Warn("multicast scouting unavailable, going on without it", "err", msg.Err)
	case *scout.ResponderJoined:
		m.cfg.Logger.Info("answering scouts", "group", msg.Group, "interface", msg.Interface)
	case *link.Listening:
		m.listening = append(m.listening, msg.Endpoint)
		locs := make([]string, len(m.listening))
		for i, ep := range m.listening {
			locs[i] = ep.Locator()
		}
		m.locs.Store(&locs)
		m.cfg.Logger.Info("listening", "endpoint", msg.Endpoint.String())
	case *link.ListenFailed:
		m.cfg.Logger.Error("cannot listen", "endpoint", msg.Endpoint.String(), "err", msg.Err)
		m.failed = append(m.failed, fmt.Errorf("listen %s: %w", msg.Endpoint, msg.Err))
	case *refusedSummary:
		m.summarizeRefused(ctx)
	case *link.Accepted:
		m.accepted(ctx, msg)
	case *Opened:
		m.opened(ctx, msg)
	case *Closed:
		if pid, ok := m.sessions[msg.ZID]; ok && pid.Equal(msg.Session) {
			delete(m.sessions, msg.ZID)
		}
		m.forward(ctx, msg)
		if m.shutdownReply != nil && len(m.sessions) == 0 {
			m.shutdownFinished(ctx)
		}
	case *Shutdown:
		m.shutdown(ctx, msg)
	case *CloseAll:
		for _, pid := range m.sessions {
			ctx.Send(pid, &CloseSession{Reason: msg.Reason})
		}
	case *shutdownTimeout:
		if m.shutdownReply != nil {
			m.cfg.Logger.Warn("shutdown: sessions still open after the timeout", "sessions", len(m.sessions))
			m.shutdownFinished(ctx)
		}
	case *actor.Stopping:
		if m.shutdownTimer != nil {
			m.shutdownTimer.Stop()
		}
	case *actor.Terminated:
		delete(m.pending, msg.Who.Id)
	case *GetListening:
		ctx.Respond(&Listening{Endpoints: append([]link.Endpoint(nil), m.listening...),
			Failed: append([]error(nil), m.failed...)})
	case *GetSessions:
		out := make(map[codec.ZenohID]*actor.PID, len(m.sessions))
		for k, v := range m.sessions {
			out[k] = v
		}
		ctx.Respond(&Sessions{ByZID: out})
	}
}

// locators is called by the scout responder's goroutine.
func (m *manager) locators() []string {
	if p := m.locs.Load(); p != nil {
		return *p
	}
	return nil
}

// discover scouts for a router (run by a dialer's goroutine).
func (m *manager) discover(ctx context.Context) ([]link.Endpoint, error) {
	sc := m.cfg.Scouting
	found, err := scout.FirstRouter(ctx, scout.ScoutConfig{ZID: m.cfg.Session.ZID, Group: sc.Group,
		Interface: sc.Interface, Logger: m.cfg.Logger})
	if err != nil {
		return nil, err
	}
	var eps []link.Endpoint
	for _, l := range found.Locators {
		if ep, err := link.ParseEndpoint(l); err == nil {
			eps = append(eps, ep)
		}
	}
	return eps, nil
}

func (m *manager) shutdown(ctx actor.Context, s *Shutdown) {
	if m.shutdownReply != nil {
		ctx.Respond(&ShutdownDone{})
		return
	}
	// No new sessions: stop the listeners, keep dialers from redialing
	// (stopping them would drop their sessions without a Close).
	for _, l := range m.listeners {
		ctx.Stop(l)
	}
	for _, d := range m.dialers {
		ctx.Send(d, &quiesce{})
	}
	if len(m.sessions) == 0 {
		ctx.Respond(&ShutdownDone{})
		return
	}
	m.shutdownReply = ctx.Sender()
	for _, pid := range m.sessions {
		ctx.Send(pid, &CloseSession{Reason: codec.CloseGeneric})
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = time.Second
	}
	self, sys := ctx.Self(), ctx.ActorSystem()
	m.shutdownTimer = time.AfterFunc(timeout, func() { sys.Root.Send(self, &shutdownTimeout{}) })
}

func (m *manager) shutdownFinished(ctx actor.Context) {
	if m.shutdownTimer != nil {
		m.shutdownTimer.Stop()
		m.shutdownTimer = nil
	}
	if m.shutdownReply != nil {
		ctx.Send(m.shutdownReply, &ShutdownDone{})
		m.shutdownReply = nil
	}
}

func (m *manager) dialerConfig(ctx actor.Context) DialerConfig {
	d := m.cfg.Dialer
	d.Session = m.sessionConfig(ctx, nil)
	return d
}

// sessionConfig fills the session template for this node.
func (m *manager) sessionConfig(ctx actor.Context, acc *Acceptor) ActorConfig {
	c := m.cfg.Actor
	c.Session = m.cfg.Session
	c.Acceptor = acc
	c.Manager = ctx.Self()
	c.Logger = m.cfg.Logger
	return c
}

// refusedSummary logs the connections refused in the last second.
type refusedSummary struct{}

func (m *manager) summarizeRefused(ctx actor.Context) {
	if m.refused == 0 {
		m.refusing = false
		return
	}
	m.cfg.Logger.Warn("refused connections: too many handshakes in progress",
		"limit", m.cfg.MaxHandshakes, "refused", m.refused, "within", time.Second)
	m.refused = 0
	self, sys := ctx.Self(), ctx.ActorSystem()
	time.AfterFunc(time.Second, func() { sys.Root.Send(self, &refusedSummary{}) })
}

func (m *manager) accepted(ctx actor.Context, a *link.Accepted) {
	if len(m.pending) >= m.cfg.MaxHandshakes {
		// The first refusal is logged at once, the next ones once a
		// second with their count: a flood must not flood the log.
		if !m.refusing {
			m.refusing = true
			m.cfg.Logger.Warn("refusing connections: too many handshakes in progress",
				"remote", a.Info.Remote, "limit", m.cfg.MaxHandshakes, "refused", 1)
			self, sys := ctx.Self(), ctx.ActorSystem()
			time.AfterFunc(time.Second, func() { sys.Root.Send(self, &refusedSummary{}) })
		} else {
			m.refused++
		}
		_ = a.Conn.Close()
		return
	}
	c := m.sessionConfig(ctx, m.acceptor)
	c.Conn, c.Info = a.Conn, a.Info
	pid := ctx.Spawn(Props(c))
	m.pending[pid.Id] = true
}

func (m *manager) opened(ctx actor.Context, o *Opened) {
	delete(m.pending, o.Session.Id)
	if old, ok := m.sessions[o.ZID]; ok && !old.Equal(o.Session) {
		m.cfg.Logger.Info("session replaced", "peer", o.ZID)
		ctx.Send(old, &replace{})
	} else if !ok && len(m.sessions) >= m.cfg.MaxSessions {
		m.cfg.Logger.Warn("refusing session: too many sessions", "peer", o.ZID, "limit", m.cfg.MaxSessions)
		ctx.Send(o.Session, &CloseSession{Reason: codec.CloseMaxSessions})
		return
	}
	m.sessions[o.ZID] = o.Session
	if m.cfg.Handler == nil {
		ctx.Send(o.Session, &Admit{})
		return
	}
	m.forward(ctx, o)
}

func (m *manager) forward(ctx actor.Context, msg any) {
	if m.cfg.Handler != nil {
		ctx.Send(m.cfg.Handler, msg)
	}
}
