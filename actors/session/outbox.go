package session

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// OutboxConfig sets an Outbox's queues and congestion control (zenoh's
// transport.link.tx.queue.congestion_control).
type OutboxConfig struct {
	// TX bounds the queued bytes per channel and in all.
	TX TXConfig
	// WaitBeforeDrop is how long a droppable message (congestion control
	// Drop, or best effort) waits for room before it is dropped; once one
	// was, the others of its priority are dropped at once until the writer
	// frees room (zenoh: drop.wait_before_drop, 1 ms).
	WaitBeforeDrop time.Duration
	// WaitBeforeClose is how long a message under congestion control Block
	// waits for room. Past it the peer is unresponsive: the message is
	// dropped and the session closes (zenoh: block.wait_before_close, 5 s).
	WaitBeforeClose time.Duration
	// MaxParked bounds the bytes of the control messages parked while the
	// queues are full (Enqueue never waits); past it the peer is
	// unresponsive.
	MaxParked int
	// DirectAfter is how long the link must have been quiet (no write
	// started, the writer asleep) for a publisher to write its message on
	// its own goroutine, without waking the writer: a lone message then
	// costs no goroutine hand-off. A stream is left to the writer, which
	// batches it: its messages come closer than DirectAfter, or follow the
	// end of the last write within DirectGap. DirectAfter must be shorter
	// than a round trip, DirectGap longer than a Put in a loop takes.
	// Negative: never. Defaults 5 µs and 1 µs.
	DirectAfter, DirectGap time.Duration
}

// DefaultOutboxConfig returns zenoh's waits and the default TX limits.
func DefaultOutboxConfig() OutboxConfig {
	return OutboxConfig{TX: DefaultTXConfig(), WaitBeforeDrop: time.Millisecond,
		WaitBeforeClose: 5 * time.Second, MaxParked: 64 << 20, DirectAfter: 5 * time.Microsecond,
		DirectGap: time.Microsecond}
}

func (c *OutboxConfig) fill() {
	d := DefaultOutboxConfig()
	if c.TX == (TXConfig{}) {
		c.TX = d.TX
	}
	if c.WaitBeforeDrop <= 0 {
		c.WaitBeforeDrop = d.WaitBeforeDrop
	}
	if c.WaitBeforeClose <= 0 {
		c.WaitBeforeClose = d.WaitBeforeClose
	}
	if c.MaxParked <= 0 {
		c.MaxParked = d.MaxParked
	}
	if c.DirectAfter == 0 {
		c.DirectAfter = d.DirectAfter
	}
	if c.DirectGap == 0 {
		c.DirectGap = d.DirectGap
	}
}

// Errors of the Outbox's push methods.
var (
	// ErrDropped: a droppable message found no room within
	// WaitBeforeDrop (or its priority was congested); it is counted.
	ErrDropped = errors.New("session: message dropped: send queue full")
	// ErrUnresponsive: a blocking message found no room within
	// WaitBeforeClose; the session is being closed.
	ErrUnresponsive = errors.New("session: peer unresponsive: send queue full past wait_before_close")
	// ErrClosed: the session is closing or closed.
	ErrClosed = errors.New("session: closed")
	// ErrCanceled: the caller's cancel channel closed while it waited.
	ErrCanceled = errors.New("session: send canceled")
	// errWaitExpired ends a wait at its deadline.
	errWaitExpired = errors.New("session: wait expired")
)

type outState uint8

const (
	outHandshake outState = iota // only Raw batches
	outOpen                      // the data phase
	outClosing                   // a Close is queued: nothing more is taken
	outClosed                    // the Close was written, or the link is gone
)

// drainer is a callback waiting for the parked bytes to fall to low.
type drainer struct {
	low int
	fn  func()
}

// parkedMsg is an encoded control message waiting for room.
type parkedMsg struct {
	b        []byte
	qos      codec.QoS
	reliable bool
}

