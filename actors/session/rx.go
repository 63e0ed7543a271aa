package session

import (
	"fmt"
	"sync/atomic"

	"github.com/gozenoh/zenoh/codec"
)

// numChannels is the number of channels per direction: 8 priorities times
// two reliabilities (spec/transport.md 6.1). Without QoS only the two of
// priority Data are used.
const numChannels = 16

// channelIndex numbers the channel of priority p and a reliability.
func channelIndex(p codec.Priority, reliable bool) int {
	i := int(p) << 1
	if reliable {
		i++
	}
	return i
}

// RXConfig bounds fragment reassembly.
type RXConfig struct {
	// MaxMessage is the largest reassembled message; a longer one is
	// dropped (Stats.Oversized) and the session lives on. Rust allows
	// 1 GiB, pico 4096 bytes.
	MaxMessage int
	// MaxBuffered bounds the reassembly memory of all channels together.
	// A message that would go past it is dropped as oversized.
	MaxBuffered int
	// Node, if set, is reassembly memory shared by all the sessions of
	// a node: a message that does not fit what the others left is
	// dropped as oversized, so that many sessions holding unfinished
	// messages cannot pin MaxBuffered each.
	Node *Budget
}

// Budget is an amount of memory shared by several RXs.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Used returns the bytes taken now.
func (b *Budget) Used() int64 { return b.used.Load() }

func (b *Budget) take(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *Budget) give(n int64) { b.used.Add(-n) }

// DefaultRXConfig allows messages up to 64 MiB and 64 MiB of reassembly
// buffers in all.
func DefaultRXConfig() RXConfig {
	return RXConfig{MaxMessage: 64 << 20, MaxBuffered: 64 << 20}
}

func (c *RXConfig) validate() error {
	if c.MaxMessage <= 0 || c.MaxBuffered < c.MaxMessage {
		return fmt.Errorf("%w: RX MaxMessage %d, MaxBuffered %d", ErrConfig, c.MaxMessage, c.MaxBuffered)
	}
	return nil
}

// Stats counts what the RX side accepted and dropped.
type Stats struct {
	Frames    uint64 // Frames accepted
	Fragments uint64 // Fragments accepted by the SN window
	Messages  uint64 // reassembled messages delivered
	// Duplicates counts Frames and Fragments whose SN is not ahead of the
	// last accepted one (duplicate or old), dropped (spec 6.3).
	Duplicates uint64
	// Lost is the sum of SNs skipped over by accepted Frames and
	// Fragments: zenoh has no retransmission, gaps are normal on lossy
	// links (spec 6.3).
	Lost uint64
	// Oversized counts messages dropped for exceeding MaxMessage or the
	// MaxBuffered budget.
	Oversized uint64
	// Incomplete counts partial messages abandoned: a new First fragment,
	// a non-consecutive SN or the sender's Drop marker arrived before
	// their last fragment.
	Incomplete uint64
	// FragmentsDropped counts accepted fragments not used: tails whose
	// head was missed, the rest of an oversized or broken message, Drop
	// markers.
	FragmentsDropped uint64
}

// rxChannel is the receive state of one channel.
type rxChannel struct {
	last   uint32 // SN of the last accepted Frame or Fragment
	expect uint32 // SN of the next fragment of the message in buf
	active bool   // buf holds the head of a message
	skip   bool   // dropping the remaining fragments of a broken message
	buf    []byte
}

// RX is the receive side of one session: it applies the SN window of each
// channel to Frames and Fragments and reassembles fragmented messages
// (spec/transport.md 6.3, 6.4). It does not decode network messages.
type RX struct {
	mask   uint32
	qos    bool
	patch  bool // First and Drop markers are meaningful
	cfg    RXConfig
	held   int // total capacity of the reassembly buffers
	ch     [numChannels]rxChannel
	stats  Stats
	retain int // largest buffer a channel keeps once its message is used
}

// retainBuffer is the reassembly buffer a channel keeps between messages;
// larger ones are released once the message they held is consumed.
const retainBuffer = 64 << 10

// NewRX returns the receive side of a session established as est.
func NewRX(est Established, cfg RXConfig) (*RX, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if est.SNMask == 0 {
		return nil, fmt.Errorf("%w: zero SN mask", ErrConfig)
	}
	rx := &RX{
		mask:   est.SNMask,
		qos:    est.QoS,
		patch:  est.Patch >= 1,
		cfg:    cfg,
		retain: min(retainBuffer, cfg.MaxMessage),
	}
	last := (est.PeerInitialSN - 1) & est.SNMask
	for i := range rx.ch {
		rx.ch[i].last = last
	}
	return rx, nil
}

// Stats returns the counters.
func (rx *RX) Stats() Stats { return rx.stats }

// Config returns the limits rx applies.
func (rx *RX) Config() RXConfig { return rx.cfg }

// Buffered is the memory the reassembly buffers hold, at most
// RXConfig.MaxBuffered.
func (rx *RX) Buffered() int { return rx.held }

// channel returns the channel of a Frame or Fragment, or a protocol error
// for a priority the session did not negotiate (spec 8.3).
func (rx *RX) channel(p codec.Priority, reliable bool) (*rxChannel, error) {
	if p > codec.PriorityBackground || !rx.qos && p != codec.PriorityData {
		return nil, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %d", ErrPriority, p))
	}
	return &rx.ch[channelIndex(p, reliable)], nil
}

