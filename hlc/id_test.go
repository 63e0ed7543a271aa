package hlc

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestIDFromBytes(t *testing.T) {
	tests := []struct {
		name    string
		wire    []byte
		wantLen int
		wantErr error
	}{
		{"one byte", []byte{0x01}, 1, nil},
		{"sixteen bytes", bytes.Repeat([]byte{0xff}, 16), 16, nil},
		{"trailing zeros trimmed", []byte{0xc3, 0xb2, 0xa1, 0, 0}, 3, nil},
		{"inner zeros kept", []byte{0, 0, 0x01}, 3, nil},
		{"high byte only", append(make([]byte, 15), 0x01), 16, nil},
		{"empty", nil, 0, ErrIDLength},
		{"seventeen bytes", bytes.Repeat([]byte{0x01}, 17), 0, ErrIDLength},
		{"zero", []byte{0}, 0, ErrZeroID},
		{"sixteen zeros", make([]byte, 16), 0, ErrZeroID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := IDFromBytes(tt.wire)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("IDFromBytes(% x) error = %v, want %v", tt.wire, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := id.Len(); got != tt.wantLen {
				t.Errorf("Len = %d, want %d", got, tt.wantLen)
			}
			want := tt.wire[:tt.wantLen]
			if got := id.Bytes(); !bytes.Equal(got, want) {
				t.Errorf("Bytes = % x, want % x", got, want)
			}
			if got := id.AppendWire([]byte{0xee}); !bytes.Equal(got, append([]byte{0xee}, want...)) {
				t.Errorf("AppendWire = % x", got)
			}
			arr := id.Array()
			if !bytes.Equal(arr[:len(tt.wire)], tt.wire) || !bytes.Equal(arr[len(tt.wire):], make([]byte, 16-len(tt.wire))) {
				t.Errorf("Array = % x", arr)
			}
			// The input is copied.
			if len(tt.wire) > 0 {
				w := bytes.Clone(tt.wire)
				id2, _ := IDFromBytes(w)
				w[0] ^= 0xff
				if id2 != id {
					t.Error("IDFromBytes aliases its input")
				}
			}
		})
	}
}

func TestIDBytesIsACopy(t *testing.T) {
	id := mustID(t, 1, 2, 3)
	b := id.Bytes()
	b[0] = 9
	if id.Bytes()[0] != 1 {
		t.Error("Bytes aliases the ID")
	}
}

func TestIDString(t *testing.T) {
	tests := []struct {
		name string
		wire []byte
		want string
	}{
		{"spec example", []byte{0xc3, 0xb2, 0xa1}, "a1b2c3"},
		{"sequence", []byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
			0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}, "1f1e1d1c1b1a19181716151413121110"},
		{"one", []byte{0x01}, "1"},
		{"high nibble of top byte zero", []byte{0xc0, 0x1b}, "1bc0"},
		{"low byte zero", []byte{0x00, 0xff}, "ff00"},
		{"three digits", []byte{0xf0, 0x0f}, "ff0"},
		{"inner zero bytes", []byte{0x01, 0x00, 0x00, 0x02}, "2000001"},
		{"max", bytes.Repeat([]byte{0xff}, 16), strings.Repeat("f", 32)},
		{"high bit only", append(make([]byte, 15), 0x80), "8" + strings.Repeat("0", 31)},
		{"zero", make([]byte, 1), "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var id ID
			copy(id.b[:], tt.wire)
			if got := id.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
			if got := string(id.AppendTo([]byte("x"))); got != "x"+tt.want {
				t.Errorf("AppendTo = %q", got)
			}
			if id.IsZero() {
				return
			}
			back, err := ParseID(tt.want)
			if err != nil || back != id {
				t.Errorf("ParseID(%q) = %v, %v; want %v", tt.want, back, err, id)
			}
		})
	}
}

func TestParseIDErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"zero", "0"},
		{"leading zero", "0bcd"},
		{"thirty-three digits", "6bd9cb5f9f2644508fbbb0df1d6cce3a0"},
		{"uppercase", "ABCD"},
		{"mixed case", "aBcd"},
		{"plus sign", "+abc"},
		{"minus sign", "-1"},
		{"prefix", "0x1"},
		{"not hex", "xyz"},
		{"space", "ab cd"},
		{"slash", "1/2"},
		{"non-ASCII", "a\u00e9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseID(tt.in)
			if !errors.Is(err, ErrIDSyntax) {
				t.Errorf("ParseID(%q) = %v, %v; want ErrIDSyntax", tt.in, id, err)
			}
			if id != (ID{}) {
				t.Errorf("ParseID(%q) returned non-zero ID %v on error", tt.in, id)
			}
		})
	}
}

func TestIDCompare(t *testing.T) {
	tests := []struct {
		name string
		a, b []byte // wire bytes
		want int
	}{
		{"equal", []byte{1, 2, 3}, []byte{1, 2, 3}, 0},
		{"first byte decides", []byte{1, 9}, []byte{2, 1}, -1},
		// Least significant byte first: 0x0201 (01 02) sorts before
		// 0x0102 (02 01), though numerically greater.
		{"not numeric order", []byte{0x02, 0x01}, []byte{0x01, 0x02}, 1},
		{"shorter is zero padded", []byte{1}, []byte{1, 1}, -1},
		{"second half decides", append(bytes.Repeat([]byte{7}, 8), 1), append(bytes.Repeat([]byte{7}, 8), 2), -1},
		{"last byte decides", append(bytes.Repeat([]byte{7}, 15), 0xff), append(bytes.Repeat([]byte{7}, 15), 0xfe), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustID(t, tt.a...), mustID(t, tt.b...)
			if got := a.Compare(b); got != tt.want {
				t.Errorf("Compare = %d, want %d", got, tt.want)
			}
			if got := b.Compare(a); got != -tt.want {
				t.Errorf("reverse Compare = %d, want %d", got, -tt.want)
			}
			arrA, arrB := a.Array(), b.Array()
			if got := bytes.Compare(arrA[:], arrB[:]); got != tt.want {
				t.Errorf("bytes.Compare of arrays = %d, want %d", got, tt.want)
			}
		})
	}
}

// zeroThenReader yields zeros for its first n bytes, then bytes of r.
type zeroThenReader struct {
	n int
	r io.Reader
}

func (z *zeroThenReader) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return z.r.Read(p)
	}
	k := min(len(p), z.n)
	clear(p[:k])
	z.n -= k
	return k, nil
}

func TestNewRandomID(t *testing.T) {
	t.Run("crypto/rand", func(t *testing.T) {
		a, err := NewRandomID(rand.Reader)
		if err != nil || a.IsZero() {
			t.Fatalf("NewRandomID = %v, %v", a, err)
		}
		b, _ := NewRandomID(rand.Reader)
		if a == b {
			t.Errorf("two random IDs are equal: %v", a)
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		src := bytes.NewReader([]byte{0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
			0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f})
		id, err := NewRandomID(src)
		if err != nil || id != seqID(t) {
			t.Errorf("NewRandomID = %v, %v; want %v", id, err, seqID(t))
		}
	})
	t.Run("retries zero", func(t *testing.T) {
		id, err := NewRandomID(&zeroThenReader{n: 32, r: bytes.NewReader(bytes.Repeat([]byte{1}, 16))})
		if err != nil || id != mustID(t, bytes.Repeat([]byte{1}, 16)...) {
			t.Errorf("NewRandomID = %v, %v", id, err)
		}
	})
	t.Run("always zero", func(t *testing.T) {
		_, err := NewRandomID(&zeroThenReader{n: 1 << 20})
		if !errors.Is(err, ErrZeroID) {
			t.Errorf("NewRandomID error = %v, want ErrZeroID", err)
		}
	})
	t.Run("short reader", func(t *testing.T) {
		_, err := NewRandomID(bytes.NewReader([]byte{1, 2, 3}))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("NewRandomID error = %v, want io.ErrUnexpectedEOF", err)
		}
	})
}
