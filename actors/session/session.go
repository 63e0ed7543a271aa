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
	// Manager receives Opened and Closed; Handler receives Received. Nil
	// handlers drop what they would get.
	Manager *actor.PID
	Handler *actor.PID
	RX      RXConfig
	TX      TXConfig
	Link    link.Config
	// HandshakeTimeout bounds InitSyn to OpenAck (Rust: 10 s).
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
	if c.TX == (TXConfig{}) {
		c.TX = DefaultTXConfig()
	}
}

// Props returns the props of a session actor. The session spawns its link
// as a child, runs the handshake in the role its config gives, and then
// moves batches between the link and its Handler.
func Props(cfg ActorConfig) *actor.Props {
	cfg.fill()
	return actor.PropsFromProducer(func() actor.Actor { return &sessionActor{cfg: cfg} },
		actor.WithMailbox(actor.Bounded(1024)))
}

// Errors that end a session without a peer's fault.
var (
	// ErrLeaseExpired: nothing arrived for the peer's lease.
	ErrLeaseExpired = errors.New("session: lease expired")
	// ErrHandshakeTimeout: the handshake did not finish in time.
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

// admit tells a session that the manager has forwarded its Opened to the
// handler: from then on its Received cannot overtake the Opened.
type admit struct{}

// maxHeld bounds the reads a session holds back before it is admitted.
const maxHeld = 64

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

	est   Established
	rx    *RX
	tx    *TX
	lease Lease

	writing    bool     // a Write is in flight
	closeQueue [][]byte // batches to write before stopping: queued data, then the Close
	reason     error    // why the session ends
	opened     bool     // Opened was sent
	admitted   bool     // the manager forwarded Opened: Received may go out
	held       []*Received
	stopping   bool

	blocked []blockedSend // Sends waiting for room (Block congestion control)
	dropped uint64

	br codec.BatchReader
	tm codec.TransportMessage
	nm codec.NetworkMessage
}

type blockedSend struct {
	send *Send
	next int
}

func (s *sessionActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		s.started(ctx)
	case *link.Inbound:
		s.inbound(ctx, m)
	case *link.Written:
		s.written(ctx, m)
	case *link.Failed:
		s.fail(ctx, fmt.Errorf("%w: %w", ErrLinkFailed, m.Err))
	case *actor.Terminated:
		// A system message: it overtakes the link's last Inbound (which
		// may hold the peer's Close). Act on it in order, after them.
		if m.Who.Equal(s.link) {
			s.link = nil
			ctx.Send(s.self, &linkGone{})
		}
	case *linkGone:
		s.fail(ctx, fmt.Errorf("%w: link actor stopped", ErrLinkFailed))
	case *Send:
		s.send(ctx, m)
	case *CloseSession:
		s.closeWith(ctx, m.Reason, nil)
	case *tick:
		s.onTick(ctx)
	case *replace:
		s.closeWith(ctx, codec.CloseGeneric, ErrReplaced)
	case *admit:
		s.admitted = true
		for _, r := range s.held {
			ctx.Send(s.cfg.Handler, r)
		}
		clear(s.held)
		s.held = s.held[:0]
	case *GetStats:
		ctx.Respond(s.stats())
	case *actor.Stopping:
		s.stopped(ctx)
		if s.rx != nil {
			s.rx.Close()
		}
	}
}

func (s *sessionActor) now() time.Time { return s.cfg.Now() }

