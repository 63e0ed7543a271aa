package codec

import (
	"math"
	"time"
)

// Transport message ids (header bits 4..0), spec/transport.md section 2.1.
const (
	MidTransportOAM byte = 0x00
	MidInit         byte = 0x01
	MidOpen         byte = 0x02
	MidClose        byte = 0x03
	MidKeepAlive    byte = 0x04
	MidFrame        byte = 0x05
	MidFragment     byte = 0x06
	MidJoin         byte = 0x07
)

// ProtoVersion is the protocol version byte of Zenoh 1.x.
const ProtoVersion byte = 0x09

// Header flags of the transport messages.
const (
	flagInitA   = 0x20 // Init, Open: acknowledgement
	flagInitS   = 0x40 // Init, Join: resolution and batch size present
	flagOpenT   = 0x40 // Open, Join(0x20): lease in seconds
	flagCloseS  = 0x20 // Close: the whole session
	flagFrameR  = 0x20 // Frame, Fragment: reliable channel
	flagFragM   = 0x40 // Fragment: more fragments follow
	flagJoinT   = 0x20
	flagMidMask = 0x1f
)

// Transport extension keys (low 7 bits of the extension header).
const (
	extInitQoS         = 0x01
	extInitQoSLink     = 0x21
	extInitLowLatency  = 0x05
	extInitCompression = 0x06
	extInitPatch       = 0x27
	extOpenQoS         = 0x01
	extOpenLowLatency  = 0x05
	extOpenCompression = 0x06
	extFrameQoS        = 0x31
	extFragFirst       = 0x02
	extFragDrop        = 0x03
	extJoinQoS         = 0x51
	extJoinPatch       = 0x27
)

// Resolution is the Init/Join resolution byte: bits 1..0 give the frame
// sequence-number resolution, bits 3..2 the request-id resolution
// (spec/transport.md section 1.6).
type Resolution byte

// DefaultResolution is 32-bit SNs and request ids, the value implied when
// an Init carries no size block.
const DefaultResolution Resolution = 0x0a

// DefaultBatchSize is the unicast batch size implied without a size block.
const DefaultBatchSize = 65535

// DefaultJoinBatchSize is the multicast batch size implied by a Join
// without a size block.
const DefaultJoinBatchSize = 8192

// SNBits returns the 2-bit frame SN resolution code.
func (r Resolution) SNBits() byte { return byte(r) & 3 }

// RIDBits returns the 2-bit request-id resolution code.
func (r Resolution) RIDBits() byte { return byte(r) >> 2 & 3 }

// SNMask is the mask both Rust and pico apply for a resolution code:
// 7, 14, 28 or 32 bits (spec/transport.md section 1.6).
func SNMask(code byte) uint32 {
	switch code & 3 {
	case 0:
		return 0x7f
	case 1:
		return 0x3fff
	case 2:
		return 0x0fffffff
	}
	return 0xffffffff
}

// Init is InitSyn (Ack false) or InitAck (Ack true), spec/transport.md 4.1.
// Extensions this codec does not interpret (Shm, Auth, MultiLink,
// RegionName) stay in Exts.
type Init struct {
	Ack     bool
	Version byte
	WhatAmI WhatAmI
	ZID     ZenohID
	// SizeBlock forces the S flag. The encoder also sets S whenever
	// Resolution or BatchSize differ from the defaults; the decoder
	// reports whether S was present and fills in the defaults when not.
	SizeBlock   bool
	Resolution  Resolution
	BatchSize   uint16
	Cookie      []byte // InitAck only; aliases the input
	QoS         bool   // extension 0x01: per-priority channels supported
	HasQoSLink  bool   // extension 0x21
	QoSLink     uint64
	LowLatency  bool
	Compression bool
	Patch       uint64 // extension 0x27; 0 means absent
	Exts        []Extension
}

