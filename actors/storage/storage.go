package storage

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/router"
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
	// Plane is the node's data plane; the storage attaches to it as a
	// local face.
	Plane *router.Plane
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
	// Dropped counts droppable samples refused because the storage's
	// inbox was full, and samples given up when the storage stopped.
	Dropped atomic.Uint64
}

// Props returns the props of a storage actor: it opens its store,
// attaches to the node's data plane as a local face, subscribes to its
// key expression and declares a complete queryable on it. The samples
// routed to it queue in a bounded inbox; each time the actor runs it
// writes all of them in one badger batch. A store error stops the actor
// with the reason logged; its supervisor restarts it.
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

// drain tells the storage its inbox has samples; declared that the
// router has its subscriber and queryable.
type (
	drain    struct{}
	declared struct{}
)

// IgnoreDeadLetterLogging: they may reach a storage that has stopped.
func (*drain) IgnoreDeadLetterLogging()    {}
func (*declared) IgnoreDeadLetterLogging() {}

type storageActor struct {
	cfg   Config
	store *Store
	local *router.Local
	in    *inbox
	spare []Event // the inbox's next backing store
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
		a.apply(ctx, a.evs)
	}
	clear(a.evs)
	a.evs = a.evs[:0]
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
	case *drain:
		if !a.stopping {
			a.drain(ctx)
		}
	case *router.Control:
		if !a.stopping {
			a.control(ctx, m)
		}
	case *declared:
		a.cfg.Logger.Info("storage ready", "storage", a.cfg.Name, "key_expr", a.cfg.KeyExpr)
		if p := ctx.Parent(); p != nil {
			ctx.Request(p, &storageReady{name: a.cfg.Name})
		}
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
		if a.local != nil {
			a.local.Close(0)
		}
		if a.in != nil {
			a.in.close()
			if n := len(a.in.take(nil)); n > 0 {
				a.cfg.Stats.Dropped.Add(uint64(n))
				a.cfg.Logger.Warn("storage: stopping with samples not written", "storage", a.cfg.Name, "samples", n)
			}
		}
	case *actor.Stopped:
		// The companion (a child) has stopped: nothing reads the store.
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
	self, sys := a.self, a.sys
	a.in = newInbox(a.cfg.KeyExpr, a.cfg.Clock, a.cfg.Stats, func() { sys.Root.Send(self, &drain{}) })
	a.local = a.cfg.Plane.OpenLocal(router.LocalConfig{ZID: a.cfg.ZID, Control: self})
	we := codec.WireExpr{Suffix: []byte(a.cfg.KeyExpr), Mapping: true}
	_ = a.local.Declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: subID, WireExpr: we}, a.in)
	_ = a.local.Declare(codec.Declaration{Kind: codec.DeclQueryable, ID: qablID, WireExpr: we, Complete: true}, nil)
	_ = a.local.Then(func() { sys.Root.Send(self, &declared{}) })
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

// storageReady tells the supervisor that a storage has declared itself.
type storageReady struct{ name string }

// drain writes everything the inbox holds in one batch.
func (a *storageActor) drain(ctx actor.Context) {
	if a.store == nil {
		return
	}
	evs := a.in.take(a.spare)
	if len(evs) > 0 {
		a.apply(ctx, evs)
	}
	clear(evs)
	a.spare = evs[:0]
}

// control answers the queries the router sends the storage, each after
// the samples that arrived before it are written.
func (a *storageActor) control(ctx actor.Context, m *router.Control) {
	for i := range m.Msgs {
		if msg := &m.Msgs[i]; msg.ID == codec.MidRequest {
			a.drain(ctx)
			if a.stopping {
				return
			}
			a.query(&msg.Request)
		}
	}
}

func (a *storageActor) apply(ctx actor.Context, evs []Event) {
	a.cfg.Stats.Batches.Add(1)
	var applied []bool
	var err error
	if a.cfg.Fault != nil {
		err = a.cfg.Fault()
	}
	if err == nil {
		applied, err = a.store.Apply(evs, time.Now())
	}
	if err != nil {
		a.cfg.Stats.Failed.Add(uint64(len(evs)))
		for i := range evs {
			a.cfg.Logger.Error("storage: sample not stored", "storage", a.cfg.Name, "key", evs[i].Key, "timestamp", evs[i].TS.String())
		}
		a.fail(ctx, fmt.Errorf("writing %d samples: %w", len(evs), err))
		return
	}
	for _, ok := range applied {
		if ok {
			a.cfg.Stats.Stored.Add(1)
		} else {
			a.cfg.Stats.Stale.Add(1)
		}
	}
}

// query answers a Request with every stored sample matching it, then
// ResponseFinal.
func (a *storageActor) query(r *codec.Request) {
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
	_ = a.local.Send(out...)
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
