package zenoh

import (
	"github.com/gozenoh/zenoh/internal/faults"

	"github.com/gozenoh/zenoh/actors/aligner"

	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// ErrClosed is returned by the methods of a closed Session.
var ErrClosed = errors.New("zenoh: session closed")

// connectPoll is how often Open checks for an established session: the
// node offers no event to wait on.
const connectPoll = 5 * time.Millisecond

// askTimeout bounds the requests Open and Info make to the node's actors.
const askTimeout = 5 * time.Second

// Session is an open Zenoh session: a node of its own (router, peer or
// client) with one in-process session attached to it, through which the
// application publishes, subscribes and queries. Its methods are safe for
// concurrent use.
//
// Publications are routed on the goroutine that publishes them (Put
// encodes straight into the queues of the sessions they go to) or that
// received them (a link's reader): subscriber callbacks run there, one
// at a time per subscriber and in order, and a callback that blocks holds
// back that goroutine's traffic. Queryable callbacks, Get replies and
// liveliness events run on the session's dispatch goroutine, in order: a
// queryable callback must not wait for a reply of Get, which that same
// goroutine delivers.
type Session struct {
	cfg    Config
	sys    *actor.ActorSystem
	node   *actors.Node
	disp   *actor.PID // the dispatcher: control messages for this session
	face   *router.Local
	logger *slog.Logger

	storages     *actor.PID // supervisor of the node's storages, if any
	storageStats map[string]*storage.Stats
	alignerStats map[string]*aligner.Stats
	nextEntity   atomic.Uint32
	nextQuery    atomic.Uint32

	closeOnce sync.Once
	mu        sync.Mutex // orders closing against wg.Add and subs
	closed    atomic.Bool
	subs      map[uint32]*Subscriber           // declared, not yet undeclared
	lsubs     map[uint32]*LivelinessSubscriber // declared, not yet closed by the dispatcher
	done      chan struct{}                    // closed by Close: Get forwarders end
	wg        sync.WaitGroup
}

// Open starts a node configured by cfg and opens a session on it. When
// cfg has connect endpoints, Open returns once a session with at least
// one of them is established, or fails when ctx ends first (the node
// keeps dialing in the background until then).
func Open(ctx context.Context, cfg Config) (*Session, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}

	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ncfg := actors.DefaultNodeConfig(cfg.Mode)
	ncfg.Logger = logger
	if cfg.ID != "" {
		id, err := hlc.ParseID(cfg.ID)
		if err != nil {
			return nil, fmt.Errorf("zenoh: config id: %w", err)
		}
		ncfg.ZID = id
	}
	// A router without listen endpoints keeps zenoh's default
	// (tcp/[::]:7447); peers and clients listen only when told.
	if len(cfg.Listen) > 0 {
		ncfg.Listen = nil
		for _, s := range cfg.Listen {
			ep, err := link.ParseEndpoint(s)
			if err != nil {
				return nil, fmt.Errorf("zenoh: config listen.endpoints: %w", err)
			}
			ncfg.Listen = append(ncfg.Listen, ep)
		}
	}
	for _, s := range cfg.Connect {
		ep, err := link.ParseEndpoint(s)
		if err != nil {
			return nil, fmt.Errorf("zenoh: config connect.endpoints: %w", err)
		}
		ncfg.Connect = append(ncfg.Connect, ep)
	}
	ncfg.Scouting.Multicast = cfg.MulticastScouting
	ncfg.Timestamping = cfg.Mode == ModeRouter
	if cfg.Timestamping != nil {
		ncfg.Timestamping = *cfg.Timestamping
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = DefaultConfig().QueryTimeout
	}
	ncfg.Router.QueryTimeout = cfg.QueryTimeout

	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	n, err := actors.StartNode(sys, ncfg)
	if err != nil {
		sys.Shutdown()
		return nil, fmt.Errorf("zenoh: starting the node: %w", err)
	}
	s := &Session{cfg: cfg, sys: sys, node: n, logger: logger,
		done: make(chan struct{}), subs: map[uint32]*Subscriber{}, lsubs: map[uint32]*LivelinessSubscriber{}}
	d := &dispatcher{s: s, qbls: map[uint32]*Queryable{}, gets: map[uint32]*pendingGet{}, liv: newLiveliness()}
	s.disp = sys.Root.Spawn(actor.PropsFromFunc(d.receive))
	s.face = n.Plane.OpenLocal(router.LocalConfig{ZID: n.ZID, Control: s.disp, Echo: true})
	if err := s.face.Sync(askTimeout); err != nil {
		s.shutdown()
		return nil, fmt.Errorf("zenoh: opening the local session: %w", err)
	}
	if len(cfg.Storages) > 0 {
		s.alignerStats = map[string]*aligner.Stats{}
		scfgs := storageConfigs(&cfg, n, logger, s.alignerStats)
		s.storageStats = map[string]*storage.Stats{}
		for i := range scfgs {
			scfgs[i].Stats = &storage.Stats{}
			s.storageStats[scfgs[i].Name] = scfgs[i].Stats
		}
		s.storages = sys.Root.Spawn(storage.SupervisorProps(storage.SupervisorConfig{
			Storages: scfgs, Logger: logger}))
		// Open returns with the storages declared: what is put next is stored.
		if _, err := sys.Root.RequestFuture(s.storages, &storage.AwaitReady{}, storageStartWait).Result(); err != nil {
			s.shutdown()
			return nil, fmt.Errorf("zenoh: the storages did not start within %v (see the log): %w", storageStartWait, err)
		}
	}
	if len(cfg.Connect) > 0 {
		if err := s.awaitSession(ctx); err != nil {
			s.shutdown()
			return nil, err
		}
	}
	if cfg.Mode == ModeClient {
		s.awaitUpstream(ctx)
	}
	faults.Register(s, faults.Target{Sys: sys, Node: n, Storages: s.storages})
	return s, nil
}

