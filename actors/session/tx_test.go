package session

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

func newTestTX(tb testing.TB, est Established, stream bool, cfg TXConfig) *TX {
	tb.Helper()
	tx, err := NewTX(est, stream, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return tx
}

// coreSink receives the batches of a TX as the peer would: it checks the
// batching invariants, the SN sequence of each channel, and passes Frames
// and Fragments through an RX, collecting the delivered messages.
type coreSink struct {
	tb     testing.TB
	limit  int
	stream bool
	mask   uint32
	rx     *RX
	next   [numChannels]uint32 // next SN expected on each channel
	got    [numChannels][][]byte
	br     codec.BatchReader
	tm     codec.TransportMessage
	nm     codec.NetworkMessage
}

// newCoreSink receives what a TX built on sender sends.
func newCoreSink(tb testing.TB, sender Established, stream bool) *coreSink {
	s := &coreSink{tb: tb, limit: int(sender.BatchSize), stream: stream, mask: sender.SNMask}
	s.rx = newTestRX(tb, coreMirror(sender, coreZID(tb, 1)), DefaultRXConfig())
	for i := range s.next {
		s.next[i] = sender.OwnInitialSN
	}
	return s
}

func (s *coreSink) sn(ch int, sn uint32) {
	s.tb.Helper()
	if sn != s.next[ch] {
		s.tb.Fatalf("channel %d: SN %#x, want %#x", ch, sn, s.next[ch])
	}
	s.next[ch] = (sn + 1) & s.mask
}

func (s *coreSink) batch(b []byte) {
	s.tb.Helper()
	if len(b) > s.limit {
		s.tb.Fatalf("batch of %d bytes, agreed %d", len(b), s.limit)
	}
	if s.stream {
		if n := int(b[0]) | int(b[1])<<8; n != len(b)-2 {
			s.tb.Fatalf("prefix %d for %d bytes", n, len(b)-2)
		}
		b = b[2:]
	}
	s.br.Reset(b)
	for i := 0; s.br.Next(&s.tm); i++ {
		if i > 0 {
			s.tb.Fatalf("batch holds a transport message (id %#x) after its first", s.tm.ID)
		}
		switch s.tm.ID {
		case codec.MidFrame:
			f := &s.tm.Frame
			ch := channelIndex(f.Priority, f.Reliable)
			s.sn(ch, f.SN)
			if ok, err := s.rx.Frame(f); !ok || err != nil {
				s.tb.Fatalf("RX refused Frame SN %#x: %v", f.SN, err)
			}
			n := 0
			for start := s.br.Offset(); s.br.NextNetwork(&s.nm); start = s.br.Offset() {
				s.got[ch] = append(s.got[ch], bytes.Clone(b[start:s.br.Offset()]))
				n++
			}
			if n == 0 {
				s.tb.Fatal("empty Frame")
			}
			if s.br.Err() != nil || s.br.Offset() != len(b) {
				s.tb.Fatalf("Frame not last: offset %d of %d, err %v", s.br.Offset(), len(b), s.br.Err())
			}
		case codec.MidFragment:
			f := &s.tm.Fragment
			ch := channelIndex(f.Priority, f.Reliable)
			s.sn(ch, f.SN)
			msg, rel, err := s.rx.Fragment(f)
			if err != nil {
				s.tb.Fatal(err)
			}
			if msg != nil {
				if rel != f.Reliable {
					s.tb.Fatal("reliability changed")
				}
				s.got[ch] = append(s.got[ch], bytes.Clone(msg))
			}
		default:
			s.tb.Fatalf("unexpected transport message %#x", s.tm.ID)
		}
	}
	if s.br.Err() != nil {
		s.tb.Fatal(s.br.Err())
	}
}

// drain pulls and delivers everything queued.
func (s *coreSink) drain(tx *TX) {
	s.tb.Helper()
	for b := tx.Pull(); b != nil; b = tx.Pull() {
		s.batch(b)
		tx.Release(b)
	}
	if !tx.Idle() || tx.Pending() != 0 {
		s.tb.Fatalf("drained TX still has %d bytes", tx.Pending())
	}
}

func TestTXBatching(t *testing.T) {
	est := coreEst(2048, false, 1, 100, 0)
	tx := newTestTX(t, est, true, DefaultTXConfig())
	var want []byte
	want = codec.AppendFrameHeader(append(want, 0, 0), &codec.Frame{Reliable: true, SN: 100, Priority: codec.PriorityData})
	for i := range 3 {
		m := corePush(i, codec.DefaultQoS)
		want = codec.AppendNetwork(want, m)
		if err := tx.Push(m, true); err != nil {
			t.Fatal(err)
		}
		m.Push.Body.Payload = append(m.Push.Body.Payload[:0], 0xff) // reused by the caller
	}
	want[0], want[1] = byte(len(want)-2), byte((len(want)-2)>>8)
	if tx.Pending() != len(want) || tx.Idle() {
		t.Fatalf("pending %d, want %d", tx.Pending(), len(want))
	}
	b := tx.Pull()
	if !bytes.Equal(b, want) {
		t.Fatalf("batch\n got %x\nwant %x", b, want)
	}
	if tx.Pull() != nil || !tx.Idle() {
		t.Fatal("more than one batch")
	}
	tx.Release(b)
}

// pullAll returns copies of every queued batch, in Pull order.
func pullAll(tx *TX) [][]byte {
	var out [][]byte
	for b := tx.Pull(); b != nil; b = tx.Pull() {
		out = append(out, bytes.Clone(b))
		tx.Release(b)
	}
	return out
}

func TestTXChannels(t *testing.T) {
	small := func(p codec.Priority, express bool) *codec.NetworkMessage {
		return corePush(1, codec.NewQoS(p, false, express))
	}
	type push struct {
		m   *codec.NetworkMessage
		rel bool
	}
	tests := []struct {
		name   string
		qos    bool
		pushes []push
		heads  []string // hex of each batch's first bytes: Frame header (datagram link)
	}{
		{"reliability switch", false, []push{{small(5, false), true}, {small(5, false), false}, {small(5, false), true}},
			[]string{"250a", "050a", "250b"}},
		{"priority order", true, []push{{small(7, false), true}, {small(5, false), true}, {small(0, false), true}, {small(0, false), true}},
			[]string{"a50a3100", "250a", "a50a3107"}},
		{"no qos: priority ignored", false, []push{{small(7, false), true}, {small(0, false), true}},
			[]string{"250a"}},
		{"express closes the batch", false, []push{{small(5, true), true}, {small(5, false), true}, {small(5, false), true}},
			[]string{"250a", "250b"}},
		{"express with qos", true, []push{{small(2, false), false}, {small(2, true), false}, {small(2, false), false}},
			[]string{"850a3102", "850b3102"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := newTestTX(t, coreEst(65535, tt.qos, 1, 10, 0), false, DefaultTXConfig())
			for _, p := range tt.pushes {
				if err := tx.Push(p.m, p.rel); err != nil {
					t.Fatal(err)
				}
			}
			batches := pullAll(tx)
			if len(batches) != len(tt.heads) {
				t.Fatalf("%d batches, want %d", len(batches), len(tt.heads))
			}
			for i, b := range batches {
				want := decodeHex(t, tt.heads[i])
				if !bytes.HasPrefix(b, want) {
					t.Fatalf("batch %d starts %x, want %x", i, b[:min(len(b), len(want))], want)
				}
			}
		})
	}
}

func decodeHex(tb testing.TB, s string) []byte {
	tb.Helper()
	var out []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c - 'a' + 10)
			default:
				tb.Fatalf("bad hex %q", s)
			}
		}
		out = append(out, v)
	}
	return out
}

