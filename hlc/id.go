package hlc

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// ID is a ZenohId: a non-zero 128-bit unsigned integer, stored as its
// 16-byte little-endian representation (spec/transport.md section 1.3).
// ID is a comparable value type, usable as a map key. The zero ID is
// invalid on the wire.
type ID struct {
	b [16]byte
}

// IDFromBytes builds an ID from its little-endian wire bytes (1..16 of
// them; trailing zero bytes are allowed and ignored). It copies b.
func IDFromBytes(b []byte) (ID, error) {
	var id ID
	if len(b) == 0 || len(b) > 16 {
		return id, ErrIDLength
	}
	copy(id.b[:], b)
	if id.IsZero() {
		return id, ErrZeroID
	}
	return id, nil
}

// IsZero reports whether id is the (invalid) zero ID.
func (id ID) IsZero() bool { return id == ID{} }

// Len is the canonical wire length: 16 minus the number of high-order
// zero bytes. It is 0 only for the zero ID.
func (id ID) Len() int {
	lo := uint64(id.b[0]) | uint64(id.b[1])<<8 | uint64(id.b[2])<<16 | uint64(id.b[3])<<24 |
		uint64(id.b[4])<<32 | uint64(id.b[5])<<40 | uint64(id.b[6])<<48 | uint64(id.b[7])<<56
	hi := uint64(id.b[8]) | uint64(id.b[9])<<8 | uint64(id.b[10])<<16 | uint64(id.b[11])<<24 |
		uint64(id.b[12])<<32 | uint64(id.b[13])<<40 | uint64(id.b[14])<<48 | uint64(id.b[15])<<56
	if hi != 0 {
		return 16 - bits.LeadingZeros64(hi)/8
	}
	return 8 - bits.LeadingZeros64(lo)/8
}

// Bytes returns the canonical little-endian wire bytes (Len of them).
// The slice is a fresh copy.
func (id ID) Bytes() []byte {
	b := id.b
	return b[:id.Len()]
}

// Array returns the full 16-byte little-endian representation.
func (id ID) Array() [16]byte { return id.b }

// AppendWire appends the canonical wire bytes of id to dst.
func (id ID) AppendWire(dst []byte) []byte { return append(dst, id.b[:id.Len()]...) }

// Compare orders IDs the way zenoh does: as their 16-byte little-endian
// arrays compared lexicographically from byte 0, i.e. least significant
// byte first (spec/transport.md section 1.3). This is not numeric order:
// ID 0x0102 (bytes 02 01) sorts after ID 0x0201 (bytes 01 02).
// It returns -1, 0 or +1.
func (id ID) Compare(other ID) int {
	a, b := binary.BigEndian.Uint64(id.b[:8]), binary.BigEndian.Uint64(other.b[:8])
	if a == b {
		a, b = binary.BigEndian.Uint64(id.b[8:]), binary.BigEndian.Uint64(other.b[8:])
	}
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxIDDigits is the most hex digits an ID text can have (128 bits).
const maxIDDigits = 32

const hexDigits = "0123456789abcdef"

// String returns the ID as zenoh prints it: the 128-bit integer in
// lowercase hex, most significant digit first, without leading zeros. That
// is the wire bytes in reverse order (wire c3 b2 a1 prints as "a1b2c3").
// The zero ID prints as "0", which ParseID rejects.
func (id ID) String() string {
	var buf [maxIDDigits]byte
	return string(id.AppendTo(buf[:0]))
}

// AppendTo appends the String form of id to dst.
func (id ID) AppendTo(dst []byte) []byte {
	started := false
	for i := len(id.b) - 1; i >= 0; i-- {
		c := id.b[i]
		if !started {
			if c == 0 {
				continue
			}
			started = true
			if c < 0x10 {
				dst = append(dst, hexDigits[c])
				continue
			}
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
	}
	if !started {
		dst = append(dst, '0')
	}
	return dst
}

// ParseID parses the String form of an ID: 1 to 32 lowercase hex digits,
// the first of which is not '0' (so the zero ID never parses). It accepts
// exactly what zenoh accepts for a ZenohId: uppercase digits and signs
// are rejected.
func ParseID(s string) (ID, error) {
	var id ID
	switch {
	case s == "":
		return id, fmt.Errorf("%w: empty", ErrIDSyntax)
	case len(s) > maxIDDigits:
		return id, fmt.Errorf("%w %s: more than %d digits", ErrIDSyntax, snippet(s), maxIDDigits)
	case s[0] == '0':
		return id, fmt.Errorf("%w %s: leading zero", ErrIDSyntax, snippet(s))
	}
	// Digit i from the right is nibble i of the little-endian integer.
	for i := 0; i < len(s); i++ {
		c := s[len(s)-1-i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		default:
			return ID{}, fmt.Errorf("%w %s: %q is not a lowercase hex digit", ErrIDSyntax, snippet(s), c)
		}
		id.b[i/2] |= v << (4 * (i & 1))
	}
	return id, nil
}

// maxRandomTries bounds NewRandomID's retries when r yields a zero ID, so a
// broken reader (all zeros) returns an error instead of looping forever.
const maxRandomTries = 4

// NewRandomID returns an ID made of 16 bytes read from r, typically
// crypto/rand.Reader, as zenoh does for a node's ZenohId. It retries if the
// bytes are all zero.
func NewRandomID(r io.Reader) (ID, error) {
	var id ID
	for range maxRandomTries {
		if _, err := io.ReadFull(r, id.b[:]); err != nil {
			return ID{}, fmt.Errorf("hlc: reading random id: %w", err)
		}
		if !id.IsZero() {
			return id, nil
		}
	}
	return ID{}, ErrZeroID
}
