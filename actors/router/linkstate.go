package router

import (
	"slices"

	"github.com/gozenoh/zenoh/codec"
)

// graph is a router's view of the router mesh, kept by link-state
// flooding (network.md §3.7.1): every router advertises itself with a
// sequence number and its router neighbours; a newer sequence number
// replaces what was known of a node. An edge counts only when both ends
// list each other, so a half-known link never carries traffic.
//
// Each node gets a psid, its index in this router's numbering (self is
// 0); psids name nodes in the LinkStateList we send and in the NodeId
// extension of what we forward on router faces. They are never reused, so
// a late message cannot name the wrong node; maxNodes bounds them.
//
// Routes are shortest-path trees, one per source router, computed
// identically on every router from identical graphs: hop counts, ties
// broken by the smaller ZenohId. Link weights (the H option) are not
// used.
type graph struct {
	self     codec.ZenohID
	nodes    map[codec.ZenohID]*gnode
	psids    map[codec.ZenohID]uint16
	zids     []codec.ZenohID // by psid
	maxNodes int
	// down[s][x] is the neighbour of self through which node x is reached
	// in the tree rooted at s, for every x below self in that tree.
	down map[codec.ZenohID]map[codec.ZenohID]codec.ZenohID
}

type gnode struct {
	zid     codec.ZenohID
	whatami codec.WhatAmI
	sn      uint64
	links   []codec.ZenohID // sorted
}

func newGraph(self codec.ZenohID, sn uint64, maxNodes int) *graph {
	g := &graph{self: self, nodes: map[codec.ZenohID]*gnode{}, psids: map[codec.ZenohID]uint16{},
		maxNodes: maxNodes}
	g.nodes[self] = &gnode{zid: self, whatami: codec.Router, sn: sn}
	g.psid(self)
	g.recompute()
	return g
}

// psid returns the psid of z, allocating one; ok is false when the
// numbering is full.
func (g *graph) psid(z codec.ZenohID) (uint16, bool) {
	if p, ok := g.psids[z]; ok {
		return p, true
	}
	if len(g.zids) >= g.maxNodes {
		return 0, false
	}
	p := uint16(len(g.zids))
	g.psids[z] = p
	g.zids = append(g.zids, z)
	return p, true
}

// zidOf maps one of our psids back to its node.
func (g *graph) zidOf(p uint16) (codec.ZenohID, bool) {
	if int(p) >= len(g.zids) {
		return codec.ZenohID{}, false
	}
	return g.zids[p], true
}

// setLinks replaces self's neighbours and bumps its sequence number.
func (g *graph) setLinks(ns []codec.ZenohID) {
	me := g.nodes[g.self]
	me.links = sortedIDs(ns)
	for _, n := range me.links {
		g.psid(n)
	}
	me.sn++
	g.recompute()
}

func sortedIDs(ns []codec.ZenohID) []codec.ZenohID {
	s := slices.Clone(ns)
	slices.SortFunc(s, func(a, b codec.ZenohID) int { return a.Compare(b) })
	return slices.Compact(s)
}

// apply merges a LinkStateList received from a neighbour whose psid
// table is m (updated here from the entries' ZenohIds). It reports
// whether the reachable graph changed, i.e. whether it must be flooded
// on. An entry about self newer than ours (a previous incarnation's)
// makes self jump past it.
func (g *graph) apply(list []codec.LinkState, m map[uint64]codec.ZenohID) bool {
	for i := range list {
		if !list[i].ZID.IsZero() {
			m[list[i].PSID] = list[i].ZID
		}
	}
	before := g.fingerprint()
	for i := range list {
		e := &list[i]
		z, ok := m[e.PSID]
		if !ok || e.SN == 0 {
			continue // unknown, or only naming a neighbour
		}
		if z == g.self {
			if me := g.nodes[g.self]; e.SN > me.sn {
				me.sn = e.SN + 1
			}
			continue
		}
		n := g.nodes[z]
		if n != nil && e.SN <= n.sn {
			continue
		}
		if n == nil {
			if _, ok := g.psid(z); !ok {
				continue
			}
			n = &gnode{zid: z}
			g.nodes[z] = n
		}
		n.sn, n.whatami = e.SN, e.WhatAmI
		if n.whatami == 0 {
			n.whatami = codec.Router
		}
		links := make([]codec.ZenohID, 0, len(e.Links))
		for _, l := range e.Links {
			if lz, ok := m[l]; ok {
				if _, ok := g.psid(lz); ok {
					links = append(links, lz)
				}
			}
		}
		n.links = sortedIDs(links)
	}
	g.recompute()
	return g.fingerprint() != before
}

