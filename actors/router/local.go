package router

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// LocalConfig configures a local face.
type LocalConfig struct {
	// ZID is the node's ZenohId.
	ZID codec.ZenohID
	// Control receives, as *Control, the control messages the router
	// sends the face: requests for its queryables, replies to its
	// queries, declarations answering its interests. Nil drops them.
	Control *actor.PID
	// Echo delivers the face's own publications to its own subscribers.
	Echo bool
}

// Control carries control messages the router sends a local face. They
// own their bytes.
type Control struct {
	Face FaceID
	Msgs []codec.NetworkMessage
}

// Messages of local faces to the router actor. done, if set, is called
// once the router has applied what came before and published the
// snapshot it changes.
type (
	localOpen struct {
		l    *Local
		done func()
	}
	localControl struct {
		face FaceID
		msgs []codec.NetworkMessage
		subs []Subscriber // per message: the handler of a DeclSubscriber
		done func()
	}
	localClose struct {
		face FaceID
		done func()
	}
)

// ErrLocalClosed is returned by a closed local face.
var ErrLocalClosed = errors.New("router: local face closed")

// declKey names a declaration of a local face: its kind (a Declaration
// kind, or MidInterest) and id.
type declKey struct {
	kind byte
	id   uint32
}

type declRec struct {
	seq uint64
	msg codec.NetworkMessage
	sub Subscriber
}

// Local is an in-process face of the node: the API session, a storage,
// an aligner. Its publications are routed on the publishing goroutine
// against the snapshot (Publish); its subscribers' handlers are called
// by whoever routes to them; its control messages go through the router
// actor, and those the router sends it arrive at its Control actor. It
// remembers its declarations, so that a router restarted after a failure
// takes them again. Its methods are safe for concurrent use.
type Local struct {
	pl      *Plane
	id      FaceID
	cfg     LocalConfig
	done    chan struct{} // closed by Close: publishers' waits end
	dropped atomic.Uint64

	mu     sync.Mutex
	closed bool
	decls  map[declKey]declRec
	seq    uint64

	cacheMu sync.Mutex
	cache   *RouteCache
}

// OpenLocal attaches a local face to the node. The router opens it
// asynchronously: everything sent through it afterwards is handled after
// the opening; Sync waits for it.
func (p *Plane) OpenLocal(cfg LocalConfig) *Local {
	l := &Local{pl: p, id: p.newFaceID(), cfg: cfg, done: make(chan struct{}), decls: map[declKey]declRec{},
		cache: NewRouteCache(p.cfg.RouteCacheSize)}
	p.register(l)
	p.send(&localOpen{l: l})
	return l
}

// ID returns the face's id.
func (l *Local) ID() FaceID { return l.id }

// Done is closed when the face is closed.
func (l *Local) Done() <-chan struct{} { return l.done }

// Dropped counts this face's publications dropped by a destination
// (congestion control, a full subscriber queue).
func (l *Local) Dropped() uint64 { return l.dropped.Load() }

// Declare sends a declaration (subscriber, queryable, token, or their
// undeclarations). sub is the handler of a DeclSubscriber. The face
// remembers what is declared.
func (l *Local) Declare(b codec.Declaration, sub Subscriber) error {
	m := codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS, Body: b}}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLocalClosed
	}
	switch b.Kind {
	case codec.DeclSubscriber, codec.DeclQueryable, codec.DeclToken:
		l.seq++
		l.decls[declKey{b.Kind, b.ID}] = declRec{seq: l.seq, msg: m, sub: sub}
	case codec.UndeclSubscriber:
		delete(l.decls, declKey{codec.DeclSubscriber, b.ID})
	case codec.UndeclQueryable:
		delete(l.decls, declKey{codec.DeclQueryable, b.ID})
	case codec.UndeclToken:
		delete(l.decls, declKey{codec.DeclToken, b.ID})
	}
	l.pl.send(&localControl{face: l.id, msgs: []codec.NetworkMessage{m}, subs: []Subscriber{sub}})
	return nil
}