// Outbox is the send stage of one session (spec/transport.md 6): any
// goroutine pushes network messages into it, encoded at once into the
// batches of a TX, and the link's single writer goroutine pulls whole
// batches and writes them (several per system call). It is zenoh's TX
// pipeline in Go: a mutex-guarded stage per session, a writer woken
// through a one-slot channel when it sleeps, no timer. While the writer
// is busy writing, messages fill batches; an idle writer is woken at
// once, so a lone message goes out without delay.
//
// Congestion control is zenoh's: a droppable message waits at most
// WaitBeforeDrop for room, then is dropped and counted (and its priority
// is congested: the next droppable ones are dropped at once until the
// writer frees room); a blocking message waits up to WaitBeforeClose,
// which holds back only its sender, and past it the peer is declared
// unresponsive. Enqueue, for the router actor, never waits: control
// messages that find no room are parked, bounded, in order.
//
// It has no goroutine of its own and does no I/O: the link's writer calls
// Ready, Pull and Written (the link.Source interface).
type Outbox struct {
	cfg            OutboxConfig
	stream         bool
	onUnresponsive func()
	unresponsive   sync.Once

	mu          sync.Mutex
	state       outState
	tx          *TX
	raw         [][]byte // handshake batches and KeepAlives, written first
	closeBatch  []byte   // the Close, queued behind the data when flushing
	flushOnEnd  bool
	closeInPull bool // the last Pull returned the Close
	idle        bool // the writer found nothing and waits on ready
	direct      func([][]byte) bool
	directing   bool     // a publisher is writing on its goroutine
	dbuf        [][]byte // the batches of the direct write
	room        chan struct{}
	waiters     int
	congested   uint8 // priorities whose droppable messages go at once
	parked      []parkedMsg
	parkedBytes int
	drainers    []drainer // OnDrained callbacks
	progress    time.Time // last Written
	lastOut     time.Time // last Pull that handed out batches
	now         func() time.Time

	ready    chan struct{} // one slot: wakes the writer
	done     chan struct{} // closed when the outbox shuts down
	onClosed func()        // Close's callback
	ended    bool          // done is closed

	dropped atomic.Uint64
	lastTX  atomic.Int64 // unix nanoseconds of the last Written
}

// NewOutbox returns the outbox of a session on a stream link or not, in
// its handshake phase. onUnresponsive (may be nil) is called once, on
// whichever goroutine notices, when the peer stops taking what it is
// sent: the session must close.
func NewOutbox(stream bool, cfg OutboxConfig, onUnresponsive func()) *Outbox {
	cfg.fill()
	o := &Outbox{cfg: cfg, stream: stream, onUnresponsive: onUnresponsive, idle: true, now: time.Now,
		room: make(chan struct{}), ready: make(chan struct{}, 1), done: make(chan struct{})}
	o.progress = o.now()
	o.lastOut = o.progress // a new link is not quiet
	return o
}

// Establish starts the data phase with the values the handshake agreed.
func (o *Outbox) Establish(est Established) error {
	tx, err := NewTX(est, o.stream, o.cfg.TX)
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state == outHandshake {
		o.tx, o.state = tx, outOpen
	}
	return nil
}

// Raw queues one whole batch (stream prefix included on streams), for
// the handshake. It reports false once the outbox is closing.
func (o *Outbox) Raw(batch []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state >= outClosing {
		return false
	}
	o.raw = append(o.raw, batch)
	o.wakeLocked()
	return true
}

// PushPublication queues a publication on the reliable or best-effort
// channel of its priority, applying its congestion control. It returns
// nil when queued, ErrDropped, ErrUnresponsive, ErrClosed, ErrCanceled
// (cancel closed while it waited) or ErrMessageTooLarge. Nothing in p is
// kept.
func (o *Outbox) PushPublication(p *codec.Push, reliable bool, cancel <-chan struct{}) error {
	return o.push(p.QoS, reliable, cancel, func(tx *TX) error { return tx.PushPublication(p, reliable) })
}

// PushForward is PushPublication of a publication a router forwards,
// encoded with WireExpr we and NodeId node (TX.PushForward).
func (o *Outbox) PushForward(p *codec.Push, we *codec.WireExpr, node uint16, reliable bool, cancel <-chan struct{}) error {
	return o.push(p.QoS, reliable, cancel, func(tx *TX) error { return tx.PushForward(p, we, node, reliable) })
}