func TestTXFullBeforePartial(t *testing.T) {
	tx := newTestTX(t, coreEst(256, true, 1, 0, 0), true, DefaultTXConfig())
	for range 21 {
		if err := tx.Push(corePush(30, codec.DefaultQoS), true); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Push(corePush(30, codec.NewQoS(6, false, false)), true); err != nil {
		t.Fatal(err)
	}
	var lens []int
	for b := tx.Pull(); b != nil; b = tx.Pull() {
		lens = append(lens, len(b))
		tx.Release(b)
	}
	// Priority 5: full batches first, the partial one last; then 6.
	n := len(lens)
	for i, l := range lens[:n-2] {
		if l+54 <= 256 {
			t.Fatalf("batch %d of %d bytes is not full (%v)", i, l, lens)
		}
	}
	if lens[n-2] >= lens[0] || lens[n-1] > 100 {
		t.Fatalf("lengths %v", lens)
	}
}

func TestTXQueueFull(t *testing.T) {
	cfg := DefaultTXConfig()
	cfg.ChannelLimit, cfg.TotalLimit = 300, 500
	est := coreEst(65535, true, 1, 0, 0)
	t.Run("channel", func(t *testing.T) {
		tx := newTestTX(t, est, false, cfg)
		twin := newTestTX(t, est, false, cfg)
		var err error
		for i := 0; ; i++ {
			m := corePush(40, codec.DefaultQoS)
			if err = tx.Push(m, true); err != nil {
				break
			}
			if err := twin.Push(m, true); err != nil {
				t.Fatal(err)
			}
			if i > 100 {
				t.Fatal("never full")
			}
		}
		if !errors.Is(err, ErrQueueFull) || tx.Pending() > cfg.ChannelLimit || tx.Pending() != twin.Pending() {
			t.Fatalf("err %v, pending %d (twin %d)", err, tx.Pending(), twin.Pending())
		}
		// Another channel still has room.
		if err := tx.Push(corePush(40, codec.DefaultQoS), false); err != nil {
			t.Fatal(err)
		}
		if err := twin.Push(corePush(40, codec.DefaultQoS), false); err != nil {
			t.Fatal(err)
		}
		// The refused push left nothing behind: same batches as the twin.
		a, b := pullAll(tx), pullAll(twin)
		if len(a) != len(b) {
			t.Fatalf("%d batches, twin %d", len(a), len(b))
		}
		for i := range a {
			if !bytes.Equal(a[i], b[i]) {
				t.Fatalf("batch %d differs from the twin's", i)
			}
		}
	})
	t.Run("total", func(t *testing.T) {
		tx := newTestTX(t, est, false, cfg)
		var err error
		for p := range codec.Priority(8) {
			if err = tx.Push(corePush(200, codec.NewQoS(p, true, false)), true); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrQueueFull) || tx.Pending() > cfg.TotalLimit {
			t.Fatalf("err %v, pending %d", err, tx.Pending())
		}
	})
	t.Run("large message into an empty queue", func(t *testing.T) {
		tx := newTestTX(t, est, false, cfg)
		if err := tx.Push(corePush(100000, codec.DefaultQoS), true); err != nil {
			t.Fatal(err)
		}
		if err := tx.Push(corePush(1, codec.DefaultQoS), true); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("second push: %v", err)
		}
		s := newCoreSink(t, est, false)
		s.drain(tx)
		if err := tx.Push(corePush(1, codec.DefaultQoS), true); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTXFragments(t *testing.T) {
	tests := []struct {
		name   string
		batch  uint16
		stream bool
		qos    bool
		prio   codec.Priority
		patch  uint64
		rel    bool
		size   int
		frags  int
	}{
		{"pico stream", 2048, true, false, 5, 1, true, 3000, 2},
		{"qos priority", 2048, true, true, 2, 1, false, 5000, 3},
		{"patch 0", 2048, false, false, 5, 0, true, 5000, 3},
		{"100k over 65535", 65535, true, false, 5, 1, true, 100000, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est := coreEst(tt.batch, tt.qos, tt.patch, 0x1235, 0)
			tx := newTestTX(t, est, tt.stream, DefaultTXConfig())
			m := corePush(tt.size, codec.NewQoS(tt.prio, false, false))
			enc := codec.AppendNetwork(nil, m)
			if err := tx.Push(m, tt.rel); err != nil {
				t.Fatal(err)
			}
			batches := pullAll(tx)
			if len(batches) != tt.frags {
				t.Fatalf("%d fragments, want %d", len(batches), tt.frags)
			}
			var joined []byte
			for i, b := range batches {
				if i < len(batches)-1 && len(b) != int(tt.batch) {
					t.Fatalf("fragment %d: %d bytes, want a full batch of %d", i, len(b), tt.batch)
				}
				if tt.stream {
					b = b[2:]
				}
				var m codec.TransportMessage
				if n, err := codec.DecodeTransport(b, &m); err != nil || n != len(b) || m.ID != codec.MidFragment {
					t.Fatalf("fragment %d: n %d err %v id %#x", i, n, err, m.ID)
				}
				f := m.Fragment
				wantPrio := codec.PriorityData
				if tt.qos {
					wantPrio = tt.prio
				}
				last := i == len(batches)-1
				if f.SN != 0x1235+uint32(i) || f.More == last || f.First != (i == 0 && tt.patch > 0) ||
					f.Reliable != tt.rel || f.Priority != wantPrio || f.Drop {
					t.Fatalf("fragment %d: %+v", i, f)
				}
				joined = append(joined, f.Payload...)
			}
			if !bytes.Equal(joined, enc) {
				t.Fatal("fragments do not join into the message")
			}
		})
	}
}

func TestTXControlBatches(t *testing.T) {
	for _, stream := range []bool{true, false} {
		tx := newTestTX(t, coreEst(2048, false, 1, 0, 0), stream, DefaultTXConfig())
		ka, cl := tx.KeepAlive(), tx.Close(codec.CloseExpired, true)
		wantKA, wantCl := []byte{0x04}, []byte{0x23, 0x05}
		if stream {
			wantKA, wantCl = []byte{1, 0, 0x04}, []byte{2, 0, 0x23, 0x05}
		}
		if !bytes.Equal(ka, wantKA) || !bytes.Equal(cl, wantCl) {
			t.Fatalf("stream %v: KeepAlive %x, Close %x", stream, ka, cl)
		}
		if !tx.Idle() || tx.Pull() != nil {
			t.Fatal("control batches are not queued")
		}
		tx.Release(cl)
		tx.Release(ka)
		tx.Release([]byte{1}) // unknown: ignored
		if len(tx.out) != 0 || len(tx.free) != 2 {
			t.Fatalf("out %d free %d", len(tx.out), len(tx.free))
		}
		if b := tx.Close(codec.CloseGeneric, false); !bytes.Equal(b[len(b)-2:], []byte{0x03, 0x00}) {
			t.Fatalf("link Close %x", b)
		}
	}
}

func TestTXErrors(t *testing.T) {
	cfg := DefaultTXConfig()
	cfg.MaxMessage = 100
	tx := newTestTX(t, coreEst(2048, false, 1, 0, 0), true, cfg)
	if err := tx.Push(&codec.NetworkMessage{ID: codec.MidFrame}, true); !errors.Is(err, ErrNotNetwork) {
		t.Fatalf("transport id: %v", err)
	}
	if err := tx.Push(corePush(200, codec.DefaultQoS), true); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("large: %v", err)
	}
	if !tx.Idle() {
		t.Fatal("refused messages were queued")
	}
	for _, c := range []TXConfig{{}, {ChannelLimit: 1, TotalLimit: 1, MaxMessage: 1, PoolBytes: -1}} {
		if _, err := NewTX(coreEst(2048, false, 1, 0, 0), true, c); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if _, err := NewTX(coreEst(16, false, 1, 0, 0), true, DefaultTXConfig()); !errors.Is(err, ErrConfig) {
		t.Fatalf("batch 16: %v", err)
	}
}

func TestTXSNWrap(t *testing.T) {
	est := coreEst(2048, false, 1, 0x7d, 0)
	est.Resolution, est.SNMask = 0x08, 0x7f
	tx := newTestTX(t, est, true, DefaultTXConfig())
	s := newCoreSink(t, est, true)
	for i := range 10 {
		size := 10
		if i%3 == 2 {
			size = 5000 // fragments share the counter
		}
		if err := tx.Push(corePush(size, codec.DefaultQoS), true); err != nil {
			t.Fatal(err)
		}
		s.drain(tx)
	}
	if len(s.got[channelIndex(codec.PriorityData, true)]) != 10 || s.next[channelIndex(codec.PriorityData, true)] != (0x7d+16)&0x7f {
		t.Fatalf("got %d messages, next SN %#x", len(s.got[11]), s.next[11])
	}
}

func TestFrameHeaderLen(t *testing.T) {
	for _, sn := range []uint32{0, 0x7f, 0x80, 0x3fff, 0x4000, 0x0fffffff} {
		for p := range codec.Priority(8) {
			f := codec.Frame{SN: sn, Priority: p}
			if got, want := frameHeaderLen(sn, p), len(codec.AppendFrameHeader(nil, &f)); got != want {
				t.Fatalf("Frame SN %#x prio %d: %d, codec writes %d", sn, p, got, want)
			}
			for _, first := range []bool{false, true} {
				g := codec.Fragment{SN: sn, Priority: p, First: first}
				if got, want := fragmentHeaderLen(sn, p, first), len(codec.AppendFragment(nil, &g)); got != want {
					t.Fatalf("Fragment SN %#x prio %d first %v: %d, codec writes %d", sn, p, first, got, want)
				}
			}
		}
	}
}

func TestTXPool(t *testing.T) {
	cfg := DefaultTXConfig()
	cfg.PoolBytes = 0 // keeps the minimum of 8
	tx := newTestTX(t, coreEst(2048, false, 1, 0, 0), true, cfg)
	if err := tx.Push(corePush(100000, codec.DefaultQoS), true); err != nil {
		t.Fatal(err)
	}
	var held [][]byte
	for b := tx.Pull(); b != nil; b = tx.Pull() {
		held = append(held, b)
	}
	for _, b := range held {
		tx.Release(b)
	}
	if len(tx.free) != 8 || len(tx.out) != 0 {
		t.Fatalf("free %d, out %d", len(tx.free), len(tx.out))
	}
	// Reuse: the next batch comes from the pool.
	top := tx.free[len(tx.free)-1]
	tx.Push(corePush(1, codec.DefaultQoS), true)
	if b := tx.Pull(); &b[0] != &top.Buf[0] {
		t.Fatal("buffer not reused")
	}
}

// TestTXNoAllocs pins the steady state: Push, Pull and Release allocate
// nothing per message.
func TestTXNoAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		qos  bool
		each bool // pull after every push (idle writer)
	}{{"batched", false, false}, {"batched qos", true, false}, {"idle writer", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			tx := newTestTX(t, coreEst(65535, tc.qos, 1, 0, 0), true, DefaultTXConfig())
			m := corePush(8, codec.NewQoS(3, false, false))
			cycle := func() {
				if err := tx.Push(m, true); err != nil {
					t.Fatal(err)
				}
				if tc.each || tx.Pending() > tx.limit {
					for b := tx.Pull(); b != nil; b = tx.Pull() {
						tx.Release(b)
					}
				}
			}
			for range 20000 {
				cycle() // warm up: pool, queues, scratch
			}
			if n := testing.AllocsPerRun(20000, cycle); n != 0 {
				t.Fatalf("%v allocations per message", n)
			}
		})
	}
}