// Send sends control messages: interests, requests, responses, response
// finals. Future interests are remembered until their InterestFinal.
func (l *Local) Send(msgs ...codec.NetworkMessage) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLocalClosed
	}
	for i := range msgs {
		if msgs[i].ID != codec.MidInterest {
			continue
		}
		it := msgs[i].Interest
		k := declKey{codec.MidInterest, it.ID}
		switch it.Mode {
		case codec.InterestFuture, codec.InterestCurrentFuture:
			// Taken again after a restart as Future: the current state
			// was already answered.
			it.Mode = codec.InterestFuture
			l.seq++
			l.decls[k] = declRec{seq: l.seq, msg: codec.NetworkMessage{ID: codec.MidInterest, Interest: it}}
		case codec.InterestFinal:
			delete(l.decls, k)
		}
	}
	l.pl.send(&localControl{face: l.id, msgs: msgs})
	return nil
}

// Sync waits until the router has handled everything this face sent
// before and published the routes it changes: a Put after Sync reaches
// the subscribers declared before it.
func (l *Local) Sync(timeout time.Duration) error {
	ch := make(chan struct{})
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrLocalClosed
	}
	l.pl.send(&localControl{face: l.id, done: func() { close(ch) }})
	l.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return errors.New("router: no answer from the router actor")
	}
}

// Then calls fn once the router has handled everything this face sent
// before and published the routes it changes. fn runs on the router
// actor's goroutine: it must only hand the news on (an actor's Send).
func (l *Local) Then(fn func()) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrLocalClosed
	}
	l.pl.send(&localControl{face: l.id, done: fn})
	return nil
}

// Close detaches the face: the router withdraws what it declared. With a
// positive timeout it waits (at most that long) until the router has
// handled everything the face sent before.
func (l *Local) Close(timeout time.Duration) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	close(l.done)
	l.pl.unregister(l)
	ch := make(chan struct{})
	l.pl.send(&localClose{face: l.id, done: func() { close(ch) }})
	l.mu.Unlock()
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-ch:
		case <-t.C:
		}
	}
}

// records returns the declarations to take again, in their order.
func (l *Local) records() ([]codec.NetworkMessage, []Subscriber) {
	l.mu.Lock()
	defer l.mu.Unlock()
	rs := make([]declRec, 0, len(l.decls))
	for _, r := range l.decls {
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b declRec) int { return int(int64(a.seq) - int64(b.seq)) })
	msgs := make([]codec.NetworkMessage, len(rs))
	subs := make([]Subscriber, len(rs))
	for i, r := range rs {
		msgs[i], subs[i] = r.msg, r.sub
	}
	return msgs, subs
}

// PubRoute is a publisher's route cache: the key, validated once, and the
// destinations computed from the last snapshot seen. Any goroutine may
// use it.
type PubRoute struct {
	key string
	e   atomic.Pointer[pubEntry]
}

type pubEntry struct {
	gen   uint64
	dests []Dest
}

// NewPubRoute returns the route cache of a publisher on key, a valid key
// expression.
func NewPubRoute(key string) *PubRoute { return &PubRoute{key: key} }

// Key returns the publisher's key.
func (r *PubRoute) Key() string { return r.key }

// Publish routes a publication of the face: encoded into the outboxes of
// the remote faces it goes to, delivered to the local subscribers,
// applying its congestion control (a Block publication waits for room
// there, a Drop one is dropped and counted in Dropped). With a PubRoute
// the route comes from it (p's WireExpr is ignored); without, from the
// face's cache, keyed by p's WireExpr. Nothing in p is kept.
func (l *Local) Publish(p *codec.Push, reliable bool, r *PubRoute) error {
	select {
	case <-l.done:
		return ErrLocalClosed
	default:
	}
	s := l.pl.snap.Load()
	var dests []Dest
	var key string
	if r != nil {
		e := r.e.Load()
		if e == nil || e.gen != s.gen {
			f := s.faces[l.id]
			if f == nil {
				return errNotOpen
			}
			var sc routeScratch
			e = &pubEntry{gen: s.gen, dests: s.route(f, r.key, 0, &sc)}
			r.e.Store(e)
		}
		dests, key = e.dests, r.key
	} else {
		l.cacheMu.Lock()
		d, k, err := l.cache.Route(s, l.id, p)
		l.cacheMu.Unlock()
		if err != nil {
			return err
		}
		dests, key = d, k
	}
	if len(dests) == 0 {
		return nil
	}
	l.pl.stamp(&p.Body, 0)
	if n := l.pl.forward(dests, key, p, reliable, l.done, nil); n > 0 {
		l.dropped.Add(uint64(n))
	}
	return nil
}
