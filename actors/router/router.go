package router

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
)

// ActorConfig configures the router actor.
type ActorConfig struct {
	Tables Config
	// Plane is the node's data plane, where the actor publishes its
	// routing snapshots. Required.
	Plane *Plane
	// TickEvery is how often pending queries are checked for timeouts.
	TickEvery time.Duration
	Logger    *slog.Logger
}

// Props returns the props of the router actor. The node's session
// manager sends it Opened and Closed: it opens a face per session,
// admits the session with that face's data path, and closes the face
// when the session ends. Faces hand it their control messages; it keeps
// the Tables, sends what they decide, and publishes a new routing
// snapshot on the Plane whenever the routes change.
//
// Each incarnation starts with empty tables: restarted after a failure,
// the actor asks the session manager to close every session (their peers
// reconnect and declare again) and takes the local faces' declarations
// again from the Plane.
func Props(cfg ActorConfig) (*actor.Props, error) {
	if cfg.Plane == nil {
		return nil, fmt.Errorf("%w: no Plane", ErrInvalidConfig)
	}
	if _, err := New(cfg.Tables); err != nil {
		return nil, err
	}
	if cfg.TickEvery <= 0 {
		cfg.TickEvery = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Plane.cfg.Timestamping && cfg.Plane.cfg.Clock == nil {
		return nil, fmt.Errorf("%w: Timestamping without a Clock", ErrInvalidConfig)
	}
	return actor.PropsFromProducer(func() actor.Actor {
		tc := cfg.Tables
		if tc.LinkStateSN == 0 {
			tc.LinkStateSN = InitialLinkStateSN(time.Now())
		}
		t, _ := New(tc)
		return &routerActor{cfg: cfg, pl: cfg.Plane, t: t, faces: map[FaceID]*faceRef{},
			bySession: map[string]FaceID{}}
	}), nil
}

// InjectPanic makes the router actor panic: fault tests use it to check
// that the node recovers from a router failure.
type InjectPanic struct{}

type faceRef struct {
	id     FaceID
	pid    *actor.PID // the session of a remote face
	out    *session.Outbox
	local  *Local
	zid    codec.ZenohID   // the peer, zero for local faces
	warned map[string]bool // limits already reported for this face
}

type routerTick struct{}

// publish makes the router publish its snapshot and answer the acks
// waiting for it; it is queued behind what is already in the mailbox, so
// that a burst of declarations costs one snapshot.
type publish struct{}

type routerActor struct {
	cfg       ActorConfig
	pl        *Plane
	t         *Tables
	faces     map[FaceID]*faceRef
	bySession map[string]FaceID
	timer     *time.Timer
	self      *actor.PID
	system    *actor.ActorSystem

	waiters    []upstreamWaiter // AwaitUpstream requests not answered yet
	acks       []func()         // to call once the snapshot is published
	publishing bool             // a publish message is queued
	drainMu    sync.Mutex       // ackWhenDrained's counts
}

func (a *routerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.self, a.system = ctx.Self(), ctx.ActorSystem()
		if a.pl.incarnations.Add(1) > 1 {
			a.recoverFaces(ctx)
		}
		a.publishNow()
		a.arm()
	case *session.Opened:
		a.opened(ctx, m)
	case *session.Closed:
		if id, ok := a.bySession[m.Session.Id]; ok {
			a.closeFace(ctx, a.faces[id])
		}
	case *control:
		busy := a.apply(ctx, m.face, m.msgs, nil)
		acks := m.acks
		a.ackWhenDrained(ctx, busy, func() { acks <- struct{}{} })
	case *localOpen:
		a.openLocal(ctx, m.l)
		a.afterPublish(ctx, m.done)
	case *localControl:
		var busy []*session.Outbox
		if f := a.faces[m.face]; f != nil && f.local != nil {
			busy = a.apply(ctx, m.face, m.msgs, m.subs)
		}
		a.ackWhenDrained(ctx, busy, m.done)
	case *drained:
		a.afterPublish(ctx, m.done)
	case *localClose:
		a.closeFace(ctx, a.faces[m.face])
		a.afterPublish(ctx, m.done)
	case *publish:
		a.publishNow()
	case *AwaitUpstream:
		a.waiters = append(a.waiters, upstreamWaiter{pid: ctx.Sender(), min: m.Min})
		a.wakeWaiters(ctx)
	case *routerTick:
		a.sendOuts(ctx, a.t.Tick(time.Now()))
		a.arm()
	case *InjectPanic:
		panic("router: injected fault")
	case *actor.Stopping, *actor.Restarting:
		if a.timer != nil {
			a.timer.Stop()
		}
	}
}

