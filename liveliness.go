package zenoh

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Liveliness is a session's liveliness API (spec/network.md section
// 9.6): tokens that say an application is alive for as long as they are
// declared and their session is open, subscribers that see tokens come
// and go, and Gets that list the tokens alive now.
type Liveliness struct {
	s *Session
}

// Liveliness returns the session's liveliness API.
func (s *Session) Liveliness() *Liveliness { return &Liveliness{s: s} }

// LivelinessToken is a declared liveliness token.
type LivelinessToken struct {
	s          *Session
	id         uint32
	key        string
	undeclared atomic.Bool
}

// DeclareToken declares a liveliness token on key, a canonical key
// expression. The token lives until Undeclare or until the session
// closes (the router then withdraws it). Liveliness subscribers of this
// session see it too.
func (l *Liveliness) DeclareToken(key string) (*LivelinessToken, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	s := l.s
	tok := &LivelinessToken{s: s, id: s.nextEntity.Add(1), key: key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return nil, ErrClosed
	}
	s.sys.Root.Send(s.disp, &addToken{id: tok.id, key: key})
	s.declare(codec.Declaration{Kind: codec.DeclToken, ID: tok.id, WireExpr: wire(key)})
	return tok, nil
}

// KeyExpr returns the token's key expression.
func (t *LivelinessToken) KeyExpr() string { return t.key }

// Undeclare withdraws the token: liveliness subscribers on its key see
// a Delete. Undeclaring twice returns ErrUndeclared.
func (t *LivelinessToken) Undeclare() error {
	if t.undeclared.Swap(true) {
		return ErrUndeclared
	}
	s := t.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return nil // the router withdraws it with the session
	}
	s.declare(codec.Declaration{Kind: codec.UndeclToken, ID: t.id, WireExpr: wire(t.key), HasWireExprExt: true})
	s.sys.Root.Send(s.disp, &delToken{id: t.id})
	return nil
}

// livelinessOptions are the settings of a liveliness subscriber.
type livelinessOptions struct {
	history bool
}

// LivelinessOption sets an option of Liveliness.DeclareSubscriber.
type LivelinessOption func(*livelinessOptions)

// WithHistory makes a liveliness subscriber first receive a Put for
// every matching token alive when it is declared (default false: only
// the tokens that come and go afterwards).
func WithHistory(history bool) LivelinessOption {
	return func(o *livelinessOptions) { o.history = history }
}

// LivelinessSubscriber receives a Sample of kind SampleKindPut, on the
// token's key, for every liveliness token whose key intersects its own
// that appears, and one of kind SampleKindDelete when it goes (undeclared,
// or its session closed or lost). The samples carry no payload.
// Subscribers of one session share what the router sends it: one
// without history may see the Delete of a token that was alive before it
// was declared.
type LivelinessSubscriber struct {
	s          *Session
	id         uint32 // the interest id
	key        string
	history    bool
	d          delivery
	undeclared atomic.Bool
}

// DeclareSubscriber subscribes to the liveliness tokens on key, a
// canonical key expression that may hold wildcards, delivering samples
// through handler (FifoChannel(256) if nil), as Session.DeclareSubscriber
// does.
func (l *Liveliness) DeclareSubscriber(key string, handler Handler, opts ...LivelinessOption) (*LivelinessSubscriber, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if handler == nil {
		handler = FifoChannel(256)
	}
	var o livelinessOptions
	for _, op := range opts {
		if op != nil {
			op(&o)
		}
	}
	s := l.s
	sub := &LivelinessSubscriber{s: s, id: s.nextEntity.Add(1), key: key, history: o.history, d: handler.newDelivery()}
	mode := codec.InterestFuture
	if o.history {
		mode = codec.InterestCurrentFuture
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return nil, ErrClosed
	}
	s.lsubs[sub.id] = sub
	// The dispatcher learns of it before the router can answer.
	s.sys.Root.Send(s.disp, &addLivSub{sub: sub})
	s.send(codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{
		ID: sub.id, Mode: mode, Options: codec.InterestTokens, Restricted: true,
		WireExpr: wire(key), QoS: codec.DefaultQoS}})
	return sub, nil
}

// KeyExpr returns the subscriber's key expression.
func (sub *LivelinessSubscriber) KeyExpr() string { return sub.key }

