package router

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// PlaneConfig configures a node's data plane.
type PlaneConfig struct {
	// Timestamping stamps every routed Put and Del that has no timestamp
	// with Clock, and folds the timestamps of the others into it (spec
	// network.md 7.2; zenoh's default in router mode). A timestamp too far
	// in the future is replaced by a fresh one.
	Timestamping bool
	Clock        *hlc.Clock
	// RouteCacheSize bounds each face's route cache (default 65536).
	RouteCacheSize int
	Logger         *slog.Logger
}

// Plane is a node's data plane: the routing snapshot the router actor
// publishes, and what the goroutines that route publications share (the
// links' readers and the local publishers). A publication is routed on
// the goroutine that received or published it, against the snapshot,
// into the destination sessions' outboxes and local subscribers: it
// crosses no actor mailbox. The router actor stays the owner of the
// tables, declarations, interests, queries and the mesh.
type Plane struct {
	cfg     PlaneConfig
	sys     *actor.ActorSystem
	snap    atomic.Pointer[Snapshot]
	router  atomic.Pointer[actor.PID]
	manager atomic.Pointer[actor.PID]
	// nextFace numbers every face, remote and local, across router
	// restarts: a face id is never reused.
	nextFace atomic.Uint32
	// incarnations counts the router actor's starts.
	incarnations atomic.Uint32

	mu     sync.Mutex
	locals map[FaceID]*Local

	refused atomic.Uint64 // Pushes that named an unknown face or key
}

// NewPlane returns the data plane of a node whose actors run in sys.
func NewPlane(sys *actor.ActorSystem, cfg PlaneConfig) *Plane {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RouteCacheSize <= 0 {
		cfg.RouteCacheSize = 1 << 16
	}
	p := &Plane{cfg: cfg, sys: sys, locals: map[FaceID]*Local{}}
	p.snap.Store(&Snapshot{gen: snapGen.Add(1), faces: map[FaceID]*faceView{}})
	return p
}

// SetRouter tells the plane its router actor (StartNode does, once).
func (p *Plane) SetRouter(pid *actor.PID) { p.router.Store(pid) }

// SetManager tells the plane the session manager, which the router asks
// to close every session when it restarts after a failure.
func (p *Plane) SetManager(pid *actor.PID) { p.manager.Store(pid) }

// Router returns the router actor.
func (p *Plane) Router() *actor.PID { return p.router.Load() }

// Snapshot returns the current routing snapshot.
func (p *Plane) Snapshot() *Snapshot { return p.snap.Load() }

// Refused returns how many Pushes could not be routed because they named
// a face or key-expression id the router does not know, or an invalid key.
func (p *Plane) Refused() uint64 { return p.refused.Load() }

func (p *Plane) newFaceID() FaceID { return FaceID(p.nextFace.Add(1)) }

func (p *Plane) send(msg any) {
	if r := p.router.Load(); r != nil {
		p.sys.Root.Send(r, msg)
	}
}

// stamp gives a Put or Del the node's timestamp, or folds its own into
// the node's clock (replacing one too far in the future). now, when not
// zero, is the physical time to stamp with: a reader reads the clock once
// per read, not once per message (the HLC keeps the timestamps unique and
// increasing).
func (p *Plane) stamp(d *codec.Data, now hlc.NTP64) {
	if !p.cfg.Timestamping {
		return
	}
	if d.Timestamp.ID.IsZero() {
		if now == 0 {
			d.Timestamp = p.cfg.Clock.NewTimestamp()
		} else {
			d.Timestamp = p.cfg.Clock.NewTimestampAtNTP(now)
		}
		return
	}
	if err := p.cfg.Clock.Update(d.Timestamp); err != nil {
		p.cfg.Logger.Debug("replacing a timestamp from the future", "err", err)
		d.Timestamp = p.cfg.Clock.NewTimestamp()
	}
}

// forward hands m to each destination: encoded into remote outboxes
// (which apply its congestion control), delivered to local subscribers.
// It returns how many destinations dropped it; waits end when cancel
// closes. keep (may be nil) tells local subscribers whether they may keep
// m's bytes.
func (p *Plane) forward(dests []Dest, key string, m *codec.Push, reliable bool, cancel <-chan struct{}, keep link.Keeper) int {
	dropped := 0
	for i := range dests {
		d := &dests[i]
		if d.Sub != nil {
			// By value: a pointer handed to an interface would move every
			// caller's Push to the heap, remote destinations included.
			if !d.Sub.Deliver(key, *m, Delivery{Reliable: reliable, Cancel: cancel, Keep: keep}) {
				dropped++
			}
			continue
		}
		if d.Out == nil {
			continue
		}
		if err := d.Out.PushForward(m, &d.WireExpr, d.NodeID, reliable, cancel); err != nil {
			dropped++
		}
	}
	return dropped
}

// register records a local face, re-opened with its declarations when the
// router restarts.
func (p *Plane) register(l *Local) {
	p.mu.Lock()
	p.locals[l.id] = l
	p.mu.Unlock()
}

func (p *Plane) unregister(l *Local) {
	p.mu.Lock()
	delete(p.locals, l.id)
	p.mu.Unlock()
}

// localFaces returns the registered local faces by id.
func (p *Plane) localFaces() []*Local {
	p.mu.Lock()
	defer p.mu.Unlock()
	ls := make([]*Local, 0, len(p.locals))
	for _, l := range p.locals {
		ls = append(ls, l)
	}
	slices.SortFunc(ls, func(a, b *Local) int { return int(int64(a.id) - int64(b.id)) })
	return ls
}
