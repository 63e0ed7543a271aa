package aligner

import (
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/cespare/xxhash/v2"

	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// Config configures the aligner of one storage.
type Config struct {
	// Name names the storage in logs.
	Name string
	// KeyExpr is the storage's key expression: replicas are the storages
	// with the same one.
	KeyExpr string
	Params  Params
	// Store is the storage's store, read for digests and answers.
	Store Source
	// Storage is the storage actor, which applies fetched events.
	Storage *actor.PID
	// Plane is the node's data plane; the aligner attaches to it as a
	// local face.
	Plane  *router.Plane
	ZID    codec.ZenohID
	Logger *slog.Logger
	// Stats, if set, receives the counters (shared across restarts).
	Stats *Stats
	// RequestTimeout bounds each alignment query (default 10 s).
	RequestTimeout time.Duration
}

// Stats counts what an aligner did; safe for concurrent reads.
type Stats struct {
	DigestsSent     atomic.Uint64
	DigestsReceived atomic.Uint64 // from other replicas, compatible
	DigestBytes     atomic.Uint64 // bytes of the digests sent
	DigestNanos     atomic.Uint64 // time spent building them
	Alignments      atomic.Uint64 // alignments started (digests that differed)
	Completed       atomic.Uint64 // alignments that ran to their end
	Abandoned       atomic.Uint64 // alignments given up (error, timeout, replica gone)
	Requests        atomic.Uint64 // alignment queries sent
	Answered        atomic.Uint64 // alignment queries answered
	Fetched         atomic.Uint64 // events fetched and handed to the storage
}

// DigestKey is the key on which the replica zid of a storage on keyExpr
// publishes its digest. Its first chunk is verbatim, so no user wildcard
// matches it.
func DigestKey(zid codec.ZenohID, keyExpr string) string {
	return "@-digest/" + zid.String() + "/" + keyExprHash(keyExpr)
}

// AlignKey is the key of the queryable through which the replica zid of
// a storage on keyExpr answers alignment requests.
func AlignKey(zid codec.ZenohID, keyExpr string) string {
	return "@-align/" + zid.String() + "/" + keyExprHash(keyExpr)
}

func keyExprHash(keyExpr string) string {
	return fmt.Sprintf("%016x", xxhash.Sum64String(keyExpr))
}

// Props returns the props of an aligner actor: it attaches to the router,
// subscribes to the digests of the other replicas, declares its align
// queryable, publishes its digest every Params.Interval, and aligns with
// every replica whose digest differs, one alignment per replica at a
// time. Fetched events go to the storage actor as storage.ApplyEvents.
func Props(cfg Config) *actor.Props {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stats == nil {
		cfg.Stats = &Stats{}
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	return actor.PropsFromProducer(func() actor.Actor {
		return &alignerActor{cfg: cfg, aligns: map[string]*running{}, byReq: map[uint32]*running{}}
	})
}

// Entity ids of the aligner's declarations on its local face.
const (
	digestSubID = 1
	alignQblID  = 2
)

type tick struct{}

// running is one alignment in progress with one replica.
type running struct {
	replica string // ZenohId, as in keys
	align   *Align
	req     uint32 // id of the outstanding query
	replied bool   // a reply to it came
	started time.Time
	sent    time.Time // when the outstanding query went
}

type alignerActor struct {
	cfg    Config
	local  *router.Local
	self   *actor.PID
	sys    *actor.ActorSystem
	timer  *time.Timer
	digKey string
	alnKey string
	hash   string          // of the key expression, as in keys
	zid    string          // ours, as in keys
	warned map[string]bool // replicas already reported incompatible
	aligns map[string]*running
	byReq  map[uint32]*running
	nextID uint32
	// stopping: the actor is stopping and has detached from the router.
	stopping bool
}

func (a *alignerActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.self, a.sys = ctx.Self(), ctx.ActorSystem()
		a.digKey, a.alnKey = DigestKey(a.cfg.ZID, a.cfg.KeyExpr), AlignKey(a.cfg.ZID, a.cfg.KeyExpr)
		a.hash, a.zid = keyExprHash(a.cfg.KeyExpr), a.cfg.ZID.String()
		a.local = a.cfg.Plane.OpenLocal(router.LocalConfig{ZID: a.cfg.ZID, Control: a.self})
		a.declare()
		a.publish(ctx)
		a.arm()
	case *tick:
		a.publish(ctx)
		a.expire()
		a.arm()
	case *digestIn:
		if !a.stopping {
			a.digest(ctx, m.key, m.payload)
		}
	case *router.Control:
		if !a.stopping {
			a.routed(ctx, m)
		}
	case *actor.Stopping:
		a.stopping = true
		if a.timer != nil {
			a.timer.Stop()
		}
		if a.local != nil {
			a.local.Close(0)
		}
	}
}

func (a *alignerActor) arm() {
	self, sys := a.self, a.sys
	a.timer = time.AfterFunc(a.cfg.Params.Interval, func() { sys.Root.Send(self, &tick{}) })
}

func (a *alignerActor) send(_ actor.Context, msgs ...codec.NetworkMessage) {
	_ = a.local.Send(msgs...)
}

// digestIn is a digest of another replica, handed to the actor by its
// subscriber.
type digestIn struct {
	key     string
	payload []byte
}

// IgnoreDeadLetterLogging: it may reach an aligner that has stopped.
func (*digestIn) IgnoreDeadLetterLogging() {}

// digestSub is the aligner's subscriber on the digests: it copies each
// one to the actor (digests come once per interval per replica).
type digestSub struct {
	sys *actor.ActorSystem
	pid *actor.PID
}

func (d digestSub) Deliver(key string, p codec.Push, _ router.Delivery) bool {
	if p.Body.Kind == codec.MidDel {
		return true
	}
	d.sys.Root.Send(d.pid, &digestIn{key: key, payload: append([]byte(nil), p.Body.Payload...)})
	return true
}

func wire(key string) codec.WireExpr { return codec.WireExpr{Suffix: []byte(key), Mapping: true} }

// blockQoS is the QoS of everything the aligner sends: data priority,
// never dropped by congestion control.
var blockQoS = codec.NewQoS(codec.PriorityData, true, false)

func (a *alignerActor) declare() {
	sub := "@-digest/*/" + a.hash
	_ = a.local.Declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: digestSubID, WireExpr: wire(sub)},
		digestSub{sys: a.sys, pid: a.self})
	_ = a.local.Declare(codec.Declaration{Kind: codec.DeclQueryable, ID: alignQblID, WireExpr: wire(a.alnKey),
		Complete: true}, nil)
}

