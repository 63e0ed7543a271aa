package zenoh

import (
	"sync"
	"sync/atomic"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Handler says how a subscriber receives its samples: Callback,
// FifoChannel or RingChannel.
type Handler interface {
	newDelivery() delivery
}

// delivery is a handler at work: deliver runs on the session's dispatch
// goroutine and must never block (except a user callback, by choice);
// close runs there too, once.
type delivery interface {
	deliver(s *Session, smp Sample)
	close()
	ch() <-chan Sample
	dropped() uint64
}

type callbackHandler func(Sample)

func (f callbackHandler) newDelivery() delivery { return &callbackDelivery{fn: f} }

// Callback delivers every sample to fn, on the session's dispatch
// goroutine: fn must return quickly (see Session).
func Callback(fn func(Sample)) Handler { return callbackHandler(fn) }

type callbackDelivery struct{ fn func(Sample) }

func (c *callbackDelivery) deliver(s *Session, smp Sample) {
	s.guard("subscriber callback", func() { c.fn(smp) })
}
func (c *callbackDelivery) close()            {}
func (c *callbackDelivery) ch() <-chan Sample { return nil }
func (c *callbackDelivery) dropped() uint64   { return 0 }

type fifoHandler int

func (n fifoHandler) newDelivery() delivery {
	return &chanDelivery{c: make(chan Sample, max(int(n), 1))}
}

// FifoChannel delivers samples on a channel (Subscriber.Chan) holding up
// to n of them (at least 1). When it is full, new samples are dropped and
// counted (Subscriber.Dropped): the session never waits for a slow
// reader.
func FifoChannel(n int) Handler { return fifoHandler(n) }

type ringHandler int

func (n ringHandler) newDelivery() delivery {
	return &chanDelivery{c: make(chan Sample, max(int(n), 1)), ring: true}
}

// RingChannel delivers samples on a channel (Subscriber.Chan) holding
// the newest n of them (at least 1): when it is full, the oldest sample
// is dropped, and counted (Subscriber.Dropped), to make room.
func RingChannel(n int) Handler { return ringHandler(n) }

type chanDelivery struct {
	c      chan Sample
	ring   bool
	drops  atomic.Uint64
	closed sync.Once
}

func (c *chanDelivery) deliver(_ *Session, smp Sample) {
	for {
		select {
		case c.c <- smp:
			return
		default:
		}
		if !c.ring {
			c.drops.Add(1)
			return
		}
		select {
		case <-c.c:
			c.drops.Add(1)
		default: // the reader emptied it meanwhile
		}
	}
}

func (c *chanDelivery) close()            { c.closed.Do(func() { close(c.c) }) }
func (c *chanDelivery) ch() <-chan Sample { return c.c }
func (c *chanDelivery) dropped() uint64   { return c.drops.Load() }

// Subscriber receives the publications on the key expressions that
// intersect its own, from the network and from its own session.
type Subscriber struct {
	s          *Session
	id         uint32
	key        string
	d          delivery
	undeclared atomic.Bool
}

// DeclareSubscriber subscribes to key, a canonical key expression that
// may hold wildcards, delivering samples through handler.
func (s *Session) DeclareSubscriber(key string, handler Handler) (*Subscriber, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if handler == nil {
		handler = FifoChannel(256)
	}
	sub := &Subscriber{s: s, id: s.nextEntity.Add(1), key: key, d: handler.newDelivery()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return nil, ErrClosed
	}
	s.subs[sub.id] = sub
	// The dispatcher learns of it before the router can route to it.
	s.sys.Root.Send(s.local, &addSub{sub: sub})
	s.declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: sub.id, WireExpr: wire(key)})
	return sub, nil
}

// KeyExpr returns the subscriber's key expression.
func (sub *Subscriber) KeyExpr() string { return sub.key }

// Chan returns the channel of a FifoChannel or RingChannel subscriber
// (nil for a Callback one). It is closed after Undeclare or when the
// session closes.
func (sub *Subscriber) Chan() <-chan Sample { return sub.d.ch() }

// Dropped returns how many samples a channel subscriber dropped because
// its channel was full.
func (sub *Subscriber) Dropped() uint64 { return sub.d.dropped() }

// Undeclare withdraws the subscriber. No callback starts after it
// returns (one running may finish); the channel of a channel subscriber
// is closed shortly after, the samples already in it still readable.
// Undeclaring twice returns ErrUndeclared.
func (sub *Subscriber) Undeclare() error {
	if sub.undeclared.Swap(true) {
		return ErrUndeclared
	}
	if sub.s.isClosed() {
		return nil // the session closed it
	}
	sub.s.declare(codec.Declaration{Kind: codec.UndeclSubscriber, ID: sub.id})
	sub.s.sys.Root.Send(sub.s.local, &delSub{id: sub.id})
	return nil
}

func (sub *Subscriber) matches(key string) bool {
	return !sub.undeclared.Load() && keyexpr.Intersects(sub.key, key)
}

func (sub *Subscriber) deliver(s *Session, smp Sample) { sub.d.deliver(s, smp) }

func (sub *Subscriber) close() { sub.d.close() }