// TestTXRoundTrip sends random messages of random sizes and priorities
// through TX and RX and checks every one arrives once, in order per
// channel, within the invariants coreSink checks.
func TestTXRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		batch   uint16
		stream  bool
		qos     bool
		patch   uint64
		maxSize int
		n       int
	}{
		{"rust tcp", 65535, true, true, 1, 1 << 20, 120},
		{"pico tcp", 2048, true, false, 1, 1 << 20, 80},
		{"udp qos patch 0", 65487, false, true, 0, 1 << 20, 80},
		{"tiny batches", 64, true, true, 1, 64 << 10, 150},
		{"small messages", 2048, false, true, 1, 300, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(coreRand(uint64(len(tt.name))))
			est := coreEst(tt.batch, tt.qos, tt.patch, r.Uint32()&0x0fffffff, 0)
			tx := newTestTX(t, est, tt.stream, DefaultTXConfig())
			s := newCoreSink(t, est, tt.stream)
			var want [numChannels][][]byte
			// Batches pulled and written (in Pull order) but released
			// later and out of order: their bytes must stay put until then.
			type pulled struct{ b, copy []byte }
			var held []pulled
			release := func(i int) {
				if !bytes.Equal(held[i].b, held[i].copy) {
					t.Fatal("a batch changed before its Release")
				}
				tx.Release(held[i].b)
				held = append(held[:i], held[i+1:]...)
			}
			for range tt.n {
				size := int(math.Exp(r.Float64() * math.Log(float64(tt.maxSize))))
				q := codec.NewQoS(codec.Priority(r.IntN(8)), r.IntN(2) == 0, r.IntN(5) == 0)
				m := coreRandomMessage(r, size, q)
				rel := r.IntN(3) != 0
				p := codec.PriorityData
				if tt.qos {
					p = q.Priority()
				}
				err := tx.Push(m, rel)
				if errors.Is(err, ErrQueueFull) {
					s.drain(tx)
					err = tx.Push(m, rel)
				}
				if err != nil {
					t.Fatal(err)
				}
				ch := channelIndex(p, rel)
				want[ch] = append(want[ch], codec.AppendNetwork(nil, m))
				// The writer takes a few batches now and then.
				for range r.IntN(3) {
					if b := tx.Pull(); b != nil {
						s.batch(b)
						held = append(held, pulled{b, bytes.Clone(b)})
					}
				}
				if len(held) > 2 {
					release(r.IntN(len(held)))
				}
			}
			for len(held) > 0 {
				release(len(held) - 1)
			}
			s.drain(tx)
			total := 0
			for ch := range want {
				if len(s.got[ch]) != len(want[ch]) {
					t.Fatalf("channel %d: %d messages, want %d", ch, len(s.got[ch]), len(want[ch]))
				}
				for i := range want[ch] {
					if !bytes.Equal(s.got[ch][i], want[ch][i]) {
						t.Fatalf("channel %d message %d differs (%d vs %d bytes)", ch, i, len(s.got[ch][i]), len(want[ch][i]))
					}
				}
				total += len(want[ch])
			}
			if st := s.rx.Stats(); st.Duplicates != 0 || st.Lost != 0 || st.FragmentsDropped != 0 || st.Oversized != 0 || st.Incomplete != 0 {
				t.Fatalf("RX stats %+v", st)
			}
			if total != tt.n {
				t.Fatalf("%d messages, want %d", total, tt.n)
			}
		})
	}
}

