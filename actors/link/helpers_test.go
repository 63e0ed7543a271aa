package link

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// wait is how long a test waits for an event before failing.
const wait = 10 * time.Second

// quiet is how long a test watches for something that must not happen
// (a negative check: it can only pass by waiting).
const quiet = 200 * time.Millisecond

func newSystem(t testing.TB) *actor.ActorSystem { return actortest.NewSystem(t) }

// received is what the test owner forwards for one Inbound: the batches,
// copied, in order. late marks an Inbound that came after the owner
// switched the link to a sink, which must not happen.
type received struct {
	batches [][]byte
	late    bool
}

// sinkBatch is a batch a testSink took (a copy); endRead marks one
// EndRead. Both go to the owner's channel, after the owner's *received,
// so that one channel holds every batch in the order the reader handed
// them over.
type (
	sinkBatch []byte
	endRead   struct{}
)

// spawned is the test owner's report of its child's PID.
type spawned struct{ pid *actor.PID }

// ownerMark is what drainOwner sends itself through the owner.
type ownerMark struct{}

// owner is the parent a test spawns links and listeners under. It
// forwards what it gets to out. For an Inbound it forwards a *received
// and releases it; with keep it forwards the *Inbound itself instead;
// with a sink it forwards a *received and switches the link to the sink.
// func(actor.Context) messages run inside it.
type owner struct {
	out      chan any
	child    *actor.Props
	keep     bool
	sink     Sink
	switched bool
}

func (o *owner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		if o.child != nil {
			o.out <- &spawned{pid: ctx.Spawn(o.child)}
		}
	case *actor.Stopping, *actor.Stopped, *actor.Restarting:
	case *Inbound:
		if o.keep {
			o.out <- m
			return
		}
		r := &received{late: o.switched}
		_ = m.Batches(func(b []byte) error {
			r.batches = append(r.batches, bytes.Clone(b))
			return nil
		})
		// Forward before letting the reader go on: what the sink takes
		// next lands on out after r.
		o.out <- r
		if o.sink != nil {
			o.switched = true
			m.Switch(o.sink)
			return
		}
		m.Release()
	case func(actor.Context):
		m(ctx)
	default:
		o.out <- m
	}
}

// spawnOwner starts an owner of child and returns the owner, the child
// and the owner's channel. The owner is stopped when the test ends.
func spawnOwner(t testing.TB, sys *actor.ActorSystem, child *actor.Props, keep bool) (*actor.PID, *actor.PID, chan any) {
	t.Helper()
	return startOwner(t, sys, &owner{child: child, keep: keep})
}

// spawnSinkOwner is spawnOwner for an owner that switches its link to
// sink at the first Inbound; the sink reports to the owner's channel.
func spawnSinkOwner(t testing.TB, sys *actor.ActorSystem, child *actor.Props, sink *testSink) (*actor.PID, *actor.PID, chan any) {
	t.Helper()
	return startOwner(t, sys, &owner{child: child, sink: sink})
}

func startOwner(t testing.TB, sys *actor.ActorSystem, o *owner) (*actor.PID, *actor.PID, chan any) {
	t.Helper()
	o.out = make(chan any, 4096)
	if s, ok := o.sink.(*testSink); ok && s.out == nil {
		s.out = o.out
	}
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return o }))
	t.Cleanup(func() { _ = sys.Root.StopFuture(pid).Wait() })
	s := next[*spawned](t, o.out)
	return pid, s.pid, o.out
}

// next waits for the next message of type T on ch, putting others back.
func next[T any](t testing.TB, ch chan any) T {
	t.Helper()
	return actortest.Next[T](t, ch, wait)
}

// drainOwner waits until the owner has handled every message queued for
// it so far, and returns what was on out meanwhile, in order. A message
// the link sent before the test called drainOwner is in it: the owner's
// mailbox is FIFO for user messages.
func drainOwner(t testing.TB, sys *actor.ActorSystem, ownerPID *actor.PID, out chan any) []any {
	t.Helper()
	sys.Root.Send(ownerPID, func(actor.Context) { out <- ownerMark{} })
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var seen []any
	for {
		select {
		case m := <-out:
			if _, ok := m.(ownerMark); ok {
				return seen
			}
			seen = append(seen, m)
		case <-deadline.C:
			t.Fatalf("the owner did not drain within %v", wait)
		}
	}
}

// delivered is what collect gathered.
type delivered struct {
	batches  [][]byte    // in order, from Inbounds and from the sink
	inbounds []*received // the Inbounds that carried some
	sunk     int         // batches the sink took
	ends     int         // EndRead calls
}

