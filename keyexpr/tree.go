package keyexpr

import (
	"slices"
	"strings"
)

// Tree maps canonical key expressions to values of type V and finds the
// stored expressions that intersect or include a given one. It is the
// index a router keeps its subscriptions, queryables and tokens in: V can
// be, for instance, the set of faces that declared an expression.
//
// The zero Tree is empty and ready to use. A Tree is not safe for
// concurrent use; several goroutines may call its read methods (Get, Len,
// Range, Intersecting, Including) at once only if none modifies it.
//
// The tree has one node per distinct chunk prefix. A node keeps its
// literal (and verbatim) children in a map, and its `*` child, its `**`
// child and its children holding `$*` apart. A lookup by a concrete key
// follows the map by exact chunk and visits only the `*`, `**` and `$*`
// branches that exist, so its cost grows with the key's depth and the
// number of stored wildcard paths that match it, not with the size of the
// tree. A lookup by a wildcard expression also scans the children of the
// nodes its wildcards reach.
type Tree[V any] struct {
	root *node[V]
	n    int
}

type node[V any] struct {
	parent   *node[V]
	chunk    string              // the chunk leading here from parent
	children map[string]*node[V] // literal chunks, verbatim ones included
	star     *node[V]            // child `*`
	dstar    *node[V]            // child `**`
	dollar   []*node[V]          // non-verbatim children holding `$*`
	key      string              // the stored expression, when has
	val      V
	has      bool

	// For a chunk holding `$*`: the text before its first and after its
	// last `$*`, and whether that is its only `$*`. They reject most
	// literal chunks before any pattern matching.
	pre, suf string
	single   bool
}

// matchesLiteral reports whether the `$*` chunk of n matches the literal
// chunk c.
func (n *node[V]) matchesLiteral(c string) bool {
	if len(c) < len(n.pre)+len(n.suf) || c[:len(n.pre)] != n.pre || c[len(c)-len(n.suf):] != n.suf {
		return false
	}
	return n.single || dollarMatch(n.chunk, c)
}

// isDollarChunk reports whether chunk goes to a node's dollar list.
func isDollarChunk(chunk string) bool {
	return !isVerbatim(chunk) && strings.Contains(chunk, "$*")
}

// child returns the child reached by exactly chunk, or nil.
func (n *node[V]) child(chunk string) *node[V] {
	switch {
	case chunk == "*":
		return n.star
	case chunk == "**":
		return n.dstar
	case isDollarChunk(chunk):
		for _, c := range n.dollar {
			if c.chunk == chunk {
				return c
			}
		}
		return nil
	}
	return n.children[chunk]
}

func (n *node[V]) addChild(chunk string) *node[V] {
	c := &node[V]{parent: n, chunk: chunk}
	switch {
	case chunk == "*":
		n.star = c
	case chunk == "**":
		n.dstar = c
	case isDollarChunk(chunk):
		first, last := strings.Index(chunk, "$*"), strings.LastIndex(chunk, "$*")
		c.pre, c.suf, c.single = chunk[:first], chunk[last+2:], first == last
		n.dollar = append(n.dollar, c)
	default:
		if n.children == nil {
			n.children = make(map[string]*node[V])
		}
		n.children[chunk] = c
	}
	return c
}

func (n *node[V]) removeChild(c *node[V]) {
	switch {
	case c == n.star:
		n.star = nil
	case c == n.dstar:
		n.dstar = nil
	case isDollarChunk(c.chunk):
		i := slices.Index(n.dollar, c)
		n.dollar = slices.Delete(n.dollar, i, i+1)
	default:
		delete(n.children, c.chunk)
	}
}

func (n *node[V]) empty() bool {
	return !n.has && len(n.children) == 0 && n.star == nil && n.dstar == nil && len(n.dollar) == 0
}

// find returns the node of expression ke, or nil.
func (t *Tree[V]) find(ke string) *node[V] {
	n := t.root
	for i := 0; n != nil && i < len(ke); {
		var c string
		c, i = chunkAt(ke, i)
		n = n.child(c)
	}
	return n
}

// Len returns the number of stored expressions.
func (t *Tree[V]) Len() int { return t.n }

// Insert stores v under the canonical expression ke, replacing any value
// already there. It returns the error of Validate, and stores nothing,
// when ke is not canonical.
func (t *Tree[V]) Insert(ke string, v V) error {
	if err := Validate(ke); err != nil {
		return err
	}
	if t.root == nil {
		t.root = &node[V]{}
	}
	n := t.root
	for i := 0; i < len(ke); {
		var c string
		c, i = chunkAt(ke, i)
		m := n.child(c)
		if m == nil {
			m = n.addChild(c)
		}
		n = m
	}
	if !n.has {
		t.n++
	}
	n.key, n.val, n.has = ke, v, true
	return nil
}

