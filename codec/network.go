package codec

import "github.com/gozenoh/zenoh/hlc"

// Network message ids (header bits 4..0), spec/network.md section 0.2.
// They never collide with transport ids, which is how a Frame's payload
// ends.
const (
	MidOAM           byte = 0x1f
	MidDeclare       byte = 0x1e
	MidPush          byte = 0x1d
	MidRequest       byte = 0x1c
	MidResponse      byte = 0x1b
	MidResponseFinal byte = 0x1a
	MidInterest      byte = 0x19
)

// Header flags of the network messages (spec/network.md section 3).
const (
	flagNetN     = 0x20 // Push, Request, Response, declarations: the WireExpr has a suffix
	flagNetM     = 0x40 // the same messages: the scope was declared by the sender
	flagDeclareI = 0x20 // Declare: an interest id follows
)

// Extension keys of the network messages (low 7 bits of the extension
// header, spec/network.md section 0.3).
const (
	extNetQoS          = 0x21 // Z64, every network message
	extNetTimestamp    = 0x42 // ZBuf, every network message
	extNetNodeID       = 0x33 // Z64 mandatory: Push, Request, Interest, Declare
	extReqTarget       = 0x34 // Z64 mandatory
	extReqBudget       = 0x25 // Z64
	extReqTimeout      = 0x26 // Z64
	extRespResponderID = 0x43 // ZBuf
)

// Field bounds the decoders enforce.
const (
	maxSuffix = 0xffff     // str<z16>
	maxZ32    = 0xffffffff // bytes<z32>: payloads, attachments, parameters
)

// NetworkMessage is one network message: a union in which only the field
// named by ID (one of the Mid constants above) is meaningful. DecodeNetwork
// resets only that field (zeroing the whole struct per message would cost
// too much), so the others may hold data from earlier messages.
type NetworkMessage struct {
	ID            byte
	Push          Push
	Request       Request
	Response      Response
	ResponseFinal ResponseFinal
	Interest      Interest
	Declare       Declare
	OAM           OAM
}

// Push is a publication (spec/network.md section 3.1). Byte slices alias
// the decoder's input.
type Push struct {
	WireExpr WireExpr
	// QoS is the QoS extension; DefaultQoS (0x05) is not written. Note that
	// the zero value is priority Control, not the default.
	QoS       QoS
	Timestamp hlc.Timestamp // network-level timestamp; zero ID = absent
	NodeID    uint16        // routing context, 0 = absent (never send it to pico)
	Body      Data
	Exts      []Extension // unknown extensions, re-emitted after the known ones
}

// Target is the Request Target extension.
type Target uint8

// Query targets. Decoders refuse any other value (ErrInvalid).
const (
	TargetBestMatching Target = 0
	TargetAll          Target = 1
	TargetAllComplete  Target = 2
)

// Request is a query (spec/network.md section 3.2). Encoders assume
// Target <= TargetAllComplete.
type Request struct {
	ID        uint32
	WireExpr  WireExpr
	QoS       QoS
	Timestamp hlc.Timestamp
	Target    Target
	Budget    uint32 // maximum number of replies; 0 = absent
	Timeout   uint64 // milliseconds; 0 = absent
	NodeID    uint16
	Query     Query
	Exts      []Extension
}

// Response is one reply to a Request (spec/network.md section 3.3): a
// Reply when IsErr is false, an Err otherwise (the other field is zeroed by
// the decoder).
type Response struct {
	RequestID   uint32
	WireExpr    WireExpr
	QoS         QoS
	Timestamp   hlc.Timestamp
	ResponderID EntityGlobalID // zero ZID = absent
	IsErr       bool
	Reply       Reply
	Err         Err
	Exts        []Extension
}

// ResponseFinal ends the replies to a Request (spec/network.md section 3.4).
type ResponseFinal struct {
	RequestID uint32
	QoS       QoS
	Timestamp hlc.Timestamp
	Exts      []Extension
}

// InterestMode is the mode of an Interest (header bits 6..5).
type InterestMode uint8

// Interest modes.
const (
	InterestFinal         InterestMode = 0
	InterestCurrent       InterestMode = 1
	InterestFuture        InterestMode = 2
	InterestCurrentFuture InterestMode = 3
)

// Interest options (bits of Interest.Options). R, N and M of the wire's
// options byte are derived from Restricted and WireExpr.
const (
	InterestKeyExprs    byte = 0x01
	InterestSubscribers byte = 0x02
	InterestQueryables  byte = 0x04
	InterestTokens      byte = 0x08
	InterestAggregate   byte = 0x80

	interestOptionsMask = 0x8f
	interestR           = 0x10
	interestN           = 0x20
	interestM           = 0x40
)

