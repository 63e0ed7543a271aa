package keyexpr

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"unicode/utf8"
)

// This file holds slow, obviously-correct references for the differential
// tests, and the generators feeding them.

// --- Validity ----------------------------------------------------------

// naiveValid decides canonical validity chunk by chunk, from the rules of
// network.md §8.1 rather than zenoh's scanner.
func naiveValid(s string) bool {
	if s == "" || !utf8.ValidString(s) || strings.ContainsAny(s, "#?") {
		return false
	}
	chunks := strings.Split(s, "/")
	for i, c := range chunks {
		switch {
		case c == "":
			return false
		case c == "*" || c == "**":
			if i > 0 && chunks[i-1] == "**" {
				return false
			}
			continue
		case c == "$*":
			return false
		}
		for j := 0; j < len(c); j++ {
			switch c[j] {
			case '*':
				if j == 0 || c[j-1] != '$' {
					return false
				}
			case '$':
				if j+1 >= len(c) || c[j+1] != '*' {
					return false
				}
				if j >= 2 && c[j-2:j] == "$*" {
					return false
				}
			}
		}
	}
	return true
}

// --- Intersection and inclusion, transcribed from network.md §8.2 ---------

func split(s string) []string { return strings.Split(s, "/") }

func anyVerbatim(cs []string) bool {
	for _, c := range cs {
		if isVerbatim(c) {
			return true
		}
	}
	return false
}

func onlyDS(cs []string) bool { return len(cs) == 0 || len(cs) == 1 && cs[0] == "**" }

// naiveIntersects is the recursive definition of intersects(l, r) of
// §8.2, on chunk slices. The memo, keyed by the lengths of the remaining
// suffixes, only keeps it from going exponential.
func naiveIntersects(a, b string) bool {
	memo := make(map[[2]int]bool)
	var inter func(l, r []string) bool
	inter = func(l, r []string) bool {
		k := [2]int{len(l), len(r)}
		if v, ok := memo[k]; ok {
			return v
		}
		v := naiveInterStep(l, r, inter)
		memo[k] = v
		return v
	}
	return inter(split(a), split(b))
}

func naiveInterStep(l, r []string, inter func(l, r []string) bool) bool {
	if len(l) == 0 || len(r) == 0 {
		return onlyDS(l) && onlyDS(r)
	}
	if l[0] == "**" {
		if len(l) == 1 {
			return !anyVerbatim(r)
		}
		return !isVerbatim(r[0]) && inter(l, r[1:]) || inter(l[1:], r)
	}
	if r[0] == "**" {
		if len(r) == 1 {
			return !anyVerbatim(l)
		}
		return !isVerbatim(l[0]) && inter(l[1:], r) || inter(l, r[1:])
	}
	return naiveChunkInter(l[0], r[0]) && inter(l[1:], r[1:])
}

func naiveChunkInter(a, b string) bool {
	switch {
	case a == b:
		return true
	case isVerbatim(a) || isVerbatim(b):
		return false
	case a == "*" || b == "*":
		return true
	}
	return globsInter(tokens(a), tokens(b))
}

// star stands for `$*` in a tokenized chunk; other tokens are bytes.
const star = -1

func tokens(c string) []int {
	var t []int
	for i := 0; i < len(c); i++ {
		if c[i] == '$' && i+1 < len(c) && c[i+1] == '*' {
			t = append(t, star)
			i++
			continue
		}
		t = append(t, int(c[i]))
	}
	return t
}

// globsInter: do two token strings, where star matches any byte string,
// match a common byte string? Memoized on the remaining lengths.
func globsInter(p, q []int) bool {
	memo := make(map[[2]int]bool)
	var rec func(p, q []int) bool
	rec = func(p, q []int) bool {
		k := [2]int{len(p), len(q)}
		if v, ok := memo[k]; ok {
			return v
		}
		var v bool
		switch {
		case len(p) == 0 && len(q) == 0:
			v = true
		case len(p) > 0 && p[0] == star:
			v = rec(p[1:], q) || len(q) > 0 && rec(p, q[1:])
		case len(q) > 0 && q[0] == star:
			v = rec(p, q[1:]) || len(p) > 0 && rec(p[1:], q)
		case len(p) == 0 || len(q) == 0:
			v = false
		default:
			v = p[0] == q[0] && rec(p[1:], q[1:])
		}
		memo[k] = v
		return v
	}
	return rec(p, q)
}

// naiveIncludes is the walk of includes(l, r) of §8.2, on chunk slices,
// memoized like naiveIntersects.
func naiveIncludes(a, b string) bool {
	memo := make(map[[2]int]bool)
	var inc func(l, r []string) bool
	inc = func(l, r []string) bool {
		k := [2]int{len(l), len(r)}
		if v, ok := memo[k]; ok {
			return v
		}
		v := naiveIncStep(l, r, inc)
		memo[k] = v
		return v
	}
	return inc(split(a), split(b))
}

func naiveIncStep(l, r []string, inc func(l, r []string) bool) bool {
	if l[0] == "**" {
		if len(l) == 1 {
			return !anyVerbatim(r)
		}
		for {
			if inc(l[1:], r) {
				return true
			}
			if len(r) == 0 || isVerbatim(r[0]) {
				return false
			}
			r = r[1:]
			if len(r) == 0 {
				return false
			}
		}
	}
	if len(r) == 0 || r[0] == "**" || !naiveChunkInc(l[0], r[0]) {
		return false
	}
	if len(l) == 1 {
		return len(r) == 1
	}
	return inc(l[1:], r[1:])
}

