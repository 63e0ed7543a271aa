package link

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// tcpLink spawns a link over one end of a loopback TCP connection, under
// a test owner, and returns the link, the owner's channel and the raw
// other end.
func tcpLink(t *testing.T, sys *actor.ActorSystem, cfg Config, keep bool) (ownerPID, linkPID *actor.PID, out chan any, peer *net.TCPConn) {
	t.Helper()
	local, peer := tcpPair(t)
	ownerPID, linkPID, out = spawnOwner(t, sys, Props(local, connInfo("tcp", local), cfg), keep)
	return ownerPID, linkPID, out, peer
}

// collect reads *received from out until n batches have arrived.
func collect(t *testing.T, out chan any, n int) (batches [][]byte, inbounds []*received) {
	t.Helper()
	for len(batches) < n {
		r := next[*received](t, out)
		inbounds = append(inbounds, r)
		batches = append(batches, r.batches...)
	}
	if len(batches) != n {
		t.Fatalf("got %d batches, want %d", len(batches), n)
	}
	return batches, inbounds
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
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("batch %d: got %d bytes, want %d (or contents differ)", i, len(got[i]), len(want[i]))
		}
	}
}

func TestLinkStreamSplitReads(t *testing.T) {
	sys := newSystem(t)
	_, _, out, peer := tcpLink(t, sys, Config{}, false)
	rng := rand.New(rand.NewPCG(1, 2))
	want := randomBatches(rng, 1, 2, 3, 300, 5000, 1, codec.MaxBatchPayload(TCPMTU, true))
	var stream []byte
	for _, b := range want {
		stream = append(stream, frame(b)...)
	}
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
	got, _ := collect(t, out, len(want))
	checkBatches(t, got, want)
}

func TestLinkStreamManyBatchesPerRead(t *testing.T) {
	sys := newSystem(t)
	_, _, out, peer := tcpLink(t, sys, Config{}, false)
	rng := rand.New(rand.NewPCG(3, 4))
	sizes := make([]int, 500)
	for i := range sizes {
		sizes[i] = 1 + rng.IntN(200)
	}
	want := randomBatches(rng, sizes...)
	var stream []byte
	for _, b := range want {
		stream = append(stream, frame(b)...)
	}
	if _, err := peer.Write(stream); err != nil {
		t.Fatal(err)
	}
	got, inbounds := collect(t, out, len(want))
	checkBatches(t, got, want)
	most := 0
	for _, r := range inbounds {
		most = max(most, len(r.batches))
	}
	if most < 2 {
		t.Errorf("%d batches in %d Inbounds, never more than one per Inbound", len(want), len(inbounds))
	}
}

func TestLinkWrite(t *testing.T) {
	sys := newSystem(t)
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	var want []byte
	for i := range 3 {
		b := frame(bytes.Repeat([]byte{byte(i)}, 1000*(i+1)))
		want = append(want, b...)
		sys.Root.Send(ownerPID, func(ctx actor.Context) { ctx.Request(linkPID, &Write{Batch: b}) })
		w := next[*Written](t, out)
		if w.Err != nil || &w.Batch[0] != &b[0] || len(w.Batch) != len(b) {
			t.Fatalf("Written = %p %d %v; want %p %d nil", w.Batch, len(w.Batch), w.Err, b, len(b))
		}
	}
	got := make([]byte, len(want))
	_ = peer.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("peer read other bytes than written")
	}
	// A Write sent without Request gets no answer, but is written.
	b := frame([]byte("tell"))
	sys.Root.Send(linkPID, &Write{Batch: b})
	got = make([]byte, len(b))
	if _, err := io.ReadFull(peer, got); err != nil || !bytes.Equal(got, b) {
		t.Fatalf("read %q, %v", got, err)
	}
}

