package keyexpr

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// validationCases: network.md §8.1's examples and zenoh's own
// test_keyexpr_new cases; a nil kind means valid.
var validationCases = []struct {
	s    string
	kind error
}{
	// Valid.
	{"demo/example/test", nil},
	{"demo/*", nil},
	{"demo/**", nil},
	{"demo/*/*/test", nil},
	{"demo/*/**/test", nil},
	{"demo/example$*/test", nil},
	{"demo/example$*-$*/test", nil},
	{"demo/example$*", nil},
	{"*", nil},
	{"**", nil},
	{"*/**", nil},
	{"**/a/**", nil},
	{"$*a", nil},
	{"a$*b$*c", nil},
	{"@", nil},
	{"@/8f3a/router", nil},
	{"a/@adv/b", nil},
	{"@a$*", nil},
	{"a@b", nil},
	{"é/ü$*/日本", nil},
	{"a b/!%&'()+,-.", nil},
	// LoneDollarStar (−1).
	{"a/$*/b", ErrLoneDollarStar},
	{"a/$*", ErrLoneDollarStar},
	{"demo/$*/test", ErrLoneDollarStar},
	{"demo/$*", ErrLoneDollarStar},
	{"$*", ErrLoneDollarStar},
	{"**/$*", ErrLoneDollarStar},
	// SingleStarAfterDoubleStar (−2).
	{"a/**/*", ErrSingleStarAfterDoubleStar},
	{"demo/**/*/test", ErrSingleStarAfterDoubleStar},
	{"**/*", ErrSingleStarAfterDoubleStar},
	// DoubleStarAfterDoubleStar (−3).
	{"a/**/**/b", ErrDoubleStarAfterDoubleStar},
	{"demo/**/**/test", ErrDoubleStarAfterDoubleStar},
	{"**/**", ErrDoubleStarAfterDoubleStar},
	// EmptyChunk (−4).
	{"", ErrEmptyChunk},
	{"/a", ErrEmptyChunk},
	{"a/", ErrEmptyChunk},
	{"a//b", ErrEmptyChunk},
	{"/", ErrEmptyChunk},
	{"/demo/example/test", ErrEmptyChunk},
	{"demo/example/test/", ErrEmptyChunk},
	{"demo//test", ErrEmptyChunk},
	{"*//a", ErrEmptyChunk},
	{"**//a", ErrEmptyChunk},
	{"a#/", ErrEmptyChunk}, // the trailing `/` is checked first
	// StarInChunk (−5).
	{"a*", ErrStarInChunk},
	{"*a", ErrStarInChunk},
	{"a/b*c", ErrStarInChunk},
	{"***", ErrStarInChunk},
	{"demo/exam*ple/test", ErrStarInChunk},
	{"**a", ErrStarInChunk},
	{"**/*a", ErrStarInChunk},
	{"**/***", ErrStarInChunk},
	{"**/*$*", ErrStarInChunk},
	{"$**", ErrStarInChunk},
	{"@*", ErrStarInChunk},
	{"a/b/*$*", ErrStarInChunk},
	{"a/b/**$*", ErrStarInChunk},
	// DollarAfterDollar (−6).
	{"a$*$*", ErrDollarAfterDollar},
	{"a$*$", ErrDollarAfterDollar},
	{"demo/example$*$/test", ErrDollarAfterDollar},
	{"demo/example$*$*/test", ErrDollarAfterDollar},
	{"$*$*", ErrDollarAfterDollar},
	// SharpOrQMark (−7).
	{"a#", ErrSharpOrQMark},
	{"a?b", ErrSharpOrQMark},
	{"demo/example#/test", ErrSharpOrQMark},
	{"demo/example?/test", ErrSharpOrQMark},
	{"a?/b*", ErrSharpOrQMark}, // the first problem met wins
	// UnboundDollar (−8).
	{"a/$/b", ErrUnboundDollar},
	{"a$b", ErrUnboundDollar},
	{"demo/$/test", ErrUnboundDollar},
	{"a$", ErrUnboundDollar},
	{"$", ErrUnboundDollar},
	// Not UTF-8.
	{"a/\xff", ErrInvalidUTF8},
	{"\xc3", ErrInvalidUTF8},
}

