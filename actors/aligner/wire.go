package aligner

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Version is the version byte every message starts with.
const Version = 1

// Limits of the wire format. Decoders reject a message over them with
// ErrLimit; Answer keeps its replies within them.
const (
	// MaxItems is the largest number of entries of any list.
	MaxItems = 100_000
	// MaxKey is the longest key, in bytes.
	MaxKey = 64 << 10
	// MaxPayload is the largest payload, in bytes.
	MaxPayload = 64 << 20
	// maxSchema is the longest encoding schema (as in the storage record).
	maxSchema = 255
	// maxIDLen is the longest ZenohId.
	maxIDLen = 16
)

// MsgKind is the type byte of a message, the second byte of each.
type MsgKind byte

// The message kinds. Values are part of the wire format.
const (
	MsgDigest    MsgKind = 1 // a Digest
	ReqIntervals MsgKind = 2 // Request: interval fingerprints of [From, To)
	ReqSubs      MsgKind = 3 // Request: sub-interval fingerprints of Intervals
	ReqEvents    MsgKind = 4 // Request: the events of Subs
	ReqValues    MsgKind = 5 // Request: the full events of Keys
	RepFPs       MsgKind = 6 // Reply to ReqIntervals and ReqSubs
	RepEvents    MsgKind = 7 // Reply to ReqEvents without values
	RepValues    MsgKind = 8 // Reply to ReqValues, and to ReqEvents with values
)

func (k MsgKind) String() string {
	switch k {
	case MsgDigest:
		return "Digest"
	case ReqIntervals:
		return "ReqIntervals"
	case ReqSubs:
		return "ReqSubs"
	case ReqEvents:
		return "ReqEvents"
	case ReqValues:
		return "ReqValues"
	case RepFPs:
		return "RepFPs"
	case RepEvents:
		return "RepEvents"
	case RepValues:
		return "RepValues"
	}
	return fmt.Sprintf("MsgKind(%d)", byte(k))
}

// EventMeta is an event without its value: what a replica needs to
// decide whether to fetch it.
type EventMeta struct {
	Key  string
	TS   hlc.Timestamp
	Kind byte // codec.MidPut or codec.MidDel
}

// Request is a query of the aligner of one replica to another. Kind says
// which fields are meaningful; the others are zero. Index lists and Keys
// are strictly ascending.
type Request struct {
	Kind MsgKind
	// From and To (ReqIntervals) are the interval indexes [From, To).
	From, To uint64
	// Intervals (ReqSubs) are interval indexes.
	Intervals []uint64
	// Subs (ReqEvents) are sub-interval indexes.
	Subs []uint64
	// After (ReqEvents) resumes a reply cut short: the events of Subs[0]
	// whose key is not after After are skipped. "" skips nothing.
	After string
	// WithValues (ReqEvents) asks for full events (RepValues) instead of
	// metadata (RepEvents).
	WithValues bool
	// Keys (ReqValues) are the keys whose stored events are wanted.
	Keys []string
}

// Reply answers a Request. Kind says which list is meaningful.
type Reply struct {
	Kind MsgKind
	// FPs (RepFPs) are nonzero fingerprints, strictly ascending by Index.
	FPs []FP
	// Metas (RepEvents) are event metadata, by sub-interval then key.
	Metas []EventMeta
	// Events (RepValues) are full events; decoded ones alias the input.
	Events []storage.Event
	// More is set when the reply was cut short to keep it within the
	// limits; the requester asks again for what follows its last entry.
	// A reply with More set is never empty.
	More bool
}

// Flag bits.
const (
	flagWithValues = 1 // ReqEvents
	flagMore       = 1 // replies
)

// Smallest encodings of list entries, which bound a decoded count by the
// bytes left.
const (
	minIndex = 1
	minFP    = 1 + 8
	minKey   = 2
	minMeta  = minKey + 8 + 2 + 1
	minEvent = minMeta + 3
)

