package session

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// The Outbox's tests play its link's writer by hand: Ready, Pull and
// Written are called from the test goroutine, so every interleaving is
// the test's choice. The outbox's clock is a fake one; only the waits of
// congestion control run on real timers (WaitBeforeDrop and
// WaitBeforeClose are set short where a test wants one to expire, an
// hour where it must not).

// fakeClock moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// obx is an Outbox under test with its clock, a count of onUnresponsive
// calls and the pushes running on goroutines of their own.
type obx struct {
	*Outbox
	t      *testing.T
	clk    *fakeClock
	unresp atomic.Int32
	wg     sync.WaitGroup
}

// obConfig: 2048-byte batches (see newObx), total bytes queued bounded by
// total, waits that never expire within a test.
func obConfig(total int) OutboxConfig {
	return OutboxConfig{
		TX:             TXConfig{ChannelLimit: 1 << 20, TotalLimit: total, MaxMessage: 1 << 20, PoolBytes: 1 << 16},
		WaitBeforeDrop: time.Hour, WaitBeforeClose: time.Hour, MaxParked: 1 << 20, DirectAfter: time.Millisecond,
	}
}

// newObxHandshake returns a stream outbox in its handshake phase.
func newObxHandshake(t *testing.T, cfg OutboxConfig) *obx {
	t.Helper()
	x := &obx{t: t, clk: &fakeClock{t: coreT0}}
	x.Outbox = NewOutbox(true, cfg, func() { x.unresp.Add(1) })
	x.now = x.clk.now
	x.progress = x.clk.now()
	x.lastOut = x.progress
	// Shutdown ends every wait: the goroutines of the test end with it.
	t.Cleanup(func() { x.Shutdown(); x.wg.Wait() })
	return x
}

// newObx returns a stream outbox in its data phase, with QoS (8
// priorities) and 2048-byte batches.
func newObx(t *testing.T, cfg OutboxConfig) *obx {
	t.Helper()
	x := newObxHandshake(t, cfg)
	if err := x.Establish(coreEst(2048, true, 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	return x
}

// obMsg is a Push of priority p on key "k" carrying payload.
func obMsg(p codec.Priority, block bool, payload string) *codec.NetworkMessage {
	return &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte("k")}, QoS: codec.NewQoS(p, block, false),
		Body: codec.Data{Kind: codec.MidPut, Payload: []byte(payload)}}}
}

// sized is a payload of n bytes starting with name.
func sized(name string, n int) string { return name + strings.Repeat(".", n-len(name)) }

// pushAsync pushes m on a goroutine of its own; the result comes on the
// channel.
func (x *obx) pushAsync(m *codec.NetworkMessage, reliable bool, cancel <-chan struct{}) <-chan error {
	res := make(chan error, 1)
	x.wg.Add(1)
	go func() {
		defer x.wg.Done()
		res <- x.Push(m, reliable, cancel)
	}()
	return res
}

// push pushes m and returns its result, failing the test if it waits
// for more than 5 s (the test's waits are an hour unless it set them).
func (x *obx) push(m *codec.NetworkMessage, reliable bool) error {
	x.t.Helper()
	return result(x.t, x.pushAsync(m, reliable, nil))
}

// mustPush pushes m on the reliable channel and fails the test on an
// error.
func (x *obx) mustPush(m *codec.NetworkMessage) {
	x.t.Helper()
	if err := x.push(m, true); err != nil {
		x.t.Fatal(err)
	}
}

// pushHere pushes m on the reliable channel from the test's goroutine:
// for direct writes, which call the link's function on the pusher's.
func (x *obx) pushHere(m *codec.NetworkMessage) {
	x.t.Helper()
	if err := x.Push(m, true, nil); err != nil {
		x.t.Fatal(err)
	}
}

// result waits for a push's result.
func result(t *testing.T, res <-chan error) error {
	t.Helper()
	select {
	case err := <-res:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("push still waiting after 5 s")
		return nil
	}
}

// notYet fails if the push has returned.
func notYet(t *testing.T, res <-chan error) {
	t.Helper()
	select {
	case err := <-res:
		t.Fatalf("push returned %v while it should wait", err)
	default:
	}
}

// awaitWaiters waits until n pushes wait for room. The outbox has no
// event for that: its waiter count is read under its lock on a short
// tick, with a deadline.
func (x *obx) awaitWaiters(n int) {
	x.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		x.mu.Lock()
		w := x.waiters
		x.mu.Unlock()
		if w == n {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("%d pushes waiting, want %d", w, n)
		}
		<-time.After(100 * time.Microsecond)
	}
}

// signalled reports whether Ready was signalled (consuming the signal).
func (x *obx) signalled() bool {
	select {
	case <-x.Ready():
		return true
	default:
		return false
	}
}

// outBatch is a pulled batch, decoded.
type outBatch struct {
	id       byte // its transport message
	reliable bool
	prio     codec.Priority
	sn       uint32
	payloads []string // of the Frame's Pushes
	reason   byte     // of a Close
}