func TestValidate(t *testing.T) {
	for _, c := range validationCases {
		t.Run(c.s, func(t *testing.T) {
			err := Validate(c.s)
			if c.kind == nil {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want nil", c.s, err)
				}
				if k, err := New(c.s); err != nil || k.String() != c.s {
					t.Fatalf("New(%q) = %v, %v", c.s, k, err)
				}
			} else {
				if !errors.Is(err, c.kind) {
					t.Fatalf("Validate(%q) = %v, want %v", c.s, err, c.kind)
				}
				var e *Error
				if !errors.As(err, &e) || e.Expr != c.s || e.Off < 0 || e.Off > len(c.s) {
					t.Fatalf("Validate(%q) = %#v, want an *Error naming it", c.s, err)
				}
				if _, err := New(c.s); !errors.Is(err, c.kind) {
					t.Fatalf("New(%q) = %v, want %v", c.s, err, c.kind)
				}
			}
			if got := naiveValid(c.s); got != (c.kind == nil) {
				t.Fatalf("naiveValid(%q) = %v", c.s, got)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	err := Validate("demo/exam*ple/test")
	want := "keyexpr: `*` inside a chunk, use `$*`: \"demo/exam*ple/test\" at offset 9"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	long := strings.Repeat("a", 1000) + "#"
	if msg := Validate(long).Error(); len(msg) > 200 {
		t.Errorf("message for a long expression is %d bytes", len(msg))
	}
}

func TestCanonize(t *testing.T) {
	cases := []struct {
		in, out string
		kind    error
	}{
		// §8.1 and zenoh's canonizer test.
		{"hello/foo$*$*/bar", "hello/foo$*/bar", nil},
		{"hello/**/**/bye", "hello/**/bye", nil},
		{"hello/**/**", "hello/**", nil},
		{"hello/$*/bye", "hello/*/bye", nil},
		{"hello/$*$*/bye", "hello/*/bye", nil},
		{"$*/hello/$*/bye", "*/hello/*/bye", nil},
		{"$*$*$*/hello/$*/bye/$*", "*/hello/*/bye/*", nil},
		{"$*$*$*/hello/$*$*/bye/$*$*", "*/hello/*/bye/*", nil},
		{"hello/**/*", "hello/*/**", nil},
		{"a/$*/b", "a/*/b", nil},
		{"a/**/*/*", "a/*/*/**", nil},
		{"**/*/**/*", "*/*/**", nil},
		{"**/**/**", "**", nil},
		{"**/a/**/*", "**/a/*/**", nil},
		{"**/$*$*/a", "*/**/a", nil},
		{"a$*$*", "a$*", nil},
		{"a$*$*$*", "a$*", nil},
		{"a$*$*$*$*b", "a$*b", nil},
		{"$*$*a$*$*b$*$*", "$*a$*b$*", nil},
		// Already canonical.
		{"demo/example/**", "demo/example/**", nil},
		{"@a$*/*/**", "@a$*/*/**", nil},
		// Still invalid.
		{"", "", ErrEmptyChunk},
		{"/a/b/", "", ErrEmptyChunk},
		{"/a/b", "", ErrEmptyChunk},
		{"a/b/", "", ErrEmptyChunk},
		{"a//**/*", "", ErrEmptyChunk},
		{"a/b/*$*", "", ErrStarInChunk},
		{"a/b/$**", "", ErrStarInChunk},
		{"a/b/**$*", "", ErrStarInChunk},
		{"a/b/*$**", "", ErrStarInChunk},
		{"a/b/*$***", "", ErrStarInChunk},
		{"a/b/**$**", "", ErrStarInChunk},
		{"a/b/**$***", "", ErrStarInChunk},
		{"a$*$b", "", ErrDollarAfterDollar},
		{"a#/**/*", "", ErrSharpOrQMark},
		{"a/$", "", ErrUnboundDollar},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := Canonize(c.in)
			if !errors.Is(err, c.kind) || got != c.out {
				t.Fatalf("Canonize(%q) = %q, %v; want %q, %v", c.in, got, err, c.out, c.kind)
			}
			k, err := Autocanonize(c.in)
			if !errors.Is(err, c.kind) || k.String() != c.out {
				t.Fatalf("Autocanonize(%q) = %q, %v; want %q, %v", c.in, k, err, c.out, c.kind)
			}
		})
	}
}

func TestJoinConcat(t *testing.T) {
	joins := []struct {
		p, s, want string
		kind       error
	}{
		{"a", "b", "a/b", nil},
		{"a/**", "**/b", "a/**/b", nil},
		{"a/**", "*", "a/*/**", nil},
		{"a", "$*", "a/*", nil},
		{"some/workspace", "some/topic", "some/workspace/some/topic", nil},
		{"a", "", "", ErrEmptyChunk},
		{"a", "/b", "", ErrEmptyChunk},
		{"a", "b#", "", ErrSharpOrQMark},
	}
	for _, c := range joins {
		got, err := Join(c.p, c.s)
		if got != c.want || !errors.Is(err, c.kind) {
			t.Errorf("Join(%q, %q) = %q, %v; want %q, %v", c.p, c.s, got, err, c.want, c.kind)
		}
	}
	concats := []struct {
		p, s, want string
		kind       error
	}{
		{"a/b", "/c", "a/b/c", nil},
		{"a/", "b", "a/b", nil},
		{"a/b", "c$*", "a/bc$*", nil},
		{"", "a/*", "a/*", nil},
		{"a/*", "/b", "a/*/b", nil},
		{"a/*", "*/b", "", ErrStarConcat},
		{"a/$*", "*", "", ErrStarConcat},
		{"a", "/", "", ErrEmptyChunk},
		{"a/**", "/*", "", ErrSingleStarAfterDoubleStar},
		{"a/", "", "", ErrEmptyChunk},
	}
	for _, c := range concats {
		got, err := Concat(c.p, c.s)
		if got != c.want || !errors.Is(err, c.kind) {
			t.Errorf("Concat(%q, %q) = %q, %v; want %q, %v", c.p, c.s, got, err, c.want, c.kind)
		}
	}
	k := MustNew("a/**")
	if j, err := k.Join("**/b"); err != nil || j != MustNew("a/**/b") {
		t.Errorf("KeyExpr.Join = %v, %v", j, err)
	}
	if _, err := k.Join(""); err == nil {
		t.Error("KeyExpr.Join with empty suffix succeeded")
	}
	if j, err := MustNew("a").Concat("/b"); err != nil || j.String() != "a/b" {
		t.Errorf("KeyExpr.Concat = %v, %v", j, err)
	}
	if _, err := k.Concat("*"); !errors.Is(err, ErrStarConcat) {
		t.Errorf("KeyExpr.Concat(*) = %v", err)
	}
}

func TestKeyExpr(t *testing.T) {
	var zero KeyExpr
	if !zero.IsZero() || zero.String() != "" {
		t.Error("zero KeyExpr")
	}
	k := MustNew("demo/*/x")
	if k.IsZero() || !k.IsWild() || MustNew("demo/x").IsWild() || !MustNew("@a$*").IsWild() {
		t.Error("IsZero/IsWild")
	}
	if !IsVerbatimChunk("@") || !IsVerbatimChunk("@adv") || IsVerbatimChunk("a@") || IsVerbatimChunk("") {
		t.Error("IsVerbatimChunk")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNew of an invalid expression did not panic")
		}
	}()

	// Text round trip, through JSON.
	var v struct{ K KeyExpr }
	if err := json.Unmarshal([]byte(`{"K":"a/**"}`), &v); err != nil || v.K != MustNew("a/**") {
		t.Errorf("UnmarshalText: %v, %v", v.K, err)
	}
	if b, err := json.Marshal(v); err != nil || string(b) != `{"K":"a/**"}` {
		t.Errorf("MarshalText: %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"K":"a/**/**"}`), &v); !errors.Is(err, ErrDoubleStarAfterDoubleStar) {
		t.Errorf("UnmarshalText of a non-canonical expression: %v", err)
	}

	MustNew("a//b")
}
