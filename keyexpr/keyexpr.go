package keyexpr

import "strings"

// KeyExpr is a validated, canonical key expression. The zero value is the
// invalid empty expression; test it with IsZero. KeyExpr values are
// comparable and may be used as map keys: two KeyExprs are equal exactly
// when their strings are.
type KeyExpr struct {
	s string
}

// New returns s as a KeyExpr if it is canonical, or the error of Validate.
func New(s string) (KeyExpr, error) {
	if err := Validate(s); err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{s}, nil
}

// MustNew is New for constants and tests: it panics if s is not
// canonical. Never call it on input from the network or a user.
func MustNew(s string) KeyExpr {
	k, err := New(s)
	if err != nil {
		panic(err)
	}
	return k
}

// Autocanonize returns the canonical form of s as a KeyExpr (see
// Canonize).
func Autocanonize(s string) (KeyExpr, error) {
	c, err := Canonize(s)
	if err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{c}, nil
}

// String returns the expression.
func (k KeyExpr) String() string { return k.s }

// IsZero reports whether k is the zero KeyExpr.
func (k KeyExpr) IsZero() bool { return k.s == "" }

// IsWild reports whether k holds a wildcard (see the function IsWild).
func (k KeyExpr) IsWild() bool { return IsWild(k.s) }

// Intersects reports whether k and o match at least one common key.
func (k KeyExpr) Intersects(o KeyExpr) bool { return Intersects(k.s, o.s) }

// Includes reports whether every key matched by o is matched by k.
func (k KeyExpr) Includes(o KeyExpr) bool { return Includes(k.s, o.s) }

// Join returns k and suffix joined by `/`, canonized (see Join).
func (k KeyExpr) Join(suffix string) (KeyExpr, error) {
	s, err := Join(k.s, suffix)
	if err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{s}, nil
}

// Concat returns k immediately followed by suffix (see Concat).
func (k KeyExpr) Concat(suffix string) (KeyExpr, error) {
	s, err := Concat(k.s, suffix)
	if err != nil {
		return KeyExpr{}, err
	}
	return KeyExpr{s}, nil
}

// MarshalText implements encoding.TextMarshaler.
func (k KeyExpr) MarshalText() ([]byte, error) { return []byte(k.s), nil }

// UnmarshalText implements encoding.TextUnmarshaler. It requires canonical
// text, as New does.
func (k *KeyExpr) UnmarshalText(text []byte) error {
	n, err := New(string(text))
	if err != nil {
		return err
	}
	*k = n
	return nil
}

// IsWild reports whether s holds a wildcard: a `*`, `**` or `$*`. As in
// zenoh, that is any `*` character, so a verbatim chunk such as `@a$*`
// (which only matches itself) counts as well.
func IsWild(s string) bool { return strings.IndexByte(s, '*') >= 0 }

// IsVerbatimChunk reports whether chunk is verbatim: it starts with `@`,
// and is matched only by an identical chunk, never by `*`, `**` or `$*`
// (network.md §8.1). The admin space `@/…` rests on this.
func IsVerbatimChunk(chunk string) bool { return isVerbatim(chunk) }

// Join returns prefix and suffix joined by a `/`, then canonized, as
// zenoh's keyexpr::join: Join("a/**", "**/b") is "a/**/b". Use it to build
// expressions out of path segments.
func Join(prefix, suffix string) (string, error) {
	return Canonize(prefix + "/" + suffix)
}

// Concat returns prefix immediately followed by suffix, with no `/`
// inserted and no canonization; the result must be canonical. Like
// zenoh's KeyExpr::concat it refuses (ErrStarConcat) a prefix ending with
// `*` glued to a suffix starting with `*`, which would silently make a
// `**` or an invalid chunk.
//
// A WireExpr's suffix is appended to its declared prefix the same way,
// except that zenoh's router does not apply the `*` rule; code resolving
// WireExprs should use Validate(prefix + suffix) to match it.
func Concat(prefix, suffix string) (string, error) {
	s := prefix + suffix
	if strings.HasSuffix(prefix, "*") && strings.HasPrefix(suffix, "*") {
		return "", &Error{Expr: s, Off: len(prefix), Err: ErrStarConcat}
	}
	if err := Validate(s); err != nil {
		return "", err
	}
	return s, nil
}
