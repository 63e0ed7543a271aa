package keyexpr

import (
	"fmt"
	"strings"
	"testing"
)

// specPairs is the test table of network.md §8.2: l, r, l∩r, l⊇r, r⊇l.
var specPairs = []struct {
	l, r                string
	inter, lIncR, rIncL bool
}{
	{"a/b/c", "a/b/c", true, true, true},
	{"a/b/c", "a/b/d", false, false, false},
	{"a/*/c", "a/b/c", true, true, false},
	{"a/*/c", "a/b/x/c", false, false, false},
	{"a/*", "a", false, false, false},
	{"a/*", "a/b", true, true, false},
	{"a/**", "a", true, true, false},
	{"a/**", "a/b/c/d", true, true, false},
	{"**", "a/b", true, true, false},
	{"**", "@a/b", false, false, false},
	{"a/**/c", "a/c", true, true, false},
	{"a/**/c", "a/x/y/c", true, true, false},
	{"a/*/**", "a", false, false, false},
	{"a/*/**", "a/b", true, true, false},
	{"a/b$*", "a/bcd", true, true, false},
	{"a/b$*", "a/b", true, true, false},
	{"a/$*c", "a/abc", true, true, false},
	{"a/b$*", "a/$*c", true, false, false},
	{"a/x$*y", "a/x$*z", false, false, false},
	{"a/*", "a/b$*", true, true, false},
	{"a/**", "a/*/c", true, true, false},
	{"a/*/c", "a/**", true, false, true},
	{"*/b", "a/*", true, false, false},
	{"a/**/b", "a/**/c", false, false, false},
	{"@a/b", "@a/b", true, true, true},
	{"@a/*", "@a/b", true, true, false},
	{"@a/*", "@a/@b", false, false, false},
	{"@a/**", "@a/@b/c", false, false, false},
	{"**/@a", "@a", true, true, false},
	{"*", "@a", false, false, false},
	{"a/**", "a/@b", false, false, false},
	{"a/**/@b", "a/x/@b", true, true, false},
	{"demo/example/**", "demo/example/zenoh-pico-pub", true, true, false},
	{"demo/**", "demo", true, true, false},
	{"x/abc$*", "x/a$*", true, false, true},
	{"x/$*c$*", "x/abc$*", true, true, false},
	{"ab$*cd", "abxxcxxcd", true, true, false},
	{"ab$*cd", "abxxcxxcdx", false, false, false},
	{"x/a$*d$*e", "x/a$*e", true, false, true},
	{"@a/**/@c/**/@b", "@a/@c/**/@b", true, true, false},
}

func TestSpecTable(t *testing.T) {
	if len(specPairs) != 40 {
		t.Fatalf("spec table has %d rows, want 40", len(specPairs))
	}
	for i, p := range specPairs {
		t.Run(fmt.Sprintf("%02d:%s|%s", i+1, p.l, p.r), func(t *testing.T) {
			check := func(name string, got, want bool) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			check("Intersects(l,r)", Intersects(p.l, p.r), p.inter)
			check("Intersects(r,l)", Intersects(p.r, p.l), p.inter)
			check("Includes(l,r)", Includes(p.l, p.r), p.lIncR)
			check("Includes(r,l)", Includes(p.r, p.l), p.rIncL)
			check("naiveIntersects(l,r)", naiveIntersects(p.l, p.r), p.inter)
			check("naiveIncludes(l,r)", naiveIncludes(p.l, p.r), p.lIncR)
			check("naiveIncludes(r,l)", naiveIncludes(p.r, p.l), p.rIncL)
			l, r := MustNew(p.l), MustNew(p.r)
			check("KeyExpr.Intersects", l.Intersects(r), p.inter)
			check("KeyExpr.Includes", l.Includes(r), p.lIncR)
		})
	}
}