func TestLinkWriteFails(t *testing.T) {
	sys := newSystem(t)
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	// The peer resets the connection; writes then fail (the reader may
	// see it first: either way the owner hears Failed once).
	_ = peer.SetLinger(0)
	peer.Close()
	// Write until a write fails or the link is gone. A Write queued when
	// the link stops gets no answer; Failed and Terminated are put back
	// for failedAndTerminated.
	b := frame(make([]byte, 1000))
	var seen []any
	for done := false; !done; {
		sys.Root.Send(ownerPID, func(ctx actor.Context) { ctx.Request(linkPID, &Write{Batch: b}) })
		for answered := false; !answered && len(seen) < 2; {
			switch m := next[any](t, out).(type) {
			case *Written:
				answered = true
				if m.Err != nil {
					done = true
					if !errors.Is(m.Err, syscall.ECONNRESET) && !errors.Is(m.Err, syscall.EPIPE) && !errors.Is(m.Err, ErrClosed) {
						t.Errorf("Written.Err = %v", m.Err)
					}
				}
			case *actor.DeadLetterResponse:
				answered, done = true, true
			case *Failed, *actor.Terminated:
				seen = append(seen, m)
				done = true
			}
		}
	}
	for _, m := range seen {
		out <- m
	}
	if f := failedAndTerminated(t, out, linkPID); f.Err == nil {
		t.Fatal("Failed without an error")
	}
	checkNoGoroutines(t)
}

func TestLinkPeerClose(t *testing.T) {
	sys := newSystem(t)
	_, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	if _, err := peer.Write(frame([]byte("last words"))); err != nil {
		t.Fatal(err)
	}
	peer.Close()
	if r := next[*received](t, out); string(r.batches[0]) != "last words" {
		t.Fatalf("got %q", r.batches)
	}
	if f := failedAndTerminated(t, out, linkPID); !errors.Is(f.Err, io.EOF) {
		t.Fatalf("Failed: %v; want io.EOF", f.Err)
	}
	checkNoGoroutines(t)
}

func TestLinkBatchTooLarge(t *testing.T) {
	sys := newSystem(t)
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	// Write after SetBatchSize, and wait for Written: the mailbox is FIFO,
	// so the limit is set before the peer sends anything.
	sys.Root.Send(ownerPID, func(ctx actor.Context) {
		ctx.Send(linkPID, &SetBatchSize{Size: 100})
		ctx.Request(linkPID, &Write{Batch: frame(nil)})
	})
	next[*Written](t, out)
	ok := make([]byte, codec.MaxBatchPayload(100, true)) // 98 bytes
	if _, err := peer.Write(frame(ok)); err != nil {
		t.Fatal(err)
	}
	if r := next[*received](t, out); len(r.batches[0]) != len(ok) {
		t.Fatalf("got %d bytes, want %d", len(r.batches[0]), len(ok))
	}
	if _, err := peer.Write(frame(make([]byte, len(ok)+1))); err != nil {
		t.Fatal(err)
	}
	if f := failedAndTerminated(t, out, linkPID); !errors.Is(f.Err, codec.ErrBatchTooLarge) {
		t.Fatalf("Failed: %v; want ErrBatchTooLarge", f.Err)
	}
	// The link closed the connection.
	_ = peer.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.ReadFull(peer, make([]byte, 2)); err != nil {
		t.Fatal(err) // the empty batch we wrote above
	}
	if _, err := peer.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("peer read: %v; want EOF", err)
	}
	checkNoGoroutines(t)
}

func TestLinkStop(t *testing.T) {
	sys := newSystem(t)
	_, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	stop(t, sys, linkPID)
	if term := next[*actor.Terminated](t, out); !term.Who.Equal(linkPID) {
		t.Fatalf("Terminated %v", term.Who)
	}
	_ = peer.SetReadDeadline(time.Now().Add(wait))
	if _, err := peer.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("peer read after stop: %v; want EOF", err)
	}
	checkNoGoroutines(t)
	select {
	case m := <-out:
		if f, ok := m.(*Failed); ok {
			t.Fatalf("a stopped link reported %v", f.Err)
		}
	default:
	}
}

