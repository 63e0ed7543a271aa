package link

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// tcpLink spawns a link over one end of a loopback TCP connection, under
// a test owner, and returns the owner, the link, the owner's channel and
// the raw other end.
func tcpLink(t *testing.T, sys *actor.ActorSystem, cfg Config, keep bool) (ownerPID, linkPID *actor.PID, out chan any, peer *net.TCPConn) {
	t.Helper()
	local, peer := tcpPair(t)
	ownerPID, linkPID, out = spawnOwner(t, sys, Props(local, connInfo("tcp", local), cfg), keep)
	return ownerPID, linkPID, out, peer
}

// readModes are the two ways a link hands batches over: in Inbounds the
// owner releases (the handshake), or to a sink the owner switched to at
// the first Inbound. Tests of the read path run in both.
var readModes = []struct {
	name string
	sink bool
}{
	{"inbound", false},
	{"sink", true},
}

// modeLink is tcpLink in one of readModes, with props wrapped by wrap
// (nil: none).
func modeLink(t *testing.T, sys *actor.ActorSystem, cfg Config, sink bool, wrap func(*actor.Props) *actor.Props) (ownerPID, linkPID *actor.PID, out chan any, peer *net.TCPConn) {
	t.Helper()
	local, peer := tcpPair(t)
	p := Props(local, connInfo("tcp", local), cfg)
	if wrap != nil {
		p = wrap(p)
	}
	if sink {
		ownerPID, linkPID, out = spawnSinkOwner(t, sys, p, &testSink{})
	} else {
		ownerPID, linkPID, out = spawnOwner(t, sys, p, false)
	}
	return ownerPID, linkPID, out, peer
}

func randomBatches(rng *rand.Rand, sizes ...int) [][]byte {
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, n)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

func checkBatches(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d batches, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d: got %d bytes, want %d (or contents differ)", i, len(got[i]), len(want[i]))
		}
	}
}

// readExactly reads n bytes from c within the deadline.
func readExactly(t *testing.T, c net.Conn, n int) []byte {
	t.Helper()
	got := make([]byte, n)
	_ = c.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading %d bytes: %v", n, err)
	}
	return got
}

func TestLinkStreamSplitReads(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			sys := newSystem(t)
			_, _, out, peer := modeLink(t, sys, Config{}, mode.sink, nil)
			rng := rand.New(rand.NewPCG(1, 2))
			want := randomBatches(rng, 1, 2, 3, 300, 5000, 1, codec.MaxBatchPayload(TCPMTU, true))
			stream := frames(want...)
			// One byte per write for the small batches, then 4 KiB chunks.
			small := 2 + 1 + 2 + 2 + 2 + 3 + 2 + 300
			for i := range small {
				if _, err := peer.Write(stream[i : i+1]); err != nil {
					t.Fatal(err)
				}
			}
			for p := stream[small:]; len(p) > 0; {
				n := min(len(p), 4093)
				if _, err := peer.Write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
			}
			d := collect(t, out, len(want))
			checkBatches(t, d.batches, want)
			if mode.sink && d.sunk == 0 {
				t.Error("the sink got no batch")
			}
		})
	}
}

func TestLinkStreamManyBatchesPerRead(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			sys := newSystem(t)
			_, _, out, peer := modeLink(t, sys, Config{}, mode.sink, nil)
			rng := rand.New(rand.NewPCG(3, 4))
			// A first batch alone, for the sink mode's switch; then 500
			// in one write.
			if _, err := peer.Write(frame([]byte("first"))); err != nil {
				t.Fatal(err)
			}
			collect(t, out, 1)
			sizes := make([]int, 500)
			for i := range sizes {
				sizes[i] = 1 + rng.IntN(200)
			}
			want := randomBatches(rng, sizes...)
			if _, err := peer.Write(frames(want...)); err != nil {
				t.Fatal(err)
			}
			d := collect(t, out, len(want))
			checkBatches(t, d.batches, want)
			// Reads, whether Inbounds or sink reads, carry several batches.
			reads := len(d.inbounds) + d.ends
			if reads >= len(want) {
				t.Errorf("%d batches in %d reads, never more than one per read", len(want), reads)
			}
			if mode.sink && d.sunk != len(want) {
				t.Errorf("the sink got %d batches of %d", d.sunk, len(want))
			}
		})
	}
}

