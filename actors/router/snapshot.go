package router

import (
	"maps"
	"slices"
	"sync/atomic"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Subscriber is a subscriber of a local face (the node's API, a storage):
// the data plane calls Deliver for every publication routed to it, on the
// goroutine that routes it (a link's reader, or a local publisher), maybe
// from several goroutines at once. key is p's key expression, resolved.
// p's slices are valid only during the call unless d.Keep allows keeping
// them: Deliver copies what it keeps otherwise. Under Block congestion
// control Deliver may wait for room, giving up when d.Cancel closes; it
// reports false when it dropped the sample (counting it).
type Subscriber interface {
	Deliver(key string, p codec.Push, d Delivery) bool
}

// Delivery is how a publication reaches a local subscriber.
type Delivery struct {
	Reliable bool
	// Cancel ends a wait for room.
	Cancel <-chan struct{}
	// Keep, if set, tells whether the publication's bytes may be kept
	// past Deliver (they lie in a link's read buffer, which is then not
	// reused; see link.Keeper). Worth it for large payloads only.
	Keep link.Keeper
}

// Dest is one destination of a Push: a remote face's outbox with a wire
// expression valid on it (the full key, scope 0, M=1) and the routing
// context, or one subscriber of a local face.
type Dest struct {
	Face     FaceID
	WireExpr codec.WireExpr
	// NodeID is the routing context to send on a router face (the psid of
	// the router where the Push entered the mesh); 0 elsewhere.
	NodeID uint16
	// Out is the session's outbox of a remote face (nil in tables that
	// were not given one).
	Out *session.Outbox
	// Sub is the subscriber, for a local face's subscriber that has one.
	Sub Subscriber
}

// Snapshot is an immutable view of what routing a Push needs: the faces,
// the key-expression ids they declared, the subscribers by key, and the
// router mesh's trees. The router actor builds one from its Tables
// whenever that changes and publishes it through one atomic pointer; the
// goroutines that route publications (links' readers, local publishers)
// read it without locks, each with its own route cache.
type Snapshot struct {
	gen   uint64
	mode  codec.WhatAmI
	self  codec.ZenohID
	faces map[FaceID]*faceView
	subs  *keyexpr.Tree[[]subRef]
	mesh  *meshView
}

// Gen identifies the snapshot: a newer one has a larger Gen.
func (s *Snapshot) Gen() uint64 { return s.gen }

// faceView is the immutable part of a face that routing reads.
type faceView struct {
	id     FaceID
	local  bool
	echo   bool // a local face that receives its own publications
	mesh   bool
	origin *codec.ZenohID // pseudo faces: the router they stand for
	out    *session.Outbox
	keys   map[uint16]string        // key-expression ids the face declared
	psid   map[uint64]codec.ZenohID // mesh faces: their numbering
}

// subRef is one subscriber of a key: one per remote face, one per local
// subscriber.
type subRef struct {
	face FaceID
	sub  Subscriber
}

// meshView is the immutable part of the mesh graph.
type meshView struct {
	known map[codec.ZenohID]bool
	down  map[codec.ZenohID]map[codec.ZenohID]codec.ZenohID
	psids map[codec.ZenohID]uint16
	faces map[codec.ZenohID]FaceID
}

// snapGen numbers snapshots across all Tables: a route cached from one
// Tables' snapshot never passes for another's (after a router restart).
var snapGen atomic.Uint64

// Snapshot returns the current routing snapshot, building a new one if
// anything routing reads changed since the last call.
func (t *Tables) Snapshot() *Snapshot {
	if t.snap != nil && !t.subsDirty && len(t.dirty) == 0 && !t.meshDirty {
		return t.snap
	}
	s := &Snapshot{gen: snapGen.Add(1), mode: t.cfg.Mode, self: t.cfg.ZID}
	old := t.snap
	if old != nil && !t.subsDirty {
		s.subs = old.subs
	} else {
		s.subs = t.buildSubs()
	}
	if old != nil && len(t.dirty) == 0 {
		s.faces = old.faces
	} else {
		s.faces = make(map[FaceID]*faceView, len(t.faces))
		for id, f := range t.faces {
			if _, d := t.dirty[id]; !d && old != nil && old.faces[id] != nil {
				s.faces[id] = old.faces[id]
				continue
			}
			s.faces[id] = t.view(f)
		}
	}
	if old != nil && !t.meshDirty {
		s.mesh = old.mesh
	} else if t.net != nil {
		s.mesh = &meshView{
			known: make(map[codec.ZenohID]bool, len(t.net.nodes)),
			down:  t.net.down, // replaced, never modified, by recompute
			psids: maps.Clone(t.net.psids),
			faces: maps.Clone(t.meshFaces),
		}
		for z := range t.net.nodes {
			s.mesh.known[z] = true
		}
	}
	t.snap = s
	t.subsDirty, t.meshDirty = false, false
	clear(t.dirty)
	return s
}

func (t *Tables) view(f *face) *faceView {
	v := &faceView{id: f.id, local: f.local, echo: f.echo, mesh: f.mesh != nil, origin: f.pseudo, out: f.out,
		keys: maps.Clone(f.remoteIDs)}
	if f.mesh != nil {
		v.psid = maps.Clone(f.mesh.psid)
	}
	return v
}

// buildSubs copies the subscriber index: per key, one ref per remote
// face and one per local subscriber with a handler, by face id.
func (t *Tables) buildSubs() *keyexpr.Tree[[]subRef] {
	tr := &keyexpr.Tree[[]subRef]{}
	t.idx[kindSub].Range(func(key string, ke *keyEntry) bool {
		var refs []subRef
		for id, es := range ke.ents {
			added := false
			for _, e := range es {
				if e.sub != nil {
					refs = append(refs, subRef{face: id, sub: e.sub})
					added = true
				}
			}
			if !added {
				refs = append(refs, subRef{face: id})
			}
		}
		slices.SortFunc(refs, func(a, b subRef) int { return int(int64(a.face) - int64(b.face)) })
		_ = tr.Insert(key, refs)
		return true
	})
	return tr
}

// markDirty records that face id's view must be rebuilt.
func (t *Tables) markDirty(id FaceID) {
	if t.dirty == nil {
		t.dirty = map[FaceID]struct{}{}
	}
	t.dirty[id] = struct{}{}
}

// resolve returns the key a WireExpr received from face f denotes.
func (s *Snapshot) resolve(f *faceView, we *codec.WireExpr) (string, error) {
	return resolveKey(f.keys, f.id, we)
}

// source returns the router where a Push received on f with NodeId node
// entered the mesh.
func (s *Snapshot) source(f *faceView, node uint16) (codec.ZenohID, bool) {
	if !f.mesh {
		return s.self, true
	}
	z, ok := f.psid[uint64(node)]
	return z, ok && s.mesh.known[z]
}

// meshHop returns the mesh face through which origin is reached from self
// in the tree rooted at src, and src's psid, unless that face is from.
func (s *Snapshot) meshHop(src, origin codec.ZenohID, from FaceID) (FaceID, uint16, bool) {
	v, ok := s.mesh.down[src][origin]
	if !ok {
		return 0, 0, false
	}
	id, ok := s.mesh.faces[v]
	if !ok || id == from {
		return 0, 0, false
	}
	return id, s.mesh.psids[src], true
}

// routeScratch is what one routing goroutine reuses between route
// computations.
type routeScratch struct {
	seen map[FaceID]uint16 // remote faces chosen, with their NodeID
	locs []subRef
}

// route computes the destinations of a Push on key received from face f
// with routing context node (network.md §9.4): every face with a
// subscriber intersecting key, never the source (a local face with echo
// gets its own subscribers' share), outside router mode never from a
// remote face to another remote face, and along the mesh tree rooted at
// the router where the Push entered the mesh. Sorted by face.
func (s *Snapshot) route(f *faceView, key string, node uint16, sc *routeScratch) []Dest {
	if sc.seen == nil {
		sc.seen = map[FaceID]uint16{}
	}
	clear(sc.seen)
	sc.locs = sc.locs[:0]
	router := s.mode == codec.Router
	src, srcOK := s.self, true
	if s.mesh != nil {
		src, srcOK = s.source(f, node)
	}
	s.subs.Intersecting(key, func(_ string, refs []subRef) bool {
		for _, r := range refs {
			d := s.faces[r.face]
			switch {
			case d == nil:
			case d.origin != nil:
				if srcOK && s.mesh != nil {
					if id, n, ok := s.meshHop(src, *d.origin, f.id); ok {
						sc.seen[id] = n
					}
				}
			case d.id == f.id:
				if f.local && f.echo && r.sub != nil {
					sc.locs = append(sc.locs, r)
				}
			case router || f.local || d.local:
				if d.local && r.sub != nil {
					sc.locs = append(sc.locs, r)
				} else {
					sc.seen[d.id] = 0
				}
			}
		}
		return true
	})
	if len(sc.seen) == 0 && len(sc.locs) == 0 {
		return nil
	}
	kb := []byte(key)
	dests := make([]Dest, 0, len(sc.seen)+len(sc.locs))
	for id, n := range sc.seen {
		d := s.faces[id]
		dst := Dest{Face: id, WireExpr: codec.WireExpr{Suffix: kb, Mapping: true}, Out: d.out}
		if d.mesh {
			dst.NodeID = n
		}
		dests = append(dests, dst)
	}
	for _, r := range sc.locs {
		dests = append(dests, Dest{Face: r.face, WireExpr: codec.WireExpr{Suffix: kb, Mapping: true}, Sub: r.sub})
	}
	slices.SortStableFunc(dests, func(a, b Dest) int { return int(int64(a.Face) - int64(b.Face)) })
	return dests
}