func (a *routerActor) arm() {
	self, sys := a.self, a.system
	a.timer = time.AfterFunc(a.cfg.TickEvery, func() { sys.Root.Send(self, &routerTick{}) })
}

// afterPublish calls done (if set) once the routes it may depend on are
// published: at once when nothing changed, else at the next publish.
func (a *routerActor) afterPublish(ctx actor.Context, done func()) {
	if done != nil {
		a.acks = append(a.acks, done)
	}
	if !a.dirty() && !a.publishing {
		a.publishNow()
		return
	}
	if !a.publishing {
		a.publishing = true
		ctx.Send(a.self, &publish{})
	}
}

func (a *routerActor) dirty() bool {
	return a.t.snap == nil || a.t.subsDirty || len(a.t.dirty) > 0 || a.t.meshDirty
}

// Parked control messages above parkHigh bytes in a destination's outbox
// hold back the face that sent what was routed there, until they are down
// to parkLow: its acknowledgement waits (a remote face's reader then
// stops handing over control messages, and reading, after a few
// batches). Replies forwarded between routers thus flow at the pace of
// the slowest link instead of piling up.
const (
	parkHigh = 4 << 20
	parkLow  = 1 << 20
)

// drained is an acknowledgement released once busy outboxes drained.
type drained struct{ done func() }

// IgnoreDeadLetterLogging: it may reach a stopping router.
func (*drained) IgnoreDeadLetterLogging() {}

// ackWhenDrained calls done after the next publish, and after every
// outbox in busy has drained.
func (a *routerActor) ackWhenDrained(ctx actor.Context, busy []*session.Outbox, done func()) {
	if len(busy) == 0 || done == nil {
		a.afterPublish(ctx, done)
		return
	}
	left := len(busy)
	self, sys := a.self, a.system
	for _, o := range busy {
		o.OnDrained(parkLow, func() {
			// Called with o's lock held, once per outbox, maybe on
			// several goroutines: the last one hands the ack on.
			if a.countDown(&left) {
				sys.Root.Send(self, &drained{done: done})
			}
		})
	}
}

// countDown decrements *n under the router's drain lock and reports
// whether it reached zero.
func (a *routerActor) countDown(n *int) bool {
	a.drainMu.Lock()
	defer a.drainMu.Unlock()
	*n--
	return *n == 0
}

// publishNow publishes the snapshot (rebuilt if something changed) and
// answers the acks waiting for it.
func (a *routerActor) publishNow() {
	a.pl.snap.Store(a.t.Snapshot())
	a.publishing = false
	for _, f := range a.acks {
		f()
	}
	clear(a.acks)
	a.acks = a.acks[:0]
}

// recoverFaces runs when the actor starts again after a failure: its
// tables are new and empty. Remote sessions are closed (their peers
// reconnect and declare again); local faces are opened again with what
// they declared.
func (a *routerActor) recoverFaces(ctx actor.Context) {
	a.cfg.Logger.Error("router restarted after a failure: closing every remote session, re-attaching the local faces")
	if m := a.pl.manager.Load(); m != nil {
		ctx.Send(m, &session.CloseAll{Reason: codec.CloseGeneric})
	}
	for _, l := range a.pl.localFaces() {
		a.openLocal(ctx, l)
	}
}