// TestLinkWrite: the writer writes what the Source has, in order, hands
// each Pull's batches back with Written, and writes several in one go.
func TestLinkWrite(t *testing.T) {
	sys := newSystem(t)
	src := newTestSource()
	_, _, _, peer := tcpLink(t, sys, Config{Out: src}, false)
	var want []byte
	// One at a time: each Pull has one batch.
	for i := range 3 {
		b := frame(bytes.Repeat([]byte{byte(i)}, 1000*(i+1)))
		want = append(want, b...)
		src.push(b)
		w := src.nextWritten(t)
		if w.err != nil || len(w.bufs) != 1 || &w.bufs[0][0] != &b[0] || len(w.bufs[0]) != len(b) {
			t.Fatalf("Written = %d bufs, %v; want the batch written", len(w.bufs), w.err)
		}
	}
	// Five pushed at once: one Pull takes them, one writev writes them,
	// one Written hands them back.
	more := [][]byte{frame([]byte("a")), frame(bytes.Repeat([]byte{7}, 3000)), frame(nil), frame([]byte("zz")), frame(bytes.Repeat([]byte{9}, 700))}
	src.push(more...)
	w := src.nextWritten(t)
	if w.err != nil || len(w.bufs) != len(more) {
		t.Fatalf("Written = %d bufs, %v; want the %d pushed together", len(w.bufs), w.err, len(more))
	}
	for i, b := range more {
		if &w.bufs[i][0] != &b[0] {
			t.Fatalf("Written buf %d is not batch %d", i, i)
		}
		want = append(want, b...)
	}
	// More than one Pull's worth: several Written, every batch once, in
	// order.
	var many [][]byte
	for i := range 3*maxPull + 1 {
		b := frame([]byte{byte(i), byte(i >> 8)})
		many = append(many, b)
		want = append(want, b...)
	}
	src.push(many...)
	for n := 0; n < len(many); {
		w := src.nextWritten(t)
		if w.err != nil {
			t.Fatal(w.err)
		}
		for _, b := range w.bufs {
			if &b[0] != &many[n][0] {
				t.Fatalf("Written batch %d out of order", n)
			}
			n++
		}
	}
	if got := readExactly(t, peer, len(want)); !bytes.Equal(got, want) {
		t.Fatal("peer read other bytes than written")
	}
	_ = peer.SetReadDeadline(time.Now().Add(quiet))
	if n, err := peer.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("peer read %d bytes more (%v)", n, err)
	}
}

// TestLinkWriteFails: the peer resets the connection; a write fails, the
// source gets the error with Written, the owner hears Failed once and the
// link stops.
func TestLinkWriteFails(t *testing.T) {
	sys := newSystem(t)
	src := newTestSource()
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{Out: src}, true)
	// Hold the reader in the handshake so that it does not read the
	// reset: the writer is the one that meets it.
	if _, err := peer.Write(frame([]byte("hold"))); err != nil {
		t.Fatal(err)
	}
	next[*Inbound](t, out)
	_ = peer.SetLinger(0)
	peer.Close()
	// The first writes may still go out before the reset lands.
	b := frame(make([]byte, 1000))
	var w writtenCall
	for i := 0; w.err == nil; i++ {
		if i == 100 {
			t.Fatal("100 writes after the peer's reset succeeded")
		}
		src.push(b)
		w = src.nextWritten(t)
	}
	if !errors.Is(w.err, syscall.ECONNRESET) && !errors.Is(w.err, syscall.EPIPE) {
		t.Errorf("Written err = %v; want a reset", w.err)
	}
	if len(w.bufs) != 1 || &w.bufs[0][0] != &b[0] {
		t.Errorf("Written with %d bufs; want the one that failed", len(w.bufs))
	}
	if f := failedAndTerminated(t, out, linkPID); !errors.Is(f.Err, w.err) {
		t.Fatalf("Failed: %v; want the write error %v", f.Err, w.err)
	}
	noSecondFailed(t, sys, ownerPID, out)
	checkNoGoroutines(t)
}