// upstreamIntersections are the assertions of zenoh's
// commons/zenoh-keyexpr/src/key_expr/tests.rs `intersections`.
var upstreamIntersections = []struct {
	l, r string
	want bool
}{
	{"a", "a", true},
	{"a/b", "a/b", true},
	{"*", "abc", true},
	{"*", "xxx", true},
	{"ab$*", "abcd", true},
	{"ab$*d", "abcd", true},
	{"ab$*", "ab", true},
	{"ab/*", "ab", false},
	{"a/*/c/*/e", "a/b/c/d/e", true},
	{"a/$*b/c/$*d/e", "a/xb/c/xd/e", true},
	{"a/*/c/*/e", "a/c/e", false},
	{"a/*/c/*/e", "a/b/c/d/x/e", false},
	{"ab$*cd", "abxxcxxd", false},
	{"ab$*cd", "abxxcxxcd", true},
	{"ab$*cd", "abxxcxxcdx", false},
	{"**", "abc", true},
	{"**", "a/b/c", true},
	{"ab/**", "ab", true},
	{"**/xyz", "a/b/xyz/d/e/f/xyz", true},
	{"**/xyz$*xyz", "a/b/xyz/d/e/f/xyz", false},
	{"**/xyz$*xyz", "a/b/xyzdefxyz", true},
	{"a/**/c/**/e", "a/b/b/b/c/d/d/d/e", true},
	{"a/**/c/**/e", "a/c/e", true},
	{"a/**/c/*/e/*", "a/b/b/b/c/d/d/c/d/e/f", true},
	{"a/**/c/*/e/*", "a/b/b/b/c/d/d/c/d/d/e/f", false},
	{"x/abc", "x/abc", true},
	{"x/abc", "abc", false},
	{"x/*", "x/abc", true},
	{"x/*", "abc", false},
	{"*", "x/abc", false},
	{"x/*", "x/abc$*", true},
	{"x/$*abc", "x/abc$*", true},
	{"x/a$*", "x/abc$*", true},
	{"x/a$*de", "x/abc$*de", true},
	{"x/a$*d$*e", "x/a$*e", true},
	{"x/a$*d$*e", "x/a$*c$*e", true},
	{"x/a$*d$*e", "x/ade", true},
	{"x/c$*", "x/abc$*", false},
	{"x/$*d", "x/$*e", false},
	{"@a", "@a", true},
	{"@a", "@ab", false},
	{"@a", "@a/b", false},
	{"@a", "@a/*", false},
	{"@a", "@a/*/**", false},
	{"@a", "@a$*/**", false},
	{"@a", "@a/**", true},
	{"**/xyz$*xyz", "@a/b/xyzdefxyz", false},
	{"@a/**/c/**/e", "@a/b/b/b/c/d/d/d/e", true},
	{"@a/**/c/**/e", "@a/@b/b/b/c/d/d/d/e", false},
	{"@a/**/@c/**/e", "@a/b/b/b/@c/d/d/d/e", true},
	{"@a/**/e", "@a/b/b/d/d/d/e", true},
	{"@a/**/e", "@a/b/b/b/d/d/d/e", true},
	{"@a/**/e", "@a/b/b/c/d/d/d/e", true},
	{"@a/**/e", "@a/b/b/@c/b/d/d/d/e", false},
	{"@a/*", "@a/@b", false},
	{"@a/**", "@a/@b", false},
	{"@a/**/@b", "@a/@b", true},
	{"@a/@b/**", "@a/@b", true},
	{"@a/**/@c/**/@b", "@a/**/@c/@b", true},
	{"@a/**/@c/**/@b", "@a/@c/**/@b", true},
	{"@a/**/@c/@b", "@a/@c/**/@b", true},
	{"@a/**/@b", "@a/**/@c/**/@b", false},
	{"@a", "**/@a", true},
	// Ours: both sides growing, verbatim regions, `$*` on both sides.
	{"a/**/b/**", "**/c/**/b", true},
	{"a/**/b", "**/c/**", true},
	{"a/**/b", "c/**", false},
	{"**/a/@v/**/b", "x/**/@v/*", true},
	{"**/@v", "@v/**", true},
	{"**/@v/**", "**/@w/**", false},
	{"$*ab$*", "ba$*", true},
	{"ab$*", "$*ba", true},
	{"a$*b", "b$*a", false},
	{"a$*b$*c", "a$*c", true},
}