func (a *routerActor) opened(ctx actor.Context, o *session.Opened) {
	id := a.pl.newFaceID()
	f := &faceRef{id: id, pid: o.Session, out: o.Outbox, zid: o.ZID}
	outs, err := a.t.OpenFace(id, FaceInfo{WhatAmI: o.WhatAmI, ZID: o.ZID, Out: o.Outbox})
	if err != nil {
		a.cfg.Logger.Error("cannot open face", "peer", o.ZID, "err", err)
		ctx.Send(o.Session, &session.CloseSession{Reason: codec.CloseGeneric})
		return
	}
	a.faces[id] = f
	a.bySession[o.Session.Id] = id
	// The face is in the published routes before its first message.
	a.publishNow()
	ctx.Send(o.Session, &session.Admit{Handler: newRemoteFace(a.pl, id, o.Cancel)})
	a.sendOuts(ctx, outs)
}

func (a *routerActor) openLocal(ctx actor.Context, l *Local) {
	if _, ok := a.faces[l.id]; ok {
		return
	}
	outs, err := a.t.OpenFace(l.id, FaceInfo{WhatAmI: a.cfg.Tables.Mode, ZID: l.cfg.ZID, Local: true, Echo: l.cfg.Echo})
	if err != nil {
		a.cfg.Logger.Error("cannot open local face", "err", err)
		return
	}
	a.faces[l.id] = &faceRef{id: l.id, local: l}
	a.sendOuts(ctx, outs)
	if msgs, subs := l.records(); len(msgs) > 0 {
		a.apply(ctx, l.id, msgs, subs)
	}
}

func (a *routerActor) closeFace(ctx actor.Context, f *faceRef) {
	if f == nil {
		return
	}
	outs := a.t.CloseFace(f.id, time.Now())
	delete(a.faces, f.id)
	if f.pid != nil {
		delete(a.bySession, f.pid.Id)
	}
	a.sendOuts(ctx, outs)
}

// apply hands a face's control messages to the tables and sends what
// they decide. subs, when set, holds the handler of each DeclSubscriber.
// It returns the destination outboxes now holding more than parkHigh
// parked bytes.
func (a *routerActor) apply(ctx actor.Context, face FaceID, msgs []codec.NetworkMessage, subs []Subscriber) []*session.Outbox {
	f := a.faces[face]
	if f == nil {
		return nil // a face of an earlier incarnation, or closed meanwhile
	}
	now := time.Now()
	var outs []Out
	declared := false
	for i := range msgs {
		m := &msgs[i]
		if m.ID == codec.MidPush {
			continue
		}
		o, err := a.t.Handle(face, m, now)
		if err != nil {
			a.refused(f, err)
		}
		if i < len(subs) && subs[i] != nil && m.ID == codec.MidDeclare && m.Declare.Body.Kind == codec.DeclSubscriber {
			a.t.AttachSubscriber(face, m.Declare.Body.ID, subs[i])
		}
		outs = append(outs, o...)
		declared = declared || m.ID == codec.MidDeclare
	}
	busy := a.sendOuts(ctx, outs)
	if declared {
		a.wakeWaiters(ctx)
	}
	return busy
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

// sendOuts sends the control messages the tables produced (they own
// their bytes), one hand-over per destination run: into a remote face's
// outbox (which parks what finds no room: the router never waits), to a
// local face's Control actor. It returns the outboxes left with more
// than parkHigh bytes parked.
func (a *routerActor) sendOuts(ctx actor.Context, outs []Out) []*session.Outbox {
	var busy []*session.Outbox
	for i := 0; i < len(outs); {
		j := i
		for j < len(outs) && outs[j].Face == outs[i].Face {
			j++
		}
		if dst := a.faces[outs[i].Face]; dst != nil {
			msgs := make([]codec.NetworkMessage, j-i)
			for k := range msgs {
				msgs[k] = outs[i+k].Msg
			}
			switch {
			case dst.out != nil:
				dst.out.Enqueue(msgs, true)
				if dst.out.Parked() > parkHigh && !slices.Contains(busy, dst.out) {
					busy = append(busy, dst.out)
				}
			case dst.local != nil && dst.local.cfg.Control != nil:
				ctx.Send(dst.local.cfg.Control, &Control{Face: dst.id, Msgs: msgs})
			}
		}
		i = j
	}
	return busy
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