func (b outBatch) String() string {
	return fmt.Sprintf("{id %#x R=%v prio %d SN %d %d msgs}", b.id, b.reliable, b.prio, b.sn, len(b.payloads))
}

// decodeOut decodes one stream batch, which must hold exactly one
// transport message.
func decodeOut(t *testing.T, b []byte) outBatch {
	t.Helper()
	if len(b) < 2 || int(b[0])|int(b[1])<<8 != len(b)-2 || len(b) > 2048 {
		t.Fatalf("batch of %d bytes with prefix %x", len(b), b[:min(2, len(b))])
	}
	var br codec.BatchReader
	var tm codec.TransportMessage
	var nm codec.NetworkMessage
	var ob outBatch
	n := 0
	br.Reset(b[2:])
	for br.Next(&tm) {
		n++
		ob.id = tm.ID
		switch tm.ID {
		case codec.MidFrame:
			f := &tm.Frame
			ob.reliable, ob.prio, ob.sn = f.Reliable, f.Priority, f.SN
			for br.NextNetwork(&nm) {
				ob.payloads = append(ob.payloads, string(nm.Push.Body.Payload))
			}
		case codec.MidClose:
			if !tm.Close.Session {
				t.Fatal("a link Close; want the session's")
			}
			ob.reason = tm.Close.Reason
		}
	}
	if br.Err() != nil || n != 1 {
		t.Fatalf("batch with %d transport messages: %v", n, br.Err())
	}
	return ob
}

// pull is one turn of the writer: Pull, then Written. It returns the
// batches decoded.
func (x *obx) pull() []outBatch {
	x.t.Helper()
	bufs := x.Pull(nil)
	out := make([]outBatch, len(bufs))
	for i, b := range bufs {
		out[i] = decodeOut(x.t, b)
	}
	if len(bufs) > 0 {
		x.Written(bufs, nil)
	}
	return out
}

// payloads lists the payloads of the Frames in bs, in order.
func payloads(bs []outBatch) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.payloads...)
	}
	return out
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, "\x00") == strings.Join(b, "\x00") && len(a) == len(b)
}