func (s *sessionActor) started(ctx actor.Context) {
	s.self = ctx.Self()
	s.system = ctx.ActorSystem()
	s.start = s.now()
	lcfg := s.cfg.Link
	lcfg.Logger = s.cfg.Logger
	s.link = ctx.Spawn(link.Props(s.cfg.Conn, s.cfg.Info, lcfg))
	if s.cfg.Acceptor == nil {
		o, err := NewOpener(s.cfg.Session, s.linkInfo())
		if err != nil {
			s.fail(ctx, err)
			return
		}
		s.opener = o
		syn := o.InitSyn()
		s.writeHandshake(ctx, func(b []byte) []byte { return codec.AppendInit(b, &syn) })
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

// writeHandshake writes one handshake message alone in a batch. Each gets
// a fresh buffer: the previous one may still be in the link's hands.
func (s *sessionActor) writeHandshake(ctx actor.Context, enc func([]byte) []byte) {
	s.write(ctx, s.aloneInBatch(enc))
}

// aloneInBatch encodes one transport message as a whole batch, with its
// length prefix on streams.
func (s *sessionActor) aloneInBatch(enc func([]byte) []byte) []byte {
	var b []byte
	if s.cfg.Info.Stream {
		b = append(b, 0, 0)
	}
	b = enc(b)
	if s.cfg.Info.Stream {
		n := len(b) - codec.StreamPrefixLen
		b[0], b[1] = byte(n), byte(n>>8)
	}
	return b
}

func (s *sessionActor) write(ctx actor.Context, b []byte) {
	if s.link == nil {
		return
	}
	s.writing = true
	w := &link.Write{Batch: b}
	// Data batches ready behind it go in the same write (up to maxWritev).
	if s.phase == phaseData && s.tx != nil && s.cfg.Info.Stream {
		for len(w.More) < maxWritev-1 {
			nb := s.tx.Pull()
			if nb == nil {
				break
			}
			w.More = append(w.More, nb)
		}
	}
	ctx.Request(s.link, w)
}

// maxWritev bounds the batches of one link write.
const maxWritev = 16

func (s *sessionActor) written(ctx actor.Context, m *link.Written) {
	s.writing = false
	if m.Err != nil {
		s.fail(ctx, fmt.Errorf("%w: %w", ErrLinkFailed, m.Err))
		return
	}
	if s.tx != nil {
		s.tx.Release(m.Batch)
		for _, b := range m.More {
			s.tx.Release(b)
		}
		s.lease.OnSend(s.now())
	}
	if s.phase == phaseClosing {
		if len(s.closeQueue) > 0 {
			b := s.closeQueue[0]
			s.closeQueue = s.closeQueue[1:]
			s.write(ctx, b)
			return
		}
		s.stop(ctx)
		return
	}
	s.flush(ctx)
	if len(s.blocked) > 0 {
		s.unblock()
		s.flush(ctx)
	}
}

// flush hands the writer the next batch when it is idle.
func (s *sessionActor) flush(ctx actor.Context) {
	if s.writing || s.phase != phaseData {
		return
	}
	if b := s.tx.Pull(); b != nil {
		s.write(ctx, b)
	}
}

func (s *sessionActor) inbound(ctx actor.Context, in *link.Inbound) {
	if s.phase == phaseClosing || s.stopping {
		in.Release()
		return
	}
	// One read may hold the last handshake batch and the first data
	// batches: they are walked in order, switching when the session opens.
	var r *Received
	err := in.Batches(func(b []byte) error {
		if s.phase != phaseData {
			return s.handshake(ctx, b)
		}
		if r == nil {
			s.lease.OnRecv(s.now())
			r = receivedPool.Get().(*Received)
			r.Session, r.ZID = s.self, s.est.ZID
		}
		return s.dataBatch(r, b)
	})
	if err != nil {
		// What came before the peer's Close is delivered: a peer that
		// publishes and closes at once loses nothing.
		var pc *PeerClosedError
		if r != nil && errors.As(err, &pc) {
			s.deliver(ctx, r, in)
		} else {
			if r != nil {
				r.Release()
			}
			in.Release()
		}
		s.fail(ctx, err)
		return
	}
	if r == nil {
		in.Release()
		return
	}
	s.deliver(ctx, r, in)
}

// deliver hands r (read from in) to the handler, or holds it until the
// session is admitted.
func (s *sessionActor) deliver(ctx actor.Context, r *Received, in *link.Inbound) {
	if len(r.Frames) == 0 && len(r.Whole) == 0 || s.cfg.Handler == nil {
		r.Release()
		in.Release()
		return
	}
	r.in = in
	if !s.admitted {
		if len(s.held) >= maxHeld {
			r.Release()
			s.fail(ctx, fmt.Errorf("%w: not admitted by the manager after %d reads", ErrQueueFull, maxHeld))
			return
		}
		s.held = append(s.held, r)
		return
	}
	ctx.Send(s.cfg.Handler, r)
}

// handshake handles the first message of one handshake batch.
func (s *sessionActor) handshake(ctx actor.Context, b []byte) error {
	if s.phase == phaseData {
		return nil // a batch after OpenAck in the same read; rare, dropped
	}
	if _, err := codec.DecodeTransport(b, &s.tm); err != nil {
		return &CloseError{Reason: codec.CloseInvalid, Err: err}
	}
	now := s.now()
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
		s.writeHandshake(ctx, func(b []byte) []byte { return codec.AppendInit(b, &ack) })
	case s.cfg.Acceptor != nil:
		syn, err := ExpectOpen(&s.tm)
		if err != nil {
			return err
		}
		est, ack, err := s.cfg.Acceptor.HandleOpenSyn(now, s.linkInfo(), s.nonce, syn, s.cfg.Rand)
		if err != nil {
			return err
		}
		s.writeHandshake(ctx, func(b []byte) []byte { return codec.AppendOpen(b, &ack) })
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
		s.writeHandshake(ctx, func(b []byte) []byte { return codec.AppendOpen(b, &syn) })
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
	rx, err := NewRX(est, s.cfg.RX)
	if err != nil {
		return err
	}
	tx, err := NewTX(est, s.cfg.Info.Stream, s.cfg.TX)
	if err != nil {
		return err
	}
	s.est, s.rx, s.tx = est, rx, tx
	s.lease = NewLease(est.OwnLease, est.PeerLease, s.now())
	s.phase = phaseData
	ctx.Send(s.link, &link.SetBatchSize{Size: est.BatchSize})
	s.opened = true
	s.admitted = s.cfg.Manager == nil
	o := &Opened{Session: s.self, ZID: est.ZID, WhatAmI: est.WhatAmI, Link: s.cfg.Info, Established: est}
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

// dataBatch walks one batch of the data phase.
func (s *sessionActor) dataBatch(r *Received, b []byte) error {
	s.br.Reset(b)
	for s.br.Next(&s.tm) {
		switch s.tm.ID {
		case codec.MidFrame:
			f := &s.tm.Frame
			ok, err := s.rx.Frame(f)
			if err != nil {
				return err
			}
			start := s.br.Offset()
			for s.br.NextNetwork(&s.nm) {
			}
			if ok && s.br.Offset() > start {
				r.Frames = append(r.Frames, FrameSpan{Payload: b[start:s.br.Offset():s.br.Offset()],
					Reliable: f.Reliable, Priority: f.Priority})
			}
		case codec.MidFragment:
			over := s.rx.Stats().Oversized
			msg, rel, err := s.rx.Fragment(&s.tm.Fragment)
			if err != nil {
				return err
			}
			if s.rx.Stats().Oversized != over {
				s.cfg.Logger.Warn("dropping a fragmented message: over the reassembly limit",
					"peer", s.est.ZID, "limit", s.rx.Config().MaxMessage, "dropped", s.rx.Stats().Oversized)
			}
			if msg != nil {
				r.Whole = append(r.Whole, Reassembled{Msg: append([]byte(nil), msg...),
					Reliable: rel, Priority: s.tm.Fragment.Priority, Before: len(r.Frames)})
			}
		case codec.MidKeepAlive, codec.MidTransportOAM, codec.MidJoin:
			// KeepAlive only refreshes the lease; OAM and Join mean
			// nothing on a unicast session.
		case codec.MidClose:
			return &PeerClosedError{Reason: s.tm.Close.Reason}
		default:
			return &CloseError{Reason: codec.CloseInvalid,
				Err: fmt.Errorf("%w: %s in the data phase", ErrUnexpectedMessage, midName(s.tm.ID))}
		}
	}
	if err := s.br.Err(); err != nil {
		return &CloseError{Reason: codec.CloseInvalid, Err: err}
	}
	return nil
}

func midName(id byte) string {
	switch id {
	case codec.MidInit:
		return "Init"
	case codec.MidOpen:
		return "Open"
	}
	return fmt.Sprintf("message %#x", id)
}

// maxBlockedSends bounds the Sends parked behind a full queue. Senders
// that wait for Done before sending more never reach it.
const maxBlockedSends = 256

// send queues the messages of m. Under Block congestion control a full
// queue parks the rest of m (and every later Send, to keep the order)
// until the writer frees room; under Drop the message is dropped.
func (s *sessionActor) send(ctx actor.Context, m *Send) {
	switch {
	case s.phase != phaseData || s.stopping:
		// Its sender may already have finished m (after our Closed):
		// the messages must not be read.
		s.dropped += uint64(m.Len())
		done(m)
		return
	case len(s.blocked) > 0:
		if len(s.blocked) >= maxBlockedSends {
			s.cfg.Logger.Warn("dropping messages: send queue full", "peer", s.est.ZID, "messages", m.Len())
			s.dropped += uint64(m.Len())
			done(m)
			return
		}
		s.blocked = append(s.blocked, blockedSend{send: m})
		return
	}
	if i := s.push(m, 0); i >= 0 {
		s.blocked = append(s.blocked, blockedSend{send: m, next: i})
	}
	s.flush(ctx)
}

// push queues the messages of m from next on. It returns the index of the first
// message that must wait (Block, queue full), or -1 when all went in or
// were dropped, after calling Done.
func (s *sessionActor) push(m *Send, next int) int {
	for i := next; i < m.Len(); i++ {
		var err error
		var q codec.QoS
		if i < len(m.Msgs) {
			err, q = s.tx.Push(&m.Msgs[i], m.Reliable), MessageQoS(&m.Msgs[i])
		} else {
			p := &m.Pushes[i-len(m.Msgs)]
			err, q = s.tx.PushPublication(p, m.Reliable), p.QoS
		}
		if err == nil {
			continue
		}
		if errors.Is(err, ErrQueueFull) && q.Block() {
			return i
		}
		s.dropped++
	}
	done(m)
	return -1
}

func done(m *Send) {
	if m.Done != nil {
		m.Done()
	}
}

// unblock retries parked Sends, in order, after Pull freed room.
func (s *sessionActor) unblock() {
	for len(s.blocked) > 0 {
		b := &s.blocked[0]
		if i := s.push(b.send, b.next); i >= 0 {
			b.next = i
			return
		}
		s.blocked[0] = blockedSend{}
		s.blocked = s.blocked[1:]
	}
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
		ka, expired := s.lease.Tick(now)
		if expired {
			s.closeWith(ctx, codec.CloseExpired, ErrLeaseExpired)
			return
		}
		if ka && !s.writing {
			s.write(ctx, s.tx.KeepAlive())
		}
	case phaseClosing:
		// The Close could not be written within a tick: give up on it.
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
		s.closeWith(ctx, reason, err)
		return
	}
	s.cfg.Logger.Debug("session ends", "peer", s.est.ZID, "remote", s.cfg.Info.Remote, "reason", err)
	s.stop(ctx)
}

// closeWith sends Close(reason) alone in a batch, then stops. why is the
// reason reported in Closed (nil for a local close).
func (s *sessionActor) closeWith(ctx actor.Context, reason byte, why error) {
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
	if s.tx != nil {
		// A local close (no error) first sends what is queued: a Put
		// just before closing a session must not be lost.
		if why == nil {
			for b := s.tx.Pull(); b != nil; b = s.tx.Pull() {
				s.closeQueue = append(s.closeQueue, b)
			}
		}
		s.closeQueue = append(s.closeQueue, s.tx.Close(reason, true))
	} else {
		s.closeQueue = append(s.closeQueue, s.aloneInBatch(func(b []byte) []byte {
			return codec.AppendClose(b, &codec.Close{Session: true, Reason: reason})
		}))
	}
	if s.writing {
		return
	}
	b := s.closeQueue[0]
	s.closeQueue = s.closeQueue[1:]
	s.write(ctx, b)
}

func (s *sessionActor) stop(ctx actor.Context) {
	if s.stopping {
		return
	}
	s.stopping = true
	ctx.Stop(s.self)
}

func (s *sessionActor) stopped(ctx actor.Context) {
	s.stopping = true
	if s.timer != nil {
		s.timer.Stop()
	}
	for _, b := range s.blocked {
		done(b.send)
	}
	s.blocked = nil
	for _, r := range s.held {
		r.Release()
	}
	s.held = nil
	if s.opened && s.cfg.Manager != nil {
		ctx.Send(s.cfg.Manager, &Closed{Session: s.self, ZID: s.est.ZID, Reason: s.reason})
	}
}

// Report answers GetStats with a session's counters.
type Report struct {
	Link         *actor.PID // the session's link actor (for fault injection)
	RX           Stats      // the receive side's counters
	DroppedSends uint64     // messages dropped under Drop congestion control
	QueuedBytes  int
	Established  Established
}

func (s *sessionActor) stats() *Report {
	st := &Report{Link: s.link, DroppedSends: s.dropped, Established: s.est}
	if s.rx != nil {
		st.RX = s.rx.Stats()
	}
	if s.tx != nil {
		st.QueuedBytes = s.tx.Pending()
	}
	return st
}