// AppendDigest appends the encoding of d to dst. The lists must be
// strictly ascending by Index (it panics otherwise: they could not be
// encoded).
func AppendDigest(dst []byte, d *Digest) []byte {
	dst = append(dst, Version, byte(MsgDigest))
	dst = binary.AppendUvarint(dst, uint64(d.SubWidth))
	dst = binary.AppendUvarint(dst, uint64(d.SubIntervals))
	dst = binary.AppendUvarint(dst, uint64(d.Hot))
	dst = binary.AppendUvarint(dst, uint64(d.Warm))
	dst = binary.AppendUvarint(dst, d.Cut)
	dst = binary.BigEndian.AppendUint64(dst, d.Cold)
	dst = appendFPs(dst, d.WarmFPs)
	return appendFPs(dst, d.HotFPs)
}

// AppendRequest appends the encoding of r to dst. It panics on a Kind
// that is not a request and on index lists that are not strictly
// ascending. Other violations (limits, key order) encode, and are
// rejected by DecodeRequest.
func AppendRequest(dst []byte, r *Request) []byte {
	dst = append(dst, Version, byte(r.Kind))
	switch r.Kind {
	case ReqIntervals:
		dst = binary.AppendUvarint(dst, r.From)
		dst = binary.AppendUvarint(dst, r.To)
	case ReqSubs:
		dst = appendIndexes(dst, r.Intervals)
	case ReqEvents:
		var flags byte
		if r.WithValues {
			flags |= flagWithValues
		}
		dst = append(dst, flags)
		dst = appendIndexes(dst, r.Subs)
		dst = appendString(dst, r.After)
	case ReqValues:
		dst = binary.AppendUvarint(dst, uint64(len(r.Keys)))
		for _, k := range r.Keys {
			dst = appendString(dst, k)
		}
	default:
		panic("aligner: AppendRequest of " + r.Kind.String())
	}
	return dst
}

// AppendReply appends the encoding of r to dst. It panics on a Kind that
// is not a reply and on FPs not strictly ascending. A Del's payload is
// not encoded.
func AppendReply(dst []byte, r *Reply) []byte {
	dst = append(dst, Version, byte(r.Kind))
	var flags byte
	if r.More {
		flags |= flagMore
	}
	dst = append(dst, flags)
	switch r.Kind {
	case RepFPs:
		dst = appendFPs(dst, r.FPs)
	case RepEvents:
		dst = binary.AppendUvarint(dst, uint64(len(r.Metas)))
		for i := range r.Metas {
			m := &r.Metas[i]
			dst = appendMeta(dst, m.Key, m.TS, m.Kind)
		}
	case RepValues:
		dst = binary.AppendUvarint(dst, uint64(len(r.Events)))
		for i := range r.Events {
			dst = appendEvent(dst, &r.Events[i])
		}
	default:
		panic("aligner: AppendReply of " + r.Kind.String())
	}
	return dst
}

// appendIndexes appends a count and the indexes, the first as is and
// each next one as its gap to the previous minus one.
func appendIndexes(dst []byte, idx []uint64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(idx)))
	for i, x := range idx {
		dst = binary.AppendUvarint(dst, gap(i, x, idx))
	}
	return dst
}

// appendFPs appends a count and, per entry, its index (as appendIndexes)
// and its fingerprint (8 bytes, big-endian).
func appendFPs(dst []byte, fps []FP) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(fps)))
	prev := uint64(0)
	for i, f := range fps {
		g := f.Index
		if i > 0 {
			if f.Index <= prev {
				panic("aligner: fingerprints not in strictly ascending order")
			}
			g = f.Index - prev - 1
		}
		prev = f.Index
		dst = binary.AppendUvarint(dst, g)
		dst = binary.BigEndian.AppendUint64(dst, f.FP)
	}
	return dst
}

func gap(i int, x uint64, idx []uint64) uint64 {
	if i == 0 {
		return x
	}
	if x <= idx[i-1] {
		panic("aligner: indexes not in strictly ascending order")
	}
	return x - idx[i-1] - 1
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendMeta(dst []byte, key string, ts hlc.Timestamp, kind byte) []byte {
	dst = appendString(dst, key)
	dst = binary.BigEndian.AppendUint64(dst, uint64(ts.Time))
	dst = append(dst, byte(ts.ID.Len()))
	dst = ts.ID.AppendWire(dst)
	return append(dst, kind)
}

func appendEvent(dst []byte, ev *storage.Event) []byte {
	dst = appendMeta(dst, ev.Key, ev.TS, ev.Kind)
	dst = binary.AppendUvarint(dst, uint64(ev.Encoding.ID))
	dst = binary.AppendUvarint(dst, uint64(len(ev.Encoding.Schema)))
	dst = append(dst, ev.Encoding.Schema...)
	if ev.Kind == codec.MidDel {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(ev.Payload)))
	return append(dst, ev.Payload...)
}