func TestLinkPeerClose(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			sys := newSystem(t)
			ownerPID, linkPID, out, peer := modeLink(t, sys, Config{}, mode.sink, nil)
			if _, err := peer.Write(frame([]byte("hello"))); err != nil {
				t.Fatal(err)
			}
			collect(t, out, 1)
			if _, err := peer.Write(frame([]byte("last words"))); err != nil {
				t.Fatal(err)
			}
			peer.Close()
			if d := collect(t, out, 1); string(d.batches[0]) != "last words" {
				t.Fatalf("got %q", d.batches)
			}
			if f := failedAndTerminated(t, out, linkPID); !errors.Is(f.Err, io.EOF) {
				t.Fatalf("Failed: %v; want io.EOF", f.Err)
			}
			noSecondFailed(t, sys, ownerPID, out)
			checkNoGoroutines(t)
		})
	}
}

func TestLinkBatchTooLarge(t *testing.T) {
	for _, mode := range readModes {
		t.Run(mode.name, func(t *testing.T) {
			sys := newSystem(t)
			var applied chan *SetBatchSize
			wrap := func(p *actor.Props) *actor.Props {
				p, applied = appliedBatchSize(p)
				return p
			}
			_, linkPID, out, peer := modeLink(t, sys, Config{}, mode.sink, wrap)
			setBatchSize(t, sys, linkPID, applied, 100)
			ok := make([]byte, codec.MaxBatchPayload(100, true)) // 98 bytes
			if _, err := peer.Write(frame(ok)); err != nil {
				t.Fatal(err)
			}
			if d := collect(t, out, 1); len(d.batches[0]) != len(ok) {
				t.Fatalf("got %d bytes, want %d", len(d.batches[0]), len(ok))
			}
			// In the sink mode this one goes to the sink: still a
			// failure of the link, not the sink's rejection.
			if _, err := peer.Write(frame(make([]byte, len(ok)+1))); err != nil {
				t.Fatal(err)
			}
			if f := failedAndTerminated(t, out, linkPID); !errors.Is(f.Err, codec.ErrBatchTooLarge) {
				t.Fatalf("Failed: %v; want ErrBatchTooLarge", f.Err)
			}
			// The link closed the connection.
			_ = peer.SetReadDeadline(time.Now().Add(wait))
			if _, err := peer.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("peer read: %v; want EOF", err)
			}
			checkNoGoroutines(t)
		})
	}
}

func TestLinkStop(t *testing.T) {
	sys := newSystem(t)
	done := make(chan struct{})
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{Out: newTestSource(), Done: done}, false)
	stop(t, sys, linkPID)
	if term := next[*actor.Terminated](t, out); !term.Who.Equal(linkPID) {
		t.Fatalf("Terminated %v", term.Who)
	}
	select {
	case <-done:
	default:
		t.Fatal("Config.Done still open after the link stopped")
	}
	_ = peer.SetReadDeadline(time.Now().Add(wait))
	if _, err := peer.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("peer read after stop: %v; want EOF", err)
	}
	checkNoGoroutines(t)
	for _, m := range drainOwner(t, sys, ownerPID, out) {
		if f, ok := m.(*Failed); ok {
			t.Fatalf("a stopped link reported %v", f.Err)
		}
	}
}

// TestLinkHandshakeThenSwitch: in the handshake the owner gets one read
// at a time and the reader waits while the owner holds it; after Switch
// the sink gets every later batch, the rest of the held read included,
// and no Inbound comes any more.
func TestLinkHandshakeThenSwitch(t *testing.T) {
	sys := newSystem(t)
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{}, true)
	rng := rand.New(rand.NewPCG(5, 6))
	first := randomBatches(rng, 10, 20, 30)
	if _, err := peer.Write(frames(first...)); err != nil {
		t.Fatal(err)
	}
	in := next[*Inbound](t, out)
	if !in.Link.Equal(linkPID) {
		t.Fatalf("Inbound from %v, want %v", in.Link, linkPID)
	}
	var held [][]byte
	_ = in.Batches(func(b []byte) error {
		held = append(held, bytes.Clone(b))
		return nil
	})
	if len(held) == 0 {
		t.Fatal("an Inbound without batches")
	}
	checkBatches(t, held, first[:len(held)]) // a read may stop short

	// The owner holds the read: the reader waits, whatever comes.
	second := randomBatches(rng, 40, 50)
	if _, err := peer.Write(frames(second...)); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(quiet)
	select {
	case m := <-out:
		t.Fatalf("the owner got %T while it held an Inbound", m)
	case <-timer.C:
	}

	sink := &testSink{out: out}
	in.Switch(sink)
	if in.Data != nil {
		t.Error("Inbound.Data kept after Switch")
	}
	rest := slices.Concat(first[len(held):], second)
	d := collect(t, out, len(rest))
	checkBatches(t, d.batches, rest)
	if len(d.inbounds) != 0 || d.sunk != len(rest) {
		t.Fatalf("after the switch: %d Inbounds, %d batches to the sink", len(d.inbounds), d.sunk)
	}
	// Each read ends with EndRead: wait for it before the next write, so
	// that every write is a read of its own.
	ends := d.ends
	for i := range 5 {
		batches := randomBatches(rng, 1+i, 100*i+1)
		if _, err := peer.Write(frames(batches...)); err != nil {
			t.Fatal(err)
		}
		d := collect(t, out, len(batches))
		checkBatches(t, d.batches, batches)
		ends += d.ends
	}
	if ends < 6 {
		t.Errorf("%d EndReads for at least 6 reads", ends)
	}
	for _, m := range drainOwner(t, sys, ownerPID, out) {
		t.Errorf("after the switch the owner got %T", m)
	}
}

