package codec

import "github.com/gozenoh/zenoh/hlc"

// Zenoh (data) message ids, spec/network.md section 0.2.
const (
	MidPut   byte = 0x01
	MidDel   byte = 0x02
	MidQuery byte = 0x03
	MidReply byte = 0x04
	MidErr   byte = 0x05
)

// Header flags of the data messages (spec/network.md section 5).
const (
	flagDataT  = 0x20 // Put, Del: timestamp
	flagDataE  = 0x40 // Put, Err: encoding
	flagQueryC = 0x20 // Query, Reply: consolidation
	flagQueryP = 0x40 // Query: parameters
)

// Data message extension keys.
const (
	extDataSourceInfo  = 0x41 // Put, Del, Query, Err
	extPutAttachment   = 0x43
	extDelAttachment   = 0x42 // not 0x43: spec/network.md section 5.2
	extQueryBody       = 0x43
	extQueryAttachment = 0x45
)

// Data is the Put or Del body of a Push or a Reply (spec/network.md
// sections 5.1 and 5.2). Byte slices alias the decoder's input; empty ones
// decode as nil.
type Data struct {
	Kind       byte          // MidPut or MidDel (the encoder writes a Put for anything but MidDel)
	Timestamp  hlc.Timestamp // zero ID = absent
	Encoding   Encoding      // Put only
	SourceInfo SourceInfo    // zero ZID = absent
	Attachment []byte        // nil = absent (an empty attachment is not written)
	Payload    []byte        // Put only
	Exts       []Extension
}

// Query is the body of a Request (spec/network.md section 5.3).
// Consolidation is the raw wire value (Rust and pico number the modes
// differently, section 13): it is written, with the C flag, when
// HasConsolidation is set or the value is not 0; the decoder sets
// HasConsolidation from the flag (pico sends C with the value 0).
type Query struct {
	Consolidation    uint8
	HasConsolidation bool
	Parameters       []byte // written with the P flag iff non-empty
	SourceInfo       SourceInfo
	HasBody          bool // the Body extension (BodyEncoding, BodyPayload) is present
	BodyEncoding     Encoding
	BodyPayload      []byte
	Attachment       []byte
	Exts             []Extension
}

// Reply is the Put or Del answer of a Response. Neither implementation
// writes consolidation or extensions here, and pico fails on any
// extension: keep Exts empty when sending.
type Reply struct {
	Consolidation    uint8
	HasConsolidation bool
	Body             Data
	Exts             []Extension
}

// Err is the error answer of a Response (spec/network.md section 5.5).
type Err struct {
	Encoding   Encoding
	SourceInfo SourceInfo
	Payload    []byte
	Exts       []Extension
}

// dataNames are the error-message names used while reading a Put or Del.
type dataNames struct {
	put, putSourceInfo, del, delSourceInfo string
}

var (
	pushDataNames  = dataNames{"Push.Put", "Push.Put.SourceInfo", "Push.Del", "Push.Del.SourceInfo"}
	replyDataNames = dataNames{"Response.Reply.Put", "Response.Reply.Put.SourceInfo",
		"Response.Reply.Del", "Response.Reply.Del.SourceInfo"}
)

// srcInfo reads a SourceInfo extension body like reader.sourceInfo, with
// a constant name so that the hot path does not build a string.
func (r *reader) srcInfo(name string) SourceInfo {
	s := r.sub(name)
	var si SourceInfo
	si.ID = s.entityGlobalID()
	si.SN = s.z32()
	s.end()
	r.join(&s, r.off)
	return si
}

// appendData appends a Put (or a Del when d.Kind is MidDel). Extensions
// follow Rust's order: SourceInfo, Attachment, then d.Exts.
func appendData(dst []byte, d *Data) []byte {
	hdr := len(dst)
	put := d.Kind != MidDel
	h := MidPut
	att := byte(extPutAttachment)
	if !put {
		h = MidDel
		att = extDelAttachment
	}
	ts := !d.Timestamp.ID.IsZero()
	if ts {
		h |= flagDataT
	}
	enc := put && !d.Encoding.IsDefault()
	if enc {
		h |= flagDataE
	}
	dst = append(dst, h)
	if ts {
		dst = appendTimestamp(dst, &d.Timestamp)
	}
	if enc {
		dst = appendEncoding(dst, d.Encoding)
	}
	if len(d.Attachment) != 0 || len(d.Exts) != 0 || !d.SourceInfo.ID.ZID.IsZero() {
		w := newExtWriter(hdr)
		if !d.SourceInfo.ID.ZID.IsZero() {
			dst = appendSourceInfo(dst, &w, extDataSourceInfo, &d.SourceInfo)
		}
		if len(d.Attachment) != 0 {
			dst = w.zbuf(dst, att, d.Attachment)
		}
		dst = w.unknown(dst, d.Exts)
	}
	if put {
		dst = AppendZint(dst, uint64(len(d.Payload)))
		dst = append(dst, d.Payload...)
	}
	return dst
}

