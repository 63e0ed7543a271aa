package session

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
)

// ActorConfig configures one session actor.
type ActorConfig struct {
	// Session is the node's session configuration (ZID, role, lease...).
	Session Config
	// Acceptor is set when the session answers a connection accepted by a
	// listener; nil makes the session the opener.
	Acceptor *Acceptor
	// Conn is the connection; the session spawns the link that owns it.
	Conn net.Conn
	Info link.Info
	// Manager receives Opened and Closed; nil admits the session at once
	// with a handler that drops everything.
	Manager *actor.PID
	RX      RXConfig
	Out     OutboxConfig
	Link    link.Config
	// HandshakeTimeout bounds InitSyn to OpenAck (Rust: 10 s), the wait
	// for admission, and the writing of a Close.
	HandshakeTimeout time.Duration
	// Rand feeds cookies and initial SNs; nil means crypto/rand.
	Rand io.Reader
	// Now reads the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (c *ActorConfig) fill() {
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = 10 * time.Second
	}
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.RX.MaxMessage == 0 && c.RX.MaxBuffered == 0 {
		node := c.RX.Node
		c.RX = DefaultRXConfig()
		c.RX.Node = node
	}
	c.Out.fill()
}

// Props returns the props of a session actor. The session spawns its link
// as a child, runs the handshake in the role its config gives, reports
// Opened, and once admitted lets its link's reader hand every batch to a
// Walker (and so to the Handler of the Admit) without actor messages;
// everything it sends goes through its Outbox, which the link's writer
// drains. The actor keeps the lease, the keep-alives and the close.
func Props(cfg ActorConfig) *actor.Props {
	cfg.fill()
	return actor.PropsFromProducer(func() actor.Actor { return &sessionActor{cfg: cfg} },
		actor.WithMailbox(actor.Bounded(1024)))
}

// Errors that end a session without a peer's fault.
var (
	// ErrLeaseExpired: nothing arrived for the peer's lease.
	ErrLeaseExpired = errors.New("session: lease expired")
	// ErrHandshakeTimeout: the handshake (or the admission after it) did
	// not finish in time.
	ErrHandshakeTimeout = errors.New("session: handshake timed out")
	// ErrReplaced: a newer session with the same peer took over.
	ErrReplaced = errors.New("session: replaced by a newer session with the same peer")
	// ErrLinkFailed wraps the failure of the session's link.
	ErrLinkFailed = errors.New("session: link failed")
)

type phase uint8

const (
	phaseInit    phase = iota // opener: InitSyn sent; acceptor: waiting InitSyn
	phaseOpen                 // opener: OpenSyn sent; acceptor: InitAck sent
	phaseData                 // established
	phaseClosing              // a Close is being written; then stop
)

// tick is the session's private timer message.
type tick struct{}

// linkGone replays the link's termination behind its pending messages.
type linkGone struct{}

// replace is the Manager's request to make way for a newer session.
type replace struct{}

// unresponsive: the outbox found the peer not taking what it is sent.
type unresponsive struct{}

// closeWritten: the Close went out (or the outbox ended).
type closeWritten struct{}

// IgnoreDeadLetterLogging: both may reach a session that has stopped.
func (*unresponsive) IgnoreDeadLetterLogging() {}
func (*closeWritten) IgnoreDeadLetterLogging() {}

type sessionActor struct {
	cfg    ActorConfig
	self   *actor.PID
	link   *actor.PID
	phase  phase
	opener *Opener
	nonce  uint64
	start  time.Time
	timer  *time.Timer
	system *actor.ActorSystem

	est      Established
	out      *Outbox
	walker   *Walker
	lease    Lease
	linkDone chan struct{}

	held     *link.Inbound // the read that ended the handshake, until admitted
	heldSkip int           // its handshake batches
	reason   error         // why the session ends
	opened   bool          // Opened was sent
	admitted bool
	stopping bool

	tm codec.TransportMessage
}

