package codec

// TransportMessage is a union of the transport messages: only the field
// named by ID is meaningful (the decoder resets only that one).
type TransportMessage struct {
	ID        byte
	Init      Init
	Open      Open
	Close     Close
	KeepAlive KeepAlive
	Frame     Frame
	Fragment  Fragment
	Join      Join
	OAM       TransportOAM
}

// AppendTransport appends m. A Frame is written with its Payload as is.
func AppendTransport(dst []byte, m *TransportMessage) []byte {
	switch m.ID {
	case MidInit:
		return AppendInit(dst, &m.Init)
	case MidOpen:
		return AppendOpen(dst, &m.Open)
	case MidClose:
		return AppendClose(dst, &m.Close)
	case MidKeepAlive:
		return AppendKeepAlive(dst, &m.KeepAlive)
	case MidFrame:
		return AppendFrame(dst, &m.Frame)
	case MidFragment:
		return AppendFragment(dst, &m.Fragment)
	case MidJoin:
		return AppendJoin(dst, &m.Join)
	case MidTransportOAM:
		return AppendTransportOAM(dst, &m.OAM)
	}
	return dst
}

// isNetworkID reports whether a header byte starts a network message, the
// test that ends a Frame's payload (spec/transport.md 4.5).
func isNetworkID(h byte) bool { return h&flagMidMask >= MidInterest }

// transport decodes the transport message at r.off, up to the payload of
// a Frame (which the caller walks).
func (r *reader) transport(m *TransportMessage) {
	start := r.off
	h := r.u8()
	if r.err != nil {
		return
	}
	m.ID = h & flagMidMask
	switch m.ID {
	case MidInit:
		r.init(h, &m.Init)
	case MidOpen:
		r.open(h, &m.Open)
	case MidClose:
		r.close(h, &m.Close)
	case MidKeepAlive:
		r.keepAlive(h, &m.KeepAlive)
	case MidFrame:
		r.frameHeader(h, &m.Frame)
	case MidFragment:
		r.fragment(h, &m.Fragment)
	case MidJoin:
		r.joinMsg(h, &m.Join)
	case MidTransportOAM:
		r.transportOAM(h, &m.OAM)
	default:
		r.msg = "transport message"
		r.failf(start, ErrUnknownMessage)
	}
}

// skipNetwork decodes and drops network messages up to the first byte that
// does not start one; it returns where they ended.
func (r *reader) skipNetwork(scratch *NetworkMessage) int {
	for r.err == nil {
		h, ok := r.peek()
		if !ok || !isNetworkID(h) {
			break
		}
		r.network(scratch)
	}
	return r.off
}

// DecodeTransport decodes one transport message from the start of src and
// returns the bytes it used. A Frame's Payload is found by decoding its
// network messages up to the first byte that is not a network message id
// (so they are checked too); a Fragment takes the rest of src. Slices in m
// alias src. On the hot path, BatchReader avoids decoding a Frame twice.
func DecodeTransport(src []byte, m *TransportMessage) (int, error) {
	r := reader{b: src}
	r.transport(m)
	if r.err == nil && m.ID == MidFrame {
		var scratch NetworkMessage
		start := r.off
		end := r.skipNetwork(&scratch)
		if end > start {
			m.Frame.Payload = src[start:end:end]
		}
	}
	if r.err != nil {
		return 0, r.err
	}
	return r.off, nil
}

// BatchReader walks one batch: Next yields its transport messages and,
// after a Frame, NextNetwork yields that Frame's network messages in
// place, without copying. The zero value is an empty batch; Reset starts
// another. Decoded messages alias the batch: copy what outlives it.
//
// A Frame's Payload as returned by Next runs to the end of the batch,
// because a Frame carries no length: NextNetwork stops at the first byte
// that is not a network message id, where Next resumes (Rust may put
// further transport messages there; pico and gozenoh never do).
type BatchReader struct {
	r       reader
	inFrame bool
	scratch NetworkMessage
}

// NewBatchReader returns a reader over batch (without its stream length).
func NewBatchReader(batch []byte) *BatchReader {
	b := &BatchReader{}
	b.Reset(batch)
	return b
}

// Reset makes b read batch from its start.
func (b *BatchReader) Reset(batch []byte) {
	b.r = reader{b: batch, msg: "batch"}
	b.inFrame = false
}

// ResetFrame makes b read the network messages of a Frame payload (as
// DecodeTransport returns it) with NextNetwork.
func (b *BatchReader) ResetFrame(payload []byte) {
	b.r = reader{b: payload, msg: "Frame payload"}
	b.inFrame = true
}

// Err returns the first decoding error, if any. Offsets in it are offsets
// in the batch.
func (b *BatchReader) Err() error { return b.r.err }

// Offset is the position of the next byte to decode.
func (b *BatchReader) Offset() int { return b.r.off }

// Next decodes the next transport message into m. It returns false at the
// end of the batch or after an error (see Err). Network messages of a
// previous Frame that were not read with NextNetwork are decoded and
// skipped first.
func (b *BatchReader) Next(m *TransportMessage) bool {
	if b.inFrame {
		b.r.skipNetwork(&b.scratch)
		b.inFrame = false
	}
	if b.r.err != nil || b.r.len() == 0 {
		return false
	}
	b.r.transport(m)
	if b.r.err != nil {
		return false
	}
	if m.ID == MidFrame {
		b.inFrame = true
		m.Frame.Payload = b.r.b[b.r.off:len(b.r.b):len(b.r.b)]
		if len(m.Frame.Payload) == 0 {
			m.Frame.Payload = nil
		}
	}
	return true
}

// NextNetwork decodes the next network message of the current Frame into
// m. It returns false when the Frame has no more (or after an error).
func (b *BatchReader) NextNetwork(m *NetworkMessage) bool {
	if !b.inFrame || b.r.err != nil {
		return false
	}
	h, ok := b.r.peek()
	if !ok || !isNetworkID(h) {
		b.inFrame = false
		return false
	}
	b.r.network(m)
	return b.r.err == nil
}