// data reads a Put or Del whose header h was read and checked by the
// caller.
func (r *reader) data(h byte, d *Data, n *dataNames) {
	d.Kind = h & flagMidMask
	put := d.Kind == MidPut
	siName := n.delSourceInfo
	att := byte(extDelAttachment)
	if put {
		r.msg = n.put
		siName = n.putSourceInfo
		att = extPutAttachment
	} else {
		r.msg = n.del
	}
	d.Timestamp = hlc.Timestamp{}
	if h&flagDataT != 0 {
		d.Timestamp = r.timestamp()
	}
	d.Encoding = Encoding{}
	if put && h&flagDataE != 0 {
		d.Encoding = r.encoding()
	}
	d.SourceInfo = SourceInfo{}
	d.Attachment = nil
	d.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			switch k := e & extKeyMask; {
			case k == extDataSourceInfo:
				d.SourceInfo = r.srcInfo(siName)
			case k == att:
				d.Attachment = r.bytes(maxZ32)
			default:
				r.unknownExt(e, &d.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	d.Payload = nil
	if put {
		d.Payload = r.bytes(maxZ32)
	}
}

// appendQuery appends a Query. Extensions follow Rust's order:
// SourceInfo, Body, Attachment, then q.Exts.
func appendQuery(dst []byte, q *Query) []byte {
	hdr := len(dst)
	h := MidQuery
	c := q.HasConsolidation || q.Consolidation != 0
	if c {
		h |= flagQueryC
	}
	if len(q.Parameters) > 0 {
		h |= flagQueryP
	}
	dst = append(dst, h)
	if c {
		dst = AppendZint(dst, uint64(q.Consolidation))
	}
	if len(q.Parameters) > 0 {
		dst = AppendZint(dst, uint64(len(q.Parameters)))
		dst = append(dst, q.Parameters...)
	}
	w := newExtWriter(hdr)
	if !q.SourceInfo.ID.ZID.IsZero() {
		dst = appendSourceInfo(dst, &w, extDataSourceInfo, &q.SourceInfo)
	}
	if q.HasBody {
		var start int
		dst, start = w.zbufStart(dst, extQueryBody)
		dst = appendEncoding(dst, q.BodyEncoding)
		dst = append(dst, q.BodyPayload...)
		dst = zbufEnd(dst, start)
	}
	if len(q.Attachment) != 0 {
		dst = w.zbuf(dst, extQueryAttachment, q.Attachment)
	}
	return w.unknown(dst, q.Exts)
}

func (r *reader) query(h byte, q *Query) {
	r.msg = "Request.Query"
	q.HasConsolidation = h&flagQueryC != 0
	q.Consolidation = 0
	if q.HasConsolidation {
		q.Consolidation = r.z8()
	}
	q.Parameters = nil
	if h&flagQueryP != 0 {
		q.Parameters = r.bytes(maxZ32)
	}
	q.SourceInfo = SourceInfo{}
	q.HasBody = false
	q.BodyEncoding = Encoding{}
	q.BodyPayload = nil
	q.Attachment = nil
	q.Exts = nil
	if h&flagZ == 0 {
		return
	}
	for {
		e := r.u8()
		switch e & extKeyMask {
		case extDataSourceInfo:
			q.SourceInfo = r.srcInfo("Request.Query.SourceInfo")
		case extQueryBody:
			s := r.sub("Request.Query.Body")
			q.BodyEncoding = s.encoding()
			q.BodyPayload = s.rest()
			r.join(&s, r.off)
			q.HasBody = r.err == nil
		case extQueryAttachment:
			q.Attachment = r.bytes(maxZ32)
		default:
			r.unknownExt(e, &q.Exts)
		}
		if e&flagZ == 0 || r.err != nil {
			return
		}
	}
}

// appendReply appends a Reply: consolidation if set, p.Exts, then the
// Put or Del.
func appendReply(dst []byte, p *Reply) []byte {
	hdr := len(dst)
	h := MidReply
	c := p.HasConsolidation || p.Consolidation != 0
	if c {
		h |= flagQueryC
	}
	dst = append(dst, h)
	if c {
		dst = AppendZint(dst, uint64(p.Consolidation))
	}
	w := newExtWriter(hdr)
	dst = w.unknown(dst, p.Exts)
	return appendData(dst, &p.Body)
}

// reply reads a Reply; no extension is defined in it, so every M=0
// extension is kept in Exts.
func (r *reader) reply(h byte, p *Reply) {
	r.msg = "Response.Reply"
	p.HasConsolidation = h&flagQueryC != 0
	p.Consolidation = 0
	if p.HasConsolidation {
		p.Consolidation = r.z8()
	}
	p.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			if r.err != nil {
				return
			}
			r.unknownExt(e, &p.Exts)
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
	case MidPut, MidDel:
	default:
		r.failf(r.off-1, ErrUnknownMessage)
		return
	}
	r.data(b, &p.Body, &replyDataNames)
}

// appendErr appends an Err. Extensions: SourceInfo, then p.Exts.
func appendErr(dst []byte, p *Err) []byte {
	hdr := len(dst)
	h := MidErr
	enc := !p.Encoding.IsDefault()
	if enc {
		h |= flagDataE
	}
	dst = append(dst, h)
	if enc {
		dst = appendEncoding(dst, p.Encoding)
	}
	w := newExtWriter(hdr)
	if !p.SourceInfo.ID.ZID.IsZero() {
		dst = appendSourceInfo(dst, &w, extDataSourceInfo, &p.SourceInfo)
	}
	dst = w.unknown(dst, p.Exts)
	dst = AppendZint(dst, uint64(len(p.Payload)))
	return append(dst, p.Payload...)
}

func (r *reader) errMsg(h byte, p *Err) {
	r.msg = "Response.Err"
	p.Encoding = Encoding{}
	if h&flagDataE != 0 {
		p.Encoding = r.encoding()
	}
	p.SourceInfo = SourceInfo{}
	p.Exts = nil
	if h&flagZ != 0 {
		for {
			e := r.u8()
			switch e & extKeyMask {
			case extDataSourceInfo:
				p.SourceInfo = r.srcInfo("Response.Err.SourceInfo")
			default:
				r.unknownExt(e, &p.Exts)
			}
			if e&flagZ == 0 || r.err != nil {
				break
			}
		}
	}
	p.Payload = r.bytes(maxZ32)
}