// window applies spec 6.3 to SN s on ch: accept iff s is ahead of the last
// accepted SN by at most half the SN space.
func (rx *RX) window(ch *rxChannel, s uint32) (bool, error) {
	if s > rx.mask {
		return false, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %d, mask %#x", ErrSN, s, rx.mask))
	}
	gap := (s - ch.last) & rx.mask
	if gap == 0 || gap > rx.mask>>1 {
		rx.stats.Duplicates++
		return false, nil
	}
	rx.stats.Lost += uint64(gap - 1)
	ch.last = s
	return true, nil
}

// Frame applies the SN window to f. accept false means drop the Frame
// silently; err (a *CloseError) means the peer broke the protocol and the
// link must close. The caller then delivers f's network messages, tagged
// with f.Reliable.
func (rx *RX) Frame(f *codec.Frame) (accept bool, err error) {
	ch, err := rx.channel(f.Priority, f.Reliable)
	if err != nil {
		return false, err
	}
	ok, err := rx.window(ch, f.SN)
	if ok {
		rx.stats.Frames++
	}
	return ok, err
}

// Fragment applies the SN window to f and adds it to its channel's
// reassembly (spec 6.4). When f completes a message it returns the whole
// serialized network message, to decode as exactly one (a decode failure
// drops the message, not the link), and the reliability to tag it with:
// f's R flag, so the fragments of a reliable message that zenoh-pico sends
// with R=0 (spec 4.6) are delivered best-effort. msg belongs to RX and
// stays valid until the next Fragment call on the same channel (same
// priority and R flag). Otherwise msg is nil. err is as for Frame.
func (rx *RX) Fragment(f *codec.Fragment) (msg []byte, reliable bool, err error) {
	ch, err := rx.channel(f.Priority, f.Reliable)
	if err != nil {
		return nil, false, err
	}
	if !ch.active && cap(ch.buf) > rx.retain {
		rx.release(ch) // the message delivered from it is consumed
	}
	ok, err := rx.window(ch, f.SN)
	if !ok {
		return nil, false, err
	}
	rx.stats.Fragments++
	if rx.patch {
		switch {
		case f.Drop:
			if ch.active {
				rx.stats.Incomplete++
			}
			rx.abort(ch, false)
			rx.stats.FragmentsDropped++
			return nil, false, nil
		case f.First:
			if ch.active {
				rx.stats.Incomplete++
			}
			rx.abort(ch, false)
		case !ch.active:
			// A tail whose head we missed (or the rest of a message
			// being skipped).
			rx.stats.FragmentsDropped++
			ch.skip = false
			return nil, false, nil
		}
	}
	if ch.skip {
		rx.stats.FragmentsDropped++
		ch.skip = f.More
		return nil, false, nil
	}
	if !ch.active {
		ch.active = true
		ch.expect = f.SN
		ch.buf = ch.buf[:0]
	}
	if f.SN != ch.expect {
		rx.stats.Incomplete++
		rx.stats.FragmentsDropped++
		rx.abort(ch, f.More)
		return nil, false, nil
	}
	n := len(ch.buf) + len(f.Payload)
	if n > rx.cfg.MaxMessage || !rx.grow(ch, n) {
		rx.stats.Oversized++
		rx.stats.FragmentsDropped++
		rx.abort(ch, f.More)
		return nil, false, nil
	}
	ch.buf = append(ch.buf, f.Payload...)
	ch.expect = (f.SN + 1) & rx.mask
	if f.More {
		return nil, false, nil
	}
	ch.active = false
	if len(ch.buf) == 0 {
		rx.stats.FragmentsDropped++
		return nil, false, nil
	}
	rx.stats.Messages++
	return ch.buf[:len(ch.buf):len(ch.buf)], f.Reliable, nil
}

// abort forgets the message being reassembled on ch and frees its buffer;
// skip drops the fragments that still follow (until one with M=0, or a
// First marker).
func (rx *RX) abort(ch *rxChannel, skip bool) {
	ch.active = false
	ch.skip = skip
	rx.release(ch)
}

func (rx *RX) release(ch *rxChannel) {
	rx.held -= cap(ch.buf)
	if rx.cfg.Node != nil {
		rx.cfg.Node.give(int64(cap(ch.buf)))
	}
	ch.buf = nil
}

// Close returns every reassembly buffer (to the node's budget): the
// session ended.
func (rx *RX) Close() {
	for i := range rx.ch {
		rx.abort(&rx.ch[i], false)
	}
}

// grow makes room for need bytes in ch's buffer. It grows geometrically,
// by what actually arrived and never to a size the peer announces, within
// MaxMessage and the MaxBuffered budget. It reports false when need does
// not fit the budget.
func (rx *RX) grow(ch *rxChannel, need int) bool {
	old := cap(ch.buf)
	if need <= old {
		return true
	}
	c := max(2*old, need, 1024)
	c = min(c, rx.cfg.MaxMessage, rx.cfg.MaxBuffered-(rx.held-old))
	if c < need {
		// Idle channels may keep a buffer from their last message: take
		// it from them (a message delivered from it stays valid, it just
		// is no longer ours) and try again.
		for i := range rx.ch {
			if o := &rx.ch[i]; o != ch && !o.active {
				rx.release(o)
			}
		}
		c = min(max(2*old, need, 1024), rx.cfg.MaxMessage, rx.cfg.MaxBuffered-(rx.held-old))
		if c < need {
			return false
		}
	}
	if b := rx.cfg.Node; b != nil && !b.take(int64(c-old)) {
		// The node's budget is short: ask only for what is needed.
		if c = need; !b.take(int64(c - old)) {
			return false
		}
	}
	nb := make([]byte, len(ch.buf), c)
	copy(nb, ch.buf)
	ch.buf = nb
	rx.held += c - old
	return true
}
