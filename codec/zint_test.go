package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(stripSpaces(s))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func stripSpaces(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\n' && c != '\t' {
			out = append(out, c)
		}
	}
	return string(out)
}

func TestZintExamples(t *testing.T) {
	// spec/transport.md section 1.1.
	cases := []struct {
		v   uint64
		hex string
	}{
		{0, "00"}, {127, "7f"}, {128, "8001"}, {300, "ac02"}, {16383, "ff7f"},
		{16384, "808001"}, {65535, "ffff03"}, {0x1234, "b424"}, {1<<28 - 1, "ffffff7f"},
		{1<<32 - 1, "ffffffff0f"}, {1 << 63, "808080808080808080"},
		{math.MaxUint64, "ffffffffffffffffff"}, {0x6650a3c1b3333333, "b3e6cc999bf8a8a866"},
	}
	for _, c := range cases {
		t.Run(c.hex, func(t *testing.T) {
			want := mustHex(t, c.hex)
			got := AppendZint(nil, c.v)
			if !bytes.Equal(got, want) {
				t.Fatalf("AppendZint(%d) = %x, want %x", c.v, got, want)
			}
			if ZintLen(c.v) != len(want) {
				t.Fatalf("ZintLen(%d) = %d, want %d", c.v, ZintLen(c.v), len(want))
			}
			v, n := Zint(append(want, 0xAA))
			if v != c.v || n != len(want) {
				t.Fatalf("Zint = %d,%d want %d,%d", v, n, c.v, len(want))
			}
		})
	}
}

func TestZintNonMinimalAndTruncated(t *testing.T) {
	if v, n := Zint([]byte{0x80, 0x00}); v != 0 || n != 2 {
		t.Fatalf("non-minimal 80 00 = %d,%d", v, n)
	}
	full := AppendZint(nil, math.MaxUint64)
	for i := 0; i < len(full); i++ {
		if _, n := Zint(full[:i]); n != 0 {
			t.Fatalf("truncated to %d bytes decoded n=%d", i, n)
		}
	}
}

func TestZintRandomRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var buf []byte
	for i := 0; i < 100000; i++ {
		v := rng.Uint64() >> (rng.IntN(64))
		buf = AppendZint(buf[:0], v)
		got, n := Zint(buf)
		if got != v || n != len(buf) || n != ZintLen(v) || n > MaxZintLen {
			t.Fatalf("round trip %d: got %d n=%d len=%d", v, got, n, len(buf))
		}
	}
}

func TestReaderBounds(t *testing.T) {
	r := reader{b: mustHex(t, "808004"), msg: "test"} // 65536
	if v := r.z16(); v != 0 || !errors.Is(r.err, ErrOverflow) {
		t.Fatalf("z16 of 65536: %d %v", v, r.err)
	}
	r = reader{b: []byte{5, 1, 2}, msg: "test"}
	if b := r.bytes(255); b != nil || !errors.Is(r.err, ErrTruncated) {
		t.Fatalf("bytes past the end: %x %v", b, r.err)
	}
	var e *Error
	if !errors.As(r.err, &e) || e.Msg != "test" || e.Off != 0 {
		t.Fatalf("error does not name message and offset: %#v", r.err)
	}
}

// naiveZint is the byte-by-byte reference decoder.
func naiveZint(src []byte) (v uint64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(src) {
			return 0, 0
		}
		b := src[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1
		}
	}
	if len(src) < 9 {
		return 0, 0
	}
	return v | uint64(src[8])<<56, 9
}

// TestZintDifferential compares Zint with the reference on random bytes
// of every length, and on encodings of random values with trailing bytes.
func TestZintDifferential(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for i := range 200000 {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, r.IntN(12))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
		} else {
			b = AppendZint(nil, r.Uint64()>>r.IntN(64))
			for range r.IntN(10) {
				b = append(b, byte(r.Uint32()))
			}
		}
		v, n := Zint(b)
		wv, wn := naiveZint(b)
		if v != wv || n != wn {
			t.Fatalf("Zint(%x) = %d, %d; want %d, %d", b, v, n, wv, wn)
		}
	}
}
