package storage

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Config configures one storage actor.
type Config struct {
	// Name names the storage in logs.
	Name string
	// KeyExpr is what the storage subscribes to and answers queries on.
	KeyExpr string
	// Store configures the badger store (Dir, InMemory, TombstoneTTL...).
	Store Options
	// Router is the node's router actor; the storage attaches to it as
	// an in-process session.
	Router *actor.PID
	// Clock stamps samples that arrive without a timestamp.
	Clock  *hlc.Clock
	ZID    codec.ZenohID
	Logger *slog.Logger
	// Stats, if set, receives the storage's counters (shared across
	// restarts by the supervisor).
	Stats *Stats
	// Fault, if set, is called before every write to the store; an error
	// it returns is handled as the store's own (fault injection in tests).
	Fault func() error
	// Companion, if set, gives the props of an actor the storage runs as
	// its child once its store is open (the aligner): it reads st, and
	// sends ApplyEvents to storage. A companion that stops is started
	// again after CompanionBackoff (default 1 s); it stops with the
	// storage.
	Companion        func(st *Store, storage *actor.PID) *actor.Props
	CompanionBackoff time.Duration
}

// ApplyEvents asks a storage to apply events fetched from elsewhere (by
// its aligner), last writer wins, keeping their timestamps. Done, if set,
// is called once they are written.
type ApplyEvents struct {
	Events []Event
	Done   func()
}

// Stats counts what a storage did; safe for concurrent reads.
type Stats struct {
	Stored  atomic.Uint64 // events applied
	Stale   atomic.Uint64 // events older than what was stored
	Failed  atomic.Uint64 // events whose write failed
	Queries atomic.Uint64
	Batches atomic.Uint64 // badger write batches (Apply calls)
	Fetched atomic.Uint64 // events received from the aligner (applied or stale)
}

// Props returns the props of a storage actor: it opens its store,
// attaches to the router, subscribes to its key expression and declares
// a complete queryable on it. Every batch of samples the router hands it
// is written in one badger batch. A store error stops the actor with the
// reason logged; its supervisor restarts it.
func Props(cfg Config) *actor.Props {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	return actor.PropsFromProducer(func() actor.Actor { return &storageActor{cfg: cfg} })
}

type purgeTick struct{}

type storageActor struct {
	cfg   Config
	store *Store
	face  router.FaceID
	ready bool
	self  *actor.PID
	sys   *actor.ActorSystem
	timer *time.Timer
	evs   []Event

	companion      *actor.PID
	companionTimer *time.Timer
	stopping       bool
}

type startCompanion struct{}

// call calls f, if set.
func call(f func()) {
	if f != nil {
		f()
	}
}

func (a *storageActor) startCompanion(ctx actor.Context) {
	if a.cfg.Companion == nil || a.store == nil || a.companion != nil {
		return
	}
	a.companion = ctx.Spawn(a.cfg.Companion(a.store, ctx.Self()))
	if p := ctx.Parent(); p != nil {
		ctx.Send(p, &companionStarted{name: a.cfg.Name, pid: a.companion})
	}
}

// applyFetched applies events an aligner fetched: valid ones within the
// storage's key expression, with their own timestamps.
func (a *storageActor) applyFetched(ctx actor.Context, m *ApplyEvents) {
	defer call(m.Done)
	if a.store == nil {
		return
	}
	a.evs = a.evs[:0]
	for _, ev := range m.Events {
		if validEvent(&ev) != nil || !keyexpr.Intersects(a.cfg.KeyExpr, ev.Key) {
			continue
		}
		if err := a.cfg.Clock.Update(ev.TS); err != nil {
			continue // from the future: refused, as a sample would be restamped
		}
		a.evs = append(a.evs, ev)
	}
	if len(a.evs) > 0 {
		a.cfg.Stats.Fetched.Add(uint64(len(a.evs)))
		a.apply(ctx)
	}
}

// Entity ids of the storage's declarations on its local face.
const (
	subID  = 1
	qablID = 2
)