// Push is PushPublication for any network message.
func (o *Outbox) Push(m *codec.NetworkMessage, reliable bool, cancel <-chan struct{}) error {
	return o.push(MessageQoS(m), reliable, cancel, func(tx *TX) error { return tx.Push(m, reliable) })
}

// push runs try under the lock until it queues (queueLocked), then
// sends what is queued: directly on a quiet link, else by the writer.
func (o *Outbox) push(q codec.QoS, reliable bool, cancel <-chan struct{}, try func(*TX) error) error {
	o.mu.Lock()
	err := o.queueLocked(q, reliable, cancel, try)
	var bufs [][]byte
	if err == nil {
		bufs = o.flushLocked()
	}
	o.mu.Unlock()
	if bufs != nil && o.direct(bufs) {
		o.Written(bufs, nil)
	}
	if err == ErrUnresponsive {
		o.fireUnresponsive()
	}
	return err
}

// queueLocked runs try until it queues, waiting for room (with the lock
// released) as q's congestion control says, and counts what it drops.
// It returns with the lock held: nil, ErrDropped, ErrUnresponsive (the
// caller fires onUnresponsive once it has unlocked), ErrClosed,
// ErrCanceled, or try's own error (a message too large).
func (o *Outbox) queueLocked(q codec.QoS, reliable bool, cancel <-chan struct{}, try func(*TX) error) error {
	droppable := !reliable || !q.Block()
	bit := uint8(1) << codec.PriorityData // without QoS, all share one queue
	if o.tx != nil && o.tx.qos {
		bit = uint8(1) << q.Priority()
	}
	var deadline time.Time
	for {
		if o.state != outOpen {
			return ErrClosed
		}
		if droppable && o.congested&bit != 0 {
			o.dropped.Add(1)
			return ErrDropped
		}
		err := try(o.tx)
		if err == nil {
			return nil
		}
		if !errors.Is(err, ErrQueueFull) {
			o.dropped.Add(1) // too large for any queue
			return err
		}
		o.wakeLocked() // what is queued must go out to make room
		if deadline.IsZero() {
			wait := o.cfg.WaitBeforeClose
			if droppable {
				wait = o.cfg.WaitBeforeDrop
			}
			deadline = o.now().Add(wait)
		}
		switch werr := o.waitLocked(deadline, cancel); {
		case werr == nil:
			continue
		case werr != errWaitExpired:
			return werr
		case droppable:
			o.congested |= bit
			o.dropped.Add(1)
			return ErrDropped
		default:
			o.dropped.Add(1)
			return ErrUnresponsive
		}
	}
}

// Forward queues publications a router forwards, all to one
// destination: each encoded with WireExpr we and NodeId node
// (TX.PushForward), under one acquisition of the lock, each under its own
// congestion control as PushPublication applies it. It returns how many
// it dropped (the rest when the session closes or cancel closes).
//
// Forward does not write what it queued: it wakes the writer only when
// more than a batch is queued (an Express message closes its batch but
// waits for Flush all the same), so that a reader forwarding a whole read
// fills batches instead of writing once per call. The caller calls Flush
// when its read is done (or before it waits for anything).
func (o *Outbox) Forward(ps []codec.Push, we *codec.WireExpr, node uint16, reliable bool, cancel <-chan struct{}) int {
	dropped, unresponsive := 0, false
	o.mu.Lock()
	for i := 0; i < len(ps) && !unresponsive; i++ {
		p := &ps[i]
		err := o.queueLocked(p.QoS, reliable, cancel, func(tx *TX) error { return tx.PushForward(p, we, node, reliable) })
		switch err {
		case nil:
		case ErrClosed, ErrCanceled:
			o.mu.Unlock()
			return dropped + len(ps) - i
		case ErrUnresponsive:
			// The session is being closed: the rest would each wait
			// WaitBeforeClose again, holding the reader.
			rest := len(ps) - i
			o.dropped.Add(uint64(rest - 1))
			dropped += rest
			unresponsive = true
		default:
			dropped++
		}
	}
	if o.tx != nil && o.tx.Backlog() {
		o.wakeLocked()
	}
	o.mu.Unlock()
	if unresponsive {
		o.fireUnresponsive()
	}
	return dropped
}

