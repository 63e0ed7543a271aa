package router

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// Router mesh (router mode only). Faces to other routers are mesh faces:
// they exchange link-state OAMs (graph) instead of interests, and every
// declaration on them names its origin router with the NodeId extension
// (the psid of the origin in the sender's numbering; absent = the sender).
// The entities of a remote router are kept on a pseudo face per origin,
// so that the client-facing logic (declarations, interests, liveliness)
// sees them like any other face's. A declaration travels along the tree
// rooted at its origin; data and queries travel along the tree rooted at
// the router where they entered the mesh, toward the subtrees holding a
// matching entity, and carry that router's psid as NodeId. Every router
// computes the same trees, so nothing is delivered twice or loops.

// pseudoBase is the first FaceID of pseudo faces; actors allocate real
// face ids from 1 upward.
const pseudoBase FaceID = 1 << 31

// oamLinkState is the OAM id of link-state messages.
const oamLinkState = 1

// linkStateQoS is the QoS of link-state OAMs: Control priority, Block.
var linkStateQoS = codec.NewQoS(codec.PriorityControl, true, false)

// rref names a router-origin entity a mesh face declared with an id.
type rref struct {
	origin codec.ZenohID
	key    string
}

// rkey names a router-origin entity we declared to a mesh face.
type rkey struct {
	origin codec.ZenohID
	key    string
}

// meshState is the router-mesh part of a face.
type meshState struct {
	psid  map[uint64]codec.ZenohID // the sender's numbering
	rents [nKinds]map[uint32]rref  // its declarations, by id
	rtold [nKinds]map[rkey]*told   // ours to it
}

func newMeshState(self codec.ZenohID) *meshState {
	m := &meshState{psid: map[uint64]codec.ZenohID{0: self}}
	for k := range nKinds {
		m.rents[k] = map[uint32]rref{}
		m.rtold[k] = map[rkey]*told{}
	}
	return m
}

// isMesh reports whether a face to a node of kind w is a mesh face.
func (t *Tables) isMesh(w codec.WhatAmI, local bool) bool {
	return t.router() && w == codec.Router && !local
}

// meshFaceList returns the mesh faces sorted by id.
func (t *Tables) meshFaceList() []*face {
	fs := make([]*face, 0, len(t.meshFaces))
	for _, id := range t.meshFaces {
		fs = append(fs, t.faces[id])
	}
	slices.SortFunc(fs, func(a, b *face) int { return int(int64(a.id) - int64(b.id)) })
	return fs
}

// linksChanged recomputes self's links from the mesh faces, floods the
// new graph and brings declarations up to date.
func (t *Tables) linksChanged(out []Out) []Out {
	ns := make([]codec.ZenohID, 0, len(t.meshFaces))
	for z := range t.meshFaces {
		ns = append(ns, z)
	}
	t.net.setLinks(ns)
	out = t.flood(out, 0)
	return t.graphChanged(out)
}

// flood sends the whole graph to every mesh face but except.
func (t *Tables) flood(out []Out, except FaceID) []Out {
	body := codec.AppendLinkStateList(nil, t.net.list())
	for _, d := range t.meshFaceList() {
		if d.id == except {
			continue
		}
		out = append(out, Out{Face: d.id, Msg: codec.NetworkMessage{ID: codec.MidOAM,
			OAM: codec.OAM{ID: oamLinkState, Enc: codec.OAMZBuf, Body: body, QoS: linkStateQoS}}})
	}
	return out
}

// handleOAM applies a link-state message of a mesh face.
func (t *Tables) handleOAM(f *face, o *codec.OAM) ([]Out, error) {
	if f.mesh == nil || o.ID != oamLinkState || o.Enc != codec.OAMZBuf {
		return nil, nil
	}
	list, err := codec.DecodeLinkStateList(o.Body)
	if err != nil {
		return nil, err
	}
	selfSN := t.net.nodes[t.cfg.ZID].sn
	t.markDirty(f.id) // apply may number more nodes in f.mesh.psid
	t.meshDirty = true
	if !t.net.apply(list, f.mesh.psid) {
		if t.net.nodes[t.cfg.ZID].sn != selfSN {
			return t.flood(nil, 0), nil
		}
		return nil, nil
	}
	var out []Out
	if t.net.nodes[t.cfg.ZID].sn != selfSN {
		out = t.flood(out, 0)
	} else {
		out = t.flood(out, f.id)
	}
	return t.graphChanged(out), nil
}

// graphChanged withdraws the entities of routers no longer reachable and
// sends every mesh face the declarations it now needs.
func (t *Tables) graphChanged(out []Out) []Out {
	t.meshDirty = true
	for _, o := range t.sortedOrigins() {
		if t.net.known(o) {
			continue
		}
		p := t.pseudo[o]
		delete(t.pseudo, o)
		delete(t.faces, p.id)
		t.markDirty(p.id)
		for k := range nKinds {
			keys := make([]string, 0, len(p.rkeys[k]))
			for key, e := range p.rkeys[k] {
				t.unindex(k, p.id, e)
				keys = append(keys, key)
			}
			slices.Sort(keys)
			for _, key := range keys {
				out = t.propagateFrom(out, k, key, p.id, o)
			}
		}
	}
	return t.meshResync(out)
}