func (a *storageActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.started(ctx)
	case *router.LocalOpened:
		a.face, a.ready = m.Face, true
		a.declare(ctx)
	case *session.Send:
		if a.stopping {
			// While it waits for its companion to stop, an actor still
			// gets user messages; the router, told of the stop, has
			// already released their buffers.
			call(m.Done)
			return
		}
		a.routed(ctx, m)
	case *ApplyEvents:
		a.applyFetched(ctx, m)
	case *actor.Terminated:
		if a.companion != nil && m.Who.Id == a.companion.Id && !a.stopping {
			a.companion = nil
			self, sys := a.self, a.sys
			backoff := a.cfg.CompanionBackoff
			if backoff <= 0 {
				backoff = time.Second
			}
			a.cfg.Logger.Warn("storage: companion stopped, restarting", "storage", a.cfg.Name, "after", backoff)
			a.companionTimer = time.AfterFunc(backoff, func() { sys.Root.Send(self, &startCompanion{}) })
		}
	case *startCompanion:
		a.startCompanion(ctx)
	case *purgeTick:
		if n, err := a.store.PurgeTombstones(time.Now()); err != nil {
			a.fail(ctx, fmt.Errorf("purging tombstones: %w", err))
			return
		} else if n > 0 {
			a.cfg.Logger.Debug("storage: tombstones purged", "storage", a.cfg.Name, "count", n)
		}
		a.armPurge()
	case *actor.Stopping:
		a.stopping = true
		if a.timer != nil {
			a.timer.Stop()
		}
		if a.companionTimer != nil {
			a.companionTimer.Stop()
		}
		if a.ready {
			ctx.Send(a.cfg.Router, &router.CloseLocal{Face: a.face})
		}
		if a.store != nil {
			if err := a.store.Close(); err != nil {
				a.cfg.Logger.Error("storage: closing the store", "storage", a.cfg.Name, "err", err)
			}
		}
	}
}

func (a *storageActor) started(ctx actor.Context) {
	a.self, a.sys = ctx.Self(), ctx.ActorSystem()
	st, err := Open(a.cfg.Store)
	if err != nil {
		a.cfg.Logger.Error("storage: cannot open the store, stopping", "storage", a.cfg.Name, "err", err)
		ctx.Stop(ctx.Self())
		return
	}
	a.store = st
	ctx.Request(a.cfg.Router, &router.OpenLocal{PID: ctx.Self(), ZID: a.cfg.ZID})
	a.armPurge()
	a.startCompanion(ctx)
}

func (a *storageActor) armPurge() {
	every := a.cfg.Store.TombstoneTTL / 2
	if every <= 0 || every > time.Hour {
		every = time.Hour
	}
	self, sys := a.self, a.sys
	a.timer = time.AfterFunc(every, func() { sys.Root.Send(self, &purgeTick{}) })
}

// declare subscribes and declares the complete queryable.
func (a *storageActor) declare(ctx actor.Context) {
	we := codec.WireExpr{Suffix: []byte(a.cfg.KeyExpr), Mapping: true}
	ctx.Send(a.cfg.Router, &router.LocalSend{Face: a.face, Reliable: true, Msgs: []codec.NetworkMessage{
		{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
			Body: codec.Declaration{Kind: codec.DeclSubscriber, ID: subID, WireExpr: we}}},
		{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
			Body: codec.Declaration{Kind: codec.DeclQueryable, ID: qablID, WireExpr: we, Complete: true}}},
	}})
	a.cfg.Logger.Info("storage ready", "storage", a.cfg.Name, "key_expr", a.cfg.KeyExpr)
	if p := ctx.Parent(); p != nil {
		ctx.Request(p, &storageReady{name: a.cfg.Name})
	}
}

// storageReady tells the supervisor that a storage has declared itself.
type storageReady struct{ name string }

// routed stores the samples of one Send in one batch and answers its
// queries.
func (a *storageActor) routed(ctx actor.Context, m *session.Send) {
	defer call(m.Done)
	if a.store == nil {
		return
	}
	a.evs = a.evs[:0]
	for i := range m.Msgs {
		switch msg := &m.Msgs[i]; msg.ID {
		case codec.MidPush:
			a.event(&msg.Push)
		case codec.MidRequest:
			if len(a.evs) > 0 { // earlier samples first: the query sees them
				a.apply(ctx)
			}
			a.query(ctx, &msg.Request)
		}
	}
	for i := range m.Pushes {
		a.event(&m.Pushes[i])
	}
	if len(a.evs) > 0 {
		a.apply(ctx)
	}
}

// event turns a Push on a key of the storage into an Event (copied).
func (a *storageActor) event(p *codec.Push) {
	key := string(p.WireExpr.Suffix)
	if keyexpr.Validate(key) != nil || !keyexpr.Intersects(a.cfg.KeyExpr, key) {
		return
	}
	d := &p.Body
	ts := d.Timestamp
	if ts.ID.IsZero() {
		ts = a.cfg.Clock.NewTimestamp()
	} else if err := a.cfg.Clock.Update(ts); err != nil {
		a.cfg.Logger.Debug("storage: replacing a timestamp from the future", "storage", a.cfg.Name, "err", err)
		ts = a.cfg.Clock.NewTimestamp()
	}
	ev := Event{Key: key, TS: ts, Kind: d.Kind}
	if d.Kind != codec.MidDel {
		ev.Kind = codec.MidPut
		ev.Payload = append([]byte{}, d.Payload...)
		ev.Encoding = codec.Encoding{ID: d.Encoding.ID, Schema: append([]byte(nil), d.Encoding.Schema...)}
	}
	a.evs = append(a.evs, ev)
}

