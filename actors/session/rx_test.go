package session

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

func newTestRX(tb testing.TB, est Established, cfg RXConfig) *RX {
	tb.Helper()
	rx, err := NewRX(est, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return rx
}

// TestRXWindow checks the SN acceptance rule of spec/transport.md 6.3.
func TestRXWindow(t *testing.T) {
	tests := []struct {
		name    string
		res     codec.Resolution
		initial uint32
		sns     []uint32
		accept  []bool
	}{
		{"in order", 0x0a, 5, []uint32{5, 6, 7}, []bool{true, true, true}},
		{"duplicate", 0x0a, 5, []uint32{5, 5, 6, 6}, []bool{true, false, true, false}},
		{"old", 0x0a, 5, []uint32{5, 6, 7, 4, 6, 8}, []bool{true, true, true, false, false, true}},
		{"gaps accepted", 0x0a, 0, []uint32{0, 3, 100, 101}, []bool{true, true, true, true}},
		{"initial zero", 0x0a, 0, []uint32{0, 1}, []bool{true, true}},
		{"first before initial", 0x0a, 10, []uint32{9}, []bool{false}},
		{"pico reconnect starts later", 0x0a, 0, []uint32{3, 4}, []bool{true, true}},
		// 7-bit SNs: mask 0x7f, half 0x3f.
		{"wrap", 0x08, 0x7e, []uint32{0x7e, 0x7f, 0, 1}, []bool{true, true, true, true}},
		{"initial at mask", 0x08, 0x7f, []uint32{0x7f, 0}, []bool{true, true}},
		{"half ahead", 0x08, 0, []uint32{0, 0x3f}, []bool{true, true}},
		{"beyond half", 0x08, 0, []uint32{0, 0x40}, []bool{true, false}},
		{"beyond half from initial", 0x08, 0, []uint32{0x3f, 0x3e}, []bool{false, true}},
		{"14-bit wrap", 0x09, 0x3fff, []uint32{0x3fff, 0, 0x3ffe}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est := coreEst(65535, false, 1, 0, tt.initial)
			est.Resolution, est.SNMask = tt.res, codec.SNMask(tt.res.SNBits())
			rx := newTestRX(t, est, DefaultRXConfig())
			var dups uint64
			for i, sn := range tt.sns {
				for _, rel := range []bool{true, false} {
					ok, err := rx.Frame(&codec.Frame{Reliable: rel, SN: sn, Priority: codec.PriorityData})
					if err != nil || ok != tt.accept[i] {
						t.Fatalf("SN %#x (reliable %v): accept %v err %v, want %v", sn, rel, ok, err, tt.accept[i])
					}
				}
				if !tt.accept[i] {
					dups += 2
				}
			}
			if rx.Stats().Duplicates != dups {
				t.Fatalf("stats %+v, want %d duplicates", rx.Stats(), dups)
			}
		})
	}
}

func TestRXProtocolErrors(t *testing.T) {
	tests := []struct {
		name string
		qos  bool
		prio codec.Priority
		sn   uint32
		err  error
	}{
		{"sn above mask", false, codec.PriorityData, 1 << 28, ErrSN},
		{"priority without qos", false, codec.PriorityControl, 0, ErrPriority},
		{"priority 8", true, 8, 0, ErrPriority},
		{"priority with qos", true, codec.PriorityControl, 0, nil},
		{"data without qos", false, codec.PriorityData, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rx := newTestRX(t, coreEst(65535, tt.qos, 1, 0, 0), DefaultRXConfig())
			_, err := rx.Frame(&codec.Frame{SN: tt.sn, Priority: tt.prio})
			_, _, ferr := rx.Fragment(&codec.Fragment{SN: tt.sn, Priority: tt.prio, First: true, Payload: []byte{1}})
			for _, e := range []error{err, ferr} {
				if tt.err == nil {
					if e != nil {
						t.Fatal(e)
					}
					continue
				}
				if !errors.Is(e, tt.err) || coreReason(e) != int(codec.CloseInvalid) {
					t.Fatalf("err = %v, want %v (INVALID)", e, tt.err)
				}
			}
		})
	}
	t.Run("channels are independent", func(t *testing.T) {
		rx := newTestRX(t, coreEst(65535, true, 1, 0, 0), DefaultRXConfig())
		for p := range codec.Priority(8) {
			for _, rel := range []bool{false, true} {
				if ok, err := rx.Frame(&codec.Frame{Reliable: rel, SN: 0, Priority: p}); !ok || err != nil {
					t.Fatalf("priority %d reliable %v: %v %v", p, rel, ok, err)
				}
			}
		}
	})
}

