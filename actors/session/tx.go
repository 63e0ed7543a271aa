package session

import (
	"fmt"
	"math"

	"github.com/gozenoh/zenoh/codec"
)

// TXConfig bounds the send queues of a session.
type TXConfig struct {
	// ChannelLimit bounds the bytes queued (not yet pulled) on one
	// channel; TotalLimit those of all channels. A message that would go
	// beyond is refused with ErrQueueFull, except into an empty queue, so
	// a message larger than a limit still goes, alone.
	ChannelLimit int
	TotalLimit   int
	// MaxMessage is the largest encoded network message Push accepts.
	MaxMessage int
	// PoolBytes bounds the free batch buffers kept for reuse, and the
	// encoding buffer a large message leaves behind.
	PoolBytes int
}

// DefaultTXConfig queues up to 1 MiB per channel and 4 MiB in all, and
// sends messages up to 64 MiB.
func DefaultTXConfig() TXConfig {
	return TXConfig{ChannelLimit: 1 << 20, TotalLimit: 4 << 20, MaxMessage: 64 << 20, PoolBytes: 4 << 20}
}

func (c *TXConfig) validate() error {
	if c.ChannelLimit <= 0 || c.TotalLimit <= 0 || c.MaxMessage <= 0 || c.PoolBytes < 0 {
		return fmt.Errorf("%w: TX %+v", ErrConfig, *c)
	}
	return nil
}

// queued is a closed batch waiting for Pull, with the channel it counts
// against.
type queued struct {
	b  *codec.BatchBuilder
	ch int
}

// txPrio is the queue of one priority: closed batches in order, then the
// open batch that Push still appends to. The open batch holds one Frame,
// of channel openCh; a message of the other reliability closes it, which
// keeps the order of the priority's messages.
type txPrio struct {
	ready  []queued
	head   int
	open   *codec.BatchBuilder
	openCh int
}

func (q *txPrio) push(e queued) {
	if q.head > 0 && len(q.ready) == cap(q.ready) {
		n := copy(q.ready, q.ready[q.head:])
		clear(q.ready[n:])
		q.ready, q.head = q.ready[:n], 0
	}
	q.ready = append(q.ready, e)
}

func (q *txPrio) pop() (queued, bool) {
	if q.head == len(q.ready) {
		return queued{}, false
	}
	e := q.ready[q.head]
	q.ready[q.head] = queued{}
	q.head++
	if q.head == len(q.ready) {
		q.ready, q.head = q.ready[:0], 0
	}
	return e, true
}

// TX is the send side of one session: it packs network messages into
// batches of the agreed size, numbers Frames and Fragments per channel
// and hands batches to the link writer, highest priority first
// (spec/transport.md 6.1, 6.2, 8). Every batch holds at most one Frame,
// last, or exactly one Fragment, as zenoh-pico requires.
//
// The writer calls Pull whenever it is free: a partially filled batch goes
// out as soon as nothing better is waiting, so batching happens only while
// the link is busy and no timer adds latency.
type TX struct {
	cfg     TXConfig
	limit   int // agreed batch size
	stream  bool
	prefix  int // stream length prefix, counted against limit
	mask    uint32
	qos     bool
	patch   bool
	sn      [numChannels]uint32 // next SN of each channel
	pending [numChannels]int    // bytes queued per channel
	total   int
	prio    [8]txPrio
	enc     []byte // the message being pushed, encoded
	free    []*codec.BatchBuilder
	keep    int                   // most free buffers kept
	out     []*codec.BatchBuilder // pulled, not yet released
	frame   codec.Frame
	frag    codec.Fragment
}

// NewTX returns the send side of a session established as est on a link
// that is a stream (length-prefixed batches) or not.
func NewTX(est Established, stream bool, cfg TXConfig) (*TX, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if est.BatchSize < minBatchFloor || est.SNMask == 0 {
		return nil, fmt.Errorf("%w: batch size %d, SN mask %#x", ErrConfig, est.BatchSize, est.SNMask)
	}
	t := &TX{
		cfg:    cfg,
		limit:  int(est.BatchSize),
		stream: stream,
		mask:   est.SNMask,
		qos:    est.QoS,
		patch:  est.Patch >= 1,
		keep:   max(8, cfg.PoolBytes/int(est.BatchSize)),
	}
	if stream {
		t.prefix = codec.StreamPrefixLen
	}
	for i := range t.sn {
		t.sn[i] = est.OwnInitialSN & est.SNMask
	}
	return t, nil
}