func (s *sessionActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.started(ctx)
	case *link.Inbound:
		s.inbound(ctx, m)
	case *Admit:
		s.admit(ctx, m.Handler)
	case *link.Rejected:
		s.fail(ctx, m.Err)
	case *link.Failed:
		s.fail(ctx, fmt.Errorf("%w: %w", ErrLinkFailed, m.Err))
	case *actor.Terminated:
		// A system message: it overtakes the link's last messages
		// (which may hold the peer's Close). Act on it in order.
		if m.Who.Equal(s.link) {
			s.link = nil
			ctx.Send(s.self, &linkGone{})
		}
	case *linkGone:
		s.fail(ctx, fmt.Errorf("%w: link actor stopped", ErrLinkFailed))
	case *unresponsive:
		s.cfg.Logger.Warn("closing a session: the peer takes nothing (wait_before_close passed)",
			"peer", s.est.ZID, "remote", s.cfg.Info.Remote)
		s.closeWith(ctx, codec.CloseUnresponsive, ErrUnresponsive, false)
	case *closeWritten:
		if s.phase == phaseClosing {
			s.stop(ctx)
		}
	case *CloseSession:
		s.closeWith(ctx, m.Reason, nil, true)
	case *tick:
		s.onTick(ctx)
	case *replace:
		s.closeWith(ctx, codec.CloseGeneric, ErrReplaced, false)
	case *GetStats:
		ctx.Respond(s.stats())
	case *actor.Stopping:
		s.stopping = true
		if s.timer != nil {
			s.timer.Stop()
		}
		if s.held != nil {
			s.held.Release()
			s.held = nil
		}
		s.out.Shutdown()
	case *actor.Stopped:
		// The link (a child) has stopped: its reader no longer runs.
		if s.walker != nil {
			s.walker.Close()
		}
		if s.opened && s.cfg.Manager != nil {
			ctx.Send(s.cfg.Manager, &Closed{Session: s.self, ZID: s.est.ZID, Reason: s.reason})
		}
	}
}

func (s *sessionActor) now() time.Time { return s.cfg.Now() }

func (s *sessionActor) started(ctx actor.Context) {
	s.self = ctx.Self()
	s.system = ctx.ActorSystem()
	s.start = s.now()
	self, sys := s.self, s.system
	s.out = NewOutbox(s.cfg.Info.Stream, s.cfg.Out, func() { sys.Root.Send(self, &unresponsive{}) })
	s.linkDone = make(chan struct{})
	lcfg := s.cfg.Link
	lcfg.Logger, lcfg.Out, lcfg.Done = s.cfg.Logger, s.out, s.linkDone
	s.link = ctx.Spawn(link.Props(s.cfg.Conn, s.cfg.Info, lcfg))
	if s.cfg.Acceptor == nil {
		o, err := NewOpener(s.cfg.Session, s.linkInfo())
		if err != nil {
			s.fail(ctx, err)
			return
		}
		s.opener = o
		syn := o.InitSyn()
		s.out.Raw(aloneInBatch(s.cfg.Info.Stream, func(b []byte) []byte { return codec.AppendInit(b, &syn) }))
	}
	s.arm(s.tickEvery())
}

func (s *sessionActor) linkInfo() LinkInfo {
	return LinkInfo{MTU: s.cfg.Info.MTU, Stream: s.cfg.Info.Stream, Local: s.cfg.Info.Local, Remote: s.cfg.Info.Remote}
}

// tickEvery keeps lease expiry within a second of the lease.
func (s *sessionActor) tickEvery() time.Duration {
	d := 250 * time.Millisecond
	if s.phase == phaseData {
		d = min(d, s.lease.Interval()/2)
	}
	return max(d, time.Millisecond)
}

func (s *sessionActor) arm(d time.Duration) {
	self, sys := s.self, s.system
	s.timer = time.AfterFunc(d, func() { sys.Root.Send(self, &tick{}) })
}

// inbound handles one read of the handshake. The read that ends it may
// hold the first data batches: it is held, the reader waiting, until the
// session is admitted.
func (s *sessionActor) inbound(ctx actor.Context, in *link.Inbound) {
	if s.phase != phaseInit && s.phase != phaseOpen || s.stopping {
		in.Release()
		return
	}
	n := 0
	err := in.Batches(func(b []byte) error {
		if s.phase == phaseData {
			return errHeld
		}
		n++
		return s.handshake(ctx, b)
	})
	switch {
	case err != nil && err != errHeld:
		in.Release()
		s.fail(ctx, err)
	case s.phase == phaseData:
		s.held, s.heldSkip = in, n
		if s.cfg.Manager == nil {
			s.admit(ctx, nil)
		}
	default:
		in.Release()
	}
}

