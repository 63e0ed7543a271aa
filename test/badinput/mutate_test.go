package badinput

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/vectors"
)

// seedRun is the data-phase batches one side of one captured connection
// sent, in order (their SNs follow each other).
type seedRun struct {
	name    string
	batches [][]byte
}

// loadSeeds reads the golden vectors and groups their data-phase batches
// (everything but Init and Open) by file, connection and direction.
func loadSeeds(t *testing.T) []seedRun {
	t.Helper()
	var runs []seedRun
	idx := map[string]int{}
	for _, b := range vectors.Load(t) {
		if len(b.Data) == 0 {
			continue
		}
		if id := b.Data[0] & 0x1f; id == codec.MidInit || id == codec.MidOpen {
			continue
		}
		k := b.File + b.Conn + b.Dir
		i, ok := idx[k]
		if !ok {
			i = len(runs)
			idx[k] = i
			runs = append(runs, seedRun{name: k})
		}
		runs[i].batches = append(runs[i].batches, b.Data)
	}
	if len(runs) == 0 {
		t.Fatal("no data-phase batches in the golden vectors")
	}
	return runs
}

// maxBatch is the largest batch a 2-byte prefix can announce.
const maxBatch = 0xffff

// piece is one batch to send and the length its prefix announces (a
// lying prefix when it differs from len(data)).
type piece struct {
	data   []byte
	prefix int
}

// poisonBatch is a one-byte batch, with its prefix, that cannot decode:
// 0x08 is no transport message id.
var poisonBatch = []byte{1, 0, 0x08}

// attack is what one bad connection does.
type attack struct {
	kind string   // the attack family
	ops  []string // mutations applied, for the report
	// handshake runs a valid handshake (with mutateOpen applied to the
	// OpenSyn, if set) before the pieces are sent.
	handshake  bool
	opts       rawOpts
	mutateOpen func([]byte) []byte
	pieces     []piece
	chunk      int  // write the stream in chunks of this many bytes (0: in one write)
	poison     bool // end with a batch that cannot decode, instead of going silent
}

// stream returns the bytes the attack writes after the handshake.
func (a *attack) stream() []byte {
	var out []byte
	for _, p := range a.pieces {
		out = binary.LittleEndian.AppendUint16(out, uint16(p.prefix))
		out = append(out, p.data...)
	}
	if a.poison {
		out = append(out, poisonBatch...)
	}
	return out
}

// describe names the attack and shows the start of its pieces, to
// reproduce a failure.
func (a *attack) describe() string {
	var b strings.Builder
	b.WriteString(a.kind)
	if len(a.ops) > 0 {
		b.WriteString(" [" + strings.Join(a.ops, ",") + "]")
	}
	for i, p := range a.pieces {
		if i == 4 {
			b.WriteString(" ...")
			break
		}
		d := p.data
		if len(d) > 48 {
			d = d[:48]
		}
		b.WriteString(" ")
		b.WriteString(hex.EncodeToString(d))
		if p.prefix != len(p.data) {
			b.WriteString("(prefix " + strconv.Itoa(p.prefix) + " for " + strconv.Itoa(len(p.data)) + ")")
		}
	}
	return b.String()
}

// mutator makes attacks from a seeded generator and the golden runs.
type mutator struct {
	rng   *rand.Rand
	seeds []seedRun
}

func (m *mutator) randBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(m.rng.Uint32())
	}
	return b
}

func (m *mutator) opts() rawOpts {
	o := defaultRawOpts()
	o.whatAmI = []codec.WhatAmI{codec.Client, codec.Peer, codec.Router}[m.rng.IntN(3)]
	o.qos = m.rng.IntN(2) == 0
	o.patch = uint64(m.rng.IntN(2))
	return o
}

// next returns a new attack.
func (m *mutator) next() *attack {
	switch p := m.rng.IntN(100); {
	case p < 8:
		// A random batch, framed correctly, where the InitSyn belongs;
		// half start like an InitSyn to get further into its decoder.
		// Such a start with a short ZID often decodes as an InitSyn
		// (the rest of a handshake batch is ignored): a second random
		// batch then stands for the OpenSyn, else the node would rightly
		// wait for its handshake timeout.
		b := m.randBytes(1 + m.rng.IntN(2048))
		if m.rng.IntN(2) == 0 && len(b) >= 2 {
			b[0], b[1] = codec.MidInit, codec.ProtoVersion
		}
		junk := m.randBytes(1 + m.rng.IntN(64))
		return &attack{kind: "random-before-handshake", pieces: []piece{{b, len(b)}, {junk, len(junk)}}}
	case p < 12:
		// 70,000 unframed random bytes: whatever the first prefix says,
		// a whole batch (or an over-size prefix) is there to fail on.
		b := m.randBytes(70000)
		return &attack{kind: "random-stream-before-handshake", pieces: []piece{{b[2:], int(b[0]) | int(b[1])<<8}}}
	case p < 22:
		// A mutated InitSyn, then a random batch in place of the OpenSyn
		// (if the InitSyn still passed, the node would otherwise wait
		// for its handshake timeout).
		var r rawConn
		r.zid = randomZID()
		a := &attack{kind: "mutated-initsyn"}
		b := m.mutate(a, r.initSyn(m.opts()))
		junk := m.randBytes(1 + m.rng.IntN(64))
		a.pieces = []piece{{b, len(b)}, {junk, len(junk)}}
		return a
	case p < 32:
		a := &attack{kind: "mutated-opensyn", handshake: true, opts: m.opts()}
		a.mutateOpen = func(b []byte) []byte { return m.mutate(a, b) }
		return a
	case p < 42:
		a := &attack{kind: "random-after-handshake", handshake: true, opts: m.opts(), poison: m.rng.IntN(2) == 0}
		for range 1 + m.rng.IntN(8) {
			b := m.randBytes(1 + m.rng.IntN(1024))
			if m.rng.IntN(2) == 0 {
				// Inside a reliable Frame, to reach the network decoders.
				b = append(codec.AppendFrameHeader(nil, &codec.Frame{Reliable: true, SN: uint32(m.rng.IntN(64)), Priority: codec.PriorityData}), b...)
			}
			a.pieces = append(a.pieces, piece{b, len(b)})
		}
		return a
	}
	return m.golden()
}