// Interest asks the other side for declarations (spec/network.md section
// 3.5). A Final interest carries no options and no key; an unrestricted one
// (Restricted false) no key.
//
// Decoding keeps only the K, S, Q, T and A bits in Options. When R is 0 the
// N and M bits carry no meaning: they are accepted and dropped, as Rust does
// (its reader keeps them but nothing consults them, and its writer derives
// them from the key expression).
type Interest struct {
	ID         uint32
	Mode       InterestMode
	Options    byte
	Restricted bool
	WireExpr   WireExpr // meaningful only when Restricted
	QoS        QoS
	Timestamp  hlc.Timestamp
	NodeID     uint16
	Exts       []Extension
}

// OAM is a network OAM (spec/network.md section 3.7); ID 1 carries a
// LinkStateList (see DecodeLinkStateList) in Body with Enc OAMZBuf.
type OAM struct {
	ID        uint16
	Enc       OAMEncoding
	Value     uint64 // OAMZ64 body
	Body      []byte // OAMZBuf body; aliases the input
	QoS       QoS
	Timestamp hlc.Timestamp
	Exts      []Extension
}

// AppendNetwork appends m, which must hold a network message id, to dst.
// Encoders never fail: they assume values the wire can carry (suffixes up
// to 65535 bytes, schemas up to 255, Target at most 2, key-expression ids
// up to 65535, Data.Kind MidPut or MidDel ...). A message id that is not a
// network id is a programming error and panics.
func AppendNetwork(dst []byte, m *NetworkMessage) []byte {
	switch m.ID {
	case MidPush:
		return AppendPush(dst, &m.Push)
	case MidRequest:
		return AppendRequest(dst, &m.Request)
	case MidResponse:
		return AppendResponse(dst, &m.Response)
	case MidResponseFinal:
		return AppendResponseFinal(dst, &m.ResponseFinal)
	case MidInterest:
		return AppendInterest(dst, &m.Interest)
	case MidDeclare:
		return AppendDeclare(dst, &m.Declare)
	case MidOAM:
		return AppendOAM(dst, &m.OAM)
	}
	panic("codec: AppendNetwork: not a network message id")
}

// DecodeNetwork decodes one network message from the start of src into m
// and returns the number of bytes it used; src may hold more after it.
// Byte slices in m alias src. Errors are *Error values wrapping one of the
// sentinels; a byte that is not a network message id gives
// ErrUnknownMessage.
func DecodeNetwork(src []byte, m *NetworkMessage) (n int, err error) {
	r := reader{b: src}
	r.network(m)
	if r.err != nil {
		return 0, r.err
	}
	return r.off, nil
}

// network decodes the network message at r.off into m. The batch reader
// calls it for each message of a Frame payload.
func (r *reader) network(m *NetworkMessage) {
	if r.off >= len(r.b) {
		r.msg = "NetworkMessage"
		r.fail(ErrTruncated)
		return
	}
	h := r.b[r.off]
	r.off++
	switch h & flagMidMask {
	case MidPush:
		m.ID = MidPush
		r.push(h, &m.Push)
	case MidDeclare:
		m.ID = MidDeclare
		r.declare(h, &m.Declare)
	case MidRequest:
		m.ID = MidRequest
		r.request(h, &m.Request)
	case MidResponse:
		m.ID = MidResponse
		r.response(h, &m.Response)
	case MidResponseFinal:
		m.ID = MidResponseFinal
		r.responseFinal(h, &m.ResponseFinal)
	case MidInterest:
		m.ID = MidInterest
		r.interest(h, &m.Interest)
	case MidOAM:
		m.ID = MidOAM
		r.oam(h, &m.OAM)
	default:
		r.msg = "NetworkMessage"
		r.failf(r.off-1, ErrUnknownMessage)
	}
}

// wireExprFlags returns the N and M header flags for we.
func wireExprFlags(we *WireExpr) byte {
	var f byte
	if we.Mapping {
		f = flagNetM
	}
	if len(we.Suffix) > 0 {
		f |= flagNetN
	}
	return f
}

// appendWireExpr writes the scope and, when non-empty, the suffix.
func appendWireExpr(dst []byte, we *WireExpr) []byte {
	dst = AppendZint(dst, uint64(we.Scope))
	if len(we.Suffix) > 0 {
		dst = AppendZint(dst, uint64(len(we.Suffix)))
		dst = append(dst, we.Suffix...)
	}
	return dst
}

