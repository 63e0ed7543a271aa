package router

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// ActorConfig configures the router actor.
type ActorConfig struct {
	Tables Config
	// TickEvery is how often pending queries are checked for timeouts.
	TickEvery time.Duration
	// Timestamping stamps every routed Put and Del that has no timestamp with the
	// node's HLC, and folds the timestamps of the others into it (spec
	// network.md 7.2; zenoh's default in router mode). A timestamp too far
	// in the future is replaced by a fresh one.
	Timestamping bool
	// Clock is the node's HLC; required with Timestamping.
	Clock  *hlc.Clock
	Logger *slog.Logger
}

// Props returns the props of the router actor: the node's session
// manager sends it Opened, Closed and every session's Received; it keeps
// one face per session in its Tables and sends what they decide with
// session.Send.
func Props(cfg ActorConfig) (*actor.Props, error) {
	if cfg.Tables.LinkStateSN == 0 {
		cfg.Tables.LinkStateSN = InitialLinkStateSN(time.Now())
	}
	t, err := New(cfg.Tables)
	if err != nil {
		return nil, err
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timestamping && cfg.Clock == nil {
		return nil, fmt.Errorf("%w: Timestamping without a Clock", ErrInvalidConfig)
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &routerActor{cfg: cfg, t: t, faces: map[string]*faceRef{}, byID: map[FaceID]*faceRef{}}
	}), nil
}

type faceRef struct {
	id     FaceID
	pid    *actor.PID
	local  bool
	zid    codec.ZenohID   // the peer, zero for local faces
	warned map[string]bool // limits already reported for this face
	// sent holds the Sends to this face whose Done may still be due: a
	// session that stops drops what is left in its mailbox without
	// calling Done, so closing the face finishes them instead.
	sent []*sendRec
}

// sendRec finishes one Send exactly once, by its session's Done or by
// the router when the face closes first.
type sendRec struct {
	finished atomic.Bool
	fn       func()
}

func (r *sendRec) finish() {
	if r.finished.CompareAndSwap(false, true) {
		r.fn()
	}
}

// track records r on f, first forgetting finished records when the list
// has grown.
func (f *faceRef) track(r *sendRec) {
	if len(f.sent) >= 32 {
		f.sent = slices.DeleteFunc(f.sent, func(x *sendRec) bool { return x.finished.Load() })
	}
	f.sent = append(f.sent, r)
}

type routerTick struct{}

type routerActor struct {
	cfg    ActorConfig
	t      *Tables
	faces  map[string]*faceRef // by session PID id
	byID   map[FaceID]*faceRef
	next   FaceID
	timer  *time.Timer
	self   *actor.PID
	system *actor.ActorSystem

	nm      codec.NetworkMessage
	br      codec.BatchReader
	out     map[outKey]*outBatch // sends being built for the current Received
	ctrl    []Out                // control messages routed for the current Received
	waiters []upstreamWaiter     // AwaitUpstream requests not answered yet
	// The batches of out for the last route, while it repeats.
	lastDests    []Dest
	lastBatches  []*outBatch
	lastReliable bool
}

type outKey struct {
	face     FaceID
	reliable bool
}

// outBatch is one session.Send being filled; its messages may alias the
// Received they were routed from, which is released only once every
// Send built from it was consumed (Done).
type outBatch struct {
	pushes []codec.Push
}

var outPool = sync.Pool{New: func() any { return &outBatch{} }}

// holder counts the Sends still using the buffer of a Received or a
// LocalSend; release frees it.
type holder struct {
	n       atomic.Int32
	release func()
}

func (h *holder) done() {
	if h.n.Add(-1) == 0 && h.release != nil {
		h.release()
	}
}

func (a *routerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.self, a.system = ctx.Self(), ctx.ActorSystem()
		a.out = map[outKey]*outBatch{}
		a.arm()
	case *session.Opened:
		a.opened(ctx, m)
	case *session.Closed:
		a.closeFace(ctx, a.faces[m.Session.Id])
	case *session.Received:
		a.received(ctx, m)
	case *OpenLocal:
		a.openLocal(ctx, m)
	case *LocalSend:
		a.localSend(ctx, m)
	case *CloseLocal:
		if f := a.byID[m.Face]; f != nil && f.local {
			ctx.Unwatch(f.pid)
			a.closeFace(ctx, f)
		}
		if ctx.Sender() != nil {
			ctx.Respond(&LocalClosed{Face: m.Face})
		}
	case *AwaitUpstream:
		a.waiters = append(a.waiters, upstreamWaiter{pid: ctx.Sender(), min: m.Min})
		a.wakeWaiters(ctx)
	case *actor.Terminated:
		if f := a.faces[localKey(m.Who)]; f != nil {
			a.closeFace(ctx, f)
		}
	case *routerTick:
		a.sendOuts(ctx, a.t.Tick(time.Now()))
		a.arm()
	case *actor.Stopping:
		if a.timer != nil {
			a.timer.Stop()
		}
	}
}

func (a *routerActor) arm() {
	self, sys := a.self, a.system
	a.timer = time.AfterFunc(a.cfg.TickEvery, func() { sys.Root.Send(self, &routerTick{}) })
}