// errHeld stops the walk of a read at the first data batch.
var errHeld = errors.New("session: data after the handshake")

// handshake handles the one message of a handshake batch.
func (s *sessionActor) handshake(ctx actor.Context, b []byte) error {
	if _, err := codec.DecodeTransport(b, &s.tm); err != nil {
		return &CloseError{Reason: codec.CloseInvalid, Err: err}
	}
	now := s.now()
	stream := s.cfg.Info.Stream
	switch {
	case s.cfg.Acceptor != nil && s.phase == phaseInit:
		syn, err := ExpectInit(&s.tm)
		if err != nil {
			return err
		}
		ack, nonce, err := s.cfg.Acceptor.HandleInitSyn(now, s.cfg.Rand, s.linkInfo(), syn)
		if err != nil {
			return err
		}
		s.nonce = nonce
		s.phase = phaseOpen
		s.out.Raw(aloneInBatch(stream, func(b []byte) []byte { return codec.AppendInit(b, &ack) }))
	case s.cfg.Acceptor != nil:
		syn, err := ExpectOpen(&s.tm)
		if err != nil {
			return err
		}
		est, ack, err := s.cfg.Acceptor.HandleOpenSyn(now, s.linkInfo(), s.nonce, syn, s.cfg.Rand)
		if err != nil {
			return err
		}
		s.out.Raw(aloneInBatch(stream, func(b []byte) []byte { return codec.AppendOpen(b, &ack) }))
		return s.established(ctx, est)
	case s.phase == phaseInit:
		ack, err := ExpectInit(&s.tm)
		if err != nil {
			return err
		}
		syn, err := s.opener.HandleInitAck(ack, s.cfg.Rand)
		if err != nil {
			return err
		}
		s.phase = phaseOpen
		s.out.Raw(aloneInBatch(stream, func(b []byte) []byte { return codec.AppendOpen(b, &syn) }))
	default:
		ack, err := ExpectOpen(&s.tm)
		if err != nil {
			return err
		}
		est, err := s.opener.HandleOpenAck(ack)
		if err != nil {
			return err
		}
		return s.established(ctx, est)
	}
	return nil
}

func (s *sessionActor) established(ctx actor.Context, est Established) error {
	w, err := NewWalker(est, s.cfg.RX, nil, s.cfg.Logger)
	if err != nil {
		return err
	}
	if err := s.out.Establish(est); err != nil {
		return err
	}
	s.est, s.walker = est, w
	s.lease = NewLease(est.OwnLease, est.PeerLease, s.now())
	s.phase = phaseData
	s.start = s.now() // admission must follow within HandshakeTimeout
	ctx.Send(s.link, &link.SetBatchSize{Size: est.BatchSize})
	s.opened = true
	o := &Opened{Session: s.self, ZID: est.ZID, WhatAmI: est.WhatAmI, Link: s.cfg.Info, Established: est,
		Outbox: s.out, Cancel: s.linkDone}
	if s.cfg.Manager != nil {
		ctx.Send(s.cfg.Manager, o)
	}
	if p := ctx.Parent(); p != nil && !p.Equal(s.cfg.Manager) {
		ctx.Send(p, o) // a dialer: resets its backoff
	}
	s.cfg.Logger.Debug("session opened", "peer", est.ZID, "whatami", est.WhatAmI,
		"batch", est.BatchSize, "qos", est.QoS, "remote", s.cfg.Info.Remote)
	return nil
}

// admit starts the data phase proper: the batches that came with the end
// of the handshake go to h first, then the link's reader hands every
// batch to the walker itself.
func (s *sessionActor) admit(ctx actor.Context, h Handler) {
	if s.phase != phaseData || s.admitted || s.stopping {
		return
	}
	s.admitted = true
	s.walker.SetHandler(h)
	in := s.held
	s.held = nil
	if in == nil {
		return
	}
	if err := feedHeld(in, s.heldSkip, s.walker); err != nil {
		in.Release()
		s.fail(ctx, err)
		return
	}
	in.Switch(s.walker)
}