// upstreamInclusions are the assertions of tests.rs `inclusions`, then
// some of ours.
var upstreamInclusions = []struct {
	l, r string
	want bool
}{
	{"a", "a", true},
	{"a/b", "a/b", true},
	{"*", "abc", true},
	{"*", "xxx", true},
	{"ab$*", "abcd", true},
	{"ab$*d", "abcd", true},
	{"ab$*", "ab", true},
	{"ab/*", "ab", false},
	{"a/*/c/*/e", "a/b/c/d/e", true},
	{"a/$*b/c/$*d/e", "a/xb/c/xd/e", true},
	{"a/*/c/*/e", "a/c/e", false},
	{"a/*/c/*/e", "a/b/c/d/x/e", false},
	{"ab$*cd", "abxxcxxd", false},
	{"ab$*c$*d", "abxxcxxd", true},
	{"ab$*cd", "abxxcxxcd", true},
	{"ab$*cd", "abxxcxxcdx", false},
	{"**", "abc", true},
	{"**", "a/b/c", true},
	{"ab/**", "ab", true},
	{"**/xyz", "a/b/xyz/d/e/f/xyz", true},
	{"**/xyz$*xyz", "a/b/xyz/d/e/f/xyz", false},
	{"**/xyz$*xyz", "a/b/xyzdefxyz", true},
	{"a/**/c/**/e", "a/b/b/b/c/d/d/d/e", true},
	{"a/**/c/**/e", "a/c/e", true},
	{"a/**/c/*/e/*", "a/b/b/b/c/d/d/c/d/e/f", true},
	{"a/**/c/*/e/*", "a/b/b/b/c/d/d/c/d/d/e/f", false},
	{"ab$*cd", "abxxcxxcdx", false},
	{"x/abc", "x/abc", true},
	{"x/abc", "abc", false},
	{"x/*", "x/abc", true},
	{"x/*", "abc", false},
	{"*", "x/abc", false},
	{"x/*", "x/abc$*", true},
	{"x/$*abc", "x/abc$*", false},
	{"x/a$*", "x/abc$*", true},
	{"x/abc$*", "x/a$*", false},
	{"x/a$*de", "x/abc$*de", true},
	{"x/a$*e", "x/a$*d$*e", true},
	{"x/a$*d$*e", "x/a$*e", false},
	{"x/a$*d$*e", "x/a$*c$*e", false},
	{"x/a$*d$*e", "x/ade", true},
	{"x/c$*", "x/abc$*", false},
	{"x/$*c$*", "x/abc$*", true},
	{"x/$*d", "x/$*e", false},
	{"@a", "@a", true},
	{"@a", "@ab", false},
	{"@a", "@a/b", false},
	{"@a", "@a/*", false},
	{"@a", "@a/*/**", false},
	{"@a$*/**", "@a", false},
	{"@a", "@a/**", false},
	{"@a/**", "@a", true},
	{"**/xyz$*xyz", "@a/b/xyzdefxyz", false},
	{"@a/**/c/**/e", "@a/b/b/b/c/d/d/d/e", true},
	{"@a/*", "@a/@b", false},
	{"@a/**", "@a/@b", false},
	{"@a/**/@b", "@a/@b", true},
	{"@a/@b/**", "@a/@b", true},
	// Ours. The structural rule: a right `**` needs a left `**`.
	{"*/**", "**/a", false},
	{"**", "*/**", true},
	{"a/**", "a/*/**", true},
	{"a/*/**", "a/**", false},
	{"**/a/**", "b/**/a/*", true},
	{"**/a/**/b", "**/a/b", true},
	{"**/@v/**", "x/@v/y", true},
	{"**/@v/**", "x/@w/y", false},
	{"a$*a", "a", false},
	{"a$*a", "aa", true},
	{"a$*a", "a$*", false},
	{"$*a$*b$*", "xaybz$*", true},
	{"$*a$*b$*", "xbyaz", false},
	{"@a$*", "@a$*", true},
	{"@a$*", "@ab", false},
}

func TestUpstreamIntersections(t *testing.T) {
	for _, c := range upstreamIntersections {
		t.Run(c.l+"|"+c.r, func(t *testing.T) {
			for _, s := range []string{c.l, c.r} {
				if err := Validate(s); err != nil {
					t.Fatal(err)
				}
			}
			if got := Intersects(c.l, c.r); got != c.want {
				t.Errorf("Intersects(%q, %q) = %v, want %v", c.l, c.r, got, c.want)
			}
			if got := Intersects(c.r, c.l); got != c.want {
				t.Errorf("Intersects(%q, %q) = %v, want %v", c.r, c.l, got, c.want)
			}
			if got := naiveIntersects(c.l, c.r); got != c.want {
				t.Errorf("naiveIntersects(%q, %q) = %v, want %v", c.l, c.r, got, c.want)
			}
		})
	}
}