// MessageQoS returns the QoS byte of any network message (the default
// for an unknown id).
func MessageQoS(m *codec.NetworkMessage) codec.QoS {
	switch m.ID {
	case codec.MidPush:
		return m.Push.QoS
	case codec.MidRequest:
		return m.Request.QoS
	case codec.MidResponse:
		return m.Response.QoS
	case codec.MidResponseFinal:
		return m.ResponseFinal.QoS
	case codec.MidInterest:
		return m.Interest.QoS
	case codec.MidDeclare:
		return m.Declare.QoS
	case codec.MidOAM:
		return m.OAM.QoS
	}
	return codec.DefaultQoS
}

// Push queues m on the channel of its priority (priority Data without QoS)
// and the given reliability. m is encoded at once: its buffers may be
// reused when Push returns. It returns ErrQueueFull, having changed
// nothing, when a byte limit would be exceeded.
func (t *TX) Push(m *codec.NetworkMessage, reliable bool) error {
	if m.ID < codec.MidInterest || m.ID > codec.MidOAM {
		return fmt.Errorf("%w: %#x", ErrNotNetwork, m.ID)
	}
	t.enc = codec.AppendNetwork(t.enc[:0], m)
	return t.pushEncoded(MessageQoS(m), reliable)
}

// PushPublication is Push for a Push message: the same without the
// NetworkMessage around it.
func (t *TX) PushPublication(m *codec.Push, reliable bool) error {
	return t.pushPublication(m, &m.WireExpr, m.NodeID, false, reliable)
}

// PushForward is PushPublication for a Push a router forwards: encoded
// with WireExpr we and NodeId node, without m's network timestamp and
// unknown extensions (codec.AppendPushAs).
func (t *TX) PushForward(m *codec.Push, we *codec.WireExpr, node uint16, reliable bool) error {
	return t.pushPublication(m, we, node, true, reliable)
}

func (t *TX) appendPush(dst []byte, m *codec.Push, we *codec.WireExpr, node uint16, as bool) []byte {
	if as {
		return codec.AppendPushAs(dst, m, we, node)
	}
	return codec.AppendPush(dst, m)
}

func (t *TX) pushPublication(m *codec.Push, we *codec.WireExpr, node uint16, as, reliable bool) error {
	// Encoded straight into a batch of its channel when it surely fits:
	// one copy of the payload less, which counts for large ones.
	p := codec.PriorityData
	if t.qos {
		p = m.QoS.Priority()
	}
	c := channelIndex(p, reliable)
	pq := &t.prio[p]
	bound := pushBound(m, we, as)
	if pq.open != nil && pq.openCh == c && bound <= pq.open.Room() {
		b := pq.open
		start := len(b.Buf)
		b.Buf = t.appendPush(b.Buf, m, we, node, as) // within Room: no reallocation
		n := len(b.Buf) - start
		if n <= t.cfg.MaxMessage && t.admit(c, n) {
			t.add(c, n)
			if m.QoS.Express() {
				t.closeOpen(pq)
			}
			return nil
		}
		t.enc = append(t.enc[:0], b.Buf[start:]...)
		b.Buf = b.Buf[:start]
		return t.pushEncoded(m.QoS, reliable)
	}
	// Into a new batch directly, when the open one cannot hold it (its
	// room is below a lower bound of the encoding) and a new one surely
	// can.
	least := len(we.Suffix) + len(m.Body.Payload) + len(m.Body.Attachment) + 2
	full := pq.open == nil || pq.openCh != c || pq.open.Room() < least
	if head := t.prefix + frameHeaderLen(t.sn[c], p); full && bound <= t.limit-head {
		b := t.get()
		t.frame = codec.Frame{Reliable: reliable, SN: t.sn[c], Priority: p}
		b.Buf = codec.AppendFrameHeader(b.Buf, &t.frame)
		b.Buf = t.appendPush(b.Buf, m, we, node, as)
		if n := b.Len() - head; n > t.cfg.MaxMessage || !t.admit(c, b.Len()) {
			b.Reset()
			t.put(b)
			if n > t.cfg.MaxMessage {
				return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, n)
			}
			return ErrQueueFull
		}
		t.closeOpen(pq)
		t.nextSN(c)
		pq.open, pq.openCh = b, c
		t.add(c, b.Len())
		if m.QoS.Express() {
			t.closeOpen(pq)
		}
		return nil
	}
	t.enc = t.appendPush(t.enc[:0], m, we, node, as)
	return t.pushEncoded(m.QoS, reliable)
}