// naiveChunkInc decides chunk inclusion semantically: a includes b iff a
// matches b with every `$*` replaced by a character found in neither ('#',
// which valid expressions cannot hold).
func naiveChunkInc(a, b string) bool {
	switch {
	case a == b:
		return true
	case isVerbatim(a) || isVerbatim(b):
		return false
	case a == "*":
		return true
	case b == "*":
		return false
	}
	return globsInter(tokens(a), tokens(strings.ReplaceAll(b, "$*", "#")))
}

// --- Semantics on concrete keys, through package regexp -----------------

// keyRegexp compiles a canonical expression into a regexp over "/"+key.
// Concrete keys fed to it hold '@' only as the first byte of a verbatim
// chunk, so excluding '@' from what wildcards match keeps them off
// verbatim chunks.
func keyRegexp(expr string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range split(expr) {
		switch {
		case c == "**":
			b.WriteString(`(?:/[^/@]+)*`)
		case c == "*":
			b.WriteString(`/[^/@]+`)
		case isVerbatim(c):
			b.WriteString("/" + regexp.QuoteMeta(c))
		default:
			parts := strings.Split(c, "$*")
			for i := range parts {
				parts[i] = regexp.QuoteMeta(parts[i])
			}
			b.WriteString("/" + strings.Join(parts, `[^/@]*`))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

func regexpMatch(re *regexp.Regexp, key string) bool { return re.MatchString("/" + key) }

// instance replaces the wildcards of expr by fresh text: `$*` by "Z", `*`
// by the chunk "Z", and each `**` by the chunks "Z1".."Zk" with k taken
// from ks in order. Verbatim chunks stay as they are.
func instance(expr string, ks []int) string {
	var out []string
	n := 0
	for _, c := range split(expr) {
		switch {
		case c == "**":
			for j := 0; j < ks[n]; j++ {
				out = append(out, "Z"+string(rune('1'+j)))
			}
			n++
		case c == "*":
			out = append(out, "Z")
		case isVerbatim(c):
			out = append(out, c)
		default:
			out = append(out, strings.ReplaceAll(c, "$*", "Z"))
		}
	}
	return strings.Join(out, "/")
}

// semanticIncludes decides whether a includes b by matching a against
// generic instances of b: every `**` of b takes 0 to n+1 fresh chunks,
// n being the number of chunks of a, beyond which nothing changes.
func semanticIncludes(a, b string) bool {
	re := keyRegexp(a)
	slots := strings.Count("/"+b+"/", "/**/")
	limit := len(split(a)) + 1
	ks := make([]int, slots)
	for {
		// An instance with no chunk at all is not a key.
		if k := instance(b, ks); k != "" && !regexpMatch(re, k) {
			return false
		}
		i := 0
		for ; i < slots; i++ {
			if ks[i] < limit {
				ks[i]++
				break
			}
			ks[i] = 0
		}
		if i == slots {
			return true
		}
	}
}

// --- Generators ------------------------------------------------------------

var (
	literalChunks  = []string{"a", "b", "ab", "ba", "aab"}
	verbatimChunks = []string{"@a", "@b", "@", "@a$*"}
	keyChunks      = []string{"a", "b", "ab", "ba", "aab", "bab", "@a", "@b", "@"}
)

// genChunk draws a chunk for small differential tests: literals, `*`,
// `**`, `$*` chunks over {a, b} and, if verb, verbatim chunks.
func genChunk(r *rand.Rand, verb bool) string {
	n := 17
	if verb {
		n = 20
	}
	switch x := r.IntN(n); {
	case x < 6:
		return literalChunks[r.IntN(len(literalChunks))]
	case x < 9:
		return "*"
	case x < 13:
		return "**"
	case x < 17:
		var b strings.Builder
		n := 1 + r.IntN(4)
		for range n {
			switch r.IntN(3) {
			case 0:
				b.WriteString("$*")
			case 1:
				b.WriteByte('a')
			default:
				b.WriteByte('b')
			}
		}
		return b.String()
	default:
		return verbatimChunks[r.IntN(len(verbatimChunks))]
	}
}

// genExpr draws a canonical expression of 1 to maxChunks chunks (before
// canonization), with verbatim chunks in one call out of two.
func genExpr(r *rand.Rand, maxChunks int) string {
	verb := r.IntN(2) == 0
	for {
		n := 1 + r.IntN(maxChunks)
		cs := make([]string, n)
		for i := range cs {
			cs[i] = genChunk(r, verb)
		}
		if s, err := Canonize(strings.Join(cs, "/")); err == nil {
			return s
		}
	}
}

// genKey draws a concrete key of 1 to maxChunks chunks.
func genKey(r *rand.Rand, maxChunks int) string {
	n := 1 + r.IntN(maxChunks)
	cs := make([]string, n)
	for i := range cs {
		cs[i] = keyChunks[r.IntN(len(keyChunks))]
	}
	return strings.Join(cs, "/")
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