// storageStartWait bounds how long Open waits for its storages.
const storageStartWait = 30 * time.Second

// upstreamWait bounds how long Open waits for a router's current
// declarations.
const upstreamWait = 5 * time.Second

// awaitUpstream waits until the router of a client has sent the
// subscribers, queryables and tokens behind it, so that a Put right
// after Open reaches the subscribers that exist (a client sends only
// where something matches). A router that does not answer in time only
// delays that: Open goes on.
func (s *Session) awaitUpstream(ctx context.Context) {
	wait := upstreamWait
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	if wait <= 0 {
		return
	}
	if _, err := s.sys.Root.RequestFuture(s.node.Router, &router.AwaitUpstream{Min: 1}, wait).Result(); err != nil {
		s.logger.Warn("zenoh: the router's declarations did not arrive in time", "err", err)
	}
}

// awaitSession polls until the node has an established session.
func (s *Session) awaitSession(ctx context.Context) error {
	t := time.NewTicker(connectPoll)
	defer t.Stop()
	for {
		if ss, err := s.node.Sessions(); err == nil && len(ss) > 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("zenoh: no session with %v: %w", s.cfg.Connect, ctx.Err())
		case <-t.C:
		}
	}
}

// Close closes the session: everything it declared is withdrawn, the
// node closes its sessions with its peers (waiting up to a second) and
// stops. Channels of its subscribers and Gets are closed. Close waits
// for a running callback to return. Closing twice returns nil.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		// Publications are in their sessions' queues when Put returns;
		// waiting for the router puts what the session declared or
		// asked there too, ahead of the Close that stopping the node
		// sends them.
		s.face.Close(askTimeout)
		s.shutdown()
	})
	return nil
}

// shutdown stops the local actor, the node and the actor system, then
// waits for the Get forwarders.
func (s *Session) shutdown() {
	faults.Unregister(s)
	s.mu.Lock()
	s.closed.Store(true)
	s.mu.Unlock()
	if s.face != nil {
		s.face.Close(0)
	}
	s.mu.Lock()
	for _, sub := range s.subs {
		sub.close()
	}
	s.mu.Unlock()
	if s.disp != nil {
		// The actor drops what is still in its mailbox: liveliness
		// subscribers it never learned of are closed here, once it no
		// longer runs (if a callback holds it, their channels stay open).
		if err := s.sys.Root.StopFuture(s.disp).Wait(); err == nil {
			s.mu.Lock()
			for _, sub := range s.lsubs {
				sub.d.close()
			}
			s.mu.Unlock()
		} else {
			s.logger.Warn("zenoh: the session's dispatcher did not stop", "err", err)
		}
	}
	close(s.done)
	if s.storages != nil {
		// Storages close their stores (badger flushes) before the node goes.
		_ = s.sys.Root.StopFuture(s.storages).Wait()
	}
	s.node.Stop(time.Second)
	s.sys.Shutdown()
	s.wg.Wait()
}

