package router

import (
	"errors"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// maxControlInflight bounds the control batches one face has handed to
// the router actor and not yet seen acknowledged; maxControlBatch bounds
// the messages of one batch; maxStaged the publications staged for one
// route.
const (
	maxControlInflight = 8
	maxControlBatch    = 256
	maxStaged          = 64
)

// control carries the control messages one remote face received (owned
// copies) to the router actor, which acknowledges on acks once it has
// applied them and published the snapshot they change.
type control struct {
	face FaceID
	msgs []codec.NetworkMessage
	acks chan<- struct{}
}

// remoteFace is the data plane of one remote session: its link's reader
// calls it for every network message the session receives (the
// session.Handler interface). Pushes are routed at once against the
// snapshot, on the reader's goroutine; everything else is handed to the
// router actor in batches. A Push that follows control messages waits
// until the router has applied them, so that it is routed with the
// declarations before it in effect and never overtakes a query.
type remoteFace struct {
	pl       *Plane
	id       FaceID
	cancel   <-chan struct{}
	cache    *RouteCache
	ctrl     []codec.NetworkMessage
	acks     chan struct{}
	inflight int
	walker   *session.Walker
	now      hlc.NTP64 // the physical time of this read's timestamps

	// Publications of the current batch on one route to remote faces
	// only, handed to each destination's outbox at once (one lock per
	// destination per run instead of one per message). They alias the
	// batch: handed over by EndBatch at the latest.
	staged      []codec.Push
	stagedRoute []Dest
	stagedRel   bool
	// Outboxes given publications during this read and not yet flushed:
	// written (or their writers woken) once, when the read ends.
	unflushed []*session.Outbox
}

func newRemoteFace(pl *Plane, id FaceID, cancel <-chan struct{}) *remoteFace {
	return &remoteFace{pl: pl, id: id, cancel: cancel, cache: NewRouteCache(pl.cfg.RouteCacheSize),
		acks: make(chan struct{}, maxControlInflight+1)}
}

// Handle routes a Push, or queues a control message for the router.
func (f *remoteFace) Handle(m *codec.NetworkMessage, reliable bool) error {
	if m.ID != codec.MidPush {
		c, err := cloneNetwork(m)
		if err != nil {
			f.pl.cfg.Logger.Warn("dropping a control message that does not re-encode", "face", f.id, "err", err)
			return nil
		}
		f.ctrl = append(f.ctrl, c)
		if len(f.ctrl) >= maxControlBatch {
			return f.handOff()
		}
		return nil
	}
	if len(f.ctrl) > 0 || f.inflight > 0 {
		if err := f.sync(); err != nil {
			return err
		}
	}
	dests, key, err := f.cache.Route(f.pl.snap.Load(), f.id, &m.Push)
	if err != nil {
		f.pl.refused.Add(1)
		f.pl.cfg.Logger.Debug("push refused", "face", f.id, "err", err)
		return nil
	}
	if len(dests) == 0 {
		return nil
	}
	if f.pl.cfg.Timestamping && f.now == 0 {
		f.now = hlc.NTP64FromTime(time.Now())
	}
	f.pl.stamp(&m.Push.Body, f.now)
	if f.walker != nil && f.walker.Framed() && remoteOnly(dests) {
		if len(f.staged) > 0 && (!sameRoute(f.stagedRoute, dests) || f.stagedRel != reliable) {
			f.flushStaged()
		}
		f.staged = append(f.staged, m.Push)
		f.stagedRoute, f.stagedRel = dests, reliable
		if len(f.staged) == maxStaged {
			f.flushStaged()
		}
		return nil
	}
	f.flushStaged()
	var keep link.Keeper
	if f.walker != nil {
		keep = f.walker
	}
	f.pl.forward(dests, key, &m.Push, reliable, f.cancel, keep)
	return nil
}

// remoteOnly reports whether every destination is a remote face's.
func remoteOnly(dests []Dest) bool {
	for i := range dests {
		if dests[i].Out == nil {
			return false
		}
	}
	return true
}

// sameRoute reports whether a and b are the same cached route.
func sameRoute(a, b []Dest) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// flushStaged hands the staged publications to their destinations.
func (f *remoteFace) flushStaged() {
	if len(f.staged) == 0 {
		return
	}
	for i := range f.stagedRoute {
		d := &f.stagedRoute[i]
		d.Out.Forward(f.staged, &d.WireExpr, d.NodeID, f.stagedRel, f.cancel)
		f.markUnflushed(d.Out)
	}
	clear(f.staged)
	f.staged, f.stagedRoute = f.staged[:0], nil
}

// markUnflushed remembers that o must be flushed when the read ends.
func (f *remoteFace) markUnflushed(o *session.Outbox) {
	for _, u := range f.unflushed {
		if u == o {
			return
		}
	}
	f.unflushed = append(f.unflushed, o)
}

// flushOut hands over what is staged and sends what the read queued in
// each destination's outbox.
func (f *remoteFace) flushOut() {
	f.flushStaged()
	for i, o := range f.unflushed {
		o.Flush()
		f.unflushed[i] = nil
	}
	f.unflushed = f.unflushed[:0]
}

// SetWalker takes the session's Walker (the session.WalkerHandler
// interface): it tells what may be kept, and staged.
func (f *remoteFace) SetWalker(w *session.Walker) { f.walker = w }

// EndBatch hands over what was staged from the batch.
func (f *remoteFace) EndBatch() error {
	f.flushStaged()
	return nil
}

// EndRead hands the control messages of the read to the router.
func (f *remoteFace) EndRead() error {
	f.flushOut()
	f.now = 0
	if len(f.ctrl) == 0 {
		return nil
	}
	return f.handOff()
}

// handOff sends the queued control messages as one batch, after the
// publications staged before them.
func (f *remoteFace) handOff() error {
	f.flushStaged()
	if f.inflight >= maxControlInflight {
		if err := f.awaitAck(); err != nil {
			return err
		}
	}
	f.pl.send(&control{face: f.id, msgs: f.ctrl, acks: f.acks})
	f.ctrl = nil
	f.inflight++
	return nil
}

// sync hands over what is queued and waits until the router has applied
// every batch.
func (f *remoteFace) sync() error {
	if len(f.ctrl) > 0 {
		if err := f.handOff(); err != nil {
			return err
		}
	}
	for f.inflight > 0 {
		if err := f.awaitAck(); err != nil {
			return err
		}
	}
	return nil
}

func (f *remoteFace) awaitAck() error {
	f.flushOut() // nothing waits unsent while the face waits
	select {
	case <-f.acks:
		f.inflight--
		return nil
	case <-f.cancel:
		return session.ErrCanceled
	}
}

// cloneNetwork deep-copies m (which aliases a read buffer): re-encoded
// and decoded from the copy.
func cloneNetwork(m *codec.NetworkMessage) (codec.NetworkMessage, error) {
	b := codec.AppendNetwork(nil, m)
	var c codec.NetworkMessage
	_, err := codec.DecodeNetwork(b, &c)
	return c, err
}

// errNotOpen: a local face used before the router opened it, or after
// it closed.
var errNotOpen = errors.New("router: local face not open")