// TestOutboxBatching: what is pushed while the writer has not pulled yet
// comes out of one Pull, in order: one Frame per batch, a batch per
// channel run, the highest priority first.
func TestOutboxBatching(t *testing.T) {
	type msg struct {
		p        codec.Priority
		reliable bool
		payload  string
	}
	data := codec.PriorityData
	for _, tc := range []struct {
		name    string
		msgs    []msg
		batches []outBatch // payloads and Frame headers expected
	}{
		{"one channel", []msg{{data, true, "a"}, {data, true, "b"}, {data, true, "c"}, {data, true, "d"}},
			[]outBatch{{reliable: true, prio: data, sn: 0, payloads: []string{"a", "b", "c", "d"}}}},
		{"batches fill up", []msg{{data, true, sized("a", 700)}, {data, true, sized("b", 700)}, {data, true, sized("c", 700)},
			{data, true, sized("d", 700)}, {data, true, "e"}},
			[]outBatch{
				{reliable: true, prio: data, sn: 0, payloads: []string{sized("a", 700), sized("b", 700)}},
				{reliable: true, prio: data, sn: 1, payloads: []string{sized("c", 700), sized("d", 700), "e"}},
			}},
		{"priorities", []msg{{data, true, "a"}, {codec.PriorityRealTime, true, "rt"}, {data, true, "b"}},
			[]outBatch{
				{reliable: true, prio: codec.PriorityRealTime, sn: 0, payloads: []string{"rt"}},
				{reliable: true, prio: data, sn: 0, payloads: []string{"a", "b"}},
			}},
		{"reliability alternates", []msg{{data, true, "a"}, {data, false, "b"}, {data, false, "c"}, {data, true, "d"}},
			[]outBatch{
				{reliable: true, prio: data, sn: 0, payloads: []string{"a"}},
				{reliable: false, prio: data, sn: 0, payloads: []string{"b", "c"}},
				{reliable: true, prio: data, sn: 1, payloads: []string{"d"}},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newObx(t, obConfig(1<<20))
			for i, m := range tc.msgs {
				if err := x.push(obMsg(m.p, true, m.payload), m.reliable); err != nil {
					t.Fatal(err)
				}
				// The first push wakes the sleeping writer; it is awake
				// (busy) for the others.
				if got := x.signalled(); got != (i == 0) {
					t.Fatalf("push %d: Ready signalled %v", i, got)
				}
			}
			got := x.pull()
			if len(got) != len(tc.batches) {
				t.Fatalf("one Pull gave %v, want %d batches", got, len(tc.batches))
			}
			for i, want := range tc.batches {
				g := got[i]
				if g.id != codec.MidFrame || g.reliable != want.reliable || g.prio != want.prio || g.sn != want.sn ||
					!sameStrings(g.payloads, want.payloads) {
					t.Fatalf("batch %d: %v %q, want %v %q", i, g, g.payloads, want, want.payloads)
				}
			}
			if more := x.pull(); len(more) != 0 {
				t.Fatalf("a second Pull gave %v", more)
			}
			if s := x.Stats(); s.Queued != 0 || s.Dropped != 0 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// TestOutboxReady: Ready is signalled when something is queued while the
// writer sleeps (its last Pull found nothing), and only then.
func TestOutboxReady(t *testing.T) {
	x := newObx(t, obConfig(1<<20))
	if x.signalled() {
		t.Fatal("Ready signalled with nothing queued")
	}
	steps := []struct {
		name   string
		do     func()
		signal bool
	}{
		{"push into the idle outbox", func() { x.mustPush(obMsg(codec.PriorityData, true, "1")) }, true},
		{"push while the writer writes", func() {
			bufs := x.Pull(nil)
			x.mustPush(obMsg(codec.PriorityData, true, "2"))
			x.Written(bufs, nil)
		}, false},
		{"the writer pulls again on its own", func() {
			if got := payloads(x.pull()); !sameStrings(got, []string{"2"}) {
				t.Fatalf("second Pull: %q", got)
			}
		}, false},
		{"the writer finds nothing and sleeps", func() {
			if got := x.pull(); len(got) != 0 {
				t.Fatalf("Pull: %v", got)
			}
		}, false},
		{"push into the idle outbox again", func() { x.mustPush(obMsg(codec.PriorityData, true, "3")) }, true},
		{"a second push before the writer woke", func() { x.mustPush(obMsg(codec.PriorityData, true, "4")) }, false},
		{"the writer takes both and sleeps", func() {
			if got := payloads(x.pull()); !sameStrings(got, []string{"3", "4"}) {
				t.Fatalf("Pull: %q", got)
			}
			x.pull()
		}, false},
		{"a KeepAlive wakes it too", func() {
			if !x.KeepAlive() {
				t.Fatal("no KeepAlive queued")
			}
		}, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.do()
			if got := x.signalled(); got != s.signal {
				t.Fatalf("Ready signalled %v, want %v", got, s.signal)
			}
		})
	}
}

// TestOutboxHandshake: before Establish only Raw batches go (they wake
// the writer); pushes are refused.
func TestOutboxHandshake(t *testing.T) {
	x := newObxHandshake(t, obConfig(1<<20))
	if err := x.push(obMsg(codec.PriorityData, true, "early"), true); !errors.Is(err, ErrClosed) {
		t.Fatalf("push in the handshake: %v", err)
	}
	x.Enqueue([]codec.NetworkMessage{*obMsg(codec.PriorityData, true, "early")}, true)
	if d := x.Stats().Dropped; d != 1 {
		t.Fatalf("Dropped = %d after an Enqueue in the handshake", d)
	}
	if x.KeepAlive() {
		t.Fatal("KeepAlive queued in the handshake")
	}
	raw := aloneInBatch(true, func(b []byte) []byte { return codec.AppendKeepAlive(b, &codec.KeepAlive{}) })
	if !x.Raw(raw) || !x.signalled() {
		t.Fatal("Raw not queued, or the writer not woken")
	}
	bufs := x.Pull(nil)
	if len(bufs) != 1 || &bufs[0][0] != &raw[0] {
		t.Fatalf("Pull gave %d batches, want the Raw one itself", len(bufs))
	}
	x.Written(bufs, nil)
	if !x.LastSend().Equal(coreT0) {
		t.Fatalf("LastSend %v, want the clock's %v", x.LastSend(), coreT0)
	}
}

// TestOutboxDrop: a droppable message (best effort, or reliable without
// Block) that finds no room waits WaitBeforeDrop, then is dropped and
// counted, and its priority is congested: the next droppable messages of
// that priority are dropped at once, even with room, until Written.
// Other priorities still wait, and Block messages are not affected.
func TestOutboxDrop(t *testing.T) {
	const wait = 20 * time.Millisecond
	for _, tc := range []struct {
		name     string
		reliable bool
		block    bool
	}{
		{"best effort", false, true},
		{"reliable without Block", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := obConfig(300)
			cfg.WaitBeforeDrop = wait
			x := newObx(t, cfg)
			msg := func(p codec.Priority, payload string) *codec.NetworkMessage { return obMsg(p, tc.block, payload) }
			data, rt := codec.PriorityData, codec.PriorityRealTime

			if err := x.push(msg(data, sized("A", 250)), tc.reliable); err != nil {
				t.Fatal(err)
			}
			timedDrop := func(p codec.Priority, name string) {
				t.Helper()
				start := time.Now()
				if err := x.push(msg(p, sized(name, 250)), tc.reliable); !errors.Is(err, ErrDropped) {
					t.Fatalf("%s: %v, want ErrDropped", name, err)
				}
				if d := time.Since(start); d < wait {
					t.Fatalf("%s dropped after %v, before WaitBeforeDrop %v", name, d, wait)
				}
			}
			timedDrop(data, "B")
			// Another priority is not congested: it waits too.
			timedDrop(rt, "D")
			if d := x.Stats().Dropped; d != 2 {
				t.Fatalf("Dropped = %d, want 2", d)
			}

			// The writer takes A: there is room, but until Written the
			// congested priorities drop at once.
			bufs := x.Pull(nil)
			if err := x.push(msg(data, "C"), tc.reliable); !errors.Is(err, ErrDropped) {
				t.Fatalf("C on a congested priority: %v", err)
			}
			if err := x.push(obMsg(data, true, "block"), true); err != nil {
				t.Fatalf("a Block message on a congested priority: %v", err)
			}
			if err := x.push(msg(codec.PriorityDataLow, "E"), tc.reliable); err != nil {
				t.Fatalf("E on a priority not congested: %v", err)
			}
			x.Written(bufs, nil)
			if err := x.push(msg(data, "C2"), tc.reliable); err != nil {
				t.Fatalf("after Written: %v", err)
			}
			if got := payloads(x.pull()); !sameStrings(got, []string{"block", "C2", "E"}) {
				t.Fatalf("sent %q", got)
			}
			if d := x.Stats().Dropped; d != 3 {
				t.Fatalf("Dropped = %d, want 3", d)
			}
			if n := x.unresp.Load(); n != 0 {
				t.Fatalf("onUnresponsive called %d times for droppable messages", n)
			}
		})
	}
}

// TestOutboxBlock: a Block message waits for room: Written frees it;
// WaitBeforeClose passed makes the peer unresponsive (onUnresponsive once);
// the caller's cancel, Close, Shutdown and a failed write end the wait.
func TestOutboxBlock(t *testing.T) {
	full := func(x *obx) {
		t.Helper()
		if err := x.push(obMsg(codec.PriorityData, true, sized("A", 250)), true); err != nil {
			t.Fatal(err)
		}
	}
	blocked := obMsg(codec.PriorityData, true, sized("B", 250))
	for _, tc := range []struct {
		name string
		end  func(x *obx, cancel chan struct{})
		want error
	}{
		{"Written frees room", func(x *obx, _ chan struct{}) { x.pull() }, nil},
		{"cancel", func(_ *obx, cancel chan struct{}) { close(cancel) }, ErrCanceled},
		{"Close", func(x *obx, _ chan struct{}) { x.Close(codec.CloseGeneric, true, nil) }, ErrClosed},
		{"Shutdown", func(x *obx, _ chan struct{}) { x.Shutdown() }, ErrClosed},
		{"write failed", func(x *obx, _ chan struct{}) { x.Written(x.Pull(nil), errors.New("reset")) }, ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newObx(t, obConfig(300))
			full(x)
			cancel := make(chan struct{})
			res := x.pushAsync(blocked, true, cancel)
			x.awaitWaiters(1)
			notYet(t, res)
			tc.end(x, cancel)
			if err := result(t, res); !errors.Is(err, tc.want) && err != tc.want {
				t.Fatalf("push: %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if got := payloads(x.pull()); !sameStrings(got, []string{sized("B", 250)}) {
					t.Fatalf("sent %q", got)
				}
			}
			if d, n := x.Stats().Dropped, x.unresp.Load(); d != 0 || n != 0 {
				t.Fatalf("Dropped %d, onUnresponsive %d", d, n)
			}
		})
	}

	t.Run("unresponsive", func(t *testing.T) {
		const wait = 20 * time.Millisecond
		cfg := obConfig(300)
		cfg.WaitBeforeClose = wait
		x := newObx(t, cfg)
		full(x)
		for i := range 2 {
			start := time.Now()
			if err := x.push(blocked, true); !errors.Is(err, ErrUnresponsive) {
				t.Fatalf("push %d: %v, want ErrUnresponsive", i, err)
			}
			if d := time.Since(start); d < wait {
				t.Fatalf("gave up after %v, before WaitBeforeClose %v", d, wait)
			}
		}
		if n := x.unresp.Load(); n != 1 {
			t.Fatalf("onUnresponsive called %d times, want once", n)
		}
		if d := x.Stats().Dropped; d != 2 {
			t.Fatalf("Dropped = %d, want 2", d)
		}
	})
}

// TestOutboxForwardUnresponsive: once a forwarded Block message waited
// WaitBeforeClose in vain, Forward drops the rest of its run at once
// instead of making each wait again (the reader calling it would stall
// for WaitBeforeClose per message).
func TestOutboxForwardUnresponsive(t *testing.T) {
	const wait, n = 100 * time.Millisecond, 10
	cfg := obConfig(300)
	cfg.WaitBeforeClose = wait
	x := newObx(t, cfg)
	x.mustPush(obMsg(codec.PriorityData, true, sized("A", 250)))
	ps := make([]codec.Push, n)
	for i := range ps {
		ps[i] = obMsg(codec.PriorityData, true, sized("B", 250)).Push
	}
	start := time.Now()
	if got := x.Forward(ps, &codec.WireExpr{Suffix: []byte("k")}, 0, true, nil); got != n {
		t.Fatalf("Forward dropped %d, want %d", got, n)
	}
	// One wait, not n: a bound far from both.
	if d := time.Since(start); d >= n/2*wait {
		t.Fatalf("Forward took %v: more than one WaitBeforeClose (%v) per message", d, wait)
	}
	if u, d := x.unresp.Load(), x.Stats().Dropped; u != 1 || d != n {
		t.Fatalf("onUnresponsive %d times, Dropped %d; want 1 and %d", u, d, n)
	}
}

// TestOutboxPushErrors: errors that involve no wait.
func TestOutboxPushErrors(t *testing.T) {
	cfg := obConfig(1 << 20)
	cfg.TX.MaxMessage = 100
	x := newObx(t, cfg)
	if err := x.push(obMsg(codec.PriorityData, true, sized("x", 200)), true); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if err := x.push(&codec.NetworkMessage{ID: codec.MidInit}, true); !errors.Is(err, ErrNotNetwork) {
		t.Fatalf("not a network message: %v", err)
	}
	if err := x.PushPublication(&obMsg(codec.PriorityData, false, "pub").Push, false, nil); err != nil {
		t.Fatal(err)
	}
	if got := x.pull(); len(got) != 1 || got[0].reliable || !sameStrings(got[0].payloads, []string{"pub"}) {
		t.Fatalf("PushPublication sent %v", got)
	}
}

// TestOutboxEnqueue: Enqueue never waits. Block messages that find no
// room are parked in order (and what follows them is parked behind, even
// with room), queued again as Written frees room; droppable ones are
// dropped. Past MaxParked bytes, or WaitBeforeClose without progress
// (Check), the peer is unresponsive.
func TestOutboxEnqueue(t *testing.T) {
	msgs := func(names ...string) []codec.NetworkMessage {
		var out []codec.NetworkMessage
		for _, n := range names {
			out = append(out, *obMsg(codec.PriorityData, true, sized(n, 100)))
		}
		return out
	}
	wants := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, sized(n, 100))
		}
		return out
	}

	t.Run("parks in order", func(t *testing.T) {
		x := newObx(t, obConfig(300))
		batch := msgs("m1", "m2", "m3", "m4")
		batch = append(batch, *obMsg(codec.PriorityData, false, "droppable")) // no Block
		x.Enqueue(batch, true)
		s := x.Stats()
		if s.Parked == 0 || s.Dropped != 1 {
			t.Fatalf("stats %+v: want m3 and m4 parked, the droppable one dropped", s)
		}
		if !x.signalled() {
			t.Fatal("the writer was not woken")
		}
		// Room appears with the Pull, but m5 still goes behind m3, m4.
		bufs := x.Pull(nil)
		first := decodeOut(t, bufs[0])
		x.Enqueue(msgs("m5"), true)
		x.Written(bufs, nil)
		got := append(first.payloads, payloads(x.pull())...)
		got = append(got, payloads(x.pull())...)
		if !sameStrings(got, wants("m1", "m2", "m3", "m4", "m5")) {
			t.Fatalf("sent %d messages: %q", len(got), got)
		}
		if s := x.Stats(); s.Parked != 0 || s.Queued != 0 || s.Dropped != 1 {
			t.Fatalf("stats %+v", s)
		}
		if n := x.unresp.Load(); n != 0 {
			t.Fatalf("onUnresponsive called %d times", n)
		}
	})

	t.Run("MaxParked", func(t *testing.T) {
		cfg := obConfig(300)
		cfg.MaxParked = 150 // one parked message fits, not two
		x := newObx(t, cfg)
		x.Enqueue(msgs("m1", "m2", "m3"), true)
		if n := x.unresp.Load(); n != 0 {
			t.Fatalf("unresponsive with one message parked")
		}
		x.Enqueue(msgs("m4"), true)
		x.Enqueue(msgs("m5"), true)
		if n := x.unresp.Load(); n != 1 {
			t.Fatalf("onUnresponsive called %d times, want once", n)
		}
	})

	t.Run("Check", func(t *testing.T) {
		cfg := obConfig(300)
		cfg.WaitBeforeClose = time.Second
		x := newObx(t, cfg)
		x.clk.add(time.Minute) // the outbox was quiet: the wait starts with the parking
		parkedAt := x.clk.now()
		x.Enqueue(msgs("m1", "m2", "m3", "m4", "m5", "m6"), true)
		x.Check(parkedAt.Add(cfg.WaitBeforeClose - time.Millisecond))
		if n := x.unresp.Load(); n != 0 {
			t.Fatal("unresponsive before WaitBeforeClose")
		}
		// A write is progress: m3, m4 are queued, m5, m6 still parked.
		wroteAt := x.clk.add(500 * time.Millisecond)
		x.pull()
		if x.Stats().Parked == 0 {
			t.Fatal("nothing parked any more")
		}
		x.Check(parkedAt.Add(cfg.WaitBeforeClose))
		if n := x.unresp.Load(); n != 0 {
			t.Fatal("unresponsive though a write made progress")
		}
		x.Check(wroteAt.Add(cfg.WaitBeforeClose))
		if n := x.unresp.Load(); n != 1 {
			t.Fatalf("onUnresponsive called %d times at WaitBeforeClose, want once", n)
		}
		x.Check(wroteAt.Add(2 * cfg.WaitBeforeClose))
		if n := x.unresp.Load(); n != 1 {
			t.Fatalf("onUnresponsive called %d times, want once", n)
		}
	})

	t.Run("nothing parked", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		x.Enqueue(msgs("m1"), true)
		x.Check(x.clk.now().Add(time.Hour))
		if n := x.unresp.Load(); n != 0 {
			t.Fatal("unresponsive with nothing parked")
		}
	})

	t.Run("closed", func(t *testing.T) {
		x := newObx(t, obConfig(300))
		x.Enqueue(msgs("m1", "m2", "m3"), true) // m3 parked
		x.Close(codec.CloseGeneric, true, nil)
		x.Enqueue(msgs("m4", "m5"), true)
		if s := x.Stats(); s.Parked != 0 || s.Dropped != 3 {
			t.Fatalf("stats %+v: want the parked one and the two late ones dropped", s)
		}
	})
}