func TestUpstreamInclusions(t *testing.T) {
	for _, c := range upstreamInclusions {
		t.Run(c.l+"|"+c.r, func(t *testing.T) {
			for _, s := range []string{c.l, c.r} {
				if err := Validate(s); err != nil {
					t.Fatal(err)
				}
			}
			if got := Includes(c.l, c.r); got != c.want {
				t.Errorf("Includes(%q, %q) = %v, want %v", c.l, c.r, got, c.want)
			}
			if got := naiveIncludes(c.l, c.r); got != c.want {
				t.Errorf("naiveIncludes(%q, %q) = %v, want %v", c.l, c.r, got, c.want)
			}
		})
	}
}

// TestDifferential checks Intersects and Includes against the references
// of helpers_test.go on random small expressions and keys.
func TestDifferential(t *testing.T) {
	r := newRand(1)
	n := 30000
	if testing.Short() {
		n = 3000
	}
	var stats struct{ inter, inc, semantic, wild, verb, dollar int }
	for range n {
		a, b := genExpr(r, 5), genExpr(r, 5)
		if r.IntN(4) == 0 {
			b = genKey(r, 5)
		}
		if hasDoubleStar(a) && hasDoubleStar(b) {
			stats.wild++
		}
		if hasVerbatim(a) || hasVerbatim(b) {
			stats.verb++
		}
		if strings.Contains(a, "$*") && strings.Contains(b, "$*") {
			stats.dollar++
		}
		inter := Intersects(a, b)
		if want := naiveIntersects(a, b); inter != want {
			t.Fatalf("Intersects(%q, %q) = %v, naive says %v", a, b, inter, want)
		}
		if Intersects(b, a) != inter {
			t.Fatalf("Intersects(%q, %q) is not symmetric", a, b)
		}
		for _, p := range [2][2]string{{a, b}, {b, a}} {
			inc := Includes(p[0], p[1])
			if want := naiveIncludes(p[0], p[1]); inc != want {
				t.Fatalf("Includes(%q, %q) = %v, naive says %v", p[0], p[1], inc, want)
			}
			if inc && !inter {
				t.Fatalf("Includes(%q, %q) but they do not intersect", p[0], p[1])
			}
			// The structural answer is sound, and exact when the right
			// side has no `**`.
			sem := semanticIncludes(p[0], p[1])
			if inc && !sem || !hasDoubleStar(p[1]) && inc != sem {
				t.Fatalf("Includes(%q, %q) = %v, semantically %v", p[0], p[1], inc, sem)
			}
			if inc {
				stats.inc++
			}
			if sem != inc {
				stats.semantic++
			}
		}
		if inter {
			stats.inter++
		}
	}
	t.Logf("%d pairs: %d intersect, %d inclusions, %d structural≠semantic, %d with `**` both sides, %d with verbatim, %d with `$*` both sides",
		n, stats.inter, stats.inc, stats.semantic, stats.wild, stats.verb, stats.dollar)
}

// TestConcreteKeys checks that on a concrete key both relations reduce to
// matching, decided independently by package regexp.
func TestConcreteKeys(t *testing.T) {
	r := newRand(2)
	n := 3000
	if testing.Short() {
		n = 300
	}
	matches := 0
	for range n {
		e := genExpr(r, 4)
		re := keyRegexp(e)
		for range 20 {
			k := genKey(r, 5)
			want := regexpMatch(re, k)
			if got := Intersects(e, k); got != want {
				t.Fatalf("Intersects(%q, %q) = %v, regexp says %v", e, k, got, want)
			}
			if got := Includes(e, k); got != want {
				t.Fatalf("Includes(%q, %q) = %v, regexp says %v", e, k, got, want)
			}
			if want {
				matches++
			}
		}
	}
	t.Logf("%d matches out of %d", matches, n*20)
}

// TestChunkDifferential exercises the `$*` chunk code on its own, with
// longer chunks than TestDifferential.
func TestChunkDifferential(t *testing.T) {
	r := newRand(3)
	gen := func() string {
		for {
			var b strings.Builder
			for range 1 + r.IntN(7) {
				switch r.IntN(4) {
				case 0:
					b.WriteString("$*")
				case 1:
					b.WriteByte('a')
				case 2:
					b.WriteByte('b')
				default:
					b.WriteByte('c')
				}
			}
			if s, err := Canonize(b.String()); err == nil && s != "*" {
				return s
			}
		}
	}
	for range 50000 {
		a, b := gen(), gen()
		if got, want := chunkIntersects(a, b), naiveChunkInter(a, b); got != want {
			t.Fatalf("chunkIntersects(%q, %q) = %v, naive %v", a, b, got, want)
		}
		if got, want := chunkIncludes(a, b), naiveChunkInc(a, b); got != want {
			t.Fatalf("chunkIncludes(%q, %q) = %v, naive %v", a, b, got, want)
		}
	}
}