// Chan returns the channel of a FifoChannel or RingChannel subscriber
// (nil for a Callback one). It is closed after Undeclare or when the
// session closes.
func (sub *LivelinessSubscriber) Chan() <-chan Sample { return sub.d.ch() }

// Dropped returns how many samples a channel subscriber dropped because
// its channel was full.
func (sub *LivelinessSubscriber) Dropped() uint64 { return sub.d.dropped() }

// Undeclare withdraws the subscriber (its interest ends). No callback
// starts after it returns; the channel of a channel subscriber is closed
// shortly after. Undeclaring twice returns ErrUndeclared.
func (sub *LivelinessSubscriber) Undeclare() error {
	if sub.undeclared.Swap(true) {
		return ErrUndeclared
	}
	s := sub.s
	if s.isClosed() {
		return nil // the session closed it
	}
	s.send(codec.NetworkMessage{ID: codec.MidInterest,
		Interest: codec.Interest{ID: sub.id, Mode: codec.InterestFinal, QoS: codec.DefaultQoS}})
	s.sys.Root.Send(s.disp, &delLivSub{id: sub.id})
	return nil
}

func (sub *LivelinessSubscriber) matches(key string) bool {
	return !sub.undeclared.Load() && keyexpr.Intersects(sub.key, key)
}

// token delivers a Put (alive) or Delete (gone) of the token on key.
func (sub *LivelinessSubscriber) token(s *Session, key string, alive bool) {
	smp := Sample{KeyExpr: key, Kind: SampleKindDelete, Priority: PriorityDefault}
	if alive {
		smp.Kind = SampleKindPut
		smp.Payload = []byte{}
	}
	// On the dispatcher: never waits (a full FIFO drops, and counts).
	sub.d.deliver(s, smp, false, nil)
}

// Get asks for the liveliness tokens alive now whose key intersects key
// (a canonical key expression that may hold wildcards), this session's
// own included, and returns the channel of the replies: one Sample of
// kind SampleKindPut per token key. The channel is closed when the
// router has answered, when the timeout expires (WithTimeout, default
// Config.QueryTimeout; no error reply is sent), when ctx ends or when
// the session closes. Options of Get other than WithTimeout are ignored.
func (l *Liveliness) Get(ctx context.Context, key string, opts ...GetOption) (<-chan Reply, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	s := l.s
	o := getOptions{timeout: s.cfg.QueryTimeout}
	for _, op := range opts {
		if op != nil {
			op.applyGet(&o)
		}
	}
	if o.timeout <= 0 {
		o.timeout = s.cfg.QueryTimeout
	}
	g := &livelinessGet{id: s.nextEntity.Add(1), key: key, timeout: o.timeout, q: newReplyQueue()}
	out := make(chan Reply)
	if err := s.track(); err != nil {
		return nil, err
	}
	s.sys.Root.Send(s.disp, &startLivGet{g: g})
	s.send(codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{
		ID: g.id, Mode: codec.InterestCurrent, Options: codec.InterestTokens, Restricted: true,
		WireExpr: wire(key), QoS: codec.DefaultQoS}})
	go s.forward(ctx, g.q, &endLivGet{id: g.id}, out)
	return out, nil
}

// livelinessGet is a liveliness Get in progress; only the dispatcher
// touches it (except q).
type livelinessGet struct {
	id      uint32 // the interest id
	key     string
	timeout time.Duration
	q       *replyQueue
	timer   *time.Timer
	seen    map[string]bool // keys answered, each once
}

// Messages of the dispatcher actor for liveliness.
type (
	addToken struct {
		id  uint32
		key string
	}
	delToken    struct{ id uint32 }
	addLivSub   struct{ sub *LivelinessSubscriber }
	delLivSub   struct{ id uint32 }
	startLivGet struct{ g *livelinessGet }
	endLivGet   struct{ id uint32 }
)

// liveliness is the dispatcher's liveliness state.
type liveliness struct {
	subs   map[uint32]*LivelinessSubscriber // by interest id
	gets   map[uint32]*livelinessGet        // by interest id
	local  map[uint32]string                // this session's tokens, by id
	remote map[uint32]string                // tokens the router declared to us, by its id
}