// Flush sends what is queued: at once on the caller's goroutine when the
// link is quiet (a direct write), else by waking the writer.
func (o *Outbox) Flush() {
	o.mu.Lock()
	if o.state != outOpen {
		o.mu.Unlock()
		return
	}
	bufs := o.flushLocked()
	o.mu.Unlock()
	if bufs != nil && o.direct(bufs) {
		o.Written(bufs, nil)
	}
}

// waitLocked waits, with the lock released, until the writer frees room,
// the deadline passes (errWaitExpired), cancel closes (ErrCanceled) or the
// outbox shuts down (ErrClosed). It returns with the lock held.
func (o *Outbox) waitLocked(deadline time.Time, cancel <-chan struct{}) error {
	d := deadline.Sub(o.now())
	if d <= 0 {
		return errWaitExpired
	}
	room := o.room
	o.waiters++
	o.mu.Unlock()
	t := getTimer(d)
	var err error
	select {
	case <-room:
	case <-t.C:
		err = errWaitExpired
	case <-cancel:
		err = ErrCanceled
	case <-o.done:
		err = ErrClosed
	}
	putTimer(t)
	o.mu.Lock()
	o.waiters--
	return err
}

// timers are reused: a publisher held back by Block waits once per batch
// the writer frees, and a new timer each time would allocate.
var timers = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

func getTimer(d time.Duration) *time.Timer {
	t := timers.Get().(*time.Timer)
	t.Reset(d)
	return t
}

// putTimer stops t and keeps it. Since Go 1.23 a stopped timer's channel
// holds no stale value, so the next Reset starts clean.
func putTimer(t *time.Timer) {
	t.Stop()
	timers.Put(t)
}

// broadcastLocked wakes every waiter.
func (o *Outbox) broadcastLocked() {
	if o.waiters > 0 {
		close(o.room)
		o.room = make(chan struct{})
	}
}

// flushLocked gets what was just queued written: by the caller, when the
// writer sleeps and the link has been quiet for DirectAfter (it returns
// the batches to write directly), else by waking the writer.
func (o *Outbox) flushLocked() [][]byte {
	if o.direct == nil || !o.idle || o.cfg.DirectAfter < 0 || o.busyLocked() {
		o.wakeLocked()
		return nil
	}
	o.directing = true
	bufs := o.pullLocked(o.dbuf[:0])
	if len(bufs) == 0 {
		o.directing = false
		return nil
	}
	o.idle = false
	return bufs
}

// busyLocked reports whether the link is NOT quiet enough for a direct
// write: a write started within DirectAfter or ended within DirectGap.
func (o *Outbox) busyLocked() bool {
	now := o.now()
	return now.Sub(o.lastOut) < o.cfg.DirectAfter || now.Sub(o.progress) < o.cfg.DirectGap
}

// SetDirect gives the outbox the link's non-blocking write (the
// link.DirectSource interface).
func (o *Outbox) SetDirect(write func(bufs [][]byte) bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.direct = write
}

// hasWorkLocked reports whether Pull would return something.
func (o *Outbox) hasWorkLocked() bool {
	switch o.state {
	case outClosed:
		return false
	case outClosing:
		return len(o.raw) > 0 || o.closeBatch != nil
	}
	return len(o.raw) > 0 || o.tx != nil && !o.tx.Idle()
}

// wakeLocked wakes the writer if it sleeps.
func (o *Outbox) wakeLocked() {
	if o.idle {
		o.idle = false
		select {
		case o.ready <- struct{}{}:
		default:
		}
	}
}

func (o *Outbox) fireUnresponsive() {
	if o.onUnresponsive != nil {
		o.unresponsive.Do(o.onUnresponsive)
	}
}

