package router

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/gozenoh/zenoh/codec"
)

// Dest is one destination of a Push: the face and a wire expression valid
// on it (the full key, scope 0, M=1).
type Dest struct {
	Face     FaceID
	WireExpr codec.WireExpr
	// NodeID is the routing context to send on a router face (the psid of
	// the router where the Push entered the mesh); 0 elsewhere.
	NodeID uint16
}

// routeKey identifies a Push route: the source face and the WireExpr as
// received (M is normalised to false for scope 0, where it means nothing).
type routeKey struct {
	from    FaceID
	node    uint16
	scope   uint16
	mapping bool
	suffix  string
}

// routeEntry is a cached route, valid while gen equals Tables.gen.
type routeEntry struct {
	gen   uint64
	dests []Dest
}

// RoutePush returns the faces a Push received on face from must be sent
// to (network.md §9.4): every face with a subscriber intersecting its key,
// never the source, and outside router mode never from a remote face to
// another remote face. An empty result means drop.
//
// The returned slice and the WireExpr bytes in it are shared with the
// route cache: the caller must treat them as read-only and must not keep
// them past its next call on the Tables. A cache hit does not allocate.
func (t *Tables) RoutePush(from FaceID, p *codec.Push) ([]Dest, error) {
	we := &p.WireExpr
	k := routeKey{from: from, node: p.NodeID, scope: we.Scope, mapping: we.Mapping && we.Scope != 0}
	if len(we.Suffix) > 0 {
		// Lookup only: the cache does not keep the key on Get.
		k.suffix = unsafe.String(unsafe.SliceData(we.Suffix), len(we.Suffix))
	}
	// Streams repeat their key: the last route is checked first, without
	// hashing the key.
	if l := &t.lastRoute; l.e != nil && l.e.gen == t.gen && l.k.from == k.from && l.k.node == k.node &&
		l.k.scope == k.scope && l.k.mapping == k.mapping && l.k.suffix == k.suffix {
		return l.e.dests, nil
	}
	if e, ok := t.cache.Get(k); ok && e.gen == t.gen {
		t.lastRoute.e = e
		t.lastRoute.k = k
		t.lastRoute.k.suffix = t.lastSuffix(we.Suffix)
		return e.dests, nil
	}
	f := t.faces[from]
	if f == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownFace, from)
	}
	key, err := t.resolve(f, we)
	if err != nil {
		return nil, err
	}
	dests := t.computeRoute(f, key, p.NodeID)
	k.suffix = string(we.Suffix) // owned copy for the cache
	e := &routeEntry{gen: t.gen, dests: dests}
	t.cache.Add(k, e)
	t.lastRoute.k, t.lastRoute.e = k, e
	return dests, nil
}

// lastSuffix returns an owned string equal to s for the last-route memo,
// reusing the memo's buffer.
func (t *Tables) lastSuffix(s []byte) string {
	t.lastBuf = append(t.lastBuf[:0], s...)
	return unsafe.String(unsafe.SliceData(t.lastBuf), len(t.lastBuf))
}

// computeRoute finds the destination faces of a Push on key from face f
// with routing context node, sorted by face id.
func (t *Tables) computeRoute(f *face, key string, node uint16) []Dest {
	clear(t.seen)
	src, srcOK := t.source(f, node)
	var meshNode uint16
	t.idx[kindSub].Intersecting(key, func(_ string, ke *keyEntry) bool {
		for dst := range ke.ents {
			d := t.faces[dst]
			switch {
			case d.pseudo != nil:
				if srcOK {
					if id, n, ok := t.meshHop(src, *d.pseudo, f.id); ok {
						t.seen[id] = struct{}{}
						meshNode = n
					}
				}
			case dst != f.id && (t.router() || f.local || d.local):
				t.seen[dst] = struct{}{}
			}
		}
		return true
	})
	if len(t.seen) == 0 {
		return nil
	}
	kb := []byte(key)
	dests := make([]Dest, 0, len(t.seen))
	for id := range t.seen {
		d := Dest{Face: id, WireExpr: codec.WireExpr{Suffix: kb, Mapping: true}}
		if fc := t.faces[id]; fc.mesh != nil {
			d.NodeID = meshNode
		}
		dests = append(dests, d)
	}
	slices.SortFunc(dests, func(a, b Dest) int { return int(int64(a.Face) - int64(b.Face)) })
	return dests
}