// collect reads out until n batches have arrived, through the owner's
// Inbounds (*received) or through the sink, and until the sink's read
// that brought the last of them has ended. It fails on an Inbound after
// the switch and on an EndRead with no batch since the previous one.
// Other messages are put back at the end of out.
func collect(t testing.TB, out chan any, n int) delivered {
	t.Helper()
	var d delivered
	var skipped []any
	defer func() {
		for _, m := range skipped {
			out <- m
		}
	}()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	open := false // the sink took a batch since the last EndRead
	for len(d.batches) < n || open {
		select {
		case m := <-out:
			switch m := m.(type) {
			case *received:
				if m.late || open {
					t.Fatalf("an Inbound after the switch to the sink (%d batches)", len(m.batches))
				}
				d.inbounds = append(d.inbounds, m)
				d.batches = append(d.batches, m.batches...)
			case sinkBatch:
				open = true
				d.sunk++
				d.batches = append(d.batches, m)
			case endRead:
				if !open {
					t.Fatal("EndRead with no batch since the previous one")
				}
				open = false
				d.ends++
			default:
				skipped = append(skipped, m)
			}
		case <-deadline.C:
			t.Fatalf("within %v: %d batches of %d (read open: %v)", wait, len(d.batches), n, open)
		}
	}
	if len(d.batches) != n {
		t.Fatalf("got %d batches, want %d", len(d.batches), n)
	}
	return d
}

// testSource is a Source over a queue the test fills with push. Its ready
// channel has one slot and push always signals it: the writer may then
// wake to an empty Pull, which the contract allows. Written copies each
// call to written, since the writer clears its slice afterwards.
type testSource struct {
	mu      sync.Mutex
	queue   [][]byte
	ready   chan struct{}
	written chan writtenCall
}

// writtenCall is one call of Source.Written.
type writtenCall struct {
	bufs [][]byte
	err  error
}

// maxPull bounds what one testSource.Pull returns, as the session's
// Outbox does.
const maxPull = 16

func newTestSource() *testSource {
	return &testSource{ready: make(chan struct{}, 1), written: make(chan writtenCall, 1024)}
}

// push queues bufs at once: one Pull sees all of them or none.
func (s *testSource) push(bufs ...[]byte) {
	s.mu.Lock()
	s.queue = append(s.queue, bufs...)
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *testSource) Ready() <-chan struct{} { return s.ready }

func (s *testSource) Pull(dst [][]byte) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(len(s.queue), maxPull)
	dst = append(dst, s.queue[:n]...)
	s.queue = slices.Delete(s.queue, 0, n)
	return dst
}

func (s *testSource) Written(bufs [][]byte, err error) {
	s.written <- writtenCall{bufs: slices.Clone(bufs), err: err}
}

// nextWritten waits for the next Written call.
func (s *testSource) nextWritten(t testing.TB) writtenCall {
	t.Helper()
	select {
	case w := <-s.written:
		return w
	case <-time.After(wait):
		t.Fatalf("no Written within %v", wait)
		return writtenCall{}
	}
}

// directSource is a testSource that takes the link's direct write.
type directSource struct {
	*testSource
	direct chan func(bufs [][]byte) bool
}

func newDirectSource() *directSource {
	return &directSource{testSource: newTestSource(), direct: make(chan func([][]byte) bool, 1)}
}

// SetDirect runs on the link's actor goroutine, at Started: it must not
// block.
func (s *directSource) SetDirect(write func(bufs [][]byte) bool) { s.direct <- write }

// errLinkDone is what a testSink returns when the link stops while it
// waits.
var errLinkDone = errors.New("test sink: link stopped")

// testSink is a Sink that sends a copy of each batch it takes to out as
// a sinkBatch, and an endRead for each EndRead. With a gate, Batch first
// waits until the gate is closed or the link stops (done, the link's
// Config.Done: never leave a gate without one, or stopping the link
// hangs). reject and rejectEnd, if set, decide Batch's and EndRead's
// errors.
type testSink struct {
	out       chan any
	gate      <-chan struct{}
	done      <-chan struct{}
	reject    func(b []byte) error
	rejectEnd func() error
}

func (s *testSink) Batch(b []byte) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-s.done:
			return errLinkDone
		}
	}
	if s.reject != nil {
		if err := s.reject(b); err != nil {
			return err
		}
	}
	s.out <- sinkBatch(bytes.Clone(b))
	return nil
}

func (s *testSink) EndRead() error {
	if s.rejectEnd != nil {
		if err := s.rejectEnd(); err != nil {
			return err
		}
	}
	s.out <- endRead{}
	return nil
}