// TestNoPanicNonCanonical feeds arbitrary strings: answers are
// unspecified, but nothing may panic or hang.
func TestNoPanicNonCanonical(t *testing.T) {
	odd := []string{"", "/", "//", "**", "***", "a**", "**a", "$", "$*", "$*$*", "a$", "@", "a/", "/a", "a//b",
		"*/", "**/", "/**", "@/", "a$b", "a$b$*", "$*$", "**/**", "**/*", "a/**/**", "*$*", "@$*", "$$*"}
	for _, a := range odd {
		for _, b := range odd {
			Intersects(a, b)
			Includes(a, b)
			Join(a, b)
			Concat(a, b)
			Canonize(a + b)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	pairs := [][2]string{
		{"demo/example/**", "demo/example/zenoh-pico-pub"},
		{"a/*/c", "a/b/c"},
		{"a/**/c/**/e", "a/b/b/b/c/d/d/d/e"},
		{"@a/**/@c/**/@b", "@a/@c/**/@b"},
		{"x/a$*d$*e", "x/a$*c$*e"},
		{"a/**/b", "**/c/**"},
	}
	for _, p := range pairs {
		if n := testing.AllocsPerRun(100, func() { Intersects(p[0], p[1]) }); n != 0 {
			t.Errorf("Intersects(%q, %q): %v allocs", p[0], p[1], n)
		}
		if n := testing.AllocsPerRun(100, func() { Includes(p[0], p[1]) }); n != 0 {
			t.Errorf("Includes(%q, %q): %v allocs", p[0], p[1], n)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Validate("demo/example$*/**") }); n != 0 {
		t.Errorf("Validate: %v allocs", n)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = Canonize("demo/example$*/**") }); n != 0 {
		t.Errorf("Canonize of a canonical string: %v allocs", n)
	}
}

// TestWorstCase guards against the exponential backtracking a naive
// matcher shows on such pairs.
func TestWorstCase(t *testing.T) {
	l := strings.Repeat("**/a/", 30) + "b"
	r := strings.Repeat("a/", 200) + "c"
	if Intersects(l, r) || Includes(l, r) {
		t.Error("want no match")
	}
	l2 := strings.Repeat("**/$*a$*a$*a/", 20) + "**"
	r2 := strings.Repeat("aaab/", 100) + "**"
	for _, s := range []string{l, r, l2, r2} {
		if err := Validate(s); err != nil {
			t.Fatal(err)
		}
	}
	if !Intersects(l2, r2) {
		t.Error("want intersection")
	}
}

var benchPairs = []struct{ name, l, r string }{
	{"equal", "demo/example/zenoh-pico-pub", "demo/example/zenoh-pico-pub"},
	{"concrete-differ", "demo/example/zenoh-pico-pub", "demo/example/zenoh-pico-sub"},
	{"trailing-dstar", "demo/example/**", "demo/example/zenoh-pico-pub"},
	{"star", "a/*/c", "a/b/c"},
	{"mid-dstar", "fleet/**/temp", "fleet/robot42/sensor7/temp"},
	{"dollar", "fleet/robot$*/*/temp", "fleet/robot42/sensor7/temp"},
	{"dstar-both", "fleet/**/temp", "fleet/robot42/**"},
	{"verbatim", "@/*/router/**", "@/8f3a/router/linkstate/routers"},
	{"miss", "fleet/*/sensor7/hum", "fleet/robot42/sensor7/temp"},
}

func BenchmarkIntersects(b *testing.B) {
	for _, p := range benchPairs {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.l) + len(p.r)))
			for b.Loop() {
				Intersects(p.l, p.r)
			}
		})
	}
}

func BenchmarkIncludes(b *testing.B) {
	for _, p := range benchPairs {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(p.l) + len(p.r)))
			for b.Loop() {
				Includes(p.l, p.r)
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, s := range []string{"demo/example/zenoh-pico-pub", "fleet/robot$*/*/temp/**"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(s)))
			for b.Loop() {
				_ = Validate(s)
			}
		})
	}
}