func (s *Session) isClosed() bool { return s.closed.Load() }

// ZenohId returns the session's ZenohId in zenoh's hex form.
func (s *Session) ZenohId() string { return s.node.ZID.String() }

// SessionInfo describes the nodes a session is connected to.
type SessionInfo struct {
	// ZID is the session's own ZenohId.
	ZID string
	// Routers and Peers are the ZenohIds of the routers and peers the
	// node has established sessions with, sorted. Clients connected to
	// this node are in neither.
	Routers, Peers []string
	// Locators are the endpoints the node listens on, ports resolved
	// (e.g. "tcp/127.0.0.1:40123").
	Locators []string
}

// Info returns the session's ZenohId and those of the routers and peers
// its node is connected to.
func (s *Session) Info() (SessionInfo, error) {
	info := SessionInfo{ZID: s.ZenohId()}
	for _, ep := range s.node.Listening() {
		info.Locators = append(info.Locators, ep.String())
	}
	if s.isClosed() {
		return info, ErrClosed
	}
	reports, err := s.peerReports()
	if err != nil {
		return info, err
	}
	for zid, r := range reports {
		switch r.Established.WhatAmI {
		case codec.Router:
			info.Routers = append(info.Routers, zid.String())
		case codec.Peer:
			info.Peers = append(info.Peers, zid.String())
		}
	}
	slices.Sort(info.Routers)
	slices.Sort(info.Peers)
	return info, nil
}

// Stats counts what the session's node dropped, where it dropped it.
type Stats struct {
	// DroppedPublications counts this session's publications dropped for
	// a destination (DroppedPublications).
	DroppedPublications uint64
	// Refused counts publications the node received that it could not
	// route: an unknown key-expression id, an invalid key.
	Refused uint64
	// Peers has one entry per session the node has established, sorted by
	// ZenohId.
	Peers []PeerStats
}

// PeerStats are the counters of one session with a remote node.
type PeerStats struct {
	ZID     string
	WhatAmI Mode
	// Dropped counts the messages this node dropped toward the peer:
	// congestion control Drop (or best effort) finding its queue full for
	// wait_before_drop, a Block message that waited wait_before_close
	// (the session is then closed), messages too large.
	Dropped uint64
	// Queued is the bytes waiting to be written to the peer.
	Queued int
}

// Stats returns the session's and its node's drop counters. Subscribers
// count their own drops (Subscriber.Dropped).
func (s *Session) Stats() (Stats, error) {
	st := Stats{DroppedPublications: s.face.Dropped(), Refused: s.node.Plane.Refused()}
	if s.isClosed() {
		return st, ErrClosed
	}
	reports, err := s.peerReports()
	if err != nil {
		return st, err
	}
	for zid, r := range reports {
		st.Peers = append(st.Peers, PeerStats{ZID: zid.String(), WhatAmI: r.Established.WhatAmI,
			Dropped: r.DroppedSends, Queued: r.QueuedBytes})
	}
	slices.SortFunc(st.Peers, func(a, b PeerStats) int { return strings.Compare(a.ZID, b.ZID) })
	return st, nil
}

// peerReports asks every established session of the node for its
// counters (a session that ended meanwhile is left out).
func (s *Session) peerReports() (map[codec.ZenohID]*session.Report, error) {
	ss, err := s.node.Sessions()
	if err != nil {
		return nil, fmt.Errorf("zenoh: asking the session manager: %w", err)
	}
	out := make(map[codec.ZenohID]*session.Report, len(ss))
	for zid, pid := range ss {
		res, err := s.sys.Root.RequestFuture(pid, &session.GetStats{}, askTimeout).Result()
		if r, ok := res.(*session.Report); err == nil && ok {
			out[zid] = r
		}
	}
	return out, nil
}

// send hands control messages to the router as this session's.
func (s *Session) send(msgs ...codec.NetworkMessage) {
	_ = s.face.Send(msgs...)
}

// declare sends one declaration of this session.
func (s *Session) declare(b codec.Declaration) {
	_ = s.face.Declare(b, nil)
}

func wire(key string) codec.WireExpr { return codec.WireExpr{Suffix: []byte(key), Mapping: true} }