// TestTXFragmentRoundTrip sends one 1 MiB and one 16 MiB message between
// small ones.
func TestTXFragmentRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		batch uint16
	}{{"1MiB/2048", 1 << 20, 2048}, {"1MiB/65535", 1 << 20, 65535}, {"16MiB/65535", 16 << 20, 65535}, {"16MiB/2048", 16 << 20, 2048}} {
		t.Run(tc.name, func(t *testing.T) {
			est := coreEst(tc.batch, true, 1, 0x0ffffff0, 0) // SNs wrap on the way
			tx := newTestTX(t, est, true, DefaultTXConfig())
			s := newCoreSink(t, est, true)
			r := rand.New(coreRand(7))
			var want [][]byte
			for i, size := range []int{5, tc.size, 7} {
				m := coreRandomMessage(r, size, codec.DefaultQoS)
				err := tx.Push(m, true)
				if errors.Is(err, ErrQueueFull) {
					// The channel holds the first message and this one
					// exceeds the limit: it waits for the writer.
					s.drain(tx)
					err = tx.Push(m, true)
				}
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				want = append(want, codec.AppendNetwork(nil, m))
			}
			s.drain(tx)
			got := s.got[channelIndex(codec.PriorityData, true)]
			if len(got) != 3 {
				t.Fatalf("%d messages", len(got))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("message %d differs", i)
				}
			}
		})
	}
}

func benchmarkTX(b *testing.B, size int, each bool) {
	tx := newTestTX(b, coreEst(65535, true, 1, 0, 0), true, DefaultTXConfig())
	m := corePush(size, codec.DefaultQoS)
	b.SetBytes(int64(len(codec.AppendNetwork(nil, m))))
	b.ReportAllocs()
	for b.Loop() {
		if err := tx.Push(m, true); err != nil {
			b.Fatal(err)
		}
		if each || tx.Pending() > tx.limit {
			for p := tx.Pull(); p != nil; p = tx.Pull() {
				tx.Release(p)
			}
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkTX measures Push of a Push(Put) with Pull and Release cycles:
// "busy" pulls when a batch is full (a busy writer), "idle" after every
// message (one message per batch).
func BenchmarkTX(b *testing.B) {
	b.Run("8B/busy", func(b *testing.B) { benchmarkTX(b, 8, false) })
	b.Run("1KiB/busy", func(b *testing.B) { benchmarkTX(b, 1024, false) })
	b.Run("8B/idle", func(b *testing.B) { benchmarkTX(b, 8, true) })
	b.Run("1MiB/fragmented", func(b *testing.B) { benchmarkTX(b, 1<<20, true) })
}