// publish builds the digest at the current cut and publishes it.
func (a *alignerActor) publish(ctx actor.Context) {
	start := time.Now()
	cut := a.cfg.Params.Cut(start, a.cfg.Store.SliceWidth())
	d, err := BuildDigest(a.cfg.Store, a.cfg.Params, cut)
	if err != nil {
		a.cfg.Logger.Error("aligner: building the digest", "storage", a.cfg.Name, "err", err)
		return
	}
	payload := AppendDigest(nil, &d)
	a.cfg.Stats.DigestNanos.Add(uint64(time.Since(start)))
	a.cfg.Stats.DigestsSent.Add(1)
	a.cfg.Stats.DigestBytes.Add(uint64(len(payload)))
	p := codec.Push{WireExpr: wire(a.digKey), QoS: blockQoS, Body: codec.Data{Kind: codec.MidPut, Payload: payload}}
	if err := a.local.Publish(&p, true, nil); err != nil {
		a.cfg.Logger.Debug("aligner: digest not published", "storage", a.cfg.Name, "err", err)
	}
}

// routed handles what the router hands the aligner's face: digests,
// alignment requests to answer, and replies to its own.
func (a *alignerActor) routed(ctx actor.Context, m *router.Control) {
	for i := range m.Msgs {
		switch msg := &m.Msgs[i]; msg.ID {
		case codec.MidRequest:
			a.answer(ctx, &msg.Request)
		case codec.MidResponse:
			a.response(ctx, &msg.Response)
		case codec.MidResponseFinal:
			a.final(ctx, msg.ResponseFinal.RequestID)
		}
	}
}

// replicaOf returns the ZenohId chunk of a digest key of our storage.
func (a *alignerActor) replicaOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "@-digest/")
	if !ok {
		return "", false
	}
	zid, hash, ok := strings.Cut(rest, "/")
	if !ok || hash != a.hash || zid == a.zid {
		return "", false
	}
	if _, err := hlc.ParseID(zid); err != nil {
		return "", false
	}
	return zid, true
}

// digest compares a replica's digest with the local store and starts an
// alignment with it when they differ.
func (a *alignerActor) digest(ctx actor.Context, key string, payload []byte) {
	replica, ok := a.replicaOf(key)
	if !ok {
		return
	}
	d, err := DecodeDigest(payload)
	if err != nil {
		a.cfg.Logger.Warn("aligner: bad digest", "storage", a.cfg.Name, "replica", replica, "err", err)
		return
	}
	if a.aligns[replica] != nil {
		return // one alignment at a time per replica; the next digest retries
	}
	al, err := NewAlign(a.cfg.Store, a.cfg.Params, &d)
	if err != nil {
		if a.warned == nil {
			a.warned = map[string]bool{}
		}
		if !a.warned[replica] {
			a.warned[replica] = true
			a.cfg.Logger.Warn("aligner: cannot align with a replica", "storage", a.cfg.Name, "replica", replica, "err", err)
		}
		return
	}
	a.cfg.Stats.DigestsReceived.Add(1)
	if _, ok := al.Next(); !ok {
		return // nothing to fetch from it
	}
	a.cfg.Stats.Alignments.Add(1)
	a.cfg.Logger.Debug("aligner: digests differ, aligning", "storage", a.cfg.Name, "replica", replica)
	r := &running{replica: replica, align: al, started: time.Now()}
	a.aligns[replica] = r
	a.request(ctx, r)
}

