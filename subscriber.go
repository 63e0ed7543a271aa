package zenoh

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Handler says how a subscriber receives its samples: Callback,
// FifoChannel or RingChannel.
type Handler interface {
	newDelivery() delivery
}

// delivery is a handler at work. deliver is called by whoever routes a
// sample to the subscriber (a link's reader, a publisher of this session,
// the dispatcher for liveliness), maybe by several goroutines at once; a
// sample under Block congestion control (block) may wait for room until
// cancel closes, others never wait. It reports false when it dropped the
// sample (and counted it). close ends the delivery.
type delivery interface {
	deliver(s *Session, smp Sample, block bool, cancel <-chan struct{}) bool
	close()
	ch() <-chan Sample
	dropped() uint64
	// loaned reports whether deliver takes samples on loan: their bytes
	// valid only during the call.
	loaned() bool
}

type callbackHandler struct {
	fn   func(Sample)
	loan bool
}

func (h callbackHandler) newDelivery() delivery {
	return &callbackDelivery{fn: h.fn, loan: h.loan, room: make(chan struct{}), done: make(chan struct{})}
}

// Callback delivers every sample to fn, on the goroutine that routes it
// (a link's reader, or a Put of this session): one call at a time and in
// order, so fn needs no lock of its own, but a slow fn holds back what
// that goroutine carries (see Session). A sample that arrives while fn
// runs on another goroutine is queued, and the goroutine running fn calls
// it next; beyond 1024 queued, a Drop sample is dropped and counted in
// Dropped, and a Block sample waits for room, for a second at most (fn
// may be publishing on its own key from the very goroutine that would
// make room): then it is queued anyway, and the session logs a warning.
func Callback(fn func(Sample)) Handler { return callbackHandler{fn: fn} }

// LoanedCallback is Callback with samples on loan, as zenoh-c's callbacks
// get a z_loaned_sample_t: their byte slices alias the buffers they were
// read or published from and are valid only until fn returns (keep a
// sample with Sample.Clone). Nothing is copied to deliver a sample: the
// fastest way to consume a stream. A sample queued while fn runs on
// another goroutine is cloned first.
func LoanedCallback(fn func(Sample)) Handler { return callbackHandler{fn: fn, loan: true} }

// callbackQueue bounds the samples waiting for a busy callback; a Block
// sample waits for room at most callbackWait, then is queued beyond the
// bound: the goroutine running the callback may be the one waiting (a
// callback publishing on its own key), which no wait would end.
const (
	callbackQueue = 1024
	callbackWait  = time.Second
)

// callbackWaitFor is callbackWait, shortened by tests.
var callbackWaitFor = callbackWait

// callbackDelivery runs one callback at a time without a goroutine of
// its own: the goroutine that finds it idle runs fn, and runs the samples
// others queued meanwhile before it leaves. Claiming it is one atomic
// operation; the lock is taken only to queue.
type callbackDelivery struct {
	fn    func(Sample)
	loan  bool
	drops atomic.Uint64

	running atomic.Bool  // a goroutine runs fn
	queued  atomic.Int32 // len(queue)
	closed  atomic.Bool
	over    atomic.Bool // queued beyond the bound once (logged)

	mu      sync.Mutex // guards queue, spare, room, waiters
	queue   []Sample
	spare   []Sample
	room    chan struct{}
	waiters int
	done    chan struct{}
}

