package keyexpr

import (
	"strings"
	"unicode/utf8"
)

// Validate reports whether s is a canonical key expression (network.md
// §8.1). It returns nil, or an *Error wrapping one of the sentinels. It
// accepts and rejects exactly what zenoh's keyexpr::new does, and on a
// string with several problems reports the same kind zenoh would: the
// first one met scanning left to right, except that an empty expression
// or a trailing `/` is always ErrEmptyChunk. Bytes that are not UTF-8
// give ErrInvalidUTF8.
//
// Validate does not allocate unless it fails.
func Validate(s string) error {
	if kind, off := check(s); kind != nil {
		return &Error{Expr: s, Off: off, Err: kind}
	}
	return nil
}

// check is Validate without the allocation: the sentinel and its offset.
func check(s string) (error, int) {
	n := len(s)
	if n == 0 {
		return ErrEmptyChunk, 0
	}
	if s[n-1] == '/' {
		return ErrEmptyChunk, n - 1
	}
	if !utf8.ValidString(s) {
		return ErrInvalidUTF8, firstInvalidUTF8(s)
	}
	start := 0 // offset of the current chunk's first byte
	for i := 0; i < n; {
		c := s[i]
		// Every special character is at most '/', except '?'.
		if c > '/' && c != '?' {
			i++
			continue
		}
		switch c {
		case '/':
			if i == start {
				return ErrEmptyChunk, i
			}
			i++
			start = i
		case '*':
			if i != start {
				return ErrStarInChunk, i
			}
			// A chunk starting with '*' must be `*` or `**`.
			if i+1 == n {
				return nil, 0
			}
			switch s[i+1] {
			case '/':
				i += 2
				start = i
			case '*':
				if i+2 == n {
					return nil, 0
				}
				if s[i+2] != '/' {
					return ErrStarInChunk, i + 2
				}
				// s does not end with '/', so a chunk follows.
				if s[i+3] == '*' {
					return afterDoubleStar(s, i+3)
				}
				i += 3
				start = i
			default:
				return ErrStarInChunk, i + 1
			}
		case '$':
			if i+1 == n || s[i+1] != '*' {
				return ErrUnboundDollar, i
			}
			if i+2 == n {
				if i == start {
					return ErrLoneDollarStar, i
				}
				return nil, 0
			}
			switch s[i+2] {
			case '$':
				return ErrDollarAfterDollar, i + 2
			case '/':
				if i == start {
					return ErrLoneDollarStar, i
				}
			}
			i += 2
		case '#', '?':
			return ErrSharpOrQMark, i
		default:
			i++
		}
	}
	return nil, 0
}

// afterDoubleStar classifies a chunk starting with '*' at s[i] that follows
// a `**` chunk: `*` and `**` have their own error kinds, anything else is a
// star inside a chunk.
func afterDoubleStar(s string, i int) (error, int) {
	rest := s[i:]
	switch {
	case rest == "*" || strings.HasPrefix(rest, "*/"):
		return ErrSingleStarAfterDoubleStar, i
	case rest == "**" || strings.HasPrefix(rest, "**/"):
		return ErrDoubleStarAfterDoubleStar, i
	}
	return ErrStarInChunk, i
}

func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// Canonize returns the canonical form of s (autocanonization, network.md
// §8.1): runs of `$*` inside a chunk become one `$*`, a chunk that is only
// `$*` becomes `*`, runs of `**` chunks become one, and `**/*` becomes
// `*/**` (repeatedly, so `**/*/*` gives `*/*/**`). The result is then
// validated; other problems (empty chunks, `#`, a stray `*` or `$`) are
// reported as by Validate.
//
// A string that is already canonical is returned as is, without
// allocating. Canonization is an API convenience: expressions received
// from the network must already be canonical.
func Canonize(s string) (string, error) {
	if kind, _ := check(s); kind == nil {
		return s, nil
	}
	c := canonize(s)
	if err := Validate(c); err != nil {
		return "", err
	}
	return c, nil
}

// canonize applies the rewriting rules of Canonize without validating.
func canonize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	first := true
	emit := func(chunk string) {
		if !first {
			b.WriteByte('/')
		}
		first = false
		b.WriteString(chunk)
	}
	pendingDouble := false // a `**` was seen and not yet written
	for rest, more := s, true; more; {
		var chunk string
		chunk, rest, more = strings.Cut(rest, "/")
		chunk = collapseDollarStars(chunk)
		if chunk == "$*" {
			chunk = "*"
		}
		switch chunk {
		case "**":
			pendingDouble = true
		case "*":
			// Written before any pending `**`: `**/*` is `*/**`.
			emit(chunk)
		default:
			if pendingDouble {
				emit("**")
				pendingDouble = false
			}
			emit(chunk)
		}
	}
	if pendingDouble {
		emit("**")
	}
	return b.String()
}

// collapseDollarStars replaces every run of consecutive `$*` in chunk by a
// single `$*`.
func collapseDollarStars(chunk string) string {
	if !strings.Contains(chunk, "$*$*") {
		return chunk
	}
	var b strings.Builder
	b.Grow(len(chunk))
	afterDS := false
	for i := 0; i < len(chunk); {
		if strings.HasPrefix(chunk[i:], "$*") {
			if !afterDS {
				b.WriteString("$*")
			}
			afterDS = true
			i += 2
			continue
		}
		b.WriteByte(chunk[i])
		afterDS = false
		i++
	}
	return b.String()
}