// TestOutboxClose: Close queues a session Close behind the data (flush)
// or instead of it; nothing is taken after it; written is called once,
// when the Close was written or when the outbox shuts down first.
func TestOutboxClose(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flush bool
		msgs  int // pushed before the Close, one batch each
		// pulls is the number of Frames each writer turn sends before
		// the Close comes out (at most 16 batches per Pull).
		pulls []int
	}{
		{"flush", true, 2, []int{2}},
		{"flush of exactly one Pull", true, 16, []int{16, 0}}, // the Close would be a 17th
		{"flush past one Pull", true, 20, []int{16, 4}},
		{"no flush", false, 2, []int{0}},
		{"nothing queued", true, 0, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newObx(t, obConfig(1<<20))
			for i := range tc.msgs {
				// 1500 bytes: one batch each.
				if err := x.push(obMsg(codec.PriorityData, true, sized(fmt.Sprint(i), 1500)), true); err != nil {
					t.Fatal(err)
				}
			}
			var written atomic.Int32
			x.Close(codec.CloseExpired, tc.flush, func() { written.Add(1) })
			x.Close(codec.CloseGeneric, tc.flush, func() { written.Add(100) }) // ignored
			if err := x.push(obMsg(codec.PriorityData, true, "late"), true); !errors.Is(err, ErrClosed) {
				t.Fatalf("push after Close: %v", err)
			}
			if x.KeepAlive() {
				t.Fatal("KeepAlive after Close")
			}
			sent := 0
			for i, frames := range tc.pulls {
				got := x.Pull(nil)
				last := i == len(tc.pulls)-1
				want := frames
				if last {
					want++ // the Close
				}
				if len(got) != want {
					t.Fatalf("Pull %d: %d batches, want %d", i, len(got), want)
				}
				for j, b := range got {
					ob := decodeOut(t, b)
					if last && j == len(got)-1 {
						if ob.id != codec.MidClose || ob.reason != codec.CloseExpired {
							t.Fatalf("last batch %v, want Close(EXPIRED)", ob)
						}
						continue
					}
					if ob.id != codec.MidFrame || ob.payloads[0] != sized(fmt.Sprint(sent), 1500) {
						t.Fatalf("batch %d of Pull %d: %v", j, i, ob)
					}
					sent++
				}
				if n := written.Load(); n != 0 {
					t.Fatalf("written called before the Close was written")
				}
				x.Written(got, nil)
			}
			if n := written.Load(); n != 1 {
				t.Fatalf("written called %d, want once", n)
			}
			select {
			case <-x.Done():
			default:
				t.Fatal("Done not closed once the Close was written")
			}
			if got := x.Pull(nil); len(got) != 0 {
				t.Fatalf("Pull after the Close: %d batches", len(got))
			}
			x.Shutdown()
			if n := written.Load(); n != 1 {
				t.Fatalf("written called %d, want once", n)
			}
		})
	}

	t.Run("shutdown first", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		var written atomic.Int32
		x.Close(codec.CloseGeneric, true, func() { written.Add(1) })
		bufs := x.Pull(nil)
		x.Shutdown()
		if n := written.Load(); n != 1 {
			t.Fatalf("written called %d at Shutdown, want once", n)
		}
		x.Written(bufs, nil)
		if n := written.Load(); n != 1 {
			t.Fatalf("written called %d, want once", n)
		}
	})

	t.Run("in the handshake", func(t *testing.T) {
		x := newObxHandshake(t, obConfig(1<<20))
		raw := aloneInBatch(true, func(b []byte) []byte { return codec.AppendKeepAlive(b, &codec.KeepAlive{}) })
		x.Raw(raw)
		x.Close(codec.CloseInvalid, true, nil)
		if x.Raw(raw) {
			t.Fatal("Raw taken after Close")
		}
		got := x.Pull(nil)
		if len(got) != 2 || decodeOut(t, got[0]).id != codec.MidKeepAlive || decodeOut(t, got[1]).reason != codec.CloseInvalid {
			t.Fatalf("Pull gave %d batches", len(got))
		}
		x.Written(got, nil)
		select {
		case <-x.Done():
		default:
			t.Fatal("Done not closed")
		}
	})
}

