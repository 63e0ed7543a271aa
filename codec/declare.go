package codec

import "github.com/gozenoh/zenoh/hlc"

// Declaration ids (bits 4..0 of a declaration header), spec/network.md
// section 3.6.
const (
	DeclKeyExpr      byte = 0x00
	UndeclKeyExpr    byte = 0x01
	DeclSubscriber   byte = 0x02
	UndeclSubscriber byte = 0x03
	DeclQueryable    byte = 0x04
	UndeclQueryable  byte = 0x05
	DeclToken        byte = 0x06
	UndeclToken      byte = 0x07
	DeclFinal        byte = 0x1a
)

// Declaration extension keys.
const (
	extDeclQueryableInfo = 0x21 // Z64: bit 0 complete, bits 8..23 distance
	extDeclWireExpr      = 0x5f // ZBuf mandatory, in Undeclare{Subscriber,Queryable,Token}

	undeclWireExprSuffix  = 0x01 // WireExpr extension flags: suffix present
	undeclWireExprMapping = 0x02 // WireExpr extension flags: declared by the sender
)

// Declare carries exactly one declaration (spec/network.md section 3.6).
type Declare struct {
	HasInterestID bool // I flag: the declaration answers interest InterestID
	InterestID    uint32
	QoS           QoS
	Timestamp     hlc.Timestamp
	NodeID        uint16
	Body          Declaration
	Exts          []Extension
}

// Declaration is the body of a Declare; Kind is one of the Decl/Undecl
// constants and says which fields are meaningful.
//
// ID is the key-expression id (z16 on the wire) for DeclKeyExpr and
// UndeclKeyExpr, the entity id (z32) for the others, and unused by
// DeclFinal. WireExpr is the declared expression; for UndeclSubscriber,
// UndeclQueryable and UndeclToken it is the value of the WireExpr
// extension, written iff HasWireExprExt (Rust always sends it, possibly
// null, for queryables and tokens). DeclKeyExpr has no M flag: its
// WireExpr.Mapping is ignored when encoding and false when decoded.
// Complete and Distance are DeclQueryable's QueryableInfo extension,
// omitted when both are zero. Exts holds unknown extensions of the
// declaration itself.
type Declaration struct {
	Kind           byte
	ID             uint32
	WireExpr       WireExpr
	HasWireExprExt bool
	Complete       bool
	Distance       uint16
	Exts           []Extension
}

// declNames are the error-message names of the declarations, by id.
var declNames = [...]string{
	DeclKeyExpr:      "Declare.DeclareKeyExpr",
	UndeclKeyExpr:    "Declare.UndeclareKeyExpr",
	DeclSubscriber:   "Declare.DeclareSubscriber",
	UndeclSubscriber: "Declare.UndeclareSubscriber",
	DeclQueryable:    "Declare.DeclareQueryable",
	UndeclQueryable:  "Declare.UndeclareQueryable",
	DeclToken:        "Declare.DeclareToken",
	UndeclToken:      "Declare.UndeclareToken",
	DeclFinal:        "Declare.DeclareFinal",
}

// AppendDeclare appends a Declare. Extensions follow Rust's order: QoS,
// Timestamp, NodeId, then d.Exts; the declaration comes last.
func AppendDeclare(dst []byte, d *Declare) []byte {
	hdr := len(dst)
	h := MidDeclare
	if d.HasInterestID {
		h |= flagDeclareI
	}
	dst = append(dst, h)
	if d.HasInterestID {
		dst = AppendZint(dst, uint64(d.InterestID))
	}
	w := newExtWriter(hdr)
	dst = netExts(dst, &w, d.QoS, &d.Timestamp, d.NodeID, d.Exts)
	return appendDeclaration(dst, &d.Body)
}

