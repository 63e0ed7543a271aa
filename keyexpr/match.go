package keyexpr

import "strings"

// Intersects reports whether the canonical key expressions a and b
// intersect: whether at least one concrete key is matched by both
// (network.md §8.2). It gives the same answers as zenoh's
// ClassicIntersector, in time linear in the input for the common shapes
// and at worst proportional to the product of the two lengths (zenoh's
// backtracking can take exponential time); it does not allocate.
//
// The result is unspecified, but Intersects does not panic, when a or b
// is not canonical.
func Intersects(a, b string) bool {
	if a == b {
		return true
	}
	if strings.IndexByte(a, '*') < 0 && strings.IndexByte(b, '*') < 0 {
		return false // two distinct concrete keys
	}
	if strings.IndexByte(a, '@') < 0 && strings.IndexByte(b, '@') < 0 {
		return regionsIntersect(a, b)
	}
	// A verbatim chunk of the witness key is matched, in each expression,
	// only by an identical chunk. So both expressions must hold the same
	// verbatim chunks in the same order, and the stretches between them
	// intersect independently.
	for {
		ra, va, resta := cutVerbatim(a)
		rb, vb, restb := cutVerbatim(b)
		if va != vb || !regionsIntersect(ra, rb) {
			return false
		}
		if va == "" {
			return true
		}
		a, b = resta, restb
	}
}

// cutVerbatim splits s around its first verbatim chunk v: region holds the
// chunks before it (no `/` on either end), rest the chunks after it. When s
// has no verbatim chunk, region is s and v is "".
func cutVerbatim(s string) (region, v, rest string) {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			break
		}
		i += j
		if i == 0 || s[i-1] == '/' {
			end := strings.IndexByte(s[i:], '/')
			if end < 0 {
				end = len(s)
			} else {
				end += i
				rest = s[end+1:]
			}
			if i > 0 {
				region = s[:i-1]
			}
			return region, s[i:end], rest
		}
		i++
	}
	return s, "", ""
}

// regionsIntersect is Intersects for two runs of chunks that hold no
// verbatim chunk, so every `**` may absorb any chunk of the other side.
func regionsIntersect(a, b string) bool {
	da, db := hasDoubleStar(a), hasDoubleStar(b)
	switch {
	case da && db:
		// Both sides can grow without bound: the chunks each side holds
		// between its first and last `**` fit inside the other side's
		// `**`. Only the ends before the first and after the last `**`
		// must agree, position by position.
		return endsIntersect(a, b)
	case da:
		return globIntersects(a, b)
	case db:
		return globIntersects(b, a)
	}
	// Same number of chunks, pairwise intersecting.
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, ni := chunkAt(a, i)
		cb, nj := chunkAt(b, j)
		if !chunkIntersects(ca, cb) {
			return false
		}
		i, j = ni, nj
	}
	return i >= len(a) && j >= len(b)
}

// globIntersects matches p, whose `**` chunks are the only multi-chunk
// wildcards, against s, which has none, chunk by chunk with
// chunkIntersects. It is the classic greedy glob algorithm: on a mismatch
// only the last `**` seen absorbs one more chunk, which is enough because a
// later `**` can absorb whatever an earlier one could. The chunks after
// the final `**` must match the end of s, which is checked directly.
func globIntersects(p, s string) bool {
	pi, si := 0, 0
	starP := -1 // offset in p just after the last `**` seen
	starS := 0  // offset in s where that `**` stops absorbing
	for si < len(s) {
		if pi < len(p) {
			pc, pn := chunkAt(p, pi)
			if pc == "**" {
				if !hasDoubleStar(p[pn:]) {
					ok, _ := matchTail(p[pn:], s[si:], false)
					return ok
				}
				starP, starS, pi = pn, si, pn
				continue
			}
			sc, sn := chunkAt(s, si)
			if chunkIntersects(pc, sc) {
				pi, si = pn, sn
				continue
			}
		}
		if starP < 0 {
			return false
		}
		_, starS = chunkAt(s, starS)
		pi, si = starP, starS
	}
	return onlyDoubleStars(p[pi:])
}