// Messages of the dispatcher actor.
type (
	addQbl   struct{ q *Queryable }
	delQbl   struct{ id uint32 }
	startGet struct{ g *pendingGet }
	endGet   struct {
		id      uint32
		timeout bool
	}
	localReply struct {
		getID uint32
		resp  codec.Response // owned
	}
	localFinal struct{ getID uint32 }
)

// dispatcher is the state of the session's control actor: it receives
// the control messages the router sends the session (queries for its
// queryables, replies to its Gets, declarations) and what the session's
// own queries deliver locally, and calls the handlers.
type dispatcher struct {
	s       *Session
	qbls    map[uint32]*Queryable
	gets    map[uint32]*pendingGet
	liv     liveliness
	matches map[uint32]*matchQuery // Publisher.Matching queries awaiting the tables
}

func (d *dispatcher) receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *router.Control:
		d.routed(m)
	case *addQbl:
		d.qbls[m.q.id] = m.q
	case *delQbl:
		delete(d.qbls, m.id)
	case *startGet:
		d.startGet(m.g)
	case *endGet:
		if g := d.gets[m.id]; g != nil {
			d.finishGet(g, m.timeout)
		}
	case *localReply:
		if g := d.gets[m.getID]; g != nil {
			d.response(g, &m.resp)
		}
	case *localFinal:
		if g := d.gets[m.getID]; g != nil {
			d.final(g)
		}
	case *actor.Stopping:
		for _, g := range d.gets {
			d.finishGet(g, false)
		}
		d.stopLiveliness()
		d.stopMatching()
	default:
		if !d.livelinessMsg(m) {
			d.matchingMsg(m)
		}
	}
}

// routed dispatches what the router sent.
func (d *dispatcher) routed(m *router.Control) {
	for i := range m.Msgs {
		msg := &m.Msgs[i]
		switch msg.ID {
		case codec.MidRequest:
			d.request(&msg.Request)
		case codec.MidResponse:
			if g := d.gets[msg.Response.RequestID]; g != nil {
				d.response(g, &msg.Response)
			}
		case codec.MidResponseFinal:
			if g := d.gets[msg.ResponseFinal.RequestID]; g != nil {
				d.final(g)
			}
		case codec.MidDeclare:
			d.livelinessDeclare(&msg.Declare)
			d.matchingDeclare(&msg.Declare)
		}
	}
}

// guard runs fn, logging a panic instead of letting it restart the
// actor (which would lose the session's state).
func (s *Session) guard(what string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("zenoh: handler panicked", "handler", what, "panic", r)
		}
	}()
	fn()
}

// storageConfigs turns the configured storages into storage actor
// configurations: badger volumes under DataDir/NAME, memory ones in
// badger's in-memory mode.
func storageConfigs(cfg *Config, n *actors.Node, logger *slog.Logger, alignerStats map[string]*aligner.Stats) []storage.Config {
	dir := cfg.DataDir
	if dir == "" {
		dir = "zenoh-data"
	}
	var out []storage.Config
	for _, name := range slices.Sorted(maps.Keys(cfg.Storages)) {
		sc := cfg.Storages[name]
		opts := storage.Options{Logger: logger, TombstoneTTL: 24 * time.Hour}
		if sc.Volume == "badger" {
			opts.Dir = filepath.Join(dir, name)
		} else {
			opts.InMemory = true
		}
		scfg := storage.Config{Name: name, KeyExpr: sc.KeyExpr, Store: opts, Plane: n.Plane,
			Clock: n.Clock, ZID: n.ZID, Logger: logger}
		if sc.Replication != nil {
			p := alignerParams(sc.Replication)
			p.MaxSkew = n.Clock.MaxDelta()
			scfg.Store.SliceWidth = p.SliceWidth()
			stats := &aligner.Stats{}
			scfg.Companion = func(st *storage.Store, pid *actor.PID) *actor.Props {
				return aligner.Props(aligner.Config{Name: name, KeyExpr: sc.KeyExpr, Params: p, Store: st,
					Storage: pid, Plane: n.Plane, ZID: n.ZID, Logger: logger, Stats: stats,
					RequestTimeout: cfg.QueryTimeout})
			}
			alignerStats[name] = stats
		}
		out = append(out, scfg)
	}
	return out
}
