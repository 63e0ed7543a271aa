package codec

import "github.com/gozenoh/zenoh/hlc"

// reader is the decoders' cursor over one input slice. Its error is
// sticky: after the first failure every read returns a zero value, so a
// decoder checks r.err once before it hands out results. Slices it returns
// alias the input.
type reader struct {
	b   []byte
	off int
	msg string // what is being decoded, for error messages
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = &Error{Msg: r.msg, Off: r.off, Err: err}
	}
}

func (r *reader) failExt(err error, h byte) {
	if r.err == nil {
		r.err = &Error{Msg: r.msg, Off: r.off, Err: err, Ext: h}
	}
}

func (r *reader) failf(off int, err error) {
	if r.err == nil {
		r.err = &Error{Msg: r.msg, Off: off, Err: err}
	}
}

func (r *reader) len() int { return len(r.b) - r.off }

func (r *reader) u8() byte {
	if r.off >= len(r.b) {
		r.fail(ErrTruncated)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) peek() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	return r.b[r.off], true
}

func (r *reader) zint() uint64 {
	if r.off < len(r.b) {
		if c := r.b[r.off]; c < 0x80 {
			r.off++
			return uint64(c)
		}
	}
	v, n := Zint(r.b[r.off:])
	if n == 0 {
		if r.err == nil {
			r.fail(ErrTruncated)
		}
		return 0
	}
	r.off += n
	return v
}

// zintMax reads a zint whose value must not exceed max.
func (r *reader) zintMax(max uint64) uint64 {
	start := r.off
	v := r.zint()
	if v > max {
		r.failf(start, ErrOverflow)
		return 0
	}
	return v
}

func (r *reader) z8() uint8   { return uint8(r.zintMax(0xff)) }
func (r *reader) z16() uint16 { return uint16(r.zintMax(0xffff)) }
func (r *reader) z32() uint32 { return uint32(r.zintMax(0xffffffff)) }

// raw returns the next n bytes (nil when n is 0).
func (r *reader) raw(n int) []byte {
	if n < 0 || n > r.len() {
		r.fail(ErrTruncated)
		return nil
	}
	if n == 0 {
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

// bytes reads a zint length bounded by max and that many bytes.
func (r *reader) bytes(max uint64) []byte {
	start := r.off
	n := r.zint()
	if n > max {
		r.failf(start, ErrOverflow)
		return nil
	}
	if n > uint64(r.len()) {
		r.failf(start, ErrTruncated)
		return nil
	}
	return r.raw(int(n))
}

// rest returns everything left (nil when nothing is).
func (r *reader) rest() []byte { return r.raw(r.len()) }

// zid reads n raw ZenohId bytes (n taken from a flags nibble).
func (r *reader) zid(n int) hlc.ID {
	start := r.off
	b := r.raw(n)
	if r.err != nil {
		return hlc.ID{}
	}
	id, err := hlc.IDFromBytes(b)
	if err != nil {
		r.failf(start, ErrInvalid)
	}
	return id
}

// zidBytes reads a ZenohId written as bytes<z8> (timestamps, linkstate).
func (r *reader) zidBytes() hlc.ID {
	start := r.off
	n := r.zint()
	if r.err == nil && (n == 0 || n > 16) {
		r.failf(start, ErrInvalid)
		return hlc.ID{}
	}
	return r.zid(int(n))
}

// timestamp reads a Timestamp (spec/network.md section 7.1).
func (r *reader) timestamp() hlc.Timestamp {
	t := r.zint()
	id := r.zidBytes()
	return hlc.Timestamp{Time: hlc.NTP64(t), ID: id}
}

// end fails unless the input is used up.
func (r *reader) end() {
	if r.err == nil && r.off != len(r.b) {
		r.fail(ErrTrailing)
	}
}