// DecodeDigest decodes a digest message filling all of src. Besides the
// encoding it checks that the digest is consistent: a nonzero
// configuration, a cut within the NTP64 range, and fingerprints nonzero
// and within their eras.
func DecodeDigest(src []byte) (Digest, error) {
	r := reader{b: src}
	r.header(MsgDigest)
	var d Digest
	d.SubWidth = hlc.NTP64(r.uvarint("sub width"))
	d.SubIntervals = r.u32("sub-intervals")
	d.Hot = r.u32("hot")
	d.Warm = r.u32("warm")
	d.Cut = r.uvarint("cut")
	d.Cold = r.u64("cold")
	d.WarmFPs = r.fps("warm fingerprints")
	d.HotFPs = r.fps("hot fingerprints")
	if err := r.end(); err != nil {
		return Digest{}, err
	}
	if err := d.check(); err != nil {
		return Digest{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return d, nil
}

// check verifies what a Digest built by BuildDigest satisfies.
func (d *Digest) check() error {
	if d.SubWidth == 0 || d.SubIntervals == 0 || d.Hot == 0 {
		return fmt.Errorf("digest config %d/%d/%d/%d has a zero", d.SubWidth, d.SubIntervals, d.Hot, d.Warm)
	}
	if !cutInRange(d.Cut, d.SubWidth) {
		return fmt.Errorf("cut %d at sub width %d is past the NTP64 range", d.Cut, d.SubWidth)
	}
	e := d.Eras()
	if err := checkFPs(d.WarmFPs, e.WarmStart, e.HotStart); err != nil {
		return fmt.Errorf("warm %w", err)
	}
	if err := checkFPs(d.HotFPs, e.HotSub, e.Cut); err != nil {
		return fmt.Errorf("hot %w", err)
	}
	return nil
}

// checkFPs verifies that fps are nonzero, strictly ascending and within
// [from, to).
func checkFPs(fps []FP, from, to uint64) error {
	for i, f := range fps {
		switch {
		case f.FP == 0:
			return fmt.Errorf("fingerprint %d is zero", i)
		case f.Index < from || f.Index >= to:
			return fmt.Errorf("fingerprint %d: index %d outside [%d, %d)", i, f.Index, from, to)
		case i > 0 && f.Index <= fps[i-1].Index:
			return fmt.Errorf("fingerprint %d: index %d out of order", i, f.Index)
		}
	}
	return nil
}

// DecodeRequest decodes a request filling all of src. Keys are copied;
// nothing aliases src.
func DecodeRequest(src []byte) (Request, error) {
	r := reader{b: src}
	kind := r.header(0)
	q := Request{Kind: kind}
	switch kind {
	case ReqIntervals:
		q.From = r.uvarint("from")
		q.To = r.uvarint("to")
		if r.err == nil && q.From > q.To {
			r.fail(ErrMalformed, fmt.Sprintf("interval range [%d, %d)", q.From, q.To))
		}
	case ReqSubs:
		q.Intervals = r.indexes("intervals")
	case ReqEvents:
		flags := r.byte("flags")
		if flags&^flagWithValues != 0 {
			r.fail(ErrMalformed, fmt.Sprintf("flags %#x", flags))
		}
		q.WithValues = flags&flagWithValues != 0
		q.Subs = r.indexes("subs")
		q.After = string(r.bytes("after", 0, MaxKey))
	case ReqValues:
		n := r.count("keys", minKey)
		if n > 0 {
			q.Keys = make([]string, 0, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			k := string(r.bytes("key", 1, MaxKey))
			if r.err == nil && i > 0 && k <= q.Keys[i-1] {
				r.fail(ErrMalformed, fmt.Sprintf("key %d out of order", i))
			}
			q.Keys = append(q.Keys, k)
		}
	default:
		if r.err == nil {
			r.fail(ErrType, fmt.Sprintf("%v is not a request", kind))
		}
	}
	if err := r.end(); err != nil {
		return Request{}, err
	}
	return q, nil
}

// DecodeReply decodes a reply filling all of src. The payloads and
// schemas of RepValues events alias src; keys are copied.
func DecodeReply(src []byte) (Reply, error) {
	r := reader{b: src}
	kind := r.header(0)
	p := Reply{Kind: kind}
	switch kind {
	case RepFPs, RepEvents, RepValues:
		flags := r.byte("flags")
		if flags&^flagMore != 0 {
			r.fail(ErrMalformed, fmt.Sprintf("flags %#x", flags))
		}
		p.More = flags&flagMore != 0
	default:
		if r.err == nil {
			r.fail(ErrType, fmt.Sprintf("%v is not a reply", kind))
		}
	}
	switch kind {
	case RepFPs:
		p.FPs = r.fps("fingerprints")
		for i, f := range p.FPs {
			if f.FP == 0 {
				r.fail(ErrMalformed, fmt.Sprintf("fingerprint %d is zero", i))
				break
			}
		}
	case RepEvents:
		n := r.count("metas", minMeta)
		if n > 0 {
			p.Metas = make([]EventMeta, 0, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			var m EventMeta
			m.Key, m.TS, m.Kind = r.meta()
			p.Metas = append(p.Metas, m)
		}
	case RepValues:
		n := r.count("events", minEvent)
		if n > 0 {
			p.Events = make([]storage.Event, 0, n)
		}
		for i := 0; i < n && r.err == nil; i++ {
			p.Events = append(p.Events, r.event())
		}
	}
	if p.More && r.err == nil && len(p.FPs)+len(p.Metas)+len(p.Events) == 0 {
		r.fail(ErrMalformed, "empty reply with more to come")
	}
	if err := r.end(); err != nil {
		return Reply{}, err
	}
	return p, nil
}

// reader decodes one message. The first failure sticks: later reads
// return zero values, and end reports it.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail(sentinel error, what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at offset %d", sentinel, what, r.off)
	}
}

// header reads the version and type bytes. want is the only acceptable
// kind, or 0 for any (the caller checks).
func (r *reader) header(want MsgKind) MsgKind {
	v := r.byte("version")
	k := MsgKind(r.byte("type"))
	switch {
	case r.err != nil:
	case v != Version:
		r.off = 0
		r.fail(ErrVersion, fmt.Sprintf("version %d", v))
	case want != 0 && k != want:
		r.off = 1
		r.fail(ErrType, fmt.Sprintf("%v where %v was expected", k, want))
	}
	return k
}

// end returns the first error, or ErrTrailing if bytes are left.
func (r *reader) end() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail(ErrTrailing, fmt.Sprintf("%d bytes", len(r.b)-r.off))
	}
	return r.err
}