// Get returns the value stored under exactly ke.
func (t *Tree[V]) Get(ke string) (V, bool) {
	if n := t.find(ke); n != nil && n.has {
		return n.val, true
	}
	var zero V
	return zero, false
}

// Remove deletes exactly ke and returns the value it held.
func (t *Tree[V]) Remove(ke string) (V, bool) {
	var zero V
	n := t.find(ke)
	if n == nil || !n.has {
		return zero, false
	}
	v := n.val
	n.key, n.val, n.has = "", zero, false
	t.n--
	for n.parent != nil && n.empty() {
		n.parent.removeChild(n)
		n = n.parent
	}
	return v, true
}

// Range calls fn for every stored expression, in no particular order,
// until fn returns false.
func (t *Tree[V]) Range(fn func(ke string, v V) bool) {
	if t.root == nil {
		return
	}
	stack := []*node[V]{t.root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.has && !fn(n.key, n.val) {
			return
		}
		for _, c := range n.children {
			stack = append(stack, c)
		}
		stack = append(stack, n.dollar...)
		if n.star != nil {
			stack = append(stack, n.star)
		}
		if n.dstar != nil {
			stack = append(stack, n.dstar)
		}
	}
}

// Intersecting calls fn for every stored expression that intersects the
// canonical expression ke (see Intersects), each once and in no particular
// order, until fn returns false. ke may be a concrete key or hold
// wildcards. A concrete or `*`/`$*`-only ke is matched without
// allocating.
//
// The result is unspecified when ke is not canonical.
func (t *Tree[V]) Intersecting(ke string, fn func(ke string, v V) bool) {
	if t.root == nil {
		return
	}
	// A final `**`, the common `prefix/**`, is served by collecting the
	// nodes matching prefix and walking their subtrees.
	prefix, trailing := ke, false
	switch {
	case ke == "**":
		prefix, trailing = "", true
	case strings.HasSuffix(ke, "/**"):
		prefix, trailing = ke[:len(ke)-3], true
	}
	if hasDoubleStar(prefix) {
		t.intersectingDoubleStar(ke, fn)
		return
	}
	t.frontier(prefix, false, trailing, fn)
}

// Including calls fn for every stored expression that includes the
// canonical expression ke (see Includes), each once and in no particular
// order, until fn returns false. It does not allocate.
//
// The result is unspecified when ke is not canonical.
func (t *Tree[V]) Including(ke string, fn func(ke string, v V) bool) {
	if t.root == nil {
		return
	}
	t.frontier(ke, true, false, fn)
}

// frontierSize is the number of nodes a lookup tracks per chunk before it
// allocates.
const frontierSize = 64

// frontier matches q chunk by chunk, keeping the set of nodes whose path
// matches the chunks of q read so far, as an NFA simulation would. It
// serves Including, where a `**` of q is an ordinary chunk only a stored
// `**` can absorb, and Intersecting when q holds no `**`, or only a final
// one, which trailing stands for (q is then the part before it).
//
// A node enters the next set either from its parent (one chunk matched),
// or, being a `**` node, from itself (it absorbs the chunk). Only the
// second kind can meet the same node twice, as a `**` is also entered from
// its parent without absorbing anything; checking the carried `**` nodes
// is enough to keep the set free of duplicates.
func (t *Tree[V]) frontier(q string, including, trailing bool, fn func(string, V) bool) {
	var bufA, bufB [frontierSize]*node[V]
	cur := append(bufA[:0], t.root)
	if d := t.root.dstar; d != nil {
		cur = append(cur, d)
	}
	next := bufB[:0]
	for i := 0; i < len(q); {
		var c string
		c, i = chunkAt(q, i)
		next = next[:0]
		if !isVerbatim(c) {
			for _, n := range cur {
				if n.chunk == "**" {
					next = append(next, n)
				}
			}
		}
		carried := len(next)
		for _, n := range cur {
			if including {
				next = n.appendIncluding(next, c)
			} else {
				next = n.appendIntersecting(next, c)
			}
		}
		var carriedSet map[*node[V]]bool // for large sets only
		if carried > 16 {
			carriedSet = make(map[*node[V]]bool, carried)
			for _, n := range next[:carried] {
				carriedSet[n] = true
			}
		}
		for k := carried; k < len(next); k++ {
			d := next[k].dstar
			if d == nil || carriedSet != nil && carriedSet[d] || carriedSet == nil && slices.Contains(next[:carried], d) {
				continue
			}
			next = append(next, d)
		}
		if len(next) == 0 {
			return
		}
		cur, next = next, cur
	}
	if trailing {
		reportSubtrees(cur, fn)
		return
	}
	for _, n := range cur {
		if n.has && !fn(n.key, n.val) {
			return
		}
	}
}