// TestOutboxKeepAlive: a KeepAlive is queued only when the outbox is idle
// (nothing queued, the writer asleep): anything else keeps the lease.
func TestOutboxKeepAlive(t *testing.T) {
	x := newObx(t, obConfig(1<<20))
	if !x.KeepAlive() {
		t.Fatal("no KeepAlive on an idle outbox")
	}
	if x.KeepAlive() {
		t.Fatal("a second KeepAlive queued behind the first")
	}
	if got := x.pull(); len(got) != 1 || got[0].id != codec.MidKeepAlive {
		t.Fatalf("Pull gave %v", got)
	}
	x.pull() // the writer sleeps
	x.mustPush(obMsg(codec.PriorityData, true, "data"))
	if x.KeepAlive() {
		t.Fatal("KeepAlive with data queued")
	}
	bufs := x.Pull(nil)
	if x.KeepAlive() {
		t.Fatal("KeepAlive while the writer writes")
	}
	x.Written(bufs, nil)
	x.pull()
	if !x.KeepAlive() {
		t.Fatal("no KeepAlive once idle again")
	}
	x.pull()
	x.pull()
	x.Shutdown()
	if x.KeepAlive() {
		t.Fatal("KeepAlive after Shutdown")
	}
}

// directLink is a link's non-blocking write function: it records what it
// is given and reports whether it wrote it all.
type directLink struct {
	t     *testing.T
	all   bool       // what it reports
	calls [][]string // payloads of each call
	bufs  [][]byte   // the batches of the last call
}