// AppendInit appends an InitSyn or InitAck.
func AppendInit(dst []byte, m *Init) []byte {
	h := len(dst)
	hdr := MidInit
	if m.Ack {
		hdr |= flagInitA
	}
	size := m.SizeBlock || m.Resolution != DefaultResolution || m.BatchSize != DefaultBatchSize
	if size {
		hdr |= flagInitS
	}
	dst = append(dst, hdr, m.Version)
	dst = appendZIDFlags(dst, m.ZID, m.WhatAmI.index())
	if size {
		dst = append(dst, byte(m.Resolution), byte(m.BatchSize), byte(m.BatchSize>>8))
	}
	if m.Ack {
		dst = AppendZint(dst, uint64(len(m.Cookie)))
		dst = append(dst, m.Cookie...)
	}
	w := newExtWriter(h)
	if m.QoS {
		dst = w.unit(dst, extInitQoS)
	}
	if m.HasQoSLink {
		dst = w.z64(dst, extInitQoSLink, m.QoSLink)
	}
	if m.LowLatency {
		dst = w.unit(dst, extInitLowLatency)
	}
	if m.Compression {
		dst = w.unit(dst, extInitCompression)
	}
	if m.Patch != 0 {
		dst = w.z64(dst, extInitPatch, m.Patch)
	}
	return w.unknown(dst, m.Exts)
}

func (r *reader) init(h byte, m *Init) {
	*m = Init{Ack: h&flagInitA != 0}
	if m.Ack {
		r.msg = "InitAck"
	} else {
		r.msg = "InitSyn"
	}
	m.Version = r.u8()
	f := r.u8()
	w, ok := whatAmIFromIndex(f)
	if !ok {
		r.failf(r.off-1, ErrInvalid)
	}
	m.WhatAmI = w
	m.ZID = r.zid(int(f>>4) + 1)
	m.Resolution, m.BatchSize = DefaultResolution, DefaultBatchSize
	if h&flagInitS != 0 {
		m.SizeBlock = true
		m.Resolution = Resolution(r.u8())
		b := r.raw(2)
		if len(b) == 2 {
			m.BatchSize = uint16(b[0]) | uint16(b[1])<<8
		}
	}
	if m.Ack {
		m.Cookie = r.bytes(0xffff)
	}
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			switch k {
			case extInitQoS:
				m.QoS = true
			case extInitQoSLink:
				m.HasQoSLink, m.QoSLink = true, r.zint()
			case extInitLowLatency:
				m.LowLatency = true
			case extInitCompression:
				m.Compression = true
			case extInitPatch:
				m.Patch = r.zint()
			default:
				return false
			}
			return true
		}, &m.Exts)
	}
}

// Open is OpenSyn (Ack false) or OpenAck (Ack true), spec/transport.md 4.2.
// Extensions not interpreted here (Shm, Auth, MultiLink, RemoteBound) stay
// in Exts.
type Open struct {
	Ack bool
	// Lease is written in seconds (T flag) when it is a whole number of
	// seconds, else in milliseconds. Sub-millisecond parts are dropped.
	Lease       time.Duration
	InitialSN   uint32
	Cookie      []byte // OpenSyn only; aliases the input
	QoS         bool
	LowLatency  bool
	Compression bool
	Exts        []Extension
}

// maxLeaseMillis bounds a decoded lease so that it fits a time.Duration.
const maxLeaseMillis = math.MaxInt64 / int64(time.Millisecond)

func appendLease(dst []byte, hpos int, tflag byte, d time.Duration) []byte {
	ms := uint64(d / time.Millisecond)
	if ms%1000 == 0 {
		dst[hpos] |= tflag
		return AppendZint(dst, ms/1000)
	}
	return AppendZint(dst, ms)
}

func (r *reader) lease(seconds bool) time.Duration {
	start := r.off
	v := r.zint()
	if seconds {
		if v > uint64(maxLeaseMillis/1000) {
			r.failf(start, ErrOverflow)
			return 0
		}
		v *= 1000
	} else if v > uint64(maxLeaseMillis) {
		r.failf(start, ErrOverflow)
		return 0
	}
	return time.Duration(v) * time.Millisecond
}