func (a *routerActor) opened(ctx actor.Context, o *session.Opened) {
	a.next++
	f := &faceRef{id: a.next, pid: o.Session, zid: o.ZID}
	outs, err := a.t.OpenFace(f.id, FaceInfo{WhatAmI: o.WhatAmI, ZID: o.ZID})
	if err != nil {
		a.cfg.Logger.Error("cannot open face", "peer", o.ZID, "err", err)
		return
	}
	a.faces[o.Session.Id] = f
	a.byID[f.id] = f
	a.sendOuts(ctx, outs)
}

func localKey(pid *actor.PID) string { return "local:" + pid.Id }

func (a *routerActor) openLocal(ctx actor.Context, o *OpenLocal) {
	a.next++
	f := &faceRef{id: a.next, pid: o.PID, local: true}
	outs, err := a.t.OpenFace(f.id, FaceInfo{WhatAmI: a.cfg.Tables.Mode, ZID: o.ZID, Local: true})
	if err != nil {
		a.cfg.Logger.Error("cannot open local face", "err", err)
		return
	}
	a.faces[localKey(o.PID)] = f
	a.byID[f.id] = f
	ctx.Watch(o.PID)
	ctx.Respond(&LocalOpened{Face: f.id})
	a.sendOuts(ctx, outs)
}

func (a *routerActor) closeFace(ctx actor.Context, f *faceRef) {
	if f == nil {
		return
	}
	// The session has stopped (or is stopping and no longer reads what
	// it is sent): what it did not finish is finished here.
	for _, r := range f.sent {
		r.finish()
	}
	f.sent = nil
	outs := a.t.CloseFace(f.id, time.Now())
	if f.local {
		delete(a.faces, localKey(f.pid))
	} else {
		delete(a.faces, f.pid.Id)
	}
	delete(a.byID, f.id)
	a.sendOuts(ctx, outs)
}

// localSend routes the messages of an in-process session.
func (a *routerActor) localSend(ctx actor.Context, m *LocalSend) {
	f := a.byID[m.Face]
	if f == nil || !f.local {
		if m.Done != nil {
			m.Done()
		}
		return
	}
	now := time.Now()
	for i := range m.Msgs {
		a.route(ctx, f, &m.Msgs[i], m.Reliable, now)
	}
	a.flush(ctx, m.Done)
}

// received routes every network message of one read of a session.
func (a *routerActor) received(ctx actor.Context, r *session.Received) {
	f := a.faces[r.Session.Id]
	if f == nil || f.local {
		r.Release()
		return
	}
	now := time.Now()
	// Reassembled messages go in their place among the frames: a large
	// reply must not be overtaken by the ResponseFinal behind it.
	wi := 0
	for i, fr := range r.Frames {
		for ; wi < len(r.Whole) && r.Whole[wi].Before <= i; wi++ {
			a.routeWhole(ctx, f, &r.Whole[wi], now)
		}
		a.br.ResetFrame(fr.Payload)
		for a.br.NextNetwork(&a.nm) {
			a.route(ctx, f, &a.nm, fr.Reliable, now)
		}
		if err := a.br.Err(); err != nil {
			a.cfg.Logger.Warn("undecodable frame", "face", f.id, "err", err)
		}
	}
	for ; wi < len(r.Whole); wi++ {
		a.routeWhole(ctx, f, &r.Whole[wi], now)
	}
	a.flush(ctx, r.Release)
}

func (a *routerActor) routeWhole(ctx actor.Context, f *faceRef, w *session.Reassembled, now time.Time) {
	if _, err := codec.DecodeNetwork(w.Msg, &a.nm); err != nil {
		a.cfg.Logger.Warn("undecodable message", "face", f.id, "err", err)
		return
	}
	a.route(ctx, f, &a.nm, w.Reliable, now)
}

// refused logs a message the tables refused: at debug level, except a
// limit reached, which is a warning, once per face and limit.
func (a *routerActor) refused(f *faceRef, err error) {
	limit := errors.Is(err, ErrTooManyDeclarations) || errors.Is(err, ErrTooManyQueries)
	if !limit || f.warned[err.Error()] {
		a.cfg.Logger.Debug("message refused", "face", f.id, "peer", f.zid, "err", err)
		return
	}
	if f.warned == nil {
		f.warned = map[string]bool{}
	}
	f.warned[err.Error()] = true
	a.cfg.Logger.Warn("refusing what goes beyond a limit (logged once per session and limit)",
		"face", f.id, "peer", f.zid, "err", err)
}