// PushEncoded is Push for a network message already encoded (by
// AppendNetwork) whose QoS is q. b is copied.
func (t *TX) PushEncoded(b []byte, q codec.QoS, reliable bool) error {
	t.enc = append(t.enc[:0], b...)
	return t.pushEncoded(q, reliable)
}

// pushBound is an upper bound of m's encoded size (with WireExpr we and
// without its extensions when as), or a huge value when m carries
// extensions of unknown size.
func pushBound(m *codec.Push, we *codec.WireExpr, as bool) int {
	if !as && len(m.Exts) != 0 || len(m.Body.Exts) != 0 {
		return math.MaxInt
	}
	d := &m.Body
	// Header bytes, lengths, QoS, NodeId, timestamps, source info and
	// encoding id take well under 128 bytes together.
	return 128 + len(we.Suffix) + len(d.Payload) + len(d.Attachment) + len(d.Encoding.Schema)
}

// pushEncoded queues the message encoded in t.enc.
func (t *TX) pushEncoded(q codec.QoS, reliable bool) error {
	p := codec.PriorityData
	if t.qos {
		p = q.Priority()
	}
	c := channelIndex(p, reliable)
	n := len(t.enc)
	if n > t.cfg.MaxMessage {
		t.shrinkEnc()
		return fmt.Errorf("%w: %d bytes", ErrMessageTooLarge, n)
	}
	pq := &t.prio[p]

	// Into the open batch, if it carries this channel's Frame and has room.
	if pq.open != nil && pq.openCh == c && pq.open.Room() >= n {
		if !t.admit(c, n) {
			return ErrQueueFull
		}
		pq.open.Buf = append(pq.open.Buf, t.enc...)
		t.add(c, n)
		if q.Express() {
			t.closeOpen(pq)
		}
		return nil
	}

	// Into a new batch behind a new Frame header.
	if need := t.prefix + frameHeaderLen(t.sn[c], p) + n; need <= t.limit {
		if !t.admit(c, need) {
			return ErrQueueFull
		}
		t.closeOpen(pq)
		b := t.get()
		t.frame = codec.Frame{Reliable: reliable, SN: t.nextSN(c), Priority: p}
		b.Buf = codec.AppendFrameHeader(b.Buf, &t.frame)
		b.Buf = append(b.Buf, t.enc...)
		pq.open, pq.openCh = b, c
		t.add(c, b.Len())
		if q.Express() {
			t.closeOpen(pq)
		}
		return nil
	}

	// Too large for any batch: one Fragment per batch.
	err := t.fragment(pq, p, c, reliable)
	t.shrinkEnc()
	return err
}

// fragment cuts t.enc into Fragments of consecutive SNs, each alone in a
// closed batch (spec 6.2).
func (t *TX) fragment(pq *txPrio, p codec.Priority, c int, reliable bool) error {
	need, sn, first := 0, t.sn[c], t.patch
	for rem := len(t.enc); rem > 0; {
		h := t.prefix + fragmentHeaderLen(sn, p, first)
		chunk := min(t.limit-h, rem)
		need += h + chunk
		rem -= chunk
		sn = (sn + 1) & t.mask
		first = false
	}
	if !t.admit(c, need) {
		return ErrQueueFull
	}
	t.closeOpen(pq)
	first = t.patch
	for off := 0; off < len(t.enc); {
		b := t.get()
		t.frag = codec.Fragment{Reliable: reliable, SN: t.sn[c], Priority: p, First: first}
		chunk := min(t.limit-t.prefix-fragmentHeaderLen(t.sn[c], p, first), len(t.enc)-off)
		t.frag.More = off+chunk < len(t.enc)
		t.frag.Payload = t.enc[off : off+chunk]
		t.nextSN(c)
		b.Buf = codec.AppendFragment(b.Buf, &t.frag)
		off += chunk
		first = false
		t.add(c, b.Len())
		pq.push(queued{b: b, ch: c})
	}
	t.frag.Payload = nil
	return nil
}

