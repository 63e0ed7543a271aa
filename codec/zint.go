package codec

import (
	"encoding/binary"
	"math/bits"
)

// MaxZintLen is the longest encoding of a zint: 8 bytes of 7 bits and a
// 9th byte that carries 8 bits (spec/transport.md section 1.1).
const MaxZintLen = 9

// AppendZint appends v as a zint: little-endian groups of 7 bits, at most 9
// bytes, the 9th byte holding the top 8 bits whole. It always writes the
// minimal form.
func AppendZint(dst []byte, v uint64) []byte {
	if v < 0x80 {
		return append(dst, byte(v))
	}
	for i := 0; i < 8; i++ {
		if v < 0x80 {
			return append(dst, byte(v))
		}
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// ZintLen is the number of bytes AppendZint writes for v.
func ZintLen(v uint64) int {
	if v < 1<<56 {
		// 1 byte per started group of 7 bits, at least one.
		return (bits.Len64(v|1) + 6) / 7
	}
	return 9
}

// Zint decodes one zint from the start of src. It returns the value and the
// number of bytes read; n == 0 means src ended before the zint did.
// Non-minimal encodings are accepted, as zenoh accepts them.
func Zint(src []byte) (v uint64, n int) {
	if len(src) >= 8 {
		return zint8(src)
	}
	for i := 0; i < len(src); i++ {
		b := src[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// zint8 decodes a zint from at least 8 bytes without a loop: the first
// byte with its high bit clear ends the value, and the 7-bit groups
// before it are packed together.
func zint8(src []byte) (uint64, int) {
	x := binary.LittleEndian.Uint64(src)
	stops := ^x & 0x8080808080808080
	if stops == 0 { // 9 bytes: the ninth carries 8 bits
		if len(src) < 9 {
			return 0, 0
		}
		return pack7(x) | uint64(src[8])<<56, 9
	}
	n := bits.TrailingZeros64(stops)/8 + 1
	if n < 8 {
		x &= 1<<(8*n) - 1
	}
	return pack7(x), n
}

// pack7 packs the low 7 bits of each of x's 8 bytes into 56 bits.
func pack7(x uint64) uint64 {
	return x&0x7f | x>>1&(0x7f<<7) | x>>2&(0x7f<<14) | x>>3&(0x7f<<21) |
		x>>4&(0x7f<<28) | x>>5&(0x7f<<35) | x>>6&(0x7f<<42) | x>>7&(0x7f<<49)
}