// wireExpr reads scope and optional suffix; the N and M flags are in h.
func (r *reader) wireExpr(h byte, we *WireExpr) {
	we.Mapping = h&flagNetM != 0
	we.Scope = r.z16()
	we.Suffix = nil
	if h&flagNetN != 0 {
		we.Suffix = r.bytes(maxSuffix)
	}
}

// appendTimestampExt writes a Timestamp extension (ZBuf holding one
// timestamp).
func appendTimestampExt(dst []byte, w *extWriter, key byte, ts *hlc.Timestamp) []byte {
	dst = w.header(dst, key)
	dst = AppendZint(dst, uint64(timestampLen(ts)))
	return appendTimestamp(dst, ts)
}

// timestampExt reads a Timestamp extension body, which the timestamp must
// fill exactly. (Rust reads the timestamp without checking the ZBuf
// length; we refuse a body that disagrees with it.)
func (r *reader) timestampExt(name string) hlc.Timestamp {
	s := r.sub(name)
	ts := s.timestamp()
	s.end()
	r.join(&s, r.off)
	return ts
}

// qos reads the value of a QoS extension: one byte as a zint.
func (r *reader) qos() QoS { return QoS(r.z8()) }

// netExts writes the QoS, Timestamp and (when withNode) NodeId extensions
// common to network messages, in Rust's order, then the unknown ones.
func netExts(dst []byte, w *extWriter, q QoS, ts *hlc.Timestamp, node uint16, exts []Extension) []byte {
	if q != DefaultQoS {
		dst = w.z64(dst, extNetQoS, uint64(q))
	}
	if !ts.ID.IsZero() {
		dst = appendTimestampExt(dst, w, extNetTimestamp, ts)
	}
	if node != 0 {
		dst = w.z64(dst, extNetNodeID, uint64(node))
	}
	return w.unknown(dst, exts)
}

// netExtChain reads the extension chain of a message whose only known
// extensions are QoS, Timestamp and (when withNode) NodeId.
func (r *reader) netExtChain(q *QoS, ts *hlc.Timestamp, node *uint16, withNode bool, tsName string, exts *[]Extension) {
	for {
		e := r.u8()
		if r.err != nil {
			return
		}
		switch k := e & extKeyMask; {
		case k == extNetQoS:
			*q = r.qos()
		case k == extNetTimestamp:
			*ts = r.timestampExt(tsName)
		case k == extNetNodeID && withNode:
			*node = r.z16()
		default:
			r.unknownExt(e, exts)
		}
		if e&flagZ == 0 || r.err != nil {
			return
		}
	}
}

// AppendPush appends a Push. Extensions follow Rust's order: QoS,
// Timestamp, NodeId, then p.Exts.
func AppendPush(dst []byte, p *Push) []byte {
	hdr := len(dst)
	dst = append(dst, MidPush|wireExprFlags(&p.WireExpr))
	dst = appendWireExpr(dst, &p.WireExpr)
	if p.QoS != DefaultQoS || p.NodeID != 0 || len(p.Exts) != 0 || !p.Timestamp.ID.IsZero() {
		w := newExtWriter(hdr)
		dst = netExts(dst, &w, p.QoS, &p.Timestamp, p.NodeID, p.Exts)
	}
	return appendData(dst, &p.Body)
}

// AppendPushAs appends p as AppendPush would, but with WireExpr we and
// NodeId node, and without p's network timestamp and unknown extensions:
// the Push a router forwards, encoded without copying p first.
func AppendPushAs(dst []byte, p *Push, we *WireExpr, node uint16) []byte {
	hdr := len(dst)
	dst = append(dst, MidPush|wireExprFlags(we))
	dst = appendWireExpr(dst, we)
	if p.QoS != DefaultQoS || node != 0 {
		w := newExtWriter(hdr)
		dst = netExts(dst, &w, p.QoS, &hlc.Timestamp{}, node, nil)
	}
	return appendData(dst, &p.Body)
}