func (a *storageActor) apply(ctx actor.Context) {
	a.cfg.Stats.Batches.Add(1)
	var applied []bool
	var err error
	if a.cfg.Fault != nil {
		err = a.cfg.Fault()
	}
	if err == nil {
		applied, err = a.store.Apply(a.evs, time.Now())
	}
	if err != nil {
		a.cfg.Stats.Failed.Add(uint64(len(a.evs)))
		for i := range a.evs {
			a.cfg.Logger.Error("storage: sample not stored", "storage", a.cfg.Name, "key", a.evs[i].Key, "timestamp", a.evs[i].TS.String())
		}
		a.fail(ctx, fmt.Errorf("writing %d samples: %w", len(a.evs), err))
		a.evs = a.evs[:0]
		return
	}
	for _, ok := range applied {
		if ok {
			a.cfg.Stats.Stored.Add(1)
		} else {
			a.cfg.Stats.Stale.Add(1)
		}
	}
	a.evs = a.evs[:0]
}

// query answers a Request with every stored sample matching it, then
// ResponseFinal.
func (a *storageActor) query(ctx actor.Context, r *codec.Request) {
	a.cfg.Stats.Queries.Add(1)
	key := string(r.WireExpr.Suffix)
	var out []codec.NetworkMessage
	from, to, err := TimeRange(string(r.Query.Parameters), time.Now())
	if err != nil {
		out = append(out, codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{
			RequestID: r.ID, WireExpr: r.WireExpr, QoS: r.QoS, IsErr: true,
			ResponderID: codec.EntityGlobalID{ZID: a.cfg.ZID, EID: qablID},
			Err:         codec.Err{Payload: []byte(err.Error())}}})
	} else if keyexpr.Validate(key) == nil && keyexpr.Intersects(key, a.cfg.KeyExpr) {
		qerr := a.store.Query(key, from, to, func(ev Event) bool {
			if !keyexpr.Intersects(a.cfg.KeyExpr, ev.Key) {
				return true
			}
			out = append(out, codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{
				RequestID: r.ID, WireExpr: codec.WireExpr{Suffix: []byte(ev.Key), Mapping: true}, QoS: r.QoS,
				ResponderID: codec.EntityGlobalID{ZID: a.cfg.ZID, EID: qablID},
				Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Timestamp: ev.TS,
					Encoding: ev.Encoding, Payload: ev.Payload}}}})
			return true
		})
		if qerr != nil {
			a.cfg.Logger.Error("storage: query failed", "storage", a.cfg.Name, "err", qerr)
		}
	}
	out = append(out, codec.NetworkMessage{ID: codec.MidResponseFinal,
		ResponseFinal: codec.ResponseFinal{RequestID: r.ID, QoS: r.QoS}})
	ctx.Send(a.cfg.Router, &router.LocalSend{Face: a.face, Reliable: true, Msgs: out})
}

// fail logs why the storage stops, and stops it: its supervisor starts
// it again.
func (a *storageActor) fail(ctx actor.Context, err error) {
	a.cfg.Logger.Error("storage: store error, stopping", "storage", a.cfg.Name, "err", err)
	ctx.Stop(ctx.Self())
}

// TimeRange reads the _time=[START..END] parameter of a selector's
// parameters: each bound is empty (open), an RFC 3339 time, now(), or
// now(±DURATION) with a Go duration (now(-1h)). It returns NTP64 bounds,
// to = 0 meaning no upper bound; without _time, everything.
func TimeRange(params string, now time.Time) (from, to hlc.NTP64, err error) {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if k != "_time" {
			continue
		}
		if len(v) < 4 || v[0] != '[' || v[len(v)-1] != ']' {
			return 0, 0, fmt.Errorf("storage: _time=%q: want [START..END]", v)
		}
		start, end, ok := strings.Cut(v[1:len(v)-1], "..")
		if !ok {
			return 0, 0, fmt.Errorf("storage: _time=%q: want [START..END]", v)
		}
		if start != "" {
			t, err := timeBound(start, now)
			if err != nil {
				return 0, 0, err
			}
			from = hlc.NTP64FromTime(t)
		}
		if end != "" {
			t, err := timeBound(end, now)
			if err != nil {
				return 0, 0, err
			}
			to = hlc.NTP64FromTime(t)
		}
		return from, to, nil
	}
	return 0, 0, nil
}

func timeBound(s string, now time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "now("); ok && strings.HasSuffix(rest, ")") {
		arg := strings.TrimSuffix(rest, ")")
		if arg == "" {
			return now, nil
		}
		d, err := time.ParseDuration(arg)
		if err != nil {
			return time.Time{}, fmt.Errorf("storage: _time bound %q: %w", s, err)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: _time bound %q: want RFC 3339 or now(±duration)", s)
	}
	return t, nil
}