func (d *directLink) write(bufs [][]byte) bool {
	var ps []string
	for _, b := range bufs {
		ps = append(ps, decodeOut(d.t, b).payloads...)
	}
	d.calls = append(d.calls, ps)
	d.bufs = bufs
	return d.all
}

// TestOutboxDirect: on a quiet link (the writer asleep, nothing written
// for DirectAfter), a push writes its batch itself through the link's
// write function and calls Written; when that function cannot write it
// all, the writer's Written ends the direct write. A busy link wakes the
// writer instead.
func TestOutboxDirect(t *testing.T) {
	m := func(p string) *codec.NetworkMessage { return obMsg(codec.PriorityData, true, p) }

	t.Run("quiet link", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		d := &directLink{t: t, all: true}
		x.SetDirect(d.write)
		now := x.clk.add(time.Millisecond) // DirectAfter
		x.pushHere(m("direct"))
		if len(d.calls) != 1 || !sameStrings(d.calls[0], []string{"direct"}) {
			t.Fatalf("direct writes %q", d.calls)
		}
		if x.signalled() {
			t.Fatal("the writer was woken for a direct write")
		}
		x.mu.Lock()
		directing, inFlight := x.directing, len(x.tx.out)
		x.mu.Unlock()
		if directing || inFlight != 0 || x.Stats().Queued != 0 || !x.LastSend().Equal(now) {
			t.Fatalf("after the direct write: directing %v, %d batches not released, %+v, last send %v",
				directing, inFlight, x.Stats(), x.LastSend())
		}
		// Just written: the link is not quiet, the writer does the next.
		x.pushHere(m("woken"))
		if len(d.calls) != 1 || !x.signalled() {
			t.Fatalf("%d direct writes, Ready not signalled", len(d.calls))
		}
		if got := payloads(x.pull()); !sameStrings(got, []string{"woken"}) {
			t.Fatalf("writer sent %q", got)
		}
	})

	t.Run("partial write", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		d := &directLink{t: t, all: false}
		x.SetDirect(d.write)
		x.clk.add(time.Hour)
		x.pushHere(m("first"))
		if len(d.calls) != 1 {
			t.Fatalf("%d direct writes", len(d.calls))
		}
		// The writer goroutine finishes the batch: until its Written, a
		// push only queues, and its Pull finds nothing.
		x.pushHere(m("second"))
		if len(d.calls) != 1 || x.signalled() {
			t.Fatal("a second direct write, or a wake, during the first")
		}
		if got := x.Pull(nil); len(got) != 0 {
			t.Fatalf("Pull during a direct write gave %d batches", len(got))
		}
		if x.KeepAlive() {
			t.Fatal("KeepAlive during a direct write")
		}
		x.Written(d.bufs, nil)
		if !x.signalled() {
			t.Fatal("the writer not woken for what came during the direct write")
		}
		if got := payloads(x.pull()); !sameStrings(got, []string{"second"}) {
			t.Fatalf("writer sent %q", got)
		}
		if x.pull(); x.Stats().Queued != 0 {
			t.Fatal("data left")
		}
	})

	t.Run("partial write, nothing more", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		d := &directLink{t: t, all: false}
		x.SetDirect(d.write)
		x.clk.add(time.Hour)
		x.pushHere(m("only"))
		x.Written(d.bufs, nil)
		if x.signalled() {
			t.Fatal("the writer woken with nothing to write")
		}
		// Asleep and quiet again (the clock did not move since): the
		// next push is direct.
		x.clk.add(time.Millisecond)
		x.pushHere(m("next"))
		if len(d.calls) != 2 {
			t.Fatalf("%d direct writes, want 2", len(d.calls))
		}
		x.Written(d.bufs, nil)
	})

	t.Run("partial write fails", func(t *testing.T) {
		x := newObx(t, obConfig(1<<20))
		d := &directLink{t: t, all: false}
		x.SetDirect(d.write)
		x.clk.add(time.Hour)
		x.pushHere(m("lost"))
		x.Written(d.bufs, errors.New("reset"))
		select {
		case <-x.Done():
		default:
			t.Fatal("a failed write did not shut the outbox down")
		}
		if err := x.Push(m("late"), true, nil); !errors.Is(err, ErrClosed) {
			t.Fatalf("push after the link failed: %v", err)
		}
	})

	for _, tc := range []struct {
		name    string
		cfg     func(*OutboxConfig)
		prepare func(x *obx)
	}{
		{"recent write", nil, func(x *obx) {
			x.pushHere(m("first")) // a new link is not quiet: the writer takes it
			x.clk.add(time.Hour)
			x.pull() // the writer wrote it at 1h
			x.pull() // then found nothing: it sleeps
			x.clk.add(x.cfg.DirectAfter - 1)
		}},
		{"write just ended", nil, func(x *obx) {
			x.pushHere(m("first")) // a new link is not quiet: the writer takes it
			x.clk.add(time.Hour)
			bufs := x.Pull(nil)          // the writer starts writing at 1h...
			x.clk.add(x.cfg.DirectAfter) // ...a slow write...
			x.Written(bufs, nil)         // ...that ends now
			if len(x.Pull(nil)) != 0 {   // then it finds nothing: it sleeps
				t.Fatal("data left")
			}
		}},
		{"writer awake", nil, func(x *obx) {
			x.pushHere(m("wakes")) // not quiet yet: wakes the writer
			x.clk.add(time.Hour)
		}},
		{"never", func(c *OutboxConfig) { c.DirectAfter = -1 }, func(x *obx) { x.clk.add(time.Hour) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := obConfig(1 << 20)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			x := newObx(t, cfg)
			d := &directLink{t: t, all: true}
			x.SetDirect(d.write)
			tc.prepare(x)
			x.signalled()
			x.pushHere(m("queued"))
			if len(d.calls) != 0 {
				t.Fatalf("direct writes %q", d.calls)
			}
			if got := payloads(x.pull()); got[len(got)-1] != "queued" {
				t.Fatalf("writer sent %q", got)
			}
		})
	}
}

