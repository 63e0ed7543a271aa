package codec

import "errors"

// On stream links (TCP and the like) each batch is preceded by its length
// as two little-endian bytes (spec/transport.md 3.2). The negotiated batch
// size counts those two bytes too, as zenoh-pico and Rust both size their
// buffers that way (3.3): with an agreed size of 2048 a batch holds at
// most 2046 bytes after its prefix.

// StreamPrefixLen is the length of the stream framing prefix.
const StreamPrefixLen = 2

// ErrBatchTooLarge reports a stream length prefix above the largest batch
// the receiver agreed to, which ends the link.
var ErrBatchTooLarge = errors.New("codec: batch larger than the agreed size")

// MaxBatchPayload is the most batch bytes (prefix excluded) a batch may
// carry under an agreed batch size: size-2 on streams, size on datagrams.
func MaxBatchPayload(agreed uint16, stream bool) int {
	if stream {
		return int(agreed) - StreamPrefixLen
	}
	return int(agreed)
}

// BatchBuilder assembles one batch in a buffer it owns, counting the stream
// prefix against the agreed size. Encoders append to Buf directly:
//
//	b.Buf = codec.AppendFrameHeader(b.Buf, &f)
//	mark := b.Len()
//	b.Buf = codec.AppendPush(b.Buf, &p)
//	if b.Over() { b.Truncate(mark) /* flush, start again */ }
//
// Bytes returns the finished batch, prefix included on streams.
type BatchBuilder struct {
	Buf    []byte
	limit  int // largest len(Buf)
	stream bool
}

// NewBatchBuilder returns a builder for batches of the agreed size; buf
// (may be nil) is reused as backing store.
func NewBatchBuilder(agreed uint16, stream bool, buf []byte) *BatchBuilder {
	b := &BatchBuilder{limit: int(agreed), stream: stream, Buf: buf[:0]}
	b.Reset()
	return b
}

// Reset empties the batch.
func (b *BatchBuilder) Reset() {
	b.Buf = b.Buf[:0]
	if b.stream {
		b.Buf = append(b.Buf, 0, 0)
	}
}

// Len is the batch's size as the agreed limit counts it (prefix included).
func (b *BatchBuilder) Len() int { return len(b.Buf) }

// Empty reports whether nothing was added since Reset.
func (b *BatchBuilder) Empty() bool {
	if b.stream {
		return len(b.Buf) == StreamPrefixLen
	}
	return len(b.Buf) == 0
}

// Room is how many more bytes fit.
func (b *BatchBuilder) Room() int { return b.limit - len(b.Buf) }

// Over reports whether the batch exceeds the agreed size.
func (b *BatchBuilder) Over() bool { return len(b.Buf) > b.limit }

// Truncate drops what was appended after mark (a value of Len).
func (b *BatchBuilder) Truncate(mark int) { b.Buf = b.Buf[:mark] }

// Bytes finishes the batch and returns it, ready to write: on streams the
// length prefix is filled in. It stays valid until the next Reset.
func (b *BatchBuilder) Bytes() []byte {
	if b.stream {
		n := len(b.Buf) - StreamPrefixLen
		b.Buf[0], b.Buf[1] = byte(n), byte(n>>8)
	}
	return b.Buf
}

// StreamFramer cuts a byte stream into batches. It is resumable: bytes can
// arrive in any split (one at a time, many batches per read) and it keeps
// an incomplete batch until the rest arrives. It buffers at most one batch.
type StreamFramer struct {
	max  int    // largest batch length accepted (prefix excluded)
	buf  []byte // pending bytes: a partial prefix or a partial batch
	need int    // total length of the pending batch, or -1 while in the prefix
}

// NewStreamFramer returns a framer that accepts batches up to agreed
// bytes, prefix included (pass the link MTU, 65535, before negotiation).
func NewStreamFramer(agreed uint16) *StreamFramer {
	f := &StreamFramer{need: -1}
	f.SetBatchSize(agreed)
	return f
}

// SetBatchSize changes the limit, as after the handshake.
func (f *StreamFramer) SetBatchSize(agreed uint16) {
	f.max = MaxBatchPayload(agreed, true)
	if f.max < 0 {
		f.max = 0
	}
}

// Pending is the number of buffered bytes of an incomplete batch.
func (f *StreamFramer) Pending() int { return len(f.buf) }

// Feed consumes p and calls fn for each complete batch, in order. A batch
// passed to fn aliases p or the framer's buffer and is valid only during
// the call. Zero-length batches are skipped. A length above the agreed
// size returns ErrBatchTooLarge (wrapped with the stream offset), after
// which the stream cannot be resynchronised. An error from fn stops Feed
// and is returned.
func (f *StreamFramer) Feed(p []byte, fn func(batch []byte) error) error {
	for len(p) > 0 {
		if len(f.buf) == 0 && f.need < 0 {
			// Fast path: whole batches straight from p.
			if len(p) < StreamPrefixLen {
				f.buf = append(f.buf, p...)
				return nil
			}
			n := int(p[0]) | int(p[1])<<8
			if n > f.max {
				return &Error{Msg: "stream length prefix", Off: 0, Err: ErrBatchTooLarge}
			}
			if len(p) >= StreamPrefixLen+n {
				if n > 0 {
					if err := fn(p[StreamPrefixLen : StreamPrefixLen+n : StreamPrefixLen+n]); err != nil {
						return err
					}
				}
				p = p[StreamPrefixLen+n:]
				continue
			}
			f.need = n
			f.buf = append(f.buf[:0], p[StreamPrefixLen:]...)
			return nil
		}
		if f.need < 0 {
			// One byte of the prefix is buffered.
			n := int(f.buf[0]) | int(p[0])<<8
			p = p[1:]
			f.buf = f.buf[:0]
			if n > f.max {
				return &Error{Msg: "stream length prefix", Off: 0, Err: ErrBatchTooLarge}
			}
			f.need = n
			if n == 0 {
				f.need = -1
			}
			continue
		}
		take := f.need - len(f.buf)
		if take > len(p) {
			take = len(p)
		}
		f.buf = append(f.buf, p[:take]...)
		p = p[take:]
		if len(f.buf) == f.need {
			batch := f.buf
			f.buf = f.buf[:0]
			f.need = -1
			if err := fn(batch); err != nil {
				return err
			}
		}
	}
	return nil
}