// golden mutates a window of a captured run, sent after a handshake
// whose initial SN is 0, as pico's, so that the captured SNs are ahead.
func (m *mutator) golden() *attack {
	a := &attack{kind: "mutated-golden", handshake: true, opts: m.opts(), poison: m.rng.IntN(2) == 0}
	run := m.seeds[m.rng.IntN(len(m.seeds))]
	start := m.rng.IntN(len(run.batches))
	n := 1 + m.rng.IntN(min(12, len(run.batches)-start))
	for _, b := range run.batches[start : start+n] {
		a.pieces = append(a.pieces, piece{slices.Clone(b), len(b)})
	}
	for range 1 + m.rng.IntN(3) {
		m.mutatePieces(a)
	}
	if total := len(a.stream()); total < 4096 && m.rng.IntN(4) == 0 {
		a.chunk = 1 + m.rng.IntN(7) // split delivery, down to a byte a write
		a.ops = append(a.ops, "split-writes")
	}
	return a
}

// mutatePieces applies one mutation to the pieces of a.
func (m *mutator) mutatePieces(a *attack) {
	i := m.rng.IntN(len(a.pieces))
	p := &a.pieces[i]
	switch m.rng.IntN(8) {
	case 0:
		a.ops = append(a.ops, "prefix")
		switch m.rng.IntN(5) {
		case 0:
			p.prefix = m.rng.IntN(maxBatch + 1)
		case 1:
			p.prefix = min(len(p.data)+1+m.rng.IntN(16), maxBatch)
		case 2:
			p.prefix = max(len(p.data)-1-m.rng.IntN(16), 0)
		case 3:
			p.prefix = maxBatch
		default:
			p.prefix = 0
		}
	case 1:
		a.ops = append(a.ops, "duplicate")
		for range 1 + m.rng.IntN(3) {
			a.pieces = slices.Insert(a.pieces, i, piece{slices.Clone(p.data), p.prefix})
		}
	case 2:
		a.ops = append(a.ops, "reorder")
		m.rng.Shuffle(len(a.pieces), func(x, y int) { a.pieces[x], a.pieces[y] = a.pieces[y], a.pieces[x] })
	case 3:
		a.ops = append(a.ops, "splice")
		o := m.seeds[m.rng.IntN(len(m.seeds))]
		other := o.batches[m.rng.IntN(len(o.batches))]
		d := append(slices.Clone(p.data[:m.rng.IntN(len(p.data)+1)]), other[m.rng.IntN(len(other)):]...)
		if len(d) > maxBatch {
			d = d[:maxBatch]
		}
		p.data, p.prefix = d, len(d)
	default:
		p.data = m.mutate(a, p.data)
		p.prefix = len(p.data)
	}
}

// hugeZints are zints that overflow what their field holds, or that run
// past zenoh's 9-byte limit.
var hugeZints = [][]byte{
	{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},       // 2^64-1
	{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // ten bytes
	{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, // never ends within the limit
	codec.AppendZint(nil, 1<<32),
	codec.AppendZint(nil, 1<<63),
	codec.AppendZint(nil, 0xffffffff),
	codec.AppendZint(nil, 1<<30),   // a plausible but huge length
	{0xff, 0xff, 0xff, 0xff, 0x0f}, // 2^32-1 in 5 bytes
}

// mutate returns a mutated copy of one batch: bit flips, truncation,
// a huge zint inserted or written over, bytes inserted or deleted.
func (m *mutator) mutate(a *attack, b []byte) []byte {
	b = slices.Clone(b)
	switch m.rng.IntN(5) {
	case 0:
		a.ops = append(a.ops, "bitflip")
		if len(b) == 0 {
			return b
		}
		for range 1 + m.rng.IntN(8) {
			// Headers are where decoding decides most: bias to the start.
			n := len(b)
			if m.rng.IntN(2) == 0 {
				n = min(n, 32)
			}
			b[m.rng.IntN(n)] ^= 1 << m.rng.IntN(8)
		}
	case 1:
		a.ops = append(a.ops, "truncate")
		if len(b) > 0 {
			b = b[:m.rng.IntN(len(b))]
		}
	case 2:
		z := hugeZints[m.rng.IntN(len(hugeZints))]
		at := min(1+m.rng.IntN(16), len(b))
		if m.rng.IntN(2) == 0 {
			a.ops = append(a.ops, "zint-insert")
			b = slices.Insert(b, at, z...)
		} else {
			a.ops = append(a.ops, "zint-overwrite")
			b = append(b[:at], append(slices.Clone(z), b[min(at+len(z), len(b)):]...)...)
		}
		if len(b) > maxBatch {
			b = b[:maxBatch]
		}
	case 3:
		a.ops = append(a.ops, "insert")
		at := m.rng.IntN(len(b) + 1)
		b = slices.Insert(b, at, m.randBytes(1+m.rng.IntN(8))...)
		if len(b) > maxBatch {
			b = b[:maxBatch]
		}
	default:
		a.ops = append(a.ops, "delete")
		if len(b) > 1 {
			at := m.rng.IntN(len(b) - 1)
			b = slices.Delete(b, at, min(at+1+m.rng.IntN(8), len(b)))
		}
	}
	return b
}