func (t *Tables) sortedOrigins() []codec.ZenohID {
	os := make([]codec.ZenohID, 0, len(t.pseudo))
	for o := range t.pseudo {
		os = append(os, o)
	}
	slices.SortFunc(os, func(a, b codec.ZenohID) int { return a.Compare(b) })
	return os
}

// meshResync re-evaluates every router-level entity toward every mesh
// face (after a change of the trees).
func (t *Tables) meshResync(out []Out) []Out {
	type item struct {
		kind   int
		origin codec.ZenohID
		key    string
	}
	seen := map[item]bool{}
	var items []item
	add := func(it item) {
		if !seen[it] {
			seen[it] = true
			items = append(items, it)
		}
	}
	for k := range nKinds {
		t.idx[k].Range(func(key string, ke *keyEntry) bool {
			for src := range ke.ents {
				if f := t.faces[src]; f != nil && f.pseudo == nil {
					add(item{k, t.cfg.ZID, key})
					break
				}
			}
			return true
		})
		for o, p := range t.pseudo {
			for key := range p.rkeys[k] {
				add(item{k, o, key})
			}
		}
		for _, d := range t.faces {
			if d.mesh != nil {
				for rk := range d.mesh.rtold[k] {
					add(item{k, rk.origin, rk.key})
				}
			}
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.kind != b.kind {
			return a.kind - b.kind
		}
		if c := a.origin.Compare(b.origin); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	faces := t.meshFaceList()
	for _, it := range items {
		out = t.meshSyncKey(out, faces, it.kind, it.origin, it.key)
	}
	return out
}

// originHas reports whether router origin has entities of kind on key,
// with their merged queryable info.
func (t *Tables) originHas(kind int, origin codec.ZenohID, key string) (bool, bool, uint16) {
	if origin != t.cfg.ZID {
		p := t.pseudo[origin]
		if p == nil {
			return false, false, 0
		}
		e := p.rkeys[kind][key]
		if e == nil {
			return false, false, 0
		}
		return true, e.complete, e.distance
	}
	ke, ok := t.idx[kind].Get(key)
	if !ok {
		return false, false, 0
	}
	// Self's own entities: those of its real faces.
	return mergeIf(ke, func(src FaceID) bool {
		f := t.faces[src]
		return f != nil && f.pseudo == nil
	}, false, false, 0)
}

// meshSyncKey declares, re-declares or undeclares the entities of kind
// that router origin has on key toward the mesh faces: declared to the
// neighbours below us in origin's tree, undeclared to every face told.
// faces are the mesh faces (meshFaceList).
func (t *Tables) meshSyncKey(out []Out, faces []*face, kind int, origin codec.ZenohID, key string) []Out {
	has, c, dist := t.originHas(kind, origin, key)
	node, _ := t.net.psid(origin)
	rk := rkey{origin, key}
	for _, d := range faces {
		tl := d.mesh.rtold[kind][rk]
		child := false
		if v, ok := t.net.via(origin, d.zid); ok && v == d.zid {
			child = true
		}
		var m *Out
		switch {
		case tl == nil && has && child:
			tl = &told{id: d.allocDeclID(), complete: c, distance: dist}
			d.mesh.rtold[kind][rk] = tl
			o := declOut(d.id, false, 0, declBody(kind, tl, fullWire(key)))
			m = &o
		case tl != nil && !has:
			delete(d.mesh.rtold[kind], rk)
			o := declOut(d.id, false, 0, undeclBody(kind, tl.id, fullWire(key)))
			m = &o
		case tl != nil && kind == kindQabl && (tl.complete != c || tl.distance != dist):
			tl.complete, tl.distance = c, dist
			o := declOut(d.id, false, 0, declBody(kind, tl, fullWire(key)))
			m = &o
		}
		if m != nil {
			m.Msg.Declare.NodeID = node
			out = append(out, *m)
		}
	}
	return out
}

// origin returns the router a NodeId received on mesh face f names.
func (t *Tables) origin(f *face, node uint16) (codec.ZenohID, error) {
	z, ok := f.mesh.psid[uint64(node)]
	if !ok {
		return codec.ZenohID{}, fmt.Errorf("%w: node %d on face %d", ErrUnknownNode, node, f.id)
	}
	return z, nil
}

// pseudoFor returns the pseudo face holding origin's entities.
func (t *Tables) pseudoFor(origin codec.ZenohID) *face {
	if p := t.pseudo[origin]; p != nil {
		return p
	}
	t.nextPseudo++
	p := newFace(pseudoBase+t.nextPseudo, FaceInfo{WhatAmI: codec.Router, ZID: origin})
	p.pseudo = &origin
	for k := range nKinds {
		p.rkeys[k] = map[string]*entity{}
	}
	t.pseudo[origin] = p
	t.faces[p.id] = p
	t.markDirty(p.id)
	return p
}

// meshDeclare applies an entity declaration of a mesh face.
func (t *Tables) meshDeclare(f *face, d *codec.Declare) ([]Out, error) {
	b := &d.Body
	kind, undecl := -1, false
	for k := range nKinds {
		if b.Kind == kindDecl[k] {
			kind = k
		}
		if b.Kind == kindUndecl[k] {
			kind, undecl = k, true
		}
	}
	if undecl {
		r, ok := f.mesh.rents[kind][b.ID]
		if !ok {
			return nil, fmt.Errorf("%w: kind %#x id %d on face %d", ErrUnknownEntity, b.Kind, b.ID, f.id)
		}
		delete(f.mesh.rents[kind], b.ID)
		f.ndecl--
		p := t.pseudo[r.origin]
		if p == nil || p.rkeys[kind][r.key] == nil {
			return nil, nil
		}
		e := p.rkeys[kind][r.key]
		delete(p.rkeys[kind], r.key)
		t.unindex(kind, p.id, e)
		return t.propagateFrom(nil, kind, r.key, p.id, r.origin), nil
	}
	origin, err := t.origin(f, d.NodeID)
	if err != nil {
		return nil, err
	}
	key, err := t.resolve(f, &b.WireExpr)
	if err != nil {
		return nil, err
	}
	if origin == t.cfg.ZID || !t.net.known(origin) {
		return nil, nil // our own, echoed during a tree change; or stale
	}
	if r, ok := f.mesh.rents[kind][b.ID]; ok && (r.origin != origin || r.key != key) {
		return nil, fmt.Errorf("%w: %d is %q, not %q", ErrEntityRebind, b.ID, r.key, key)
	} else if !ok {
		if f.ndecl >= t.cfg.MaxDeclarationsPerFace {
			return nil, fmt.Errorf("%w: face %d", ErrTooManyDeclarations, f.id)
		}
		f.mesh.rents[kind][b.ID] = rref{origin, key}
		f.ndecl++
	}
	p := t.pseudoFor(origin)
	dist := b.Distance + 1
	if e := p.rkeys[kind][key]; e != nil {
		if kind != kindQabl || (e.complete == b.Complete && e.distance == dist) {
			return nil, nil
		}
		e.complete, e.distance = b.Complete, dist
		return t.propagateFrom(nil, kind, key, p.id, origin), nil
	}
	e := &entity{key: key}
	if kind == kindQabl {
		e.complete, e.distance = b.Complete, dist
	}
	if err := t.index(kind, p.id, e); err != nil {
		return nil, err
	}
	p.rkeys[kind][key] = e
	return t.propagateFrom(nil, kind, key, p.id, origin), nil
}

// source returns the router where a Push or Request received on f with
// NodeId node entered the mesh.
func (t *Tables) source(f *face, node uint16) (codec.ZenohID, bool) {
	if f.mesh == nil {
		return t.cfg.ZID, true
	}
	z, ok := f.mesh.psid[uint64(node)]
	return z, ok && t.net.known(z)
}

// meshHop returns the mesh face through which origin is reached from
// self in the tree rooted at src, and src's psid, unless that face is
// from.
func (t *Tables) meshHop(src, origin codec.ZenohID, from FaceID) (FaceID, uint16, bool) {
	v, ok := t.net.via(src, origin)
	if !ok {
		return 0, 0, false
	}
	id, ok := t.meshFaces[v]
	if !ok || id == from {
		return 0, 0, false
	}
	node, _ := t.net.psid(src)
	return id, node, true
}

// openMesh sets up a new mesh face.
func (t *Tables) openMesh(out []Out, f *face) []Out {
	f.mesh = newMeshState(f.zid)
	t.markDirty(f.id)
	if old, ok := t.meshFaces[f.zid]; ok && old != f.id {
		// A second session to the same router: the newer one carries the mesh.
		t.faces[old].mesh = nil
		t.markDirty(old)
	}
	t.meshFaces[f.zid] = f.id
	return t.linksChanged(out)
}

// closeMesh tears down a mesh face (its pseudo entities stay while their
// origins remain reachable through other faces).
func (t *Tables) closeMesh(out []Out, f *face) []Out {
	if id, ok := t.meshFaces[f.zid]; ok && id == f.id {
		delete(t.meshFaces, f.zid)
	}
	return t.linksChanged(out)
}

// MeshNodes returns the routers this router currently reaches (itself
// included), for tests and introspection.
func (t *Tables) MeshNodes() []codec.ZenohID {
	if t.net == nil {
		return nil
	}
	zs := make([]codec.ZenohID, 0, len(t.net.nodes))
	for z := range t.net.nodes {
		zs = append(zs, z)
	}
	slices.SortFunc(zs, func(a, b codec.ZenohID) int { return a.Compare(b) })
	return zs
}

// InitialLinkStateSN is a first link-state sequence number taken from the
// clock, so that a router restarted with the same ZenohId supersedes its
// previous incarnation's state still held by the others.
func InitialLinkStateSN(now time.Time) uint64 { return uint64(now.UnixNano()) }
