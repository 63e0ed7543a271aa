package keyexpr

import (
	"errors"
	"strconv"
)

// Sentinel errors. The first eight are the canon-form error kinds of
// network.md §8.1, in the order of zenoh's KeyExprError (codes −1 to −8,
// shared with zenoh-pico's zp_keyexpr_canon_status_t). Validate returns
// them inside an *Error, so callers test with errors.Is.
var (
	// ErrLoneDollarStar: a chunk is exactly `$*` (canonical form is `*`).
	ErrLoneDollarStar = errors.New("keyexpr: lone `$*` chunk, use `*`")
	// ErrSingleStarAfterDoubleStar: `**/*` (canonical form is `*/**`).
	ErrSingleStarAfterDoubleStar = errors.New("keyexpr: `**/*` is not canonical, use `*/**`")
	// ErrDoubleStarAfterDoubleStar: `**/**` (canonical form is `**`).
	ErrDoubleStarAfterDoubleStar = errors.New("keyexpr: `**/**` is not canonical, use `**`")
	// ErrEmptyChunk: the expression is empty, or has a leading, trailing
	// or doubled `/`.
	ErrEmptyChunk = errors.New("keyexpr: empty chunk")
	// ErrStarInChunk: a `*` that is neither a whole `*` or `**` chunk nor
	// part of `$*`.
	ErrStarInChunk = errors.New("keyexpr: `*` inside a chunk, use `$*`")
	// ErrDollarAfterDollar: `$*` directly followed by `$` (`$*$*` must be
	// written `$*`).
	ErrDollarAfterDollar = errors.New("keyexpr: `$` after `$*`")
	// ErrSharpOrQMark: the forbidden characters `#` and `?`.
	ErrSharpOrQMark = errors.New("keyexpr: forbidden character `#` or `?`")
	// ErrUnboundDollar: a `$` not followed by `*`.
	ErrUnboundDollar = errors.New("keyexpr: `$` not followed by `*`")

	// ErrInvalidUTF8: the expression is not valid UTF-8. Rust rejects such
	// bytes while decoding the string, before looking at the grammar.
	ErrInvalidUTF8 = errors.New("keyexpr: invalid UTF-8")
	// ErrStarConcat: Concat was asked to glue a prefix ending with `*` to a
	// suffix starting with `*`, which zenoh's KeyExpr::concat refuses.
	ErrStarConcat = errors.New("keyexpr: concatenation of `*` with `*`")
)

// maxQuoted bounds how much of an offending expression an Error prints;
// expressions come from the network and may be long.
const maxQuoted = 64

// Error is a rejected key expression: which one, at which byte offset the
// problem was found, and why (Err, one of the sentinels above).
type Error struct {
	Expr string // the expression as given
	Off  int    // byte offset of the offending character
	Err  error  // sentinel
}

func (e *Error) Error() string {
	s := e.Expr
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return e.Err.Error() + ": " + strconv.Quote(s) + " at offset " + strconv.Itoa(e.Off)
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