func (c *callbackDelivery) deliver(s *Session, smp Sample, block bool, cancel <-chan struct{}) bool {
	var deadline time.Time
	for {
		if c.closed.Load() {
			return true
		}
		if c.running.CompareAndSwap(false, true) {
			s.guard("subscriber callback", func() { c.fn(smp) })
			c.drain(s)
			return true
		}
		c.mu.Lock()
		switch {
		case c.closed.Load():
			c.mu.Unlock()
			return true
		case !c.running.Load():
			c.mu.Unlock()
			continue // it left meanwhile: run this one here
		case len(c.queue) < callbackQueue || block && !deadline.IsZero() && !time.Now().Before(deadline):
			if len(c.queue) >= callbackQueue && !c.over.Swap(true) && s.logger != nil {
				s.logger.Warn("zenoh: a subscriber callback's queue went past its bound: " +
					"a Block sample waited a second for it (does the callback publish on its own key?)")
			}
			if c.loan {
				smp = smp.Clone() // the loan ends when deliver returns
			}
			c.queue = append(c.queue, smp)
			c.queued.Add(1)
			c.mu.Unlock()
			// The runner may have left since: then someone must run it.
			if !c.running.Load() && c.running.CompareAndSwap(false, true) {
				c.drain(s)
			}
			return true
		case !block:
			c.mu.Unlock()
			c.drops.Add(1)
			return false
		}
		room := c.room
		c.waiters++
		c.mu.Unlock()
		if deadline.IsZero() {
			deadline = time.Now().Add(callbackWaitFor)
		}
		t := time.NewTimer(time.Until(deadline))
		canceled := false
		select {
		case <-room:
		case <-t.C:
		case <-c.done:
		case <-cancel:
			canceled = true
		}
		t.Stop()
		c.mu.Lock()
		c.waiters--
		c.mu.Unlock()
		if canceled {
			c.drops.Add(1)
			return false
		}
	}
}

// drain runs the queued samples, then leaves; the caller holds running.
func (c *callbackDelivery) drain(s *Session) {
	for {
		for c.queued.Load() > 0 && !c.closed.Load() {
			c.mu.Lock()
			batch := c.queue
			c.queue, c.spare = c.spare[:0], nil
			c.queued.Store(0)
			if c.waiters > 0 {
				close(c.room)
				c.room = make(chan struct{})
			}
			c.mu.Unlock()
			for i := range batch {
				if c.closed.Load() {
					break
				}
				s.guard("subscriber callback", func() { c.fn(batch[i]) })
			}
			clear(batch)
			c.mu.Lock()
			if c.spare == nil {
				c.spare = batch[:0]
			}
			c.mu.Unlock()
		}
		c.running.Store(false)
		// A sample queued after the last look, before the Store, must not
		// stay behind: take it back, unless another goroutine does.
		if c.queued.Load() == 0 || c.closed.Load() || !c.running.CompareAndSwap(false, true) {
			return
		}
	}
}

func (c *callbackDelivery) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed.Swap(true) {
		c.queue = nil
		c.queued.Store(0)
		close(c.done)
	}
}

func (c *callbackDelivery) ch() <-chan Sample { return nil }
func (c *callbackDelivery) dropped() uint64   { return c.drops.Load() }
func (c *callbackDelivery) loaned() bool      { return c.loan }

type fifoHandler int

func (n fifoHandler) newDelivery() delivery {
	return &chanDelivery{c: make(chan Sample, max(int(n), 1)), done: make(chan struct{})}
}

// FifoChannel delivers samples on a channel (Subscriber.Chan) holding up
// to n of them (at least 1). When it is full, a sample published under
// CongestionControlBlock waits for room, holding back its publisher (as
// zenoh's FIFO handler does); one under CongestionControlDrop is
// dropped and counted (Subscriber.Dropped).
func FifoChannel(n int) Handler { return fifoHandler(n) }

type ringHandler int

func (n ringHandler) newDelivery() delivery {
	return &chanDelivery{c: make(chan Sample, max(int(n), 1)), ring: true, done: make(chan struct{})}
}

// RingChannel delivers samples on a channel (Subscriber.Chan) holding
// the newest n of them (at least 1): when it is full, the oldest sample
// is dropped, and counted (Subscriber.Dropped), to make room. It never
// waits.
func RingChannel(n int) Handler { return ringHandler(n) }

// chanDelivery feeds a channel. Senders hold mu for reading while they
// send, so that close, which closes done first (ending every wait), can
// close the channel once none is sending.
type chanDelivery struct {
	c        chan Sample
	ring     bool
	drops    atomic.Uint64
	mu       sync.RWMutex
	done     chan struct{}
	doneOnce sync.Once
	closed   bool
}