// matchTail matches the chunks of t, which holds no `**`, pairwise against
// the last chunks of s, with chunkIncludes if including, else with
// chunkIntersects. It also returns the chunks of s left before them.
func matchTail(t, s string, including bool) (bool, string) {
	i, j := len(t), len(s)
	for i > 0 {
		if j <= 0 {
			return false, ""
		}
		tc, ni := chunkBefore(t, i)
		sc, nj := chunkBefore(s, j)
		if including {
			if sc == "**" || !chunkIncludes(tc, sc) {
				return false, ""
			}
		} else if !chunkIntersects(tc, sc) {
			return false, ""
		}
		i, j = ni, nj
	}
	return true, s[:j]
}

// endsIntersect compares the chunks before the first `**` of a and b
// pairwise from the start, and those after the last `**` pairwise from
// the end. Both a and b hold a `**` chunk.
func endsIntersect(a, b string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ca, ni := chunkAt(a, i)
		cb, nj := chunkAt(b, j)
		if ca == "**" || cb == "**" {
			break
		}
		if !chunkIntersects(ca, cb) {
			return false
		}
		i, j = ni, nj
	}
	i, j = len(a), len(b)
	for i > 0 && j > 0 {
		ca, ni := chunkBefore(a, i)
		cb, nj := chunkBefore(b, j)
		if ca == "**" || cb == "**" {
			break
		}
		if !chunkIntersects(ca, cb) {
			return false
		}
		i, j = ni, nj
	}
	return true
}

// chunkIntersects reports whether two chunks, neither `**`, are matched by
// at least one common concrete chunk.
func chunkIntersects(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" || a[0] == '@' || b[0] == '@' {
		return false // a verbatim chunk matches only itself
	}
	if a == "*" || b == "*" {
		return true
	}
	// In a canonical chunk '$' only occurs as the start of `$*`.
	ka, kb := strings.IndexByte(a, '$'), strings.IndexByte(b, '$')
	switch {
	case ka >= 0 && kb >= 0:
		// As for `**` above: only the text before the first `$*` and
		// after the last `$*` of each side constrains the witness.
		pa, pb := a[:ka], b[:kb]
		sa, sb := a[strings.LastIndex(a, "$*")+2:], b[strings.LastIndex(b, "$*")+2:]
		n := min(len(pa), len(pb))
		m := min(len(sa), len(sb))
		return pa[:n] == pb[:n] && sa[len(sa)-m:] == sb[len(sb)-m:]
	case ka >= 0:
		return dollarMatch(a, b)
	case kb >= 0:
		return dollarMatch(b, a)
	}
	return false // distinct literals
}

// dollarMatch reports whether the literal chunk s matches the pattern p,
// in which each `$*` matches any run of bytes. Greedy, as globIntersects.
// The byte-level match is also a character-level one: the literals of a
// valid pattern are whole UTF-8 sequences, so they only match at
// character boundaries of s.
func dollarMatch(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi+1 < len(p) && p[pi] == '$' && p[pi+1] == '*' {
			pi += 2
			starP, starS = pi, si
			continue
		}
		if pi < len(p) && p[pi] == s[si] {
			pi++
			si++
			continue
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP, starS
	}
	for pi+1 < len(p) && p[pi] == '$' && p[pi+1] == '*' {
		pi += 2
	}
	return pi == len(p)
}

