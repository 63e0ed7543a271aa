// Package actors wires a Zenoh node out of the actor kinds in its
// subpackages: a session manager (listeners, dialers, one actor per
// session) and a router actor that owns the routing tables. The public
// API in the root package and cmd/node both start nodes through it, and so
// do the multi-node tests in test/.
package actors

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// NodeConfig configures a node.
type NodeConfig struct {
	// Mode is the node's role: Router, Peer or Client.
	Mode codec.WhatAmI
	// ZID is the node's ZenohId; the zero value picks a random one.
	ZID             codec.ZenohID
	Listen, Connect []link.Endpoint
	// Timestamping stamps routed Puts with the node's HLC (zenoh's
	// default for routers; DefaultNodeConfig sets it for Router).
	Timestamping bool
	Scouting     session.ScoutingConfig
	// Router and Session are templates: their ZID and mode are the node's.
	Router  router.Config
	Session session.Config
	Dialer  session.DialerConfig
	// MaxSessions bounds established sessions (0: the manager's default).
	MaxSessions int
	// TickEvery is the router's timer period (query timeouts).
	TickEvery time.Duration
	// ListenTimeout bounds how long StartNode waits for its listeners.
	ListenTimeout time.Duration
	Logger        *slog.Logger
}

// DefaultNodeConfig returns the configuration of a node of the given mode
// with zenoh's defaults: routers listen on tcp/[::]:7447 and timestamp.
func DefaultNodeConfig(mode codec.WhatAmI) NodeConfig {
	c := NodeConfig{Mode: mode, Router: router.DefaultConfig(), Session: session.DefaultConfig(),
		Timestamping: mode == codec.Router, ListenTimeout: 10 * time.Second}
	if mode == codec.Router {
		ep, _ := link.ParseEndpoint("tcp/[::]:7447")
		c.Listen = []link.Endpoint{ep}
	}
	return c
}

// Node is a running node inside an actor system its caller owns.
type Node struct {
	ZID     codec.ZenohID
	Mode    codec.WhatAmI
	Clock   *hlc.Clock
	Router  *actor.PID
	Manager *actor.PID
	// Plane is the node's data plane: local faces attach to it.
	Plane *router.Plane

	sys       *actor.ActorSystem
	listening []link.Endpoint
}

// ErrListen reports listen endpoints that could not be bound.
var ErrListen = errors.New("actors: cannot listen")

// StartNode spawns a node's router and session manager in sys and waits
// until every listen endpoint is bound. If one cannot be, the node is
// stopped and the error wraps ErrListen.
func StartNode(sys *actor.ActorSystem, cfg NodeConfig) (*Node, error) {
	if !cfg.Mode.Valid() {
		return nil, fmt.Errorf("actors: invalid mode %d", cfg.Mode)
	}
	if cfg.ZID.IsZero() {
		id, err := hlc.NewRandomID(rand.Reader)
		if err != nil {
			return nil, err
		}
		cfg.ZID = id
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ListenTimeout <= 0 {
		cfg.ListenTimeout = 10 * time.Second
	}
	if cfg.Router.RouteCacheSize == 0 {
		cfg.Router = router.DefaultConfig()
	}
	if cfg.Session.BatchSize == 0 {
		cfg.Session = session.DefaultConfig()
	}

	clock, err := hlc.NewClock(cfg.ZID, hlc.DefaultConfig())
	if err != nil {
		return nil, err
	}
	plane := router.NewPlane(sys, router.PlaneConfig{Timestamping: cfg.Timestamping, Clock: clock,
		RouteCacheSize: cfg.Router.RouteCacheSize, Logger: cfg.Logger})
	rcfg := router.ActorConfig{Tables: cfg.Router, TickEvery: cfg.TickEvery, Plane: plane, Logger: cfg.Logger}
	rcfg.Tables.ZID, rcfg.Tables.Mode = cfg.ZID, cfg.Mode
	rprops, err := router.Props(rcfg)
	if err != nil {
		return nil, err
	}
	mcfg := session.ManagerConfig{Session: cfg.Session, Listen: cfg.Listen, Connect: cfg.Connect,
		MaxSessions: cfg.MaxSessions, Dialer: cfg.Dialer, Scouting: cfg.Scouting, Logger: cfg.Logger}
	mcfg.Session.ZID, mcfg.Session.WhatAmI = cfg.ZID, cfg.Mode
	// Reassembly memory for the whole node: what one session may hold,
	// shared by all of them.
	mcfg.Actor.RX = session.DefaultRXConfig()
	mcfg.Actor.RX.Node = session.NewBudget(int64(mcfg.Actor.RX.MaxBuffered))
	n := &Node{ZID: cfg.ZID, Mode: cfg.Mode, Clock: clock, Plane: plane, sys: sys}
	n.Router = sys.Root.Spawn(rprops)
	plane.SetRouter(n.Router)
	mcfg.Handler = n.Router
	mprops, err := session.ManagerProps(mcfg)
	if err != nil {
		sys.Root.Stop(n.Router)
		return nil, err
	}
	n.Manager = sys.Root.Spawn(mprops)
	plane.SetManager(n.Manager)
	if err := n.awaitListeners(len(cfg.Listen), cfg.ListenTimeout); err != nil {
		n.Stop(0)
		return nil, err
	}
	return n, nil
}

// awaitListeners polls the manager until want listeners reported. The
// manager learns of binds asynchronously and offers no subscription, so
// this is a short poll.
func (n *Node) awaitListeners(want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		res, err := n.sys.Root.RequestFuture(n.Manager, &session.GetListening{}, timeout).Result()
		if err != nil {
			return fmt.Errorf("actors: asking the session manager: %w", err)
		}
		l := res.(*session.Listening)
		if len(l.Failed) > 0 {
			return fmt.Errorf("%w: %w", ErrListen, errors.Join(l.Failed...))
		}
		if len(l.Endpoints) >= want {
			n.listening = l.Endpoints
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %d of %d endpoints bound after %v", ErrListen, len(l.Endpoints), want, timeout)
		}
		<-time.After(5 * time.Millisecond)
	}
}

// Listening returns the bound listen endpoints (ports resolved).
func (n *Node) Listening() []link.Endpoint { return n.listening }

// Sessions returns the node's established sessions by peer.
func (n *Node) Sessions() (map[codec.ZenohID]*actor.PID, error) {
	res, err := n.sys.Root.RequestFuture(n.Manager, &session.GetSessions{}, 5*time.Second).Result()
	if err != nil {
		return nil, err
	}
	return res.(*session.Sessions).ByZID, nil
}

// Stop closes every session (telling peers with Close, waiting at most
// timeout) and stops the node's actors.
func (n *Node) Stop(timeout time.Duration) {
	if timeout > 0 {
		_, _ = n.sys.Root.RequestFuture(n.Manager, &session.Shutdown{Timeout: timeout}, timeout+time.Second).Result()
	}
	_ = n.sys.Root.StopFuture(n.Manager).Wait()
	_ = n.sys.Root.StopFuture(n.Router).Wait()
}
