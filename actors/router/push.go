package router

import (
	"fmt"
	"unsafe"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gozenoh/zenoh/codec"
)

// routeKey identifies a Push route from one face: the WireExpr as
// received (M is normalised to false for scope 0, where it means nothing)
// and the routing context.
type routeKey struct {
	node    uint16
	scope   uint16
	mapping bool
	suffix  string
}

// routeEntry is a cached route, valid for the snapshot gen.
type routeEntry struct {
	gen   uint64
	key   string
	dests []Dest
}

// RouteCache caches the Push routes of one face against the snapshots it
// is given: an LRU keyed by WireExpr and routing context, entries valid
// for the snapshot they were computed from, and a memo of the last route
// (streams repeat their key). It belongs to one goroutine at a time (a
// link's reader). A hit does not allocate.
type RouteCache struct {
	lru     *simplelru.LRU[routeKey, *routeEntry]
	last    routeKey
	lastE   *routeEntry
	lastBuf []byte
	sc      routeScratch
}

// NewRouteCache returns a cache of size routes (at least 1).
func NewRouteCache(size int) *RouteCache {
	l, _ := simplelru.NewLRU[routeKey, *routeEntry](max(size, 1), nil)
	return &RouteCache{lru: l}
}

// Route returns the destinations of a Push received on face from under
// snapshot s, and the key it resolved to. The slice and the WireExpr
// bytes in it are shared with the cache and the snapshot: read-only, and
// not to be kept past the next call.
func (c *RouteCache) Route(s *Snapshot, from FaceID, p *codec.Push) ([]Dest, string, error) {
	we := &p.WireExpr
	k := routeKey{node: p.NodeID, scope: we.Scope, mapping: we.Mapping && we.Scope != 0}
	if len(we.Suffix) > 0 {
		// Lookup only: the cache does not keep the key on Get.
		k.suffix = unsafe.String(unsafe.SliceData(we.Suffix), len(we.Suffix))
	}
	if e := c.lastE; e != nil && e.gen == s.gen && c.last == k {
		return e.dests, e.key, nil
	}
	if e, ok := c.lru.Get(k); ok && e.gen == s.gen {
		c.memo(k, e)
		return e.dests, e.key, nil
	}
	f := s.faces[from]
	if f == nil {
		return nil, "", fmt.Errorf("%w: %d", ErrUnknownFace, from)
	}
	key, err := s.resolve(f, we)
	if err != nil {
		return nil, "", err
	}
	e := &routeEntry{gen: s.gen, key: key, dests: s.route(f, key, p.NodeID, &c.sc)}
	k.suffix = string(we.Suffix) // owned copy for the cache
	c.lru.Add(k, e)
	c.memo(k, e)
	return e.dests, key, nil
}

// memo remembers the last route, its key's suffix in the memo's buffer.
func (c *RouteCache) memo(k routeKey, e *routeEntry) {
	c.lastBuf = append(c.lastBuf[:0], k.suffix...)
	k.suffix = unsafe.String(unsafe.SliceData(c.lastBuf), len(c.lastBuf))
	c.last, c.lastE = k, e
}

// RoutePush returns the faces a Push received on face from must be sent
// to (network.md §9.4) under the tables' current snapshot: every face
// with a subscriber intersecting its key, never the source, and outside
// router mode never from a remote face to another remote face. An empty
// result means drop. It is the data plane's routing (Snapshot, RouteCache)
// run on the tables' own cache of face from, for tests and tools.
//
// The returned slice and the WireExpr bytes in it are shared with the
// route cache: the caller must treat them as read-only and must not keep
// them past its next call on the Tables. A cache hit does not allocate.
func (t *Tables) RoutePush(from FaceID, p *codec.Push) ([]Dest, error) {
	c := t.caches[from]
	if c == nil {
		if t.faces[from] == nil {
			return nil, fmt.Errorf("%w: %d", ErrUnknownFace, from)
		}
		c = NewRouteCache(t.cfg.RouteCacheSize)
		t.caches[from] = c
	}
	d, _, err := c.Route(t.Snapshot(), from, p)
	return d, err
}