// Enqueue queues control messages from an actor that must never wait
// (the router): what finds no room is parked, in order, and queued as the
// writer frees room; droppable messages that find no room are dropped
// and counted. The messages are encoded at once: nothing is kept.
func (o *Outbox) Enqueue(msgs []codec.NetworkMessage, reliable bool) {
	o.mu.Lock()
	if o.state != outOpen {
		o.mu.Unlock()
		o.dropped.Add(uint64(len(msgs)))
		return
	}
	over := false
	for i := range msgs {
		m := &msgs[i]
		q := MessageQoS(m)
		if len(o.parked) == 0 {
			err := o.tx.Push(m, reliable)
			if err == nil {
				continue
			}
			if !errors.Is(err, ErrQueueFull) {
				o.dropped.Add(1)
				continue
			}
		}
		if !reliable || !q.Block() {
			o.dropped.Add(1)
			continue
		}
		b := codec.AppendNetwork(nil, m)
		if len(o.parked) == 0 {
			o.progress = o.now() // the wait starts now
		}
		o.parked = append(o.parked, parkedMsg{b: b, qos: q, reliable: reliable})
		o.parkedBytes += len(b)
		if o.parkedBytes > o.cfg.MaxParked {
			over = true
		}
	}
	o.wakeLocked()
	o.mu.Unlock()
	if over {
		o.fireUnresponsive()
	}
}

// unparkLocked queues parked messages while there is room.
func (o *Outbox) unparkLocked() {
	n := 0
	for ; n < len(o.parked); n++ {
		p := &o.parked[n]
		if err := o.tx.PushEncoded(p.b, p.qos, p.reliable); errors.Is(err, ErrQueueFull) {
			break
		} else if err != nil {
			o.dropped.Add(1)
		}
		o.parkedBytes -= len(p.b)
		*p = parkedMsg{}
	}
	if n == len(o.parked) {
		o.parked = nil
		return
	}
	o.parked = o.parked[n:]
}

// KeepAlive queues a KeepAlive when nothing else is queued (anything
// queued goes out soon and keeps the lease as well). It reports whether
// one was queued.
func (o *Outbox) KeepAlive() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state != outOpen || o.tx.Pending() > 0 || len(o.raw) > 0 || !o.idle {
		return false
	}
	o.raw = append(o.raw, o.tx.KeepAlive())
	o.wakeLocked()
	return true
}

// Close stops taking messages and queues a Close with reason (alone in
// its batch, session-wide), behind what is queued when flush is set, else
// instead of it. written (may be nil) is called once the Close is
// written, or when the outbox shuts down first, with the outbox's lock
// held: it must only hand the news on. Closing twice does nothing.
func (o *Outbox) Close(reason byte, flush bool, written func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.state >= outClosing {
		return
	}
	o.state = outClosing
	o.onClosed = written
	o.flushOnEnd = flush && o.tx != nil
	cl := &codec.Close{Session: true, Reason: reason}
	if o.tx != nil {
		o.closeBatch = o.tx.Close(reason, true)
	} else {
		o.closeBatch = aloneInBatch(o.stream, func(b []byte) []byte { return codec.AppendClose(b, cl) })
	}
	o.dropped.Add(uint64(len(o.parked)))
	o.parked, o.parkedBytes = nil, 0
	o.broadcastLocked()
	o.wakeLocked()
}

// Shutdown ends the outbox at once: the link is gone or the session
// stops. Waiting senders return ErrClosed.
func (o *Outbox) Shutdown() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.endLocked()
}

func (o *Outbox) endLocked() {
	o.state = outClosed
	for _, d := range o.drainers {
		d.fn()
	}
	o.drainers = nil
	o.broadcastLocked()
	if !o.ended {
		o.ended = true
		close(o.done)
		if o.onClosed != nil {
			o.onClosed()
		}
	}
}

// Done is closed when the outbox has shut down.
func (o *Outbox) Done() <-chan struct{} { return o.done }

// Ready is signalled when Pull has batches after returning none (the
// link.Source interface).
func (o *Outbox) Ready() <-chan struct{} { return o.ready }

// maxWritev bounds the batches one Pull returns (one system call).
const maxWritev = 16

// Pull appends the batches to write next to dst, at most 16: handshake
// batches and KeepAlives first, then data (highest priority first), then
// the Close when closing. An empty result means nothing is queued; Ready
// is signalled when something is.
func (o *Outbox) Pull(dst [][]byte) [][]byte {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.directing {
		return dst // a publisher writes; it wakes the writer when done
	}
	return o.pullLocked(dst)
}