// TestLinkSinkRejects: a sink's error stops the reader and reaches the
// owner as Rejected; the link lives on for writing until stopped.
func TestLinkSinkRejects(t *testing.T) {
	errBad := errors.New("bad batch")
	tests := []struct {
		name string
		sink *testSink
		// wantSunk: what the sink took before refusing; with prefix,
		// possibly only the start of it (the batches may come in two
		// reads, and EndRead refuses after the first).
		wantSunk []string
		prefix   bool
	}{
		{
			name: "Batch",
			sink: &testSink{reject: func(b []byte) error {
				if string(b) == "bad" {
					return errBad
				}
				return nil
			}},
			wantSunk: []string{"ok"},
		},
		{
			name:     "EndRead",
			sink:     &testSink{rejectEnd: func() error { return errBad }},
			wantSunk: []string{"ok", "bad", "after"},
			prefix:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := newSystem(t)
			local, peer := tcpPair(t)
			src := newTestSource()
			ownerPID, linkPID, out := spawnSinkOwner(t, sys, Props(local, connInfo("tcp", local), Config{Out: src}), tt.sink)
			if _, err := peer.Write(frame([]byte("hello"))); err != nil {
				t.Fatal(err)
			}
			collect(t, out, 1) // the switch
			if _, err := peer.Write(frames([]byte("ok"), []byte("bad"), []byte("after"))); err != nil {
				t.Fatal(err)
			}
			rej := next[*Rejected](t, out)
			if !rej.Link.Equal(linkPID) || !errors.Is(rej.Err, errBad) {
				t.Fatalf("Rejected from %v: %v; want %v", rej.Link, rej.Err, errBad)
			}
			// The reader has returned before it sent Rejected: what the
			// sink took is all on out. (An EndRead may be there if the
			// batches came in two reads; TestReaderSinkRejects pins
			// that none follows a refusal.)
			var sunk []string
			for _, m := range drainOwner(t, sys, ownerPID, out) {
				switch m := m.(type) {
				case sinkBatch:
					sunk = append(sunk, string(m))
				case endRead:
				default:
					t.Errorf("the owner got %T after Rejected", m)
				}
			}
			want := tt.wantSunk
			if tt.prefix && len(sunk) > 0 && len(sunk) < len(want) {
				want = want[:len(sunk)]
			}
			if !slices.Equal(sunk, want) {
				t.Fatalf("the sink took %q; want %q", sunk, tt.wantSunk)
			}

			// The link still writes.
			b := frame([]byte("still open"))
			src.push(b)
			if w := src.nextWritten(t); w.err != nil {
				t.Fatal(w.err)
			}
			if got := readExactly(t, peer, len(b)); !bytes.Equal(got, b) {
				t.Fatalf("peer read %q", got)
			}
			stop(t, sys, linkPID)
			for _, m := range drainOwner(t, sys, ownerPID, out) {
				switch m := m.(type) {
				case *actor.Terminated:
				case *Failed:
					t.Errorf("Failed after Rejected: %v", m.Err)
				default:
					t.Errorf("the owner got %T", m)
				}
			}
			checkNoGoroutines(t)
		})
	}
}