func (a *routerActor) route(ctx actor.Context, f *faceRef, m *codec.NetworkMessage, reliable bool, now time.Time) {
	if m.ID != codec.MidPush {
		outs, err := a.t.Handle(f.id, m, now)
		if err != nil {
			a.refused(f, err)
		}
		// Sent by flush, one Send per face: a storage answering
		// 10,000 replies must not make 10,000 Sends.
		a.ctrl = append(a.ctrl, outs...)
		if m.ID == codec.MidDeclare {
			a.wakeWaiters(ctx)
		}
		return
	}
	dests, err := a.t.RoutePush(f.id, &m.Push)
	if err != nil {
		a.cfg.Logger.Debug("push refused", "face", f.id, "err", err)
		return
	}
	if len(dests) > 0 && a.cfg.Timestamping {
		a.stamp(&m.Push.Body, now)
	}
	if len(dests) == 0 {
		return
	}
	// The batches of the previous route are reused while the route (the
	// very slice the tables returned) and the reliability repeat, as
	// they do along a stream: no map lookup per message.
	if a.lastReliable != reliable || len(a.lastDests) != len(dests) || &a.lastDests[0] != &dests[0] {
		a.lastBatches = a.lastBatches[:0]
		for _, d := range dests {
			k := outKey{face: d.Face, reliable: reliable}
			b := a.out[k]
			if b == nil {
				b = outPool.Get().(*outBatch)
				a.out[k] = b
			}
			a.lastBatches = append(a.lastBatches, b)
		}
		a.lastDests, a.lastReliable = dests, reliable
	}
	for i := range dests {
		d := &dests[i]
		b := a.lastBatches[i]
		b.pushes = append(b.pushes, codec.Push{
			WireExpr: d.WireExpr, QoS: m.Push.QoS, NodeID: d.NodeID, Body: m.Push.Body})
	}
}

// stamp gives a Put or Del the node's timestamp, or folds its own into the
// node's clock (replacing one too far in the future).
func (a *routerActor) stamp(d *codec.Data, now time.Time) {
	if d.Timestamp.ID.IsZero() {
		d.Timestamp = a.cfg.Clock.NewTimestampAt(now)
		return
	}
	if err := a.cfg.Clock.Update(d.Timestamp); err != nil {
		a.cfg.Logger.Debug("replacing a timestamp from the future", "err", err)
		d.Timestamp = a.cfg.Clock.NewTimestamp()
	}
}

// flush sends the batches routed from one input; release (if not nil)
// is called when the last of them has been consumed by its session.
func (a *routerActor) flush(ctx actor.Context, release func()) {
	if len(a.ctrl) > 0 {
		a.sendControl(ctx)
	}
	a.lastDests = nil
	clear(a.lastBatches)
	a.lastBatches = a.lastBatches[:0]
	if len(a.out) == 0 {
		if release != nil {
			release()
		}
		return
	}
	h := &holder{release: release}
	h.n.Store(int32(len(a.out)))
	for k, b := range a.out {
		delete(a.out, k)
		dst := a.byID[k.face]
		if dst == nil {
			a.recycle(b)
			h.done()
			continue
		}
		ob := b
		rec := &sendRec{fn: func() {
			a.recycle(ob)
			h.done()
		}}
		dst.track(rec)
		ctx.Send(dst.pid, &session.Send{Pushes: ob.pushes, Reliable: k.reliable, Done: rec.finish})
	}
}

func (a *routerActor) recycle(b *outBatch) {
	clear(b.pushes)
	b.pushes = b.pushes[:0]
	outPool.Put(b)
}

// sendControl sends the control messages routed since the last flush,
// one Send per face, each face's in order.
func (a *routerActor) sendControl(ctx actor.Context) {
	var order []FaceID
	per := map[FaceID][]codec.NetworkMessage{}
	for i := range a.ctrl {
		f := a.ctrl[i].Face
		if _, ok := per[f]; !ok {
			order = append(order, f)
		}
		per[f] = append(per[f], a.ctrl[i].Msg)
	}
	clear(a.ctrl)
	a.ctrl = a.ctrl[:0]
	if cap(a.ctrl) > 256 { // a burst of declarations: do not keep its size
		a.ctrl = nil
	}
	for _, f := range order {
		if dst := a.byID[f]; dst != nil {
			ctx.Send(dst.pid, &session.Send{Msgs: per[f], Reliable: true})
		}
	}
}

// sendOuts sends control messages the tables produced (they own their
// bytes), one Send per destination run.
func (a *routerActor) sendOuts(ctx actor.Context, outs []Out) {
	for i := 0; i < len(outs); {
		j := i
		for j < len(outs) && outs[j].Face == outs[i].Face {
			j++
		}
		if dst := a.byID[outs[i].Face]; dst != nil {
			msgs := make([]codec.NetworkMessage, j-i)
			for k := range msgs {
				msgs[k] = outs[i+k].Msg
			}
			ctx.Send(dst.pid, &session.Send{Msgs: msgs, Reliable: true})
		}
		i = j
	}
}

type upstreamWaiter struct {
	pid *actor.PID
	min int
}

// wakeWaiters answers the AwaitUpstream requests now satisfied.
func (a *routerActor) wakeWaiters(ctx actor.Context) {
	if len(a.waiters) == 0 {
		return
	}
	a.waiters = slices.DeleteFunc(a.waiters, func(w upstreamWaiter) bool {
		if !a.t.UpstreamReady(w.min) {
			return false
		}
		if w.pid != nil {
			ctx.Send(w.pid, &UpstreamReady{})
		}
		return true
	})
}