// TestLinkBackPressure: with an owner that keeps its Inbounds, the reader
// stops after Buffers reads and the peer's writes block; releasing them
// lets everything through, in order.
func TestLinkBackPressure(t *testing.T) {
	sys := newSystem(t)
	local, peer := tcpPair(t)
	_ = local.SetReadBuffer(16 << 10)
	_ = peer.SetWriteBuffer(16 << 10)
	const buffers = 3
	_, linkPID, out := spawnOwner(t, sys, Props(local, connInfo("tcp", local), Config{Buffers: buffers}), true)

	batch := make([]byte, 60000)
	var written []byte // the stream as far as the peer wrote it
	seq := 0
	var pending []byte // the rest of a batch whose write timed out
	// writeUntilBlocked writes batches until a write makes no progress
	// for a while: the link's reader is not reading.
	writeUntilBlocked := func() {
		t.Helper()
		for {
			batch[0], batch[1] = byte(seq), byte(seq>>8)
			seq++
			p := frame(batch)
			_ = peer.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := peer.Write(p)
			written = append(written, p[:n]...)
			if err != nil {
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatal(err)
				}
				// Finish the batch later, once the reader reads again.
				pending = p[n:]
				return
			}
		}
	}
	var held []*Inbound
	writeUntilBlocked()
	for len(held) < buffers {
		held = append(held, next[*Inbound](t, out))
	}
	// The pool is out: the reader does not read, so the peer stays
	// blocked and no further Inbound comes.
	_ = peer.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := peer.Write(pending); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("peer write went through (%d bytes, %v) while the owner held every buffer", n, err)
	} else {
		written = append(written, pending[:n]...)
		pending = pending[n:]
	}
	select {
	case m := <-out:
		t.Fatalf("owner got %T beyond the %d buffers", m, buffers)
	default:
	}

	// Release and read everything written so far.
	var got []byte
	drain := func(m *Inbound) {
		_ = m.Batches(func(b []byte) error {
			got = append(got, frame(b)...)
			return nil
		})
		m.Release()
	}
	for _, m := range held {
		drain(m)
	}
	_ = peer.SetWriteDeadline(time.Now().Add(wait))
	if _, err := peer.Write(pending); err != nil {
		t.Fatal(err)
	}
	written = append(written, pending...)
	for len(got) < len(written) {
		drain(next[*Inbound](t, out))
	}
	if !bytes.Equal(got, written) {
		t.Fatalf("received %d bytes, differing from the %d written", len(got), len(written))
	}
	// Stopping a link whose reader waits for a buffer does not hang.
	writeUntilBlocked()
	stop(t, sys, linkPID)
	checkNoGoroutines(t)
}

func TestReaderNoAllocs(t *testing.T) {
	var size atomic.Uint32
	size.Store(TCPMTU)
	done := make(chan struct{})
	r := &reader{stream: true, size: &size, pool: newBufPool(2, 64<<10+2, nil, done)}
	r.send = func(m *Inbound) { m.Release() }
	r.limit = size.Load()
	r.framer = codec.NewStreamFramer(TCPMTU)
	r.emitFn = r.emit
	var chunk []byte
	for range 10 {
		chunk = append(chunk, frame(make([]byte, 1000))...)
	}
	chunk = append(chunk, frame(make([]byte, 30000))[:20000]...) // split batch
	rest := frame(make([]byte, 30000))[20000:]
	allocs := testing.AllocsPerRun(100, func() {
		r.m = r.pool.get()
		if err := r.process(chunk); err != nil {
			t.Fatal(err)
		}
		r.m = r.pool.get()
		if err := r.process(rest); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per read", allocs)
	}
}

// TestLinkWriteMore: a Write with More writes every batch, in order, in
// one go, and Written hands them all back.
func TestLinkWriteMore(t *testing.T) {
	sys := newSystem(t)
	ownerPID, linkPID, out, peer := tcpLink(t, sys, Config{}, false)
	var want []byte
	first := frame(bytes.Repeat([]byte{9}, 700))
	more := [][]byte{frame([]byte("a")), frame(bytes.Repeat([]byte{7}, 3000)), frame([]byte("zz"))}
	for _, b := range append([][]byte{first}, more...) {
		want = append(want, b...)
	}
	sys.Root.Send(ownerPID, func(ctx actor.Context) { ctx.Request(linkPID, &Write{Batch: first, More: more}) })
	w := next[*Written](t, out)
	if w.Err != nil || &w.Batch[0] != &first[0] || len(w.More) != len(more) || &w.More[1][0] != &more[1][0] {
		t.Fatalf("Written = %d batches, %v; want the 4 written", 1+len(w.More), w.Err)
	}
	got := make([]byte, len(want))
	_ = peer.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("peer read other bytes than written")
	}
}