func (o *Outbox) pullLocked(dst [][]byte) [][]byte {
	start := len(dst)
	if o.state == outClosed {
		o.idle = true
		return dst
	}
	dst = append(dst, o.raw...)
	clear(o.raw)
	o.raw = o.raw[:0]
	data := o.state == outOpen || o.state == outClosing && o.flushOnEnd
	if data {
		for len(dst)-start < maxWritev {
			b := o.tx.Pull()
			if b == nil {
				break
			}
			dst = append(dst, b)
		}
	}
	if o.closeBatch != nil && len(dst)-start < maxWritev && (!data || o.tx.Idle()) {
		dst = append(dst, o.closeBatch)
		o.closeBatch = nil
		o.closeInPull = true
	}
	if len(dst) == start {
		o.idle = true
	} else {
		o.lastOut = o.now()
	}
	return dst
}

// Written takes back the batches of the last Pull once written (err nil)
// or not (the link failed: the outbox shuts down).
func (o *Outbox) Written(bufs [][]byte, err error) {
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.tx != nil {
		for _, b := range bufs {
			o.tx.Release(b)
		}
	}
	if o.directing {
		o.directing = false
		o.dbuf = bufs[:0]
		// The writer sleeps: wake it for what came meanwhile.
		o.idle = true
		if err == nil && o.hasWorkLocked() {
			defer o.wakeLocked()
		}
	}
	if err != nil {
		o.endLocked()
		return
	}
	o.lastTX.Store(now.UnixNano())
	o.progress = now
	if o.closeInPull {
		o.closeInPull = false
		o.endLocked()
		return
	}
	if o.state != outOpen {
		return
	}
	o.congested = 0
	if len(o.parked) > 0 {
		o.unparkLocked()
	}
	o.broadcastLocked()
	if len(o.drainers) > 0 {
		o.drainers = slices.DeleteFunc(o.drainers, func(d drainer) bool {
			if o.parkedBytes > d.low {
				return false
			}
			d.fn()
			return true
		})
	}
}

// Parked returns the bytes of control messages parked by Enqueue.
func (o *Outbox) Parked() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.parkedBytes
}

// OnDrained calls fn once the parked bytes are at most low (at once if
// they are), or when the outbox ends: the router holds back a source of
// control messages until their destination takes them. fn runs with the
// outbox's lock held: it must only hand the news on.
func (o *Outbox) OnDrained(low int, fn func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.parkedBytes <= low || o.state == outClosed {
		fn()
		return
	}
	o.drainers = append(o.drainers, drainer{low: low, fn: fn})
}

// Check is called periodically (the session's tick): parked messages
// that made no progress for WaitBeforeClose make the peer unresponsive.
func (o *Outbox) Check(now time.Time) {
	o.mu.Lock()
	stuck := len(o.parked) > 0 && now.Sub(o.progress) >= o.cfg.WaitBeforeClose
	o.mu.Unlock()
	if stuck {
		o.fireUnresponsive()
	}
}

// LastSend returns when a batch was last written (zero before any).
func (o *Outbox) LastSend() time.Time {
	n := o.lastTX.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// OutboxStats are an outbox's counters.
type OutboxStats struct {
	// Dropped counts messages dropped by congestion control or refused as
	// too large, control messages enqueued while the session was closing,
	// and parked ones given up at Close. (Pushes refused with ErrClosed
	// are counted by their sender; batches abandoned by a Close without
	// flush are not counted: they are bytes by then.)
	Dropped uint64
	Queued  int // bytes queued in batches, not yet written
	Parked  int // bytes of parked control messages
}

// Stats returns the counters.
func (o *Outbox) Stats() OutboxStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := OutboxStats{Dropped: o.dropped.Load(), Parked: o.parkedBytes}
	if o.tx != nil {
		s.Queued = o.tx.Pending()
	}
	return s
}

// aloneInBatch encodes one transport message as a whole batch, with its
// length prefix on streams.
func aloneInBatch(stream bool, enc func([]byte) []byte) []byte {
	var b []byte
	if stream {
		b = append(b, 0, 0)
	}
	b = enc(b)
	if stream {
		n := len(b) - codec.StreamPrefixLen
		b[0], b[1] = byte(n), byte(n>>8)
	}
	return b
}