// AppendOpen appends an OpenSyn or OpenAck.
func AppendOpen(dst []byte, m *Open) []byte {
	h := len(dst)
	hdr := MidOpen
	if m.Ack {
		hdr |= flagInitA
	}
	dst = append(dst, hdr)
	dst = appendLease(dst, h, flagOpenT, m.Lease)
	dst = AppendZint(dst, uint64(m.InitialSN))
	if !m.Ack {
		dst = AppendZint(dst, uint64(len(m.Cookie)))
		dst = append(dst, m.Cookie...)
	}
	w := newExtWriter(h)
	if m.QoS {
		dst = w.unit(dst, extOpenQoS)
	}
	if m.LowLatency {
		dst = w.unit(dst, extOpenLowLatency)
	}
	if m.Compression {
		dst = w.unit(dst, extOpenCompression)
	}
	return w.unknown(dst, m.Exts)
}

func (r *reader) open(h byte, m *Open) {
	*m = Open{Ack: h&flagInitA != 0}
	if m.Ack {
		r.msg = "OpenAck"
	} else {
		r.msg = "OpenSyn"
	}
	m.Lease = r.lease(h&flagOpenT != 0)
	m.InitialSN = r.z32()
	if !m.Ack {
		m.Cookie = r.bytes(math.MaxUint32)
	}
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			switch k {
			case extOpenQoS:
				m.QoS = true
			case extOpenLowLatency:
				m.LowLatency = true
			case extOpenCompression:
				m.Compression = true
			default:
				return false
			}
			return true
		}, &m.Exts)
	}
}

// Close reasons (spec/transport.md section 4.3).
const (
	CloseGeneric          byte = 0x00
	CloseUnsupported      byte = 0x01
	CloseInvalid          byte = 0x02
	CloseMaxSessions      byte = 0x03
	CloseMaxLinks         byte = 0x04
	CloseExpired          byte = 0x05
	CloseUnresponsive     byte = 0x06
	CloseConnectionToSelf byte = 0x07
)

// Close ends a link (Session false) or the whole session (Session true).
// Never give it extensions toward pico, whose decoder does not skip them.
type Close struct {
	Session bool
	Reason  byte
	Exts    []Extension
}

// AppendClose appends a Close.
func AppendClose(dst []byte, m *Close) []byte {
	h := len(dst)
	hdr := MidClose
	if m.Session {
		hdr |= flagCloseS
	}
	dst = append(dst, hdr, m.Reason)
	w := newExtWriter(h)
	return w.unknown(dst, m.Exts)
}

func (r *reader) close(h byte, m *Close) {
	r.msg = "Close"
	*m = Close{Session: h&flagCloseS != 0, Reason: r.u8()}
	if h&flagZ != 0 {
		r.extChain(noKnownExt, &m.Exts)
	}
}

func noKnownExt(byte) bool { return false }

// KeepAlive refreshes the receiver's lease; it has no body.
type KeepAlive struct {
	Exts []Extension
}

// AppendKeepAlive appends a KeepAlive.
func AppendKeepAlive(dst []byte, m *KeepAlive) []byte {
	h := len(dst)
	dst = append(dst, MidKeepAlive)
	w := newExtWriter(h)
	return w.unknown(dst, m.Exts)
}

func (r *reader) keepAlive(h byte, m *KeepAlive) {
	r.msg = "KeepAlive"
	*m = KeepAlive{}
	if h&flagZ != 0 {
		r.extChain(noKnownExt, &m.Exts)
	}
}

// Frame carries whole network messages of one channel (reliability and
// priority) under one sequence number, spec/transport.md 4.5. Payload holds
// the encoded network messages; a Frame has no length, so a sender puts it
// last in its batch. Decoders set Payload to the bytes of the network
// messages they found (aliasing the input).
type Frame struct {
	Reliable bool
	SN       uint32
	// Priority travels in the QoS extension, written only when it is not
	// PriorityData; send it only on sessions that negotiated QoS.
	Priority Priority
	Payload  []byte
	Exts     []Extension
}

// AppendFrameHeader appends a Frame's header, SN and extensions: the caller
// appends the network messages after it.
func AppendFrameHeader(dst []byte, m *Frame) []byte {
	h := len(dst)
	hdr := MidFrame
	if m.Reliable {
		hdr |= flagFrameR
	}
	dst = append(dst, hdr)
	dst = AppendZint(dst, uint64(m.SN))
	w := newExtWriter(h)
	if m.Priority != PriorityData {
		dst = w.z64(dst, extFrameQoS, uint64(m.Priority&7))
	}
	return w.unknown(dst, m.Exts)
}