func (r *reader) declare(h byte, d *Declare) {
	r.msg = "Declare"
	d.HasInterestID = h&flagDeclareI != 0
	d.InterestID = 0
	if d.HasInterestID {
		d.InterestID = r.z32()
	}
	d.QoS = DefaultQoS
	d.Timestamp = hlc.Timestamp{}
	d.NodeID = 0
	d.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			switch e & extKeyMask {
			case extNetQoS:
				d.QoS = r.qos()
			case extNetTimestamp:
				d.Timestamp = r.timestampExt("Declare.Timestamp")
			case extNetNodeID:
				d.NodeID = r.z16()
			default:
				r.unknownExt(e, &d.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	if r.err != nil {
		return
	}
	r.declaration(&d.Body)
}

func isUndeclEntity(kind byte) bool {
	return kind == UndeclSubscriber || kind == UndeclQueryable || kind == UndeclToken
}

func appendDeclaration(dst []byte, b *Declaration) []byte {
	hdr := len(dst)
	switch b.Kind {
	case DeclKeyExpr:
		h := DeclKeyExpr
		if len(b.WireExpr.Suffix) > 0 {
			h |= flagNetN
		}
		dst = append(dst, h)
		dst = AppendZint(dst, uint64(b.ID))
		dst = appendWireExpr(dst, &b.WireExpr)
	case DeclSubscriber, DeclQueryable, DeclToken:
		dst = append(dst, b.Kind|wireExprFlags(&b.WireExpr))
		dst = AppendZint(dst, uint64(b.ID))
		dst = appendWireExpr(dst, &b.WireExpr)
	case UndeclKeyExpr, UndeclSubscriber, UndeclQueryable, UndeclToken:
		dst = append(dst, b.Kind)
		dst = AppendZint(dst, uint64(b.ID))
	default: // DeclFinal
		dst = append(dst, DeclFinal)
	}
	w := newExtWriter(hdr)
	if b.Kind == DeclQueryable && (b.Complete || b.Distance != 0) {
		v := uint64(b.Distance) << 8
		if b.Complete {
			v |= 1
		}
		dst = w.z64(dst, extDeclQueryableInfo, v)
	}
	if b.HasWireExprExt && isUndeclEntity(b.Kind) {
		var start int
		dst, start = w.zbufStart(dst, extDeclWireExpr)
		var f byte
		if len(b.WireExpr.Suffix) > 0 {
			f |= undeclWireExprSuffix
		}
		if b.WireExpr.Mapping {
			f |= undeclWireExprMapping
		}
		dst = append(dst, f)
		dst = AppendZint(dst, uint64(b.WireExpr.Scope))
		dst = append(dst, b.WireExpr.Suffix...)
		dst = zbufEnd(dst, start)
	}
	return w.unknown(dst, b.Exts)
}

func (r *reader) declaration(b *Declaration) {
	h := r.u8()
	if r.err != nil {
		return
	}
	*b = Declaration{Kind: h & flagMidMask}
	switch b.Kind {
	case DeclKeyExpr:
		r.msg = declNames[DeclKeyExpr]
		b.ID = uint32(r.z16())
		b.WireExpr.Scope = r.z16()
		if h&flagNetN != 0 {
			b.WireExpr.Suffix = r.bytes(maxSuffix)
		}
	case UndeclKeyExpr:
		r.msg = declNames[UndeclKeyExpr]
		b.ID = uint32(r.z16())
	case DeclSubscriber, DeclQueryable, DeclToken:
		r.msg = declNames[b.Kind]
		b.ID = r.z32()
		r.wireExpr(h, &b.WireExpr)
	case UndeclSubscriber, UndeclQueryable, UndeclToken:
		r.msg = declNames[b.Kind]
		b.ID = r.z32()
	case DeclFinal:
		r.msg = declNames[DeclFinal]
	default:
		r.msg = "Declare"
		r.failf(r.off-1, ErrUnknownMessage)
		return
	}
	if h&flagZ == 0 {
		return
	}
	for {
		e := r.u8()
		k := e & extKeyMask
		switch {
		case k == extDeclQueryableInfo && b.Kind == DeclQueryable:
			start := r.off
			v := r.zint()
			// Bits 1..7 are reserved flags, ignored as Rust does; a value
			// above 24 bits does not fit the u16 distance and is refused
			// (Rust would truncate it).
			if v>>24 != 0 {
				r.failf(start, ErrInvalid)
			}
			b.Complete = v&1 != 0
			b.Distance = uint16(v >> 8)
		case k == extDeclWireExpr && isUndeclEntity(b.Kind):
			r.undeclWireExpr(b)
		default:
			r.unknownExt(e, &b.Exts)
		}
		if e&flagZ == 0 || r.err != nil {
			return
		}
	}
}

// undeclWireExpr reads the WireExpr extension of an undeclaration: flags,
// scope, and the suffix as the rest of the ZBuf without a length.
func (r *reader) undeclWireExpr(b *Declaration) {
	s := r.sub(r.msg)
	f := s.u8()
	b.WireExpr.Mapping = f&undeclWireExprMapping != 0
	b.WireExpr.Scope = s.z16()
	b.WireExpr.Suffix = nil
	if f&undeclWireExprSuffix != 0 {
		if s.len() > maxSuffix {
			s.fail(ErrOverflow)
		}
		b.WireExpr.Suffix = s.rest()
	}
	s.end()
	r.join(&s, r.off)
	b.HasWireExprExt = r.err == nil
}