// TestRXPicoFragments replays what zenoh-pico sends for a reliable message
// too large for a batch (spec/transport.md 4.6): reliable Frame SN 0, then
// Fragments with R=0 taking SNs 1 and 2 from the reliable counter, then
// the next reliable Frame with SN 3.
func TestRXPicoFragments(t *testing.T) {
	rx := newTestRX(t, coreEst(65535, false, 1, 0, 0), DefaultRXConfig())
	if ok, err := rx.Frame(&codec.Frame{Reliable: true, SN: 0, Priority: codec.PriorityData}); !ok || err != nil {
		t.Fatalf("frame 0: %v %v", ok, err)
	}
	msg, _, err := rx.Fragment(&codec.Fragment{SN: 1, More: true, First: true, Priority: codec.PriorityData, Payload: []byte("hello, ")})
	if msg != nil || err != nil {
		t.Fatalf("fragment 1: %q %v", msg, err)
	}
	msg, rel, err := rx.Fragment(&codec.Fragment{SN: 2, Priority: codec.PriorityData, Payload: []byte("world")})
	if string(msg) != "hello, world" || rel || err != nil {
		t.Fatalf("fragment 2: %q reliable %v %v", msg, rel, err)
	}
	if ok, err := rx.Frame(&codec.Frame{Reliable: true, SN: 3, Priority: codec.PriorityData}); !ok || err != nil {
		t.Fatalf("frame 3: %v %v", ok, err)
	}
	if s := rx.Stats(); s.Duplicates != 0 || s.Messages != 1 || s.Lost != 2+1 {
		// Lost: the best-effort channel skipped SN 0, the reliable one 1 and 2.
		t.Fatalf("stats %+v", s)
	}
}

// fragStep is one Fragment fed to RX and what should come out.
type fragStep struct {
	f    codec.Fragment
	want string // "" = no message
}

func frag(sn uint32, more, first bool, payload string) codec.Fragment {
	return codec.Fragment{Reliable: true, SN: sn, More: more, First: first, Priority: codec.PriorityData, Payload: []byte(payload)}
}

func TestRXReassembly(t *testing.T) {
	drop := frag(0, false, false, "")
	tests := []struct {
		name  string
		patch uint64
		max   int
		steps []fragStep
		stats Stats
	}{
		{"two parts", 1, 100, []fragStep{{frag(0, true, true, "ab"), ""}, {frag(1, false, false, "cd"), "abcd"}},
			Stats{Fragments: 2, Messages: 1}},
		{"one part", 1, 100, []fragStep{{frag(0, false, true, "ab"), "ab"}},
			Stats{Fragments: 1, Messages: 1}},
		{"tail without head", 1, 100, []fragStep{{frag(1, true, false, "x"), ""}, {frag(2, false, false, "y"), ""}, {frag(3, false, true, "ok"), "ok"}},
			Stats{Fragments: 3, Messages: 1, FragmentsDropped: 2, Lost: 1}},
		{"new first restarts", 1, 100, []fragStep{{frag(0, true, true, "ab"), ""}, {frag(1, true, true, "cd"), ""}, {frag(2, false, false, "e"), "cde"}},
			Stats{Fragments: 3, Messages: 1, Incomplete: 1}},
		{"drop marker", 1, 100, []fragStep{{frag(0, true, true, "ab"), ""}, {func() codec.Fragment { d := drop; d.SN, d.Drop = 1, true; return d }(), ""}, {frag(2, false, false, "x"), ""}, {frag(3, false, true, "y"), "y"}},
			Stats{Fragments: 4, Messages: 1, Incomplete: 1, FragmentsDropped: 2}},
		{"sn gap", 1, 100, []fragStep{{frag(0, true, true, "ab"), ""}, {frag(2, true, false, "cd"), ""}, {frag(3, false, false, "e"), ""}, {frag(4, false, true, "f"), "f"}},
			Stats{Fragments: 4, Messages: 1, Incomplete: 1, FragmentsDropped: 2, Lost: 1}},
		{"duplicate fragment ignored", 1, 100, []fragStep{{frag(0, true, true, "ab"), ""}, {frag(0, true, true, "ab"), ""}, {frag(1, false, false, "c"), "abc"}},
			Stats{Fragments: 2, Messages: 1, Duplicates: 1}},
		{"patch 0 ignores first", 0, 100, []fragStep{{frag(0, true, false, "ab"), ""}, {frag(1, true, true, "cd"), ""}, {frag(2, false, false, "e"), "abcde"}},
			Stats{Fragments: 3, Messages: 1}},
		{"patch 0 gap skips to end", 0, 100, []fragStep{{frag(0, true, false, "ab"), ""}, {frag(2, true, false, "cd"), ""}, {frag(3, false, false, "e"), ""}, {frag(4, true, false, "f"), ""}, {frag(5, false, false, "g"), "fg"}},
			Stats{Fragments: 5, Messages: 1, Incomplete: 1, FragmentsDropped: 2, Lost: 1}},
		{"oversized", 1, 4, []fragStep{{frag(0, true, true, "abc"), ""}, {frag(1, true, false, "de"), ""}, {frag(2, false, false, "f"), ""}, {frag(3, true, true, "ab"), ""}, {frag(4, false, false, "cd"), "abcd"}},
			Stats{Fragments: 5, Messages: 1, Oversized: 1, FragmentsDropped: 2}},
		{"patch 0 oversized skips to end", 0, 4, []fragStep{{frag(0, true, false, "abc"), ""}, {frag(1, true, false, "de"), ""}, {frag(2, false, false, "f"), ""}, {frag(3, false, false, "ok"), "ok"}},
			Stats{Fragments: 4, Messages: 1, Oversized: 1, FragmentsDropped: 2}},
		{"empty message", 1, 4, []fragStep{{frag(0, true, true, ""), ""}, {frag(1, false, false, ""), ""}},
			Stats{Fragments: 2, FragmentsDropped: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rx := newTestRX(t, coreEst(65535, false, tt.patch, 0, 0), RXConfig{MaxMessage: tt.max, MaxBuffered: tt.max})
			for i, s := range tt.steps {
				msg, rel, err := rx.Fragment(&s.f)
				if err != nil || string(msg) != s.want || (msg != nil && !rel) {
					t.Fatalf("step %d: %q reliable %v err %v, want %q", i, msg, rel, err, s.want)
				}
				if rx.Buffered() > tt.max {
					t.Fatalf("step %d: %d bytes buffered, cap %d", i, rx.Buffered(), tt.max)
				}
			}
			if got := rx.Stats(); got != tt.stats {
				t.Fatalf("stats\n got %+v\nwant %+v", got, tt.stats)
			}
		})
	}
}