// TestLinkSinkBackPressure: a sink that blocks stops the reader, and TCP
// flow control stalls the peer; opening the gate lets every byte through
// in order, and stopping the link while the sink waits on Config.Done
// does not hang.
func TestLinkSinkBackPressure(t *testing.T) {
	for _, tt := range []struct {
		name    string
		release bool // open the gate; else stop the link while blocked
	}{
		{"release", true},
		{"stop", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sys := newSystem(t)
			local, peer := tcpPair(t)
			_ = local.SetReadBuffer(16 << 10)
			_ = peer.SetWriteBuffer(16 << 10)
			done, gate := make(chan struct{}), make(chan struct{})
			sink := &testSink{gate: gate, done: done}
			_, linkPID, out := spawnSinkOwner(t, sys, Props(local, connInfo("tcp", local), Config{Done: done}), sink)
			if _, err := peer.Write(frame([]byte("hello"))); err != nil {
				t.Fatal(err)
			}
			collect(t, out, 1) // the switch

			batch := make([]byte, 60000)
			var written []byte // the stream as far as the peer wrote it
			seq := 0
			var rest []byte // the rest of the current batch
			// Write until a write makes no progress at all for a while.
			// A write that stalls may yet go on: the kernel can compact
			// its receive queue and reopen the window at the next probe.
			for {
				if len(rest) == 0 {
					if seq == 1000 {
						t.Fatal("60 MB written: the peer never stalled")
					}
					batch[0], batch[1] = byte(seq), byte(seq>>8)
					seq++
					rest = frame(batch)
				}
				_ = peer.SetWriteDeadline(time.Now().Add(quiet))
				n, err := peer.Write(rest)
				written = append(written, rest[:n]...)
				rest = rest[n:]
				if err != nil {
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatal(err)
					}
					if n == 0 {
						break
					}
				}
			}

			if !tt.release {
				stop(t, sys, linkPID)
				select {
				case <-done:
				default:
					t.Fatal("Config.Done still open after the link stopped")
				}
				checkNoGoroutines(t)
				return
			}
			close(gate)
			_ = peer.SetWriteDeadline(time.Now().Add(wait))
			if _, err := peer.Write(rest); err != nil {
				t.Fatal(err)
			}
			written = append(written, rest...)
			d := collect(t, out, seq)
			if d.sunk != seq {
				t.Errorf("%d of %d batches through the sink", d.sunk, seq)
			}
			if got := frames(d.batches...); !bytes.Equal(got, written) {
				t.Fatalf("received %d bytes, differing from the %d written", len(got), len(written))
			}
		})
	}
}

// TestReaderInbounds drives the reader's handshake without a connection:
// the complete batches of each read go to the owner in one Inbound, or in
// several when they overflow its buffer; after Switch, even in the middle
// of a read, the rest goes to the sink with one EndRead per read.
func TestReaderInbounds(t *testing.T) {
	b100 := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 100) }
	five := [][]byte{b100(0), b100(1), b100(2), b100(3), b100(4)}
	tests := []struct {
		name     string
		stream   bool
		bufSize  int      // the Inbound buffer
		reads    [][]byte // what each process call gets
		switchAt int      // the Inbound (1-based) the owner switches on; 0 never
		// want: per Inbound, its batch count; then the sink's events,
		// "b" per batch and "e" per EndRead.
		wantInbounds []int
		wantSink     string
	}{
		{
			name: "one Inbound per read", stream: true, bufSize: 1000,
			reads:        [][]byte{frames(five[:3]...), frames(five[3:]...)},
			wantInbounds: []int{3, 2},
		},
		{
			name: "split batch waits for its read", stream: true, bufSize: 1000,
			reads:        [][]byte{frames(five...)[:150], frames(five...)[150:]},
			wantInbounds: []int{1, 4},
		},
		{
			name: "overflow: several Inbounds in a read", stream: true, bufSize: 250,
			reads:        [][]byte{frames(five...)},
			wantInbounds: []int{2, 2, 1},
		},
		{
			name: "switch at the end of a read", stream: true, bufSize: 1000,
			reads:        [][]byte{frames(five[:2]...), frames(five[2:4]...), frames(five[4:]...)},
			switchAt:     1,
			wantInbounds: []int{2},
			wantSink:     "bbebe",
		},
		{
			name: "switch in the middle of a read", stream: true, bufSize: 250,
			reads:        [][]byte{frames(five...), frames(b100(5))},
			switchAt:     1,
			wantInbounds: []int{2},
			wantSink:     "bbbebe",
		},
		{
			name: "datagrams", stream: false, bufSize: int(udpLinkMTU) + 3,
			reads:        [][]byte{five[0], five[1], five[2]},
			switchAt:     2,
			wantInbounds: []int{1, 1},
			wantSink:     "be",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inbounds []int
			var batches [][]byte
			var events []byte
			sink := &funcSink{
				batch: func(b []byte) error {
					events = append(events, 'b')
					batches = append(batches, bytes.Clone(b))
					return nil
				},
				end: func() error { events = append(events, 'e'); return nil },
			}
			// The owner answers at once: handOver's channel has room.
			r := newTestReader(tt.stream, tt.bufSize, func(m any) {
				in := m.(*Inbound)
				n := 0
				_ = in.Batches(func(b []byte) error {
					n++
					batches = append(batches, bytes.Clone(b))
					return nil
				})
				inbounds = append(inbounds, n)
				if len(inbounds) == tt.switchAt {
					in.Switch(sink)
					return
				}
				in.Release()
			})
			// The batches the reads carry, however the reads split them.
			var want [][]byte
			f := codec.NewStreamFramer(TCPMTU)
			for _, p := range tt.reads {
				if !tt.stream {
					want = append(want, p)
					continue
				}
				_ = f.Feed(p, func(b []byte) error { want = append(want, bytes.Clone(b)); return nil })
			}
			for _, p := range tt.reads {
				if err := r.process(p); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(inbounds, tt.wantInbounds) || string(events) != tt.wantSink {
				t.Fatalf("Inbounds %v, sink %q; want %v, %q", inbounds, events, tt.wantInbounds, tt.wantSink)
			}
			checkBatches(t, batches, want)
		})
	}
}