func (r *reader) push(h byte, p *Push) {
	r.msg = "Push"
	r.wireExpr(h, &p.WireExpr)
	p.QoS = DefaultQoS
	p.Timestamp = hlc.Timestamp{}
	p.NodeID = 0
	p.Exts = nil
	if h&flagZ != 0 {
		// Inlined extension loop: this is the hot path.
		for {
			e := r.u8()
			switch e & extKeyMask {
			case extNetQoS:
				p.QoS = r.qos()
			case extNetTimestamp:
				p.Timestamp = r.timestampExt("Push.Timestamp")
			case extNetNodeID:
				p.NodeID = r.z16()
			default:
				r.unknownExt(e, &p.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	b := r.u8()
	if r.err != nil {
		return
	}
	switch b & flagMidMask {
	case MidPut:
		r.msg = "Push.Put"
	case MidDel:
		r.msg = "Push.Del"
	default:
		r.failf(r.off-1, ErrUnknownMessage)
		return
	}
	r.data(b, &p.Body, &pushDataNames)
}

// AppendRequest appends a Request. Extensions follow Rust's order: QoS,
// Timestamp, Target, Budget, Timeout, NodeId, then q.Exts.
func AppendRequest(dst []byte, q *Request) []byte {
	hdr := len(dst)
	dst = append(dst, MidRequest|wireExprFlags(&q.WireExpr))
	dst = AppendZint(dst, uint64(q.ID))
	dst = appendWireExpr(dst, &q.WireExpr)
	w := newExtWriter(hdr)
	if q.QoS != DefaultQoS {
		dst = w.z64(dst, extNetQoS, uint64(q.QoS))
	}
	if !q.Timestamp.ID.IsZero() {
		dst = appendTimestampExt(dst, &w, extNetTimestamp, &q.Timestamp)
	}
	if q.Target != TargetBestMatching {
		dst = w.z64(dst, extReqTarget, uint64(q.Target))
	}
	if q.Budget != 0 {
		dst = w.z64(dst, extReqBudget, uint64(q.Budget))
	}
	if q.Timeout != 0 {
		dst = w.z64(dst, extReqTimeout, q.Timeout)
	}
	if q.NodeID != 0 {
		dst = w.z64(dst, extNetNodeID, uint64(q.NodeID))
	}
	dst = w.unknown(dst, q.Exts)
	return appendQuery(dst, &q.Query)
}

func (r *reader) request(h byte, q *Request) {
	r.msg = "Request"
	q.ID = r.z32()
	r.wireExpr(h, &q.WireExpr)
	q.QoS = DefaultQoS
	q.Timestamp = hlc.Timestamp{}
	q.Target = TargetBestMatching
	q.Budget = 0
	q.Timeout = 0
	q.NodeID = 0
	q.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			switch e & extKeyMask {
			case extNetQoS:
				q.QoS = r.qos()
			case extNetTimestamp:
				q.Timestamp = r.timestampExt("Request.Timestamp")
			case extReqTarget:
				start := r.off
				t := r.zint()
				if t > uint64(TargetAllComplete) {
					r.failf(start, ErrInvalid)
				}
				q.Target = Target(t)
			case extReqBudget:
				q.Budget = r.z32()
			case extReqTimeout:
				q.Timeout = r.zint()
			case extNetNodeID:
				q.NodeID = r.z16()
			default:
				r.unknownExt(e, &q.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	b := r.u8()
	if r.err != nil {
		return
	}
	if b&flagMidMask != MidQuery {
		r.failf(r.off-1, ErrUnknownMessage)
		return
	}
	r.query(b, &q.Query)
}

// AppendResponse appends a Response. Extensions follow Rust's order: QoS,
// Timestamp, ResponderId, then p.Exts.
func AppendResponse(dst []byte, p *Response) []byte {
	hdr := len(dst)
	dst = append(dst, MidResponse|wireExprFlags(&p.WireExpr))
	dst = AppendZint(dst, uint64(p.RequestID))
	dst = appendWireExpr(dst, &p.WireExpr)
	w := newExtWriter(hdr)
	if p.QoS != DefaultQoS {
		dst = w.z64(dst, extNetQoS, uint64(p.QoS))
	}
	if !p.Timestamp.ID.IsZero() {
		dst = appendTimestampExt(dst, &w, extNetTimestamp, &p.Timestamp)
	}
	if !p.ResponderID.ZID.IsZero() {
		var start int
		dst, start = w.zbufStart(dst, extRespResponderID)
		dst = appendEntityGlobalID(dst, p.ResponderID)
		dst = zbufEnd(dst, start)
	}
	dst = w.unknown(dst, p.Exts)
	if p.IsErr {
		return appendErr(dst, &p.Err)
	}
	return appendReply(dst, &p.Reply)
}

func (r *reader) response(h byte, p *Response) {
	r.msg = "Response"
	p.RequestID = r.z32()
	r.wireExpr(h, &p.WireExpr)
	p.QoS = DefaultQoS
	p.Timestamp = hlc.Timestamp{}
	p.ResponderID = EntityGlobalID{}
	p.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			switch e & extKeyMask {
			case extNetQoS:
				p.QoS = r.qos()
			case extNetTimestamp:
				p.Timestamp = r.timestampExt("Response.Timestamp")
			case extRespResponderID:
				s := r.sub("Response.ResponderId")
				p.ResponderID = s.entityGlobalID()
				s.end()
				r.join(&s, r.off)
			default:
				r.unknownExt(e, &p.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	b := r.u8()
	if r.err != nil {
		return
	}
	switch b & flagMidMask {
	case MidReply:
		p.IsErr = false
		p.Err = Err{}
		r.reply(b, &p.Reply)
	case MidErr:
		p.IsErr = true
		p.Reply = Reply{}
		r.errMsg(b, &p.Err)
	default:
		r.failf(r.off-1, ErrUnknownMessage)
	}
}

// AppendResponseFinal appends a ResponseFinal.
func AppendResponseFinal(dst []byte, p *ResponseFinal) []byte {
	hdr := len(dst)
	dst = append(dst, MidResponseFinal)
	dst = AppendZint(dst, uint64(p.RequestID))
	w := newExtWriter(hdr)
	return netExts(dst, &w, p.QoS, &p.Timestamp, 0, p.Exts)
}

func (r *reader) responseFinal(h byte, p *ResponseFinal) {
	r.msg = "ResponseFinal"
	p.RequestID = r.z32()
	p.QoS = DefaultQoS
	p.Timestamp = hlc.Timestamp{}
	p.Exts = nil
	if h&flagZ != 0 {
		r.netExtChain(&p.QoS, &p.Timestamp, nil, false, "ResponseFinal.Timestamp", &p.Exts)
	}
}

// AppendInterest appends an Interest. The options byte is Options (K, S,
// Q, T, A) plus R, N and M derived from Restricted and WireExpr; a Final
// interest has neither options nor key.
func AppendInterest(dst []byte, it *Interest) []byte {
	hdr := len(dst)
	dst = append(dst, MidInterest|byte(it.Mode&3)<<5)
	dst = AppendZint(dst, uint64(it.ID))
	if it.Mode&3 != InterestFinal {
		o := it.Options & interestOptionsMask
		if it.Restricted {
			o |= interestR
			if len(it.WireExpr.Suffix) > 0 {
				o |= interestN
			}
			if it.WireExpr.Mapping {
				o |= interestM
			}
		}
		dst = append(dst, o)
		if it.Restricted {
			dst = appendWireExpr(dst, &it.WireExpr)
		}
	}
	w := newExtWriter(hdr)
	return netExts(dst, &w, it.QoS, &it.Timestamp, it.NodeID, it.Exts)
}

func (r *reader) interest(h byte, it *Interest) {
	r.msg = "Interest"
	it.ID = r.z32()
	it.Mode = InterestMode(h >> 5 & 3)
	it.Options = 0
	it.Restricted = false
	it.WireExpr = WireExpr{}
	it.QoS = DefaultQoS
	it.Timestamp = hlc.Timestamp{}
	it.NodeID = 0
	it.Exts = nil
	if it.Mode != InterestFinal {
		o := r.u8()
		it.Options = o & interestOptionsMask
		if o&interestR != 0 {
			it.Restricted = true
			it.WireExpr.Mapping = o&interestM != 0
			it.WireExpr.Scope = r.z16()
			if o&interestN != 0 {
				it.WireExpr.Suffix = r.bytes(maxSuffix)
			}
		}
	}
	if h&flagZ != 0 {
		r.netExtChain(&it.QoS, &it.Timestamp, &it.NodeID, true, "Interest.Timestamp", &it.Exts)
	}
}

// AppendOAM appends a network OAM. The body follows the extensions.
func AppendOAM(dst []byte, o *OAM) []byte {
	hdr := len(dst)
	dst = append(dst, MidOAM|byte(o.Enc&3)<<5)
	dst = AppendZint(dst, uint64(o.ID))
	w := newExtWriter(hdr)
	dst = netExts(dst, &w, o.QoS, &o.Timestamp, 0, o.Exts)
	return appendOAMBody(dst, o.Enc&3, o.Value, o.Body)
}

func (r *reader) oam(h byte, o *OAM) {
	r.msg = "OAM"
	o.Enc = OAMEncoding(h >> 5 & 3)
	o.ID = r.z16()
	o.QoS = DefaultQoS
	o.Timestamp = hlc.Timestamp{}
	o.Exts = nil
	if h&flagZ != 0 {
		r.netExtChain(&o.QoS, &o.Timestamp, nil, false, "OAM.Timestamp", &o.Exts)
	}
	if r.err != nil {
		return
	}
	o.Value, o.Body = r.oamBody(o.Enc)
}