// reportSubtrees reports, once each, the stored expressions reachable from
// a node of set through non-verbatim chunks only (a final `**` of the
// query absorbs exactly those). A node whose subtree lies within that of
// another node of set is skipped.
func reportSubtrees[V any](set []*node[V], fn func(string, V) bool) {
	var member map[*node[V]]bool
	if len(set) > frontierSize {
		member = make(map[*node[V]]bool, len(set))
		for _, n := range set {
			member[n] = true
		}
	}
	var buf [frontierSize]*node[V]
	for _, m := range set {
		covered := false
		for a := m; a.parent != nil && !isVerbatim(a.chunk); a = a.parent {
			if member != nil && member[a.parent] || member == nil && slices.Contains(set, a.parent) {
				covered = true
				break
			}
		}
		if covered {
			continue
		}
		stack := append(buf[:0], m)
		for len(stack) > 0 {
			n := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if n.has && !fn(n.key, n.val) {
				return
			}
			for k, c := range n.children {
				if !isVerbatim(k) {
					stack = append(stack, c)
				}
			}
			stack = append(stack, n.dollar...)
			if n.star != nil {
				stack = append(stack, n.star)
			}
			if n.dstar != nil {
				stack = append(stack, n.dstar)
			}
		}
	}
}

// appendIntersecting appends the children of n, other than `**`, whose
// chunk intersects the query chunk c (not `**`).
func (n *node[V]) appendIntersecting(dst []*node[V], c string) []*node[V] {
	if isVerbatim(c) {
		if m := n.children[c]; m != nil {
			dst = append(dst, m)
		}
		return dst
	}
	if n.star != nil {
		dst = append(dst, n.star)
	}
	if strings.IndexByte(c, '*') < 0 {
		if m := n.children[c]; m != nil {
			dst = append(dst, m)
		}
		for _, m := range n.dollar {
			if m.matchesLiteral(c) {
				dst = append(dst, m)
			}
		}
		return dst
	}
	for k, m := range n.children {
		if chunkIntersects(c, k) {
			dst = append(dst, m)
		}
	}
	for _, m := range n.dollar {
		if chunkIntersects(m.chunk, c) {
			dst = append(dst, m)
		}
	}
	return dst
}

// appendIncluding appends the children of n, other than `**`, whose chunk
// includes the query chunk c.
func (n *node[V]) appendIncluding(dst []*node[V], c string) []*node[V] {
	switch {
	case c == "**":
		return dst // only a stored `**` includes it
	case isVerbatim(c):
		if m := n.children[c]; m != nil {
			dst = append(dst, m)
		}
		return dst
	case c == "*":
		if n.star != nil {
			dst = append(dst, n.star)
		}
		return dst
	}
	if n.star != nil {
		dst = append(dst, n.star)
	}
	if !strings.Contains(c, "$*") {
		if m := n.children[c]; m != nil {
			dst = append(dst, m)
		}
		for _, m := range n.dollar {
			if m.matchesLiteral(c) {
				dst = append(dst, m)
			}
		}
		return dst
	}
	for _, m := range n.dollar {
		if chunkIncludes(m.chunk, c) {
			dst = append(dst, m)
		}
	}
	return dst
}

// state is a position in the search of intersectingDoubleStar: the path
// to n matches the chunks of the query before offset i.
type state[V any] struct {
	n *node[V]
	i int
}

// intersectingDoubleStar serves Intersecting when q holds a `**`. Both
// sides may then grow, and one state can be reached along several paths,
// so the search remembers the states it has seen.
func (t *Tree[V]) intersectingDoubleStar(q string, fn func(string, V) bool) {
	seen := make(map[state[V]]struct{})
	var stack []state[V]
	push := func(n *node[V], i int) {
		s := state[V]{n, i}
		if _, ok := seen[s]; !ok {
			seen[s] = struct{}{}
			stack = append(stack, s)
		}
	}
	var matched []*node[V]
	push(t.root, 0)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n, i := s.n, s.i
		if d := n.dstar; d != nil {
			push(d, i) // the stored `**` absorbs nothing yet
		}
		if i >= len(q) {
			if n.has && !fn(n.key, n.val) {
				return
			}
			continue
		}
		c, next := chunkAt(q, i)
		if n.chunk == "**" && !isVerbatim(c) {
			push(n, next) // the stored `**` absorbs c
		}
		if c != "**" {
			matched = n.appendIntersecting(matched[:0], c)
			for _, m := range matched {
				push(m, next)
			}
			continue
		}
		push(n, next) // the query's `**` absorbs nothing more
		// The query's `**` absorbs one more stored chunk.
		for k, m := range n.children {
			if !isVerbatim(k) {
				push(m, i)
			}
		}
		if n.star != nil {
			push(n.star, i)
		}
		for _, m := range n.dollar {
			push(m, i)
		}
	}
}