// Pull returns the next batch to write, nil when nothing is queued: the
// highest priority first; within a priority the closed batches in order,
// then the open one, which Pull closes. On streams the batch starts with
// its length prefix. It stays valid until passed to Release.
func (t *TX) Pull() []byte {
	for i := range t.prio {
		pq := &t.prio[i]
		e, ok := pq.pop()
		if !ok {
			if pq.open == nil {
				continue
			}
			e = queued{b: pq.open, ch: pq.openCh}
			pq.open = nil
		}
		n := e.b.Len()
		t.pending[e.ch] -= n
		t.total -= n
		t.out = append(t.out, e.b)
		return e.b.Bytes()
	}
	return nil
}

// Release gives back a batch returned by Pull, KeepAlive or Close once it
// is written. Unknown slices are ignored.
func (t *TX) Release(b []byte) {
	if len(b) == 0 {
		return
	}
	for i, o := range t.out {
		if &o.Buf[0] != &b[0] {
			continue
		}
		last := len(t.out) - 1
		t.out[i] = t.out[last]
		t.out[last] = nil
		t.out = t.out[:last]
		if len(t.free) < t.keep {
			o.Reset()
			t.free = append(t.free, o)
		}
		return
	}
}

// KeepAlive returns a batch holding only a KeepAlive (spec 4.4), to write
// now and Release after.
func (t *TX) KeepAlive() []byte {
	b := t.get()
	b.Buf = codec.AppendKeepAlive(b.Buf, &codec.KeepAlive{})
	t.out = append(t.out, b)
	return b.Bytes()
}

// Close returns a batch holding only a Close without extensions (pico
// cannot skip them, spec 4.3): session true closes the whole session.
// Write it, Release it, then drop the link.
func (t *TX) Close(reason byte, session bool) []byte {
	b := t.get()
	b.Buf = codec.AppendClose(b.Buf, &codec.Close{Session: session, Reason: reason})
	t.out = append(t.out, b)
	return b.Bytes()
}

// Pending is the number of bytes queued and not yet pulled.
func (t *TX) Pending() int { return t.total }

// Backlog reports whether more is queued than one batch holds: what a
// writer should start on before the caller is done queueing.
func (t *TX) Backlog() bool { return t.total >= t.limit }

// Idle reports whether Pull would return nil.
func (t *TX) Idle() bool { return t.total == 0 }

// admit reports whether need more bytes fit channel c's and the total
// limits; an empty queue takes anything.
func (t *TX) admit(c, need int) bool {
	if t.pending[c] > 0 && t.pending[c]+need > t.cfg.ChannelLimit {
		return false
	}
	return t.total == 0 || t.total+need <= t.cfg.TotalLimit
}

func (t *TX) add(c, n int) {
	t.pending[c] += n
	t.total += n
}

// nextSN consumes and returns channel c's next SN.
func (t *TX) nextSN(c int) uint32 {
	sn := t.sn[c]
	t.sn[c] = (sn + 1) & t.mask
	return sn
}

func (t *TX) closeOpen(pq *txPrio) {
	if pq.open != nil {
		pq.push(queued{b: pq.open, ch: pq.openCh})
		pq.open = nil
	}
}

// put gives back an empty batch that was never handed out.
func (t *TX) put(b *codec.BatchBuilder) {
	if len(t.free) < t.keep {
		t.free = append(t.free, b)
	}
}

// get takes an empty batch from the pool. Buffers hold exactly the agreed
// size, so appends within Room never reallocate.
func (t *TX) get() *codec.BatchBuilder {
	if n := len(t.free); n > 0 {
		b := t.free[n-1]
		t.free[n-1] = nil
		t.free = t.free[:n-1]
		return b
	}
	return codec.NewBatchBuilder(uint16(t.limit), t.stream, make([]byte, 0, t.limit))
}

// shrinkEnc drops an encoding buffer grown by a large message beyond
// what the pool may keep.
func (t *TX) shrinkEnc() {
	if cap(t.enc) > max(t.cfg.PoolBytes, 4*t.limit) {
		t.enc = nil
	}
}

// frameHeaderLen is the size of a Frame header: header byte, SN, and the
// QoS extension (2 bytes) unless the priority is Data.
func frameHeaderLen(sn uint32, p codec.Priority) int {
	n := 1 + codec.ZintLen(uint64(sn))
	if p != codec.PriorityData {
		n += 2
	}
	return n
}

// fragmentHeaderLen adds the First marker to frameHeaderLen.
func fragmentHeaderLen(sn uint32, p codec.Priority, first bool) int {
	n := frameHeaderLen(sn, p)
	if first {
		n++
	}
	return n
}