func TestRXMemory(t *testing.T) {
	t.Run("budget shared by channels", func(t *testing.T) {
		rx := newTestRX(t, coreEst(65535, true, 1, 0, 0), RXConfig{MaxMessage: 3000, MaxBuffered: 4000})
		chunk := bytes.Repeat([]byte{1}, 1000)
		a := codec.Fragment{Reliable: true, More: true, First: true, Priority: 1, Payload: chunk}
		b := codec.Fragment{Reliable: true, More: true, First: true, Priority: 2, Payload: chunk}
		for sn := range uint32(3) {
			a.SN, b.SN = sn, sn
			a.First, b.First = sn == 0, sn == 0
			if _, _, err := rx.Fragment(&a); err != nil {
				t.Fatal(err)
			}
			if _, _, err := rx.Fragment(&b); err != nil {
				t.Fatal(err)
			}
			if rx.Buffered() > 4000 {
				t.Fatalf("SN %d: %d bytes buffered", sn, rx.Buffered())
			}
		}
		if s := rx.Stats(); s.Oversized != 1 {
			t.Fatalf("stats %+v: one of the two messages must be dropped", s)
		}
	})
	t.Run("large buffer released after use", func(t *testing.T) {
		rx := newTestRX(t, coreEst(65535, false, 1, 0, 0), DefaultRXConfig())
		big := make([]byte, 1<<20)
		rx.Fragment(&codec.Fragment{SN: 0, More: true, First: true, Priority: codec.PriorityData, Payload: big})
		msg, _, _ := rx.Fragment(&codec.Fragment{SN: 1, Priority: codec.PriorityData, Payload: big})
		if len(msg) != 2<<20 {
			t.Fatalf("message of %d bytes", len(msg))
		}
		other, _, _ := rx.Fragment(&codec.Fragment{Reliable: true, SN: 0, First: true, Priority: codec.PriorityData, Payload: []byte("x")})
		if msg[0] != 0 || len(msg) != 2<<20 || string(other) != "x" {
			t.Fatal("a call on another channel disturbed the message")
		}
		if rx.Buffered() < 2<<20 {
			t.Fatalf("buffer released while its message may be in use (%d)", rx.Buffered())
		}
		rx.Fragment(&codec.Fragment{SN: 2, First: true, Priority: codec.PriorityData, Payload: []byte("y")})
		if rx.Buffered() > 64<<10 {
			t.Fatalf("%d bytes still buffered", rx.Buffered())
		}
	})
	t.Run("growth follows what arrived", func(t *testing.T) {
		rx := newTestRX(t, coreEst(65535, false, 1, 0, 0), DefaultRXConfig())
		rx.Fragment(&codec.Fragment{SN: 0, More: true, First: true, Priority: codec.PriorityData, Payload: []byte("ab")})
		if rx.Buffered() > 1024 {
			t.Fatalf("%d bytes allocated for 2 received", rx.Buffered())
		}
	})
}

func TestRXConfig(t *testing.T) {
	for _, c := range []RXConfig{{}, {MaxMessage: 10, MaxBuffered: 9}, {MaxMessage: -1, MaxBuffered: 10}} {
		if _, err := NewRX(coreEst(65535, false, 1, 0, 0), c); !errors.Is(err, ErrConfig) {
			t.Fatalf("%+v: %v", c, err)
		}
	}
	if _, err := NewRX(Established{}, DefaultRXConfig()); !errors.Is(err, ErrConfig) {
		t.Fatalf("zero Established: %v", err)
	}
}

func BenchmarkRXFrame(b *testing.B) {
	rx := newTestRX(b, coreEst(65535, true, 1, 0, 0), DefaultRXConfig())
	f := codec.Frame{Reliable: true, Priority: codec.PriorityData}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := rx.Frame(&f); !ok {
			b.Fatal("refused")
		}
		f.SN = (f.SN + 1) & rx.mask
	}
}