func newLiveliness() liveliness {
	return liveliness{subs: map[uint32]*LivelinessSubscriber{}, gets: map[uint32]*livelinessGet{},
		local: map[uint32]string{}, remote: map[uint32]string{}}
}

// livelinessMsg handles the dispatcher's liveliness messages; it reports
// false for any other message.
func (d *dispatcher) livelinessMsg(msg any) bool {
	l := &d.liv
	switch m := msg.(type) {
	case *addToken:
		l.local[m.id] = m.key
		// The router does not echo a face's own tokens to its
		// subscribers: the session delivers them itself.
		d.tokenEvent(m.key, true)
	case *delToken:
		if key, ok := l.local[m.id]; ok {
			delete(l.local, m.id)
			d.tokenEvent(key, false)
		}
	case *addLivSub:
		sub := m.sub
		// With history, the router's answer includes this session's
		// own tokens (as for a Get): nothing to add here.
		l.subs[sub.id] = sub
	case *delLivSub:
		if sub := l.subs[m.id]; sub != nil {
			delete(l.subs, m.id)
			sub.d.close()
		}
		d.s.mu.Lock()
		delete(d.s.lsubs, m.id)
		d.s.mu.Unlock()
	case *startLivGet:
		g := m.g
		l.gets[g.id] = g
		s, id := d.s, g.id
		g.timer = time.AfterFunc(g.timeout, func() { s.sys.Root.Send(s.disp, &endLivGet{id: id}) })
	case *endLivGet:
		if g := l.gets[m.id]; g != nil {
			d.finishLivGet(g)
		}
	default:
		return false
	}
	return true
}

// tokenEvent tells every matching liveliness subscriber that the token
// on key appeared (alive) or went.
func (d *dispatcher) tokenEvent(key string, alive bool) {
	for _, sub := range d.liv.subs {
		if sub.matches(key) {
			sub.token(d.s, key, alive)
		}
	}
}

// livelinessDeclare handles a declaration the router sent: tokens, and
// the DeclareFinal ending a liveliness Get. The router sends full keys.
func (d *dispatcher) livelinessDeclare(m *codec.Declare) {
	l := &d.liv
	b := &m.Body
	switch b.Kind {
	case codec.DeclToken:
		key := string(b.WireExpr.Suffix)
		if keyexpr.Validate(key) != nil {
			d.s.logger.Debug("zenoh: dropping a token with an invalid key", "key", key)
			return
		}
		if b.ID != 0 { // Current-only answers carry id 0
			l.remote[b.ID] = key
		}
		if !m.HasInterestID {
			d.tokenEvent(key, true)
			return
		}
		// An answer to one interest: a Get's or a subscriber's history.
		if g := l.gets[m.InterestID]; g != nil {
			if keyexpr.Intersects(g.key, key) && !g.seen[key] {
				if g.seen == nil {
					g.seen = map[string]bool{}
				}
				g.seen[key] = true
				g.q.push(Reply{Sample: Sample{KeyExpr: key, Kind: SampleKindPut, Payload: []byte{},
					Priority: PriorityDefault}})
			}
		} else if sub := l.subs[m.InterestID]; sub != nil && sub.matches(key) {
			sub.token(d.s, key, true)
		}
	case codec.UndeclToken:
		key, known := l.remote[b.ID]
		delete(l.remote, b.ID)
		if b.HasWireExprExt && len(b.WireExpr.Suffix) > 0 {
			key, known = string(b.WireExpr.Suffix), true
		}
		if !known || keyexpr.Validate(key) != nil {
			return
		}
		d.tokenEvent(key, false)
	case codec.DeclFinal:
		if m.HasInterestID {
			if g := l.gets[m.InterestID]; g != nil {
				d.finishLivGet(g)
			}
		}
	}
}

// finishLivGet ends g: its channel is closed once its replies are read.
func (d *dispatcher) finishLivGet(g *livelinessGet) {
	delete(d.liv.gets, g.id)
	if g.timer != nil {
		g.timer.Stop()
	}
	g.q.end()
}

// stopLiveliness closes the liveliness subscribers and ends the Gets
// when the dispatcher stops.
func (d *dispatcher) stopLiveliness() {
	for _, sub := range d.liv.subs {
		sub.d.close()
	}
	clear(d.liv.subs)
	for _, g := range d.liv.gets {
		d.finishLivGet(g)
	}
}