// feedHeld walks the batches of in after the first skip through w, as
// one read.
func feedHeld(in *link.Inbound, skip int, w *Walker) error {
	i, fed := 0, false
	err := in.Batches(func(b []byte) error {
		if i++; i <= skip {
			return nil
		}
		fed = true
		return w.Batch(b)
	})
	if err == nil && fed {
		err = w.EndRead()
	}
	return err
}

func (s *sessionActor) onTick(ctx actor.Context) {
	if s.stopping {
		return
	}
	now := s.now()
	switch s.phase {
	case phaseInit, phaseOpen:
		if now.Sub(s.start) >= s.cfg.HandshakeTimeout {
			s.fail(ctx, ErrHandshakeTimeout)
			return
		}
	case phaseData:
		if !s.admitted && now.Sub(s.start) >= s.cfg.HandshakeTimeout {
			s.fail(ctx, fmt.Errorf("%w: not admitted", ErrHandshakeTimeout))
			return
		}
		rx, reading := s.walker.LastRead()
		if reading {
			rx = now // delivering: the peer is not silent
		}
		s.lease.OnRecv(rx)
		s.lease.OnSend(s.out.LastSend())
		ka, expired := s.lease.Tick(now)
		if expired {
			s.closeWith(ctx, codec.CloseExpired, ErrLeaseExpired, false)
			return
		}
		if ka {
			s.out.KeepAlive()
		}
		s.out.Check(now)
	case phaseClosing:
		// The Close could not be written in time: give up on it.
		if now.Sub(s.start) >= s.cfg.HandshakeTimeout {
			s.stop(ctx)
			return
		}
	}
	s.arm(s.tickEvery())
}

// fail ends the session because of err: a *CloseError first sends its
// Close to the peer; a peer's Close or a link failure just stops.
func (s *sessionActor) fail(ctx actor.Context, err error) {
	if s.reason == nil {
		s.reason = err
	}
	if s.phase == phaseClosing {
		s.stop(ctx)
		return
	}
	if reason, ok := CloseReason(err); ok && s.link != nil {
		s.closeWith(ctx, reason, err, false)
		return
	}
	s.cfg.Logger.Debug("session ends", "peer", s.est.ZID, "remote", s.cfg.Info.Remote, "reason", err)
	s.stop(ctx)
}

// closeWith sends Close(reason) alone in a batch (after what is queued
// when flush), then stops. why is the reason reported in Closed (nil for
// a local close).
func (s *sessionActor) closeWith(ctx actor.Context, reason byte, why error, flush bool) {
	if s.phase == phaseClosing || s.stopping {
		return
	}
	if why != nil && s.reason == nil {
		s.reason = why
	}
	s.cfg.Logger.Debug("closing session", "peer", s.est.ZID, "remote", s.cfg.Info.Remote,
		"close", ReasonName(reason), "reason", why)
	s.phase = phaseClosing
	s.start = s.now()
	if s.link == nil {
		s.stop(ctx)
		return
	}
	self, sys := s.self, s.system
	s.out.Close(reason, flush, func() { sys.Root.Send(self, &closeWritten{}) })
}

func (s *sessionActor) stop(ctx actor.Context) {
	if s.stopping {
		return
	}
	s.stopping = true
	ctx.Stop(s.self)
}

// Report answers GetStats with a session's counters.
type Report struct {
	Link         *actor.PID // the session's link actor (for fault injection)
	RX           Stats      // the receive side's counters
	DroppedSends uint64     // messages dropped by congestion control
	QueuedBytes  int
	Established  Established
}

func (s *sessionActor) stats() *Report {
	st := &Report{Link: s.link, Established: s.est}
	if s.walker != nil {
		st.RX = s.walker.Stats()
	}
	if s.out != nil {
		o := s.out.Stats()
		st.DroppedSends, st.QueuedBytes = o.Dropped, o.Queued
	}
	return st
}