func (c *chanDelivery) deliver(_ *Session, smp Sample, block bool, cancel <-chan struct{}) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return true
	}
	for {
		select {
		case c.c <- smp:
			return true
		default:
		}
		if c.ring {
			select {
			case <-c.c:
				c.drops.Add(1)
			default: // the reader emptied it meanwhile
			}
			continue
		}
		if !block {
			c.drops.Add(1)
			return false
		}
		select {
		case c.c <- smp:
			return true
		case <-cancel:
			c.drops.Add(1)
			return false
		case <-c.done:
			return true
		}
	}
}

func (c *chanDelivery) close() {
	c.doneOnce.Do(func() { close(c.done) }) // ends the waits of senders
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.c)
	}
}

func (c *chanDelivery) ch() <-chan Sample { return c.c }
func (c *chanDelivery) dropped() uint64   { return c.drops.Load() }
func (c *chanDelivery) loaned() bool      { return false }

// Subscriber receives the publications on the key expressions that
// intersect its own, from the network and from its own session.
type Subscriber struct {
	s          *Session
	id         uint32
	key        string
	d          delivery
	undeclared atomic.Bool
}

// subSink is a Subscriber as the data plane sees it.
type subSink struct{ sub *Subscriber }

func (k subSink) Deliver(key string, p codec.Push, d router.Delivery) bool {
	sub := k.sub
	if sub.undeclared.Load() {
		return true
	}
	smp := sampleFromKey(key, &p.Body, p.QoS, d.Keep, sub.d.loaned())
	return sub.d.deliver(sub.s, smp, d.Reliable && p.QoS.Block(), d.Cancel)
}

// DeclareSubscriber subscribes to key, a canonical key expression that
// may hold wildcards, delivering samples through handler. When it
// returns, the session's own publications reach the subscriber; remote
// ones do once the declaration has reached their nodes.
func (s *Session) DeclareSubscriber(key string, handler Handler) (*Subscriber, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if handler == nil {
		handler = FifoChannel(256)
	}
	sub := &Subscriber{s: s, id: s.nextEntity.Add(1), key: key, d: handler.newDelivery()}
	s.mu.Lock()
	if s.isClosed() {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	s.subs[sub.id] = sub
	err := s.face.Declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: sub.id, WireExpr: wire(key)}, subSink{sub})
	s.mu.Unlock()
	if err == nil {
		err = s.face.Sync(askTimeout)
	}
	if err != nil {
		s.mu.Lock()
		delete(s.subs, sub.id)
		s.mu.Unlock()
		sub.close()
		if s.isClosed() {
			return nil, ErrClosed
		}
		return nil, err
	}
	return sub, nil
}

// KeyExpr returns the subscriber's key expression.
func (sub *Subscriber) KeyExpr() string { return sub.key }

// Chan returns the channel of a FifoChannel or RingChannel subscriber
// (nil for a Callback one). It is closed after Undeclare or when the
// session closes.
func (sub *Subscriber) Chan() <-chan Sample { return sub.d.ch() }

// Dropped returns how many samples the subscriber dropped: a full
// channel (or a busy callback's full queue) under CongestionControlDrop,
// the oldest ones of a full RingChannel.
func (sub *Subscriber) Dropped() uint64 { return sub.d.dropped() }

// Undeclare withdraws the subscriber. No callback starts after it
// returns (one running may finish); the channel of a channel subscriber
// is closed, the samples already in it still readable. Undeclaring twice
// returns ErrUndeclared.
func (sub *Subscriber) Undeclare() error {
	if sub.undeclared.Swap(true) {
		return ErrUndeclared
	}
	s := sub.s
	s.mu.Lock()
	delete(s.subs, sub.id)
	closed := s.isClosed()
	s.mu.Unlock()
	sub.close()
	if closed {
		return nil // the session closed it
	}
	s.declare(codec.Declaration{Kind: codec.UndeclSubscriber, ID: sub.id})
	return nil
}

func (sub *Subscriber) close() { sub.d.close() }