// AppendFrame appends a whole Frame: header and Payload.
func AppendFrame(dst []byte, m *Frame) []byte {
	return append(AppendFrameHeader(dst, m), m.Payload...)
}

// frameHeader reads a Frame up to its payload.
func (r *reader) frameHeader(h byte, m *Frame) {
	r.msg = "Frame"
	*m = Frame{Reliable: h&flagFrameR != 0, Priority: PriorityData}
	m.SN = r.z32()
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			if k != extFrameQoS {
				return false
			}
			m.Priority = r.priority()
			return true
		}, &m.Exts)
	}
}

// priority reads the value of a transport QoS extension.
func (r *reader) priority() Priority {
	start := r.off
	v := r.zint()
	if v > 7 {
		r.failf(start, ErrInvalid)
		return PriorityData
	}
	return Priority(v)
}

// Fragment carries a slice of one network message too big for a batch,
// spec/transport.md 4.6. Its payload runs to the end of the batch.
type Fragment struct {
	Reliable bool
	More     bool // M flag: more fragments of this message follow
	SN       uint32
	Priority Priority
	First    bool // patch 1: this is the first fragment of a message
	Drop     bool // patch 1: the sender abandoned the message
	Payload  []byte
	Exts     []Extension
}

// AppendFragment appends a Fragment; it must end its batch.
func AppendFragment(dst []byte, m *Fragment) []byte {
	h := len(dst)
	hdr := MidFragment
	if m.Reliable {
		hdr |= flagFrameR
	}
	if m.More {
		hdr |= flagFragM
	}
	dst = append(dst, hdr)
	dst = AppendZint(dst, uint64(m.SN))
	w := newExtWriter(h)
	if m.Priority != PriorityData {
		dst = w.z64(dst, extFrameQoS, uint64(m.Priority&7))
	}
	if m.First {
		dst = w.unit(dst, extFragFirst)
	}
	if m.Drop {
		dst = w.unit(dst, extFragDrop)
	}
	dst = w.unknown(dst, m.Exts)
	return append(dst, m.Payload...)
}

func (r *reader) fragment(h byte, m *Fragment) {
	r.msg = "Fragment"
	*m = Fragment{Reliable: h&flagFrameR != 0, More: h&flagFragM != 0, Priority: PriorityData}
	m.SN = r.z32()
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			switch k {
			case extFrameQoS:
				m.Priority = r.priority()
			case extFragFirst:
				m.First = true
			case extFragDrop:
				m.Drop = true
			default:
				return false
			}
			return true
		}, &m.Exts)
	}
	m.Payload = r.rest()
}

// SNPair is the next reliable and best-effort SN of one priority.
type SNPair struct {
	Reliable, BestEffort uint32
}

// Join announces a multicast member, spec/transport.md 4.7.
type Join struct {
	Version    byte
	WhatAmI    WhatAmI
	ZID        ZenohID
	SizeBlock  bool // as in Init; defaults are DefaultResolution and 8192
	Resolution Resolution
	BatchSize  uint16
	Lease      time.Duration
	Next       SNPair // without QoS
	// HasQoS selects the QoS extension: then Next is written as 0, 0 and
	// QoSNext holds the pair of each priority.
	HasQoS  bool
	QoSNext [8]SNPair
	Patch   uint64
	Exts    []Extension
}

// AppendJoin appends a Join.
func AppendJoin(dst []byte, m *Join) []byte {
	h := len(dst)
	hdr := MidJoin
	size := m.SizeBlock || m.Resolution != DefaultResolution || m.BatchSize != DefaultJoinBatchSize
	if size {
		hdr |= flagInitS
	}
	dst = append(dst, hdr, m.Version)
	dst = appendZIDFlags(dst, m.ZID, m.WhatAmI.index())
	if size {
		dst = append(dst, byte(m.Resolution), byte(m.BatchSize), byte(m.BatchSize>>8))
	}
	dst = appendLease(dst, h, flagJoinT, m.Lease)
	next := m.Next
	if m.HasQoS {
		next = SNPair{}
	}
	dst = AppendZint(dst, uint64(next.Reliable))
	dst = AppendZint(dst, uint64(next.BestEffort))
	w := newExtWriter(h)
	if m.HasQoS {
		var start int
		dst, start = w.zbufStart(dst, extJoinQoS)
		for _, p := range m.QoSNext {
			dst = AppendZint(dst, uint64(p.Reliable))
			dst = AppendZint(dst, uint64(p.BestEffort))
		}
		dst = zbufEnd(dst, start)
	}
	if m.Patch != 0 {
		dst = w.z64(dst, extJoinPatch, m.Patch)
	}
	return w.unknown(dst, m.Exts)
}