// request sends the alignment's next query, or ends it.
func (a *alignerActor) request(ctx actor.Context, r *running) {
	req, ok := r.align.Next()
	if !ok {
		a.cfg.Stats.Completed.Add(1)
		a.end(r)
		return
	}
	a.nextID++
	r.req, r.replied, r.sent = a.nextID, false, time.Now()
	a.cfg.Logger.Debug("aligner: request", "storage", a.cfg.Name, "replica", r.replica, "kind", req.Kind.String(), "id", r.req)
	a.byReq[r.req] = r
	a.cfg.Stats.Requests.Add(1)
	a.send(ctx, codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: r.req,
		WireExpr: wire("@-align/" + r.replica + "/" + a.hash), QoS: blockQoS,
		Target: codec.TargetAll, Timeout: uint64(a.cfg.RequestTimeout.Milliseconds()),
		Query: codec.Query{HasBody: true, BodyPayload: AppendRequest(nil, &req)}}})
}

func (a *alignerActor) end(r *running) {
	delete(a.byReq, r.req)
	if a.aligns[r.replica] == r {
		delete(a.aligns, r.replica)
	}
}

func (a *alignerActor) abandon(r *running, why string, err error) {
	a.cfg.Stats.Abandoned.Add(1)
	a.cfg.Logger.Info("aligner: alignment abandoned", "storage", a.cfg.Name, "replica", r.replica, "why", why, "err", err)
	a.end(r)
}

// response feeds a reply to its alignment and hands what it fetched to
// the storage.
func (a *alignerActor) response(ctx actor.Context, resp *codec.Response) {
	r := a.byReq[resp.RequestID]
	if r == nil || r.replied {
		return
	}
	r.replied = true
	if resp.IsErr {
		a.abandon(r, "the replica refused", fmt.Errorf("%s", resp.Err.Payload))
		return
	}
	rep, err := DecodeReply(resp.Reply.Body.Payload)
	if err != nil {
		a.abandon(r, "bad reply", err)
		return
	}
	evs, err := r.align.Step(rep)
	if err != nil {
		a.abandon(r, "unexpected reply", err)
		return
	}
	if len(evs) > 0 {
		// The reply's bytes go back to the session with this Send.
		out := make([]storage.Event, len(evs))
		for i, ev := range evs {
			out[i] = storage.Event{Key: ev.Key, TS: ev.TS, Kind: ev.Kind,
				Payload:  append([]byte(nil), ev.Payload...),
				Encoding: codec.Encoding{ID: ev.Encoding.ID, Schema: append([]byte(nil), ev.Encoding.Schema...)}}
		}
		a.cfg.Stats.Fetched.Add(uint64(len(out)))
		ctx.Send(a.cfg.Storage, &storage.ApplyEvents{Events: out})
	}
	delete(a.byReq, r.req)
	a.request(ctx, r)
}

// final ends a query: without a reply, the alignment is given up (the
// replica is gone, or timed out).
func (a *alignerActor) final(ctx actor.Context, id uint32) {
	r := a.byReq[id]
	if r == nil {
		return
	}
	if !r.replied {
		a.abandon(r, "no reply", nil)
	}
}

// expire gives up alignments whose query has gone unanswered for twice
// the query timeout: its ResponseFinal was lost with a session, and the
// next digest of that replica must be able to start a new alignment.
func (a *alignerActor) expire() {
	for _, r := range a.aligns {
		if time.Since(r.sent) > 2*a.cfg.RequestTimeout {
			a.abandon(r, "no final reply", nil)
		}
	}
}

// answer serves an alignment request of another replica.
func (a *alignerActor) answer(ctx actor.Context, q *codec.Request) {
	reply := func(resp codec.Response) codec.NetworkMessage {
		resp.RequestID, resp.QoS = q.ID, blockQoS
		resp.ResponderID = codec.EntityGlobalID{ZID: a.cfg.ZID, EID: alignQblID}
		return codec.NetworkMessage{ID: codec.MidResponse, Response: resp}
	}
	var out []codec.NetworkMessage
	req, err := DecodeRequest(q.Query.BodyPayload)
	var rep Reply
	if err == nil {
		rep, err = Answer(a.cfg.Store, a.cfg.Params, req)
	}
	if err != nil {
		a.cfg.Logger.Debug("aligner: refusing a request", "storage", a.cfg.Name, "err", err)
		out = append(out, reply(codec.Response{WireExpr: wire(a.alnKey), IsErr: true,
			Err: codec.Err{Payload: []byte(err.Error())}}))
	} else {
		a.cfg.Stats.Answered.Add(1)
		a.cfg.Logger.Debug("aligner: answering", "storage", a.cfg.Name, "kind", req.Kind.String(), "reply", rep.Kind.String(), "fps", len(rep.FPs), "metas", len(rep.Metas), "events", len(rep.Events))
		out = append(out, reply(codec.Response{WireExpr: wire(a.alnKey),
			Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: AppendReply(nil, &rep)}}}))
	}
	out = append(out, codec.NetworkMessage{ID: codec.MidResponseFinal,
		ResponseFinal: codec.ResponseFinal{RequestID: q.ID, QoS: blockQoS}})
	a.send(ctx, out...)
}