// Includes reports whether the canonical key expression a includes b:
// whether every key matched by b is matched by a (network.md §8.2). It
// gives the same answers as zenoh's LTRIncluder, including its structural
// rule that a `**` on the right is included only by a `**` on the left
// (so `*/**` does not include `**/x`, although every key of the latter
// matches the former). It does not allocate.
//
// The result is unspecified, but Includes does not panic, when a or b is
// not canonical.
func Includes(a, b string) bool {
	if a == b {
		return true
	}
	if strings.IndexByte(a, '*') < 0 {
		return false // a concrete key includes only itself
	}
	// Greedy glob match of a's `**` chunks over b's chunks, as in
	// globIntersects. A `**` cannot absorb a verbatim chunk; the greedy
	// search stays exact because a verbatim chunk of b can only be matched
	// by the identical chunk of a, so no earlier `**` could get past it
	// either.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(b) {
		if pi < len(a) {
			ac, an := chunkAt(a, pi)
			if ac == "**" {
				if !hasDoubleStar(a[an:]) {
					// The final `**` absorbs what the chunks after it
					// leave of b, which must not be verbatim.
					ok, gap := matchTail(a[an:], b[si:], true)
					return ok && !hasVerbatim(gap)
				}
				starP, starS, pi = an, si, an
				continue
			}
			bc, bn := chunkAt(b, si)
			if bc != "**" && chunkIncludes(ac, bc) {
				pi, si = an, bn
				continue
			}
		}
		if starP < 0 {
			return false
		}
		bc, bn := chunkAt(b, starS)
		if isVerbatim(bc) {
			return false
		}
		starS = bn
		pi, si = starP, starS
	}
	return onlyDoubleStars(a[pi:])
}

// chunkIncludes reports whether chunk a includes chunk b; neither is `**`.
func chunkIncludes(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" || a[0] == '@' || b[0] == '@' {
		return false
	}
	if a == "*" {
		return true
	}
	first := strings.Index(a, "$*")
	if first < 0 {
		return false
	}
	// a is pre$*n1$*n2…$*suf: b must start with pre, end with suf, and
	// hold n1, n2, … in order between them. A `$*` of b is then covered
	// too, since none of these pieces contains `$` or `*`.
	last := strings.LastIndex(a, "$*")
	pre, suf := a[:first], a[last+2:]
	if len(b) < len(pre)+len(suf) || b[:len(pre)] != pre || b[len(b)-len(suf):] != suf {
		return false
	}
	rest := b[len(pre) : len(b)-len(suf)]
	if first == last {
		return true
	}
	for mid := a[first+2 : last]; ; {
		needle, tail, more := strings.Cut(mid, "$*")
		k := strings.Index(rest, needle)
		if k < 0 {
			return false
		}
		rest = rest[k+len(needle):]
		if !more {
			return true
		}
		mid = tail
	}
}

// chunkAt returns the chunk of s starting at offset i and the offset of
// the next chunk (len(s) after the last one).
func chunkAt(s string, i int) (chunk string, next int) {
	j := strings.IndexByte(s[i:], '/')
	if j < 0 {
		return s[i:], len(s)
	}
	return s[i : i+j], i + j + 1
}

// chunkBefore returns the chunk of s ending at offset i (exclusive) and
// the offset where the previous chunk ends (0 before the first one).
func chunkBefore(s string, i int) (chunk string, prev int) {
	j := strings.LastIndexByte(s[:i], '/')
	if j < 0 {
		return s[:i], 0
	}
	return s[j+1 : i], j
}

// hasDoubleStar reports whether s holds a `**` chunk. In a canonical
// expression `**` cannot occur other than as a chunk.
func hasDoubleStar(s string) bool {
	return strings.Contains(s, "**")
}

// onlyDoubleStars reports whether every chunk of s is `**` (true for "").
func onlyDoubleStars(s string) bool {
	for i := 0; i < len(s); {
		c, n := chunkAt(s, i)
		if c != "**" {
			return false
		}
		i = n
	}
	return true
}

// hasVerbatim reports whether a chunk of s is verbatim.
func hasVerbatim(s string) bool {
	return strings.HasPrefix(s, "@") || strings.Contains(s, "/@")
}

func isVerbatim(chunk string) bool {
	return chunk != "" && chunk[0] == '@'
}
