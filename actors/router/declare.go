package router

import (
	"fmt"
	"slices"

	"github.com/gozenoh/zenoh/codec"
)

// handleDeclare applies one declaration of face f (network.md §9.1).
func (t *Tables) handleDeclare(f *face, d *codec.Declare) ([]Out, error) {
	b := &d.Body
	if f.mesh != nil && b.Kind >= codec.DeclSubscriber && b.Kind <= codec.UndeclToken {
		return t.meshDeclare(f, d)
	}
	switch b.Kind {
	case codec.DeclKeyExpr:
		return nil, t.declareKeyExpr(f, b)
	case codec.UndeclKeyExpr:
		id := uint16(b.ID)
		if _, ok := f.remoteIDs[id]; !ok {
			return nil, fmt.Errorf("%w: undeclare %d on face %d", ErrUnknownScope, id, f.id)
		}
		delete(f.remoteIDs, id)
		f.ndecl--
		t.markDirty(f.id) // cached routes may have resolved through this id
		return nil, nil
	case codec.DeclSubscriber:
		return t.declareEntity(f, kindSub, b)
	case codec.DeclQueryable:
		return t.declareEntity(f, kindQabl, b)
	case codec.DeclToken:
		return t.declareEntity(f, kindTok, b)
	case codec.UndeclSubscriber:
		return t.undeclareEntity(f, kindSub, b.ID)
	case codec.UndeclQueryable:
		return t.undeclareEntity(f, kindQabl, b.ID)
	case codec.UndeclToken:
		return t.undeclareEntity(f, kindTok, b.ID)
	case codec.DeclFinal:
		if f.upstream && d.HasInterestID && d.InterestID == upstreamInterest {
			f.upstreamDone = true
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%w: declaration %#x", ErrUnexpectedMessage, b.Kind)
}

func (t *Tables) declareKeyExpr(f *face, b *codec.Declaration) error {
	id := uint16(b.ID)
	if id == 0 {
		return fmt.Errorf("%w: DeclareKeyExpr with id 0", ErrUnknownScope)
	}
	// A non-zero scope is resolved against the sender's table, as pico
	// does (network.md §1.2); nobody sends one in practice.
	var key string
	if b.WireExpr.Scope != 0 {
		p, ok := f.remoteIDs[b.WireExpr.Scope]
		if !ok {
			return fmt.Errorf("%w: %d in DeclareKeyExpr on face %d", ErrUnknownScope, b.WireExpr.Scope, f.id)
		}
		key = p
	}
	key += string(b.WireExpr.Suffix)
	if old, ok := f.remoteIDs[id]; ok {
		if old == key {
			return nil
		}
		return fmt.Errorf("%w: id %d is %q, not %q", ErrKeyExprRebind, id, old, key)
	}
	if f.ndecl >= t.cfg.MaxDeclarationsPerFace {
		return fmt.Errorf("%w: face %d", ErrTooManyDeclarations, f.id)
	}
	f.remoteIDs[id] = key
	f.ndecl++
	t.markDirty(f.id)
	return nil
}

func (t *Tables) declareEntity(f *face, kind int, b *codec.Declaration) ([]Out, error) {
	key, err := t.resolve(f, &b.WireExpr)
	if err != nil {
		return nil, err
	}
	if e, ok := f.ents[kind][b.ID]; ok {
		if e.key != key {
			return nil, fmt.Errorf("%w: %d is %q, not %q", ErrEntityRebind, b.ID, e.key, key)
		}
		if kind != kindQabl || (e.complete == b.Complete && e.distance == b.Distance) {
			return nil, nil
		}
		e.complete, e.distance = b.Complete, b.Distance
		return t.propagate(nil, kind, key, f.id), nil
	}
	if f.ndecl >= t.cfg.MaxDeclarationsPerFace {
		return nil, fmt.Errorf("%w: face %d", ErrTooManyDeclarations, f.id)
	}
	e := &entity{key: key}
	if kind == kindQabl {
		e.complete, e.distance = b.Complete, b.Distance
	}
	if err := t.index(kind, f.id, e); err != nil {
		return nil, err
	}
	f.ents[kind][b.ID] = e
	f.ndecl++
	return t.propagate(nil, kind, key, f.id), nil
}

func (t *Tables) undeclareEntity(f *face, kind int, id uint32) ([]Out, error) {
	e, ok := f.ents[kind][id]
	if !ok {
		return nil, fmt.Errorf("%w: kind %#x id %d on face %d", ErrUnknownEntity, kindUndecl[kind], id, f.id)
	}
	delete(f.ents[kind], id)
	f.ndecl--
	t.unindex(kind, f.id, e)
	return t.propagate(nil, kind, e.key, f.id), nil
}

// index adds e, declared by face src, to the key tree of its kind.
func (t *Tables) index(kind int, src FaceID, e *entity) error {
	ke, ok := t.idx[kind].Get(e.key)
	if !ok {
		ke = &keyEntry{ents: map[FaceID][]*entity{}}
		if err := t.idx[kind].Insert(e.key, ke); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
	}
	ke.ents[src] = append(ke.ents[src], e)
	if kind == kindSub {
		t.subsDirty = true
	}
	return nil
}

func (t *Tables) unindex(kind int, src FaceID, e *entity) {
	ke, ok := t.idx[kind].Get(e.key)
	if !ok {
		return
	}
	l := slices.DeleteFunc(ke.ents[src], func(x *entity) bool { return x == e })
	if len(l) == 0 {
		delete(ke.ents, src)
	} else {
		ke.ents[src] = l
	}
	if len(ke.ents) == 0 {
		t.idx[kind].Remove(e.key)
	}
	if kind == kindSub {
		t.subsDirty = true
	}
}

// merge folds the entities of ke that count toward face d into the running
// (has, complete, distance): complete if any is complete, distance the
// minimum among those with the best completeness (network.md §9.1).
func (t *Tables) merge(ke *keyEntry, d *face, own bool, has, c bool, dist uint16) (bool, bool, uint16) {
	return mergeIf(ke, func(src FaceID) bool { return t.counts(src, d, own) }, has, c, dist)
}

// mergeIf is merge over the sources keep accepts.
func mergeIf(ke *keyEntry, keep func(FaceID) bool, has, c bool, dist uint16) (bool, bool, uint16) {
	for src, es := range ke.ents {
		if !keep(src) {
			continue
		}
		for _, e := range es {
			switch {
			case !has, e.complete && !c:
				has, c, dist = true, e.complete, e.distance
			case e.complete == c && e.distance < dist:
				dist = e.distance
			}
		}
	}
	return has, c, dist
}

// othersHave reports whether entities of the exact key count toward d, and
// their merged queryable info.
func (t *Tables) othersHave(kind int, key string, d *face, own bool) (bool, bool, uint16) {
	ke, ok := t.idx[kind].Get(key)
	if !ok {
		return false, false, 0
	}
	return t.merge(ke, d, own, false, false, 0)
}

// wants reports whether face d must be told, with I=0, about key of kind
// (non-aggregate): in router mode, and for local sessions of peers and
// clients, it needs a matching Future interest; in peer and client modes
// every remote face is told about local entities.
func (t *Tables) wants(d *face, kind int, key string) bool {
	if !t.router() && !d.local {
		return true
	}
	for _, in := range d.interests {
		if !in.aggregate(kind) && in.matches(kind, key) {
			return true
		}
	}
	return false
}

// propagate brings every face other than src up to date with the
// entities of key (network.md §9.1, §9.3).
func (t *Tables) propagate(out []Out, kind int, key string, src FaceID) []Out {
	origin := t.cfg.ZID
	if s := t.faces[src]; s != nil && s.pseudo != nil {
		origin = *s.pseudo
	}
	return t.propagateFrom(out, kind, key, src, origin)
}

// propagateFrom is propagate for the entities router origin has on key:
// clients by declarations and interests, mesh faces by origin's tree.
func (t *Tables) propagateFrom(out []Out, kind int, key string, src FaceID, origin codec.ZenohID) []Out {
	if t.net != nil {
		out = t.meshSyncKey(out, t.meshFaceList(), kind, origin, key)
	}
	for _, d := range t.sortedFaces() {
		if d.id == src || d.pseudo != nil || d.mesh != nil {
			continue
		}
		out = t.syncKey(out, kind, key, d)
		if t.router() && kind != kindTok {
			out = t.syncAggs(out, kind, key, d)
		}
	}
	return out
}

// syncKey declares, re-declares or undeclares key toward d.
func (t *Tables) syncKey(out []Out, kind int, key string, d *face) []Out {
	has, c, dist := t.othersHave(kind, key, d, false)
	tl := d.told[kind][key]
	switch {
	case tl == nil && has && t.wants(d, kind, key):
		tl = &told{id: d.allocDeclID(), complete: c, distance: dist}
		d.told[kind][key] = tl
		out = append(out, declOut(d.id, false, 0, declBody(kind, tl, fullWire(key))))
	case tl != nil && !has:
		delete(d.told[kind], key)
		out = append(out, declOut(d.id, false, 0, undeclBody(kind, tl.id, fullWire(key))))
	case tl != nil && kind == kindQabl && (tl.complete != c || tl.distance != dist):
		tl.complete, tl.distance = c, dist
		out = append(out, declOut(d.id, false, 0, declBody(kind, tl, fullWire(key))))
	}
	return out
}

// aggState is the merged state of everything of kind matching the
// interest key of in, seen from d.
func (t *Tables) aggState(kind int, in *interest, d *face) (has, c bool, dist uint16) {
	fn := func(_ string, ke *keyEntry) bool {
		has, c, dist = t.merge(ke, d, false, has, c, dist)
		return true
	}
	if in.restricted {
		t.idx[kind].Intersecting(in.key, fn)
	} else {
		t.idx[kind].Range(fn)
	}
	return has, c, dist
}

// syncAggs updates d's aggregate interests whose key intersects key.
func (t *Tables) syncAggs(out []Out, kind int, key string, d *face) []Out {
	ids := make([]uint32, 0, len(d.interests))
	for id, in := range d.interests {
		if in.aggregate(kind) && in.matches(kind, key) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		in := d.interests[id]
		has, c, dist := t.aggState(kind, in, d)
		tl := in.agg[kind]
		switch {
		case tl == nil && has:
			tl = &told{id: d.allocDeclID(), complete: c, distance: dist}
			in.agg[kind] = tl
			out = append(out, declOut(d.id, false, 0, declBody(kind, tl, in.wire)))
		case tl != nil && !has:
			in.agg[kind] = nil
			out = append(out, declOut(d.id, false, 0, undeclBody(kind, tl.id, in.wire)))
		case tl != nil && kind == kindQabl && (tl.complete != c || tl.distance != dist):
			tl.complete, tl.distance = c, dist
			out = append(out, declOut(d.id, false, 0, declBody(kind, tl, in.wire)))
		}
	}
	return out
}

// AttachSubscriber gives the subscriber id of local face face the handler
// the data plane delivers its publications to.
func (t *Tables) AttachSubscriber(face FaceID, id uint32, sub Subscriber) {
	f := t.faces[face]
	if f == nil {
		return
	}
	if e := f.ents[kindSub][id]; e != nil && e.sub != sub {
		e.sub = sub
		t.subsDirty = true
	}
}
