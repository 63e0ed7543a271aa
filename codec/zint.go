package codec

import "math/bits"

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
