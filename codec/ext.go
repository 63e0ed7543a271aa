package codec

// Header and extension bits shared by every message (spec/transport.md
// section 2).
const (
	flagZ = 0x80 // header: extensions follow; extension: another follows

	extIDMask  = 0x0f
	extM       = 0x10 // mandatory
	extEncMask = 0x60
	extEncUnit = 0x00
	extEncZ64  = 0x20
	extEncZBuf = 0x40
	extEncRsv  = 0x60 // reserved encoding: always an error
	extKeyMask = 0x7f // an extension is identified by these 7 bits
)

// Extension is one extension this codec does not interpret, kept so that a
// decoded message re-encodes as it arrived and a router can forward what
// it does not understand. Key holds the header's low 7 bits (id, M and
// encoding); Value is the body of a Z64 extension, Body that of a ZBuf one
// (aliasing the decoder's input).
type Extension struct {
	Key   byte
	Value uint64
	Body  []byte
}

// unknownExt handles an extension whose 7-bit key the current message does
// not define: mandatory ones fail the message, others are kept in *keep.
func (r *reader) unknownExt(h byte, keep *[]Extension) {
	key := h & extKeyMask
	if key&extM != 0 {
		r.failExt(ErrMandatoryExtension, key)
		return
	}
	e := Extension{Key: key}
	switch key & extEncMask {
	case extEncUnit:
	case extEncZ64:
		e.Value = r.zint()
	case extEncZBuf:
		e.Body = r.bytes(0xffffffff)
	default:
		r.failExt(ErrExtensionEncoding, key)
		return
	}
	if r.err == nil {
		*keep = append(*keep, e)
	}
}

// extChain walks an extension chain: it calls known for each extension
// header; known returns false for a key it does not define, which then
// goes through unknownExt. It is used where the message has its own
// extension table; hot messages inline the loop instead.
func (r *reader) extChain(known func(h byte) bool, keep *[]Extension) {
	for r.err == nil {
		h := r.u8()
		if r.err != nil {
			return
		}
		if !known(h & extKeyMask) {
			r.unknownExt(h, keep)
		}
		if h&flagZ == 0 {
			return
		}
	}
}

// extWriter writes an extension chain after the fixed fields. It sets the Z
// bit on the previous extension when another one follows, and on the
// message header once at least one extension was written.
type extWriter struct {
	hdr  int // index of the message (or declaration) header in dst
	last int // index of the last extension header written, or -1
}

func newExtWriter(hdr int) extWriter { return extWriter{hdr: hdr, last: -1} }

func (w *extWriter) header(dst []byte, key byte) []byte {
	if w.last >= 0 {
		dst[w.last] |= flagZ
	} else {
		dst[w.hdr] |= flagZ
	}
	w.last = len(dst)
	return append(dst, key)
}

func (w *extWriter) unit(dst []byte, key byte) []byte { return w.header(dst, key) }

func (w *extWriter) z64(dst []byte, key byte, v uint64) []byte {
	return AppendZint(w.header(dst, key), v)
}

func (w *extWriter) zbuf(dst []byte, key byte, body []byte) []byte {
	dst = AppendZint(w.header(dst, key), uint64(len(body)))
	return append(dst, body...)
}

// unknown re-emits kept extensions.
func (w *extWriter) unknown(dst []byte, exts []Extension) []byte {
	for i := range exts {
		e := &exts[i]
		switch e.Key & extEncMask {
		case extEncZ64:
			dst = w.z64(dst, e.Key, e.Value)
		case extEncZBuf:
			dst = w.zbuf(dst, e.Key, e.Body)
		default:
			dst = w.unit(dst, e.Key)
		}
	}
	return dst
}

// zbufStart begins a ZBuf extension whose body the caller appends next;
// zbufEnd writes its length. Bodies here are short (under 128 bytes needs
// one length byte); the body is moved when its length needs more.
func (w *extWriter) zbufStart(dst []byte, key byte) ([]byte, int) {
	dst = w.header(dst, key)
	return append(dst, 0), len(dst) + 1
}

func zbufEnd(dst []byte, bodyStart int) []byte {
	n := len(dst) - bodyStart
	if n < 0x80 {
		dst[bodyStart-1] = byte(n)
		return dst
	}
	extra := ZintLen(uint64(n)) - 1
	for i := 0; i < extra; i++ {
		dst = append(dst, 0)
	}
	copy(dst[bodyStart+extra:], dst[bodyStart:bodyStart+n])
	AppendZint(dst[:bodyStart-1], uint64(n))
	return dst
}