// TestReaderSinkRejects: a sink's error ends the read at once, wrapped
// for the link to report as Rejected; the batches after it are not read,
// but EndRead still ends the read (what the sink took goes on).
func TestReaderSinkRejects(t *testing.T) {
	errBad := errors.New("bad")
	for _, tt := range []struct {
		name      string
		batchErr  string // the batch Batch refuses ("": none)
		endErr    bool   // EndRead refuses
		wantCalls string // "b:<batch>" per Batch, "e" per EndRead
	}{
		{name: "Batch", batchErr: "bad", wantCalls: "b:ok b:bad e"},
		{name: "EndRead", endErr: true, wantCalls: "b:ok b:bad b:after e"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var calls []string
			r := newTestReader(true, 1000, func(any) { t.Fatal("an Inbound in the sink mode") })
			r.sink = &funcSink{
				batch: func(b []byte) error {
					calls = append(calls, "b:"+string(b))
					if string(b) == tt.batchErr {
						return errBad
					}
					return nil
				},
				end: func() error {
					calls = append(calls, "e")
					if tt.endErr {
						return errBad
					}
					return nil
				},
			}
			err := r.process(frames([]byte("ok"), []byte("bad"), []byte("after")))
			var rej *rejected
			if !errors.As(err, &rej) || !errors.Is(rej.err, errBad) {
				t.Fatalf("process: %v; want the sink's error, wrapped as rejected", err)
			}
			if got := strings.Join(calls, " "); got != tt.wantCalls {
				t.Fatalf("sink calls %q; want %q", got, tt.wantCalls)
			}
		})
	}
}

// funcSink is a Sink made of two functions.
type funcSink struct {
	batch func([]byte) error
	end   func() error
}

func (s *funcSink) Batch(b []byte) error { return s.batch(b) }
func (s *funcSink) EndRead() error       { return s.end() }

// nopSink takes everything and keeps nothing.
type nopSink struct{}

func (nopSink) Batch([]byte) error { return nil }
func (nopSink) EndRead() error     { return nil }

// TestReaderNoAllocs: once switched to a sink, a read allocates nothing,
// split batches included.
func TestReaderNoAllocs(t *testing.T) {
	r := newTestReader(true, 64<<10+2, func(any) { t.Fatal("an Inbound in the sink mode") })
	r.sink = nopSink{}
	var chunk []byte
	for range 10 {
		chunk = append(chunk, frame(make([]byte, 1000))...)
	}
	chunk = append(chunk, frame(make([]byte, 30000))[:20000]...) // split batch
	rest := frame(make([]byte, 30000))[20000:]
	allocs := testing.AllocsPerRun(100, func() {
		if err := r.process(chunk); err != nil {
			t.Fatal(err)
		}
		if err := r.process(rest); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per read", allocs)
	}
}
