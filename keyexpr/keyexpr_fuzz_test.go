package keyexpr

import (
	"errors"
	"strings"
	"testing"
)

var sentinels = []error{
	ErrLoneDollarStar, ErrSingleStarAfterDoubleStar, ErrDoubleStarAfterDoubleStar, ErrEmptyChunk,
	ErrStarInChunk, ErrDollarAfterDollar, ErrSharpOrQMark, ErrUnboundDollar, ErrInvalidUTF8,
}

func seedExprs(f *testing.F, add func(string)) {
	for _, c := range validationCases {
		add(c.s)
	}
	for _, p := range specPairs {
		add(p.l)
		add(p.r)
	}
}

// FuzzValidate: Validate agrees with the chunk-wise reference, names a
// known sentinel, and a valid expression is its own canonical form and
// intersects and includes itself.
func FuzzValidate(f *testing.F) {
	seedExprs(f, func(s string) { f.Add(s) })
	f.Fuzz(func(t *testing.T, s string) {
		err := Validate(s)
		if valid := err == nil; valid != naiveValid(s) {
			t.Fatalf("Validate(%q) = %v, reference says valid=%v", s, err, !valid)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Expr != s || e.Off < 0 || e.Off > len(s) {
				t.Fatalf("Validate(%q) = %#v", s, err)
			}
			known := false
			for _, k := range sentinels {
				known = known || errors.Is(err, k)
			}
			if !known {
				t.Fatalf("Validate(%q) = %v: unknown kind", s, err)
			}
			return
		}
		if c, err := Canonize(s); err != nil || c != s {
			t.Fatalf("Canonize(%q) = %q, %v", s, c, err)
		}
		if !Intersects(s, s) || !Includes(s, s) {
			t.Fatalf("%q does not intersect or include itself", s)
		}
		if got, want := Includes("**", s), !hasVerbatim(s); got != want {
			t.Fatalf("Includes(**, %q) = %v", s, got)
		}
		if got, want := Intersects("**", s), !hasVerbatim(s); got != want {
			t.Fatalf("Intersects(**, %q) = %v", s, got)
		}
		var tr Tree[int]
		if err := tr.Insert(s, 1); err != nil {
			t.Fatal(err)
		}
		for _, visit := range []func(string, func(string, int) bool){tr.Intersecting, tr.Including} {
			n := 0
			visit(s, func(string, int) bool { n++; return true })
			if n != 1 {
				t.Fatalf("Tree holding only %q finds it %d times", s, n)
			}
		}
	})
}

// FuzzCanonize: Canonize yields a valid fixed point, and fails exactly
// when its rewriting does not give a valid expression.
func FuzzCanonize(f *testing.F) {
	seedExprs(f, func(s string) { f.Add(s) })
	for _, s := range []string{"**/*/**/*", "$*$*$*/a/$*$*", "a$*$*$*$*b", "**/**/$*/**"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Canonize(s)
		if err != nil {
			if c != "" {
				t.Fatalf("Canonize(%q) = %q with error %v", s, c, err)
			}
			if Validate(s) == nil {
				t.Fatalf("Canonize(%q) failed on a valid expression: %v", s, err)
			}
			return
		}
		if err := Validate(c); err != nil {
			t.Fatalf("Canonize(%q) = %q, invalid: %v", s, c, err)
		}
		if c2, err := Canonize(c); err != nil || c2 != c {
			t.Fatalf("Canonize not idempotent: %q → %q → %q, %v", s, c, c2, err)
		}
		if Validate(s) == nil && c != s {
			t.Fatalf("Canonize changed the valid %q into %q", s, c)
		}
		// Canonization only rewrites wildcards.
		if strings.Count(c, "/") > strings.Count(s, "/") {
			t.Fatalf("Canonize(%q) = %q added chunks", s, c)
		}
	})
}

// FuzzIntersects: on valid expressions, Intersects is symmetric, Includes
// implies Intersects, and both agree with the references of
// helpers_test.go when the inputs are small enough for them. Invalid
// input must not panic.
func FuzzIntersects(f *testing.F) {
	for _, p := range specPairs {
		f.Add(p.l, p.r)
	}
	for _, p := range upstreamIntersections {
		f.Add(p.l, p.r)
	}
	for _, p := range upstreamInclusions {
		f.Add(p.l, p.r)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		inter, incAB, incBA := Intersects(a, b), Includes(a, b), Includes(b, a)
		if Validate(a) != nil || Validate(b) != nil {
			return
		}
		if Intersects(b, a) != inter {
			t.Fatalf("Intersects(%q, %q) = %v, not symmetric", a, b, inter)
		}
		if incAB && !inter || incBA && !inter {
			t.Fatalf("%q, %q: includes %v/%v but intersects %v", a, b, incAB, incBA, inter)
		}
		if len(a)+len(b) > 200 {
			return // keep the references quick
		}
		if want := naiveIntersects(a, b); inter != want {
			t.Fatalf("Intersects(%q, %q) = %v, reference says %v", a, b, inter, want)
		}
		if want := naiveIncludes(a, b); incAB != want {
			t.Fatalf("Includes(%q, %q) = %v, reference says %v", a, b, incAB, want)
		}
		if want := naiveIncludes(b, a); incBA != want {
			t.Fatalf("Includes(%q, %q) = %v, reference says %v", b, a, incBA, want)
		}
	})
}