// fingerprint summarises the known nodes and their sequence numbers.
func (g *graph) fingerprint() uint64 {
	var h uint64
	for z, n := range g.nodes {
		a := z.Array()
		x := n.sn * 0x9e3779b97f4a7c15
		for _, b := range a {
			x = (x ^ uint64(b)) * 0x100000001b3
		}
		h ^= x
	}
	return h + uint64(len(g.nodes))
}

// list returns every known node as a LinkStateList entry, with its
// ZenohId always present and its links as our psids.
func (g *graph) list() []codec.LinkState {
	zs := make([]codec.ZenohID, 0, len(g.nodes))
	for z := range g.nodes {
		zs = append(zs, z)
	}
	slices.SortFunc(zs, func(a, b codec.ZenohID) int { return int(g.psids[a]) - int(g.psids[b]) })
	out := make([]codec.LinkState, 0, len(zs))
	for _, z := range zs {
		n := g.nodes[z]
		e := codec.LinkState{PSID: uint64(g.psids[z]), SN: n.sn, ZID: z, WhatAmI: n.whatami}
		for _, l := range n.links {
			if p, ok := g.psids[l]; ok {
				e.Links = append(e.Links, uint64(p))
			}
		}
		out = append(out, e)
	}
	// Link ends not known as nodes yet are named (sequence number 0) so
	// that the receivers can map every link.
	named := map[codec.ZenohID]bool{}
	for _, z := range zs {
		for _, l := range g.nodes[z].links {
			if _, ok := g.nodes[l]; !ok && !named[l] {
				named[l] = true
				out = append(out, codec.LinkState{PSID: uint64(g.psids[l]), ZID: l, WhatAmI: codec.Router})
			}
		}
	}
	return out
}

// linked reports whether a and b list each other.
func (g *graph) linked(a, b *gnode) bool {
	_, ok1 := slices.BinarySearchFunc(a.links, b.zid, codec.ZenohID.Compare)
	_, ok2 := slices.BinarySearchFunc(b.links, a.zid, codec.ZenohID.Compare)
	return ok1 && ok2
}

// neighbours returns the nodes n has a two-way link with, sorted.
func (g *graph) neighbours(n *gnode) []*gnode {
	var out []*gnode
	for _, l := range n.links {
		if m := g.nodes[l]; m != nil && g.linked(n, m) {
			out = append(out, m)
		}
	}
	return out
}

// recompute drops the nodes self cannot reach and rebuilds every tree.
func (g *graph) recompute() {
	reach := g.bfs(g.self, nil)
	for z := range g.nodes {
		if _, ok := reach[z]; !ok {
			delete(g.nodes, z)
		}
	}
	g.down = make(map[codec.ZenohID]map[codec.ZenohID]codec.ZenohID, len(g.nodes))
	for s := range g.nodes {
		parent := map[codec.ZenohID]codec.ZenohID{}
		g.bfs(s, parent)
		d := map[codec.ZenohID]codec.ZenohID{}
		for x := range g.nodes {
			// Climb from x toward s; if self is on the way, the node
			// just below it is where x is reached through.
			prev, cur := x, x
			for cur != s && cur != g.self {
				prev, cur = cur, parent[cur]
			}
			if cur == g.self && x != g.self {
				d[x] = prev
			}
		}
		g.down[s] = d
	}
}

// bfs returns the hop distance of every node reachable from s; when
// parent is not nil it records each node's parent in the tree rooted at
// s: among its neighbours one hop closer to s, the smallest ZenohId.
func (g *graph) bfs(s codec.ZenohID, parent map[codec.ZenohID]codec.ZenohID) map[codec.ZenohID]int {
	dist := map[codec.ZenohID]int{s: 0}
	frontier := []*gnode{g.nodes[s]}
	for len(frontier) > 0 {
		var next []*gnode
		for _, n := range frontier {
			for _, m := range g.neighbours(n) {
				if _, seen := dist[m.zid]; !seen {
					dist[m.zid] = dist[n.zid] + 1
					next = append(next, m)
				}
			}
		}
		frontier = next
	}
	if parent != nil {
		for z, dz := range dist {
			if z == s {
				continue
			}
			best := codec.ZenohID{}
			for _, m := range g.neighbours(g.nodes[z]) {
				if dist[m.zid] == dz-1 && (best.IsZero() || m.zid.Compare(best) < 0) {
					best = m.zid
				}
			}
			parent[z] = best
		}
	}
	return dist
}

// via returns the neighbour through which node x is reached from self in
// the tree rooted at s.
func (g *graph) via(s, x codec.ZenohID) (codec.ZenohID, bool) {
	n, ok := g.down[s][x]
	return n, ok
}

// known reports whether z is a reachable node.
func (g *graph) known(z codec.ZenohID) bool {
	_, ok := g.nodes[z]
	return ok
}