// TestOutboxForwardFlush: Forward only queues (a reader forwarding a
// whole read must not write once per call) and wakes the writer only
// when a batch is full; Flush then sends the rest, directly on a quiet
// link.
func TestOutboxForwardFlush(t *testing.T) {
	x := newObx(t, obConfig(1<<20))
	d := &directLink{t: t, all: true}
	x.SetDirect(d.write)
	x.clk.add(time.Hour) // quiet: a push would write directly
	fwd := func(payloads ...string) {
		t.Helper()
		ps := make([]codec.Push, len(payloads))
		for i, p := range payloads {
			ps[i] = obMsg(codec.PriorityData, true, p).Push
		}
		if n := x.Forward(ps, &codec.WireExpr{Suffix: []byte("k")}, 0, true, nil); n != 0 {
			t.Fatalf("Forward dropped %d", n)
		}
	}
	fwd("a", "b")
	fwd("c")
	if len(d.calls) != 0 || x.signalled() {
		t.Fatalf("Forward wrote (%q) or woke the writer", d.calls)
	}
	x.Flush()
	if len(d.calls) != 1 || !sameStrings(d.calls[0], []string{"a", "b", "c"}) {
		t.Fatalf("Flush wrote %q; want one write of a, b, c", d.calls)
	}

	// An Express message closes its batch, but Flush sends it.
	ps := []codec.Push{obMsg(codec.PriorityData, true, "express").Push}
	ps[0].QoS = codec.NewQoS(codec.PriorityData, true, true)
	x.Forward(ps, &codec.WireExpr{Suffix: []byte("k")}, 0, true, nil)
	if len(d.calls) != 1 || x.signalled() {
		t.Fatal("an Express message written or the writer woken before Flush")
	}
	x.clk.add(time.Hour)
	x.Flush()
	if len(d.calls) != 2 || !sameStrings(d.calls[1], []string{"express"}) {
		t.Fatalf("Flush wrote %q; want express", d.calls)
	}

	// More than a batch wakes the writer, without a direct write.
	big := sized("big", 700)
	fwd(big, big, big, big)
	if len(d.calls) != 2 || !x.signalled() {
		t.Fatalf("%d writes, writer not woken; want it woken for the full batch", len(d.calls))
	}
	got := payloads(x.pull())
	if len(got) != 4 {
		t.Fatalf("writer sent %d payloads; want 4", len(got))
	}

	// Flush with nothing queued writes nothing; after Shutdown it is a
	// no-op.
	x.clk.add(time.Hour)
	x.Flush()
	x.Shutdown()
	x.Flush()
	if len(d.calls) != 2 {
		t.Fatalf("%d writes; want 2", len(d.calls))
	}
}