// appliedBatchSize wraps link props so that the returned channel gets
// each SetBatchSize once the link has applied it: the reader's next read
// then uses the new limit.
func appliedBatchSize(p *actor.Props) (*actor.Props, chan *SetBatchSize) {
	ch := make(chan *SetBatchSize, 16)
	return p.Configure(actor.WithReceiverMiddleware(func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			next(c, env)
			if m, ok := env.Message.(*SetBatchSize); ok {
				ch <- m
			}
		}
	})), ch
}

// setBatchSize sends SetBatchSize to a link wrapped by appliedBatchSize
// and waits until the link has applied it.
func setBatchSize(t testing.TB, sys *actor.ActorSystem, link *actor.PID, applied chan *SetBatchSize, size uint16) {
	t.Helper()
	sys.Root.Send(link, &SetBatchSize{Size: size})
	select {
	case <-applied:
	case <-time.After(wait):
		t.Fatalf("SetBatchSize not applied within %v", wait)
	}
}

// newTestReader returns a reader set up as run sets it up, without a
// connection: the test feeds it with process. send gets what the reader
// sends its owner.
func newTestReader(stream bool, bufSize int, send func(any)) *reader {
	var size atomic.Uint32
	size.Store(TCPMTU)
	if !stream {
		size.Store(uint32(udpLinkMTU))
	}
	r := &reader{stream: stream, size: &size, done: make(chan struct{}), send: send,
		buf: make([]byte, bufSize), rbuf: make([]byte, bufSize)}
	r.emitFn = r.emit
	r.limit = size.Load()
	if stream {
		r.framer = codec.NewStreamFramer(uint16(r.limit))
	}
	return r
}

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t testing.TB) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { c.Close(); r.c.Close() })
	return r.c.(*net.TCPConn), c.(*net.TCPConn)
}

// frame returns b with its stream length prefix.
func frame(b []byte) []byte {
	return append([]byte{byte(len(b)), byte(len(b) >> 8)}, b...)
}

// frames returns the stream carrying batches.
func frames(batches ...[]byte) []byte {
	var s []byte
	for _, b := range batches {
		s = append(s, frame(b)...)
	}
	return s
}

// ourGoroutines lists the goroutines running this package's loops.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, fn := range []string{"(*reader).run", "(*writer).run", "(*listenerActor).acceptLoop", "(*udpDemux).readLoop"} {
			if strings.Contains(g, "actors/link."+fn) {
				out = append(out, g)
			}
		}
	}
	return out
}

// checkNoGoroutines fails unless this package's goroutines are all gone
// within the deadline. Call it after stopping the actors.
func checkNoGoroutines(t testing.TB) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		left := ourGoroutines()
		if len(left) == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			t.Fatalf("%d goroutines left:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	}
}

// stop stops pid and waits until it has stopped.
func stop(t testing.TB, sys *actor.ActorSystem, pid *actor.PID) {
	t.Helper()
	if err := sys.Root.StopFuture(pid).Wait(); err != nil {
		t.Fatal(err)
	}
}

// failedAndTerminated waits for both *Failed and *actor.Terminated from
// link, in either order (Terminated, a system message, may overtake
// Failed), and returns the Failed. Other messages are put back.
func failedAndTerminated(t testing.TB, out chan any, link *actor.PID) *Failed {
	t.Helper()
	var f *Failed
	terminated := false
	var skipped []any
	defer func() {
		for _, m := range skipped {
			out <- m
		}
	}()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for f == nil || !terminated {
		select {
		case m := <-out:
			switch m := m.(type) {
			case *Failed:
				if f != nil {
					t.Fatalf("second Failed: %v", m.Err)
				}
				if !m.Link.Equal(link) {
					t.Fatalf("Failed from %v, want %v", m.Link, link)
				}
				f = m
			case *actor.Terminated:
				if !m.Who.Equal(link) {
					t.Fatalf("Terminated %v, want %v", m.Who, link)
				}
				terminated = true
			default:
				skipped = append(skipped, m)
			}
		case <-deadline.C:
			t.Fatalf("within %v: Failed %v, Terminated %v", wait, f != nil, terminated)
		}
	}
	return f
}

// noSecondFailed drains the owner and fails on any *Failed left: the
// link must report its failure once.
func noSecondFailed(t testing.TB, sys *actor.ActorSystem, ownerPID *actor.PID, out chan any) {
	t.Helper()
	for _, m := range drainOwner(t, sys, ownerPID, out) {
		if f, ok := m.(*Failed); ok {
			t.Fatalf("second Failed: %v", f.Err)
		}
	}
}