func (r *reader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail(ErrMalformed, "truncated "+what)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(ErrMalformed, "bad uvarint "+what)
		return 0
	}
	r.off += n
	return v
}

func (r *reader) u32(what string) uint32 {
	v := r.uvarint(what)
	if v > math.MaxUint32 {
		r.fail(ErrMalformed, fmt.Sprintf("%s %d over 32 bits", what, v))
		return 0
	}
	return uint32(v)
}

func (r *reader) u64(what string) uint64 {
	if r.err != nil {
		return 0
	}
	if len(r.b)-r.off < 8 {
		r.fail(ErrMalformed, "truncated "+what)
		return 0
	}
	v := binary.BigEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

// count reads a list length, bounded by MaxItems and by the bytes left
// given that an entry takes at least min bytes, so that allocating it is
// safe.
func (r *reader) count(what string, min int) int {
	v := r.uvarint(what + " count")
	switch {
	case r.err != nil:
		return 0
	case v > MaxItems:
		r.fail(ErrLimit, fmt.Sprintf("%d %s", v, what))
		return 0
	case v > uint64((len(r.b)-r.off)/min):
		r.fail(ErrMalformed, fmt.Sprintf("%d %s in %d bytes", v, what, len(r.b)-r.off))
		return 0
	}
	return int(v)
}

// bytes reads a length-prefixed byte string of min..max bytes; the
// result aliases the input, and is nil when empty.
func (r *reader) bytes(what string, min, max int) []byte {
	v := r.uvarint(what + " length")
	switch {
	case r.err != nil:
		return nil
	case v > uint64(max):
		r.fail(ErrLimit, fmt.Sprintf("%s of %d bytes", what, v))
		return nil
	case v < uint64(min):
		r.fail(ErrMalformed, fmt.Sprintf("%s of %d bytes", what, v))
		return nil
	case v > uint64(len(r.b)-r.off):
		r.fail(ErrMalformed, "truncated "+what)
		return nil
	case v == 0:
		return nil
	}
	b := r.b[r.off : r.off+int(v) : r.off+int(v)]
	r.off += int(v)
	return b
}

// next reads the gap-encoded index that follows prev (or the first one).
func (r *reader) next(what string, first bool, prev uint64) uint64 {
	g := r.uvarint(what)
	if first || r.err != nil {
		return g
	}
	if g >= math.MaxUint64-prev {
		r.fail(ErrMalformed, what+" index overflows")
		return 0
	}
	return prev + 1 + g
}

func (r *reader) indexes(what string) []uint64 {
	n := r.count(what, minIndex)
	if n == 0 {
		return nil
	}
	idx := make([]uint64, 0, n)
	prev := uint64(0)
	for i := 0; i < n && r.err == nil; i++ {
		prev = r.next(what, i == 0, prev)
		idx = append(idx, prev)
	}
	return idx
}

func (r *reader) fps(what string) []FP {
	n := r.count(what, minFP)
	if n == 0 {
		return nil
	}
	fps := make([]FP, 0, n)
	prev := uint64(0)
	for i := 0; i < n && r.err == nil; i++ {
		prev = r.next(what, i == 0, prev)
		fps = append(fps, FP{Index: prev, FP: r.u64(what)})
	}
	return fps
}

// meta reads a key, a timestamp and a kind, and checks them as the store
// would: a nonempty key without wildcards, a nonzero time and ID (in its
// canonical length) and a kind MidPut or MidDel.
func (r *reader) meta() (string, hlc.Timestamp, byte) {
	start := r.off
	key := string(r.bytes("key", 1, MaxKey))
	if r.err == nil && keyexpr.IsWild(key) {
		r.off = start
		r.fail(ErrMalformed, fmt.Sprintf("wild key %q", key))
	}
	var ts hlc.Timestamp
	ts.Time = hlc.NTP64(r.u64("time"))
	if r.err == nil && ts.Time == 0 {
		r.fail(ErrMalformed, "zero time")
	}
	ts.ID = r.id()
	kind := r.byte("kind")
	if r.err == nil && kind != codec.MidPut && kind != codec.MidDel {
		r.fail(ErrMalformed, fmt.Sprintf("kind %#x", kind))
	}
	if r.err != nil {
		return "", hlc.Timestamp{}, 0
	}
	return key, ts, kind
}

// id reads a ZenohId: its length (1..16) and its wire bytes, in the
// canonical length (no high-order zero byte), so that each ID has one
// encoding.
func (r *reader) id() hlc.ID {
	n := int(r.byte("zenoh id length"))
	switch {
	case r.err != nil:
		return hlc.ID{}
	case n == 0 || n > maxIDLen:
		r.fail(ErrMalformed, fmt.Sprintf("zenoh id of %d bytes", n))
		return hlc.ID{}
	case n > len(r.b)-r.off:
		r.fail(ErrMalformed, "truncated zenoh id")
		return hlc.ID{}
	}
	id, err := hlc.IDFromBytes(r.b[r.off : r.off+n])
	switch {
	case err != nil:
		r.fail(ErrMalformed, err.Error())
	case id.Len() != n:
		r.fail(ErrMalformed, "zenoh id not in canonical length")
	}
	r.off += n
	return id
}

func (r *reader) event() storage.Event {
	var ev storage.Event
	ev.Key, ev.TS, ev.Kind = r.meta()
	id := r.uvarint("encoding id")
	if r.err == nil && id > math.MaxUint16 {
		r.fail(ErrMalformed, fmt.Sprintf("encoding id %d", id))
	}
	ev.Encoding.ID = uint16(id)
	ev.Encoding.Schema = r.bytes("schema", 0, maxSchema)
	ev.Payload = r.bytes("payload", 0, MaxPayload)
	if r.err == nil && ev.Kind == codec.MidDel && len(ev.Payload) > 0 {
		r.fail(ErrMalformed, "tombstone with a payload")
	}
	if r.err != nil {
		return storage.Event{}
	}
	return ev
}