func (r *reader) joinMsg(h byte, m *Join) {
	r.msg = "Join"
	*m = Join{}
	m.Version = r.u8()
	f := r.u8()
	w, ok := whatAmIFromIndex(f)
	if !ok {
		r.failf(r.off-1, ErrInvalid)
	}
	m.WhatAmI = w
	m.ZID = r.zid(int(f>>4) + 1)
	m.Resolution, m.BatchSize = DefaultResolution, DefaultJoinBatchSize
	if h&flagInitS != 0 {
		m.SizeBlock = true
		m.Resolution = Resolution(r.u8())
		b := r.raw(2)
		if len(b) == 2 {
			m.BatchSize = uint16(b[0]) | uint16(b[1])<<8
		}
	}
	m.Lease = r.lease(h&flagJoinT != 0)
	m.Next.Reliable = r.z32()
	m.Next.BestEffort = r.z32()
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			switch k {
			case extJoinQoS:
				s := r.sub("Join.QoS")
				for i := range m.QoSNext {
					m.QoSNext[i].Reliable = s.z32()
					m.QoSNext[i].BestEffort = s.z32()
				}
				s.end()
				r.join(&s, r.off)
				m.HasQoS = true
			case extJoinPatch:
				m.Patch = r.zint()
			default:
				return false
			}
			return true
		}, &m.Exts)
	}
}

// OAMEncoding is the body encoding of an OAM message (header bits 6..5).
type OAMEncoding uint8

// OAM body encodings.
const (
	OAMUnit OAMEncoding = 0
	OAMZ64  OAMEncoding = 1
	OAMZBuf OAMEncoding = 2
)

// TransportOAM is the transport-level OAM (MID 0x00). Rust ignores it and
// pico fails on it: never send it to either.
type TransportOAM struct {
	ID       uint16
	Enc      OAMEncoding
	Value    uint64 // OAMZ64 body
	Body     []byte // OAMZBuf body; aliases the input
	Priority Priority
	Exts     []Extension
}

// AppendTransportOAM appends a transport OAM.
func AppendTransportOAM(dst []byte, m *TransportOAM) []byte {
	h := len(dst)
	dst = append(dst, MidTransportOAM|byte(m.Enc&3)<<5)
	dst = AppendZint(dst, uint64(m.ID))
	w := newExtWriter(h)
	if m.Priority != PriorityData {
		dst = w.z64(dst, extFrameQoS, uint64(m.Priority&7))
	}
	dst = w.unknown(dst, m.Exts)
	return appendOAMBody(dst, m.Enc, m.Value, m.Body)
}

func appendOAMBody(dst []byte, enc OAMEncoding, v uint64, body []byte) []byte {
	switch enc {
	case OAMZ64:
		return AppendZint(dst, v)
	case OAMZBuf:
		dst = AppendZint(dst, uint64(len(body)))
		return append(dst, body...)
	}
	return dst
}

func (r *reader) oamBody(enc OAMEncoding) (uint64, []byte) {
	switch enc {
	case OAMZ64:
		return r.zint(), nil
	case OAMZBuf:
		return 0, r.bytes(math.MaxUint32)
	case OAMUnit:
		return 0, nil
	}
	r.fail(ErrExtensionEncoding)
	return 0, nil
}

func (r *reader) transportOAM(h byte, m *TransportOAM) {
	r.msg = "TransportOAM"
	*m = TransportOAM{Enc: OAMEncoding(h >> 5 & 3), Priority: PriorityData}
	m.ID = r.z16()
	if h&flagZ != 0 {
		r.extChain(func(k byte) bool {
			if k != extFrameQoS {
				return false
			}
			m.Priority = r.priority()
			return true
		}, &m.Exts)
	}
	m.Value, m.Body = r.oamBody(m.Enc)
}
