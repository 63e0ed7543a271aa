package codec

import "github.com/gozenoh/zenoh/hlc"

// ZenohID is the node identifier (spec/transport.md section 1.3); the hlc
// package owns the type because timestamps carry it too.
type ZenohID = hlc.ID

// WhatAmI is a node's role as the bitmask zenoh uses in Scout and in
// configuration (router 1, peer 2, client 4). Init, Join and Hello carry
// it as a 2-bit index instead; see index and whatAmIFromIndex.
type WhatAmI uint8

// Roles.
const (
	Router WhatAmI = 1
	Peer   WhatAmI = 2
	Client WhatAmI = 4
)

func (w WhatAmI) String() string {
	switch w {
	case Router:
		return "router"
	case Peer:
		return "peer"
	case Client:
		return "client"
	}
	return "invalid"
}

// Valid reports whether w is exactly one role.
func (w WhatAmI) Valid() bool { return w == Router || w == Peer || w == Client }

func (w WhatAmI) index() byte {
	switch w {
	case Peer:
		return 1
	case Client:
		return 2
	}
	return 0
}

func whatAmIFromIndex(i byte) (WhatAmI, bool) {
	switch i & 3 {
	case 0:
		return Router, true
	case 1:
		return Peer, true
	case 2:
		return Client, true
	}
	return 0, false
}

// Priority is a message priority, 0 (Control) to 7 (Background).
type Priority uint8

// Priorities (spec/network.md section 2.1).
const (
	PriorityControl Priority = iota
	PriorityRealTime
	PriorityInteractiveHigh
	PriorityInteractiveLow
	PriorityDataHigh
	PriorityData
	PriorityDataLow
	PriorityBackground

	// DefaultPriority is what a message without a QoS extension has.
	DefaultPriority = PriorityData
)

// QoS is the network QoS byte: priority in bits 2..0, D (congestion
// control Block) 0x08, E (express) 0x10, F (BlockFirst) 0x20.
type QoS uint8

// QoS bits and the default value, which is never written.
const (
	QoSBlock      QoS = 0x08
	QoSExpress    QoS = 0x10
	QoSBlockFirst QoS = 0x20
	DefaultQoS    QoS = QoS(PriorityData)
)

// NewQoS builds a QoS byte.
func NewQoS(p Priority, block, express bool) QoS {
	q := QoS(p & 7)
	if block {
		q |= QoSBlock
	}
	if express {
		q |= QoSExpress
	}
	return q
}

func (q QoS) Priority() Priority { return Priority(q & 7) }
func (q QoS) Block() bool        { return q&QoSBlock != 0 }
func (q QoS) Express() bool      { return q&QoSExpress != 0 }

// WireExpr is a key expression as sent: an optional declared id (Scope)
// and a suffix appended to it as plain text. Mapping is the M flag: true
// when Scope was declared by the sender of the message, false when by its
// receiver (spec/network.md section 1). Suffix aliases the decoder input.
type WireExpr struct {
	Scope   uint16
	Suffix  []byte
	Mapping bool
}

// Encoding is a payload's encoding: a predefined id and optional schema
// (spec/network.md section 6). The zero value is zenoh/bytes.
type Encoding struct {
	ID     uint16
	Schema []byte // at most 255 bytes; aliases the decoder input
}

// IsDefault reports whether e is zenoh/bytes without schema, which is not
// written on the wire.
func (e Encoding) IsDefault() bool { return e.ID == 0 && len(e.Schema) == 0 }

func appendEncoding(dst []byte, e Encoding) []byte {
	v := uint64(e.ID) << 1
	if len(e.Schema) > 0 {
		v |= 1
		dst = AppendZint(dst, v)
		dst = AppendZint(dst, uint64(len(e.Schema)))
		return append(dst, e.Schema...)
	}
	return AppendZint(dst, v)
}

func (r *reader) encoding() Encoding {
	v := r.z32()
	e := Encoding{ID: uint16(v >> 1)}
	if v>>17 != 0 {
		r.fail(ErrOverflow)
	}
	if v&1 != 0 {
		e.Schema = r.bytes(0xff)
	}
	return e
}

// EntityGlobalID names an entity (publisher, queryable, ...) of a node.
// The zero value (zero ZID) means absent.
type EntityGlobalID struct {
	ZID ZenohID
	EID uint32
}

// SourceInfo is the SourceInfo extension of Put, Del, Query and Err: who
// published and that source's sequence number. A zero ZID means absent.
type SourceInfo struct {
	ID EntityGlobalID
	SN uint32
}

func appendTimestamp(dst []byte, ts *hlc.Timestamp) []byte {
	dst = AppendZint(dst, uint64(ts.Time))
	n := ts.ID.Len()
	dst = append(dst, byte(n))
	return ts.ID.AppendWire(dst)
}

// timestampLen is the encoded length of a timestamp.
func timestampLen(ts *hlc.Timestamp) int { return ZintLen(uint64(ts.Time)) + 1 + ts.ID.Len() }

// appendZIDFlags writes a flags byte holding len-1 in bits 7..4 (OR extra)
// and the raw ZenohId bytes.
func appendZIDFlags(dst []byte, id ZenohID, extra byte) []byte {
	n := id.Len()
	if n == 0 {
		n = 1 // the zero id is written as one zero byte; decoders refuse it
	}
	dst = append(dst, byte(n-1)<<4|extra)
	var b [16]byte = id.Array()
	return append(dst, b[:n]...)
}

func appendEntityGlobalID(dst []byte, g EntityGlobalID) []byte {
	dst = appendZIDFlags(dst, g.ZID, 0)
	return AppendZint(dst, uint64(g.EID))
}

func (r *reader) entityGlobalID() EntityGlobalID {
	f := r.u8()
	var g EntityGlobalID
	g.ZID = r.zid(int(f>>4) + 1)
	g.EID = r.z32()
	return g
}

// extension body readers: each reads a whole ZBuf body with its own reader
// so that a body's fields cannot run past its length.
func (r *reader) sub(name string) reader {
	body := r.bytes(0xffffffff)
	return reader{b: body, msg: name, err: r.err}
}

// join propagates a sub-reader's error, with offsets relative to the outer
// input.
func (r *reader) join(s *reader, bodyEnd int) {
	if s.err != nil && r.err == nil {
		if e, ok := s.err.(*Error); ok {
			e.Off += bodyEnd - len(s.b)
		}
		r.err = s.err
	}
}

func appendSourceInfo(dst []byte, w *extWriter, key byte, si *SourceInfo) []byte {
	dst, start := w.zbufStart(dst, key)
	dst = appendEntityGlobalID(dst, si.ID)
	dst = AppendZint(dst, uint64(si.SN))
	return zbufEnd(dst, start)
}
