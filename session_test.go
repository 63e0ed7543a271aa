package zenoh

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gozenoh/zenoh/internal/actortest"
)

// TestMain checks that the sessions the tests open and close leave no
// goroutine behind. protoactor's dead-letter throttle runs a goroutine
// for one throttle interval after a message reaches a stopped actor
// (as some do while a session closes); it ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// testWait bounds every wait for an event in these tests.
const testWait = 10 * time.Second

// open opens a session closed when the test ends.
func openTest(t testing.TB, cfg Config) *Session {
	t.Helper()
	cfg.MulticastScouting = false
	if cfg.Logger == nil {
		cfg.Logger = actortest.Logger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	s, err := Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func locatorOf(t testing.TB, s *Session) string {
	t.Helper()
	info, err := s.Info()
	if err != nil || len(info.Locators) == 0 {
		t.Fatalf("no locator: %v %v", info, err)
	}
	return info.Locators[0]
}

// peers opens two peer sessions, b connected to a.
func peerPair(t *testing.T) (a, b *Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	a = openTest(t, cfg)
	cfg = DefaultConfig()
	cfg.Connect = []string{locatorOf(t, a)}
	b = openTest(t, cfg)
	return a, b
}

// watcher is a callback subscriber whose samples arrive on a channel.
func watchKey(t *testing.T, s *Session, key string) <-chan Sample {
	t.Helper()
	ch := make(chan Sample, 4096)
	if _, err := s.DeclareSubscriber(key, Callback(func(smp Sample) {
		select {
		case ch <- smp:
		default:
			panic("watcher full")
		}
	})); err != nil {
		t.Fatal(err)
	}
	return ch
}

// probe publishes on key from pub until a sample on key arrives on ch:
// the route exists. Later probes are skipped by next.
func probeRoute(t *testing.T, pub *Session, key string, ch <-chan Sample) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		if err := pub.Put(key, []byte("probe")); err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case smp := <-ch:
				if smp.KeyExpr == key {
					return
				}
				continue
			case <-tick.C:
			}
			break
		}
	}
	t.Fatalf("no route to %s within %v", key, testWait)
}

// next returns the next sample on ch whose key is not a probe's.
func nextSample(t *testing.T, ch <-chan Sample) Sample {
	t.Helper()
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	for {
		select {
		case smp, ok := <-ch:
			if !ok {
				t.Fatal("channel closed")
			}
			if strings.HasSuffix(smp.KeyExpr, "/probe") {
				continue
			}
			return smp
		case <-timer.C:
			t.Fatalf("no sample within %v", testWait)
		}
	}
}

func TestPutDeleteWithOptions(t *testing.T) {
	a, b := peerPair(t)
	sub, err := b.DeclareSubscriber("test/pd/**", FifoChannel(64))
	if err != nil {
		t.Fatal(err)
	}
	probeRoute(t, a, "test/pd/probe", sub.Chan())

	enc := EncodingTextPlain.WithSchema("utf-8")
	if err := a.Put("test/pd/x", []byte("hello"), WithEncoding(enc), WithAttachment([]byte("att")),
		WithPriority(PriorityInteractiveHigh), WithCongestionControl(CongestionControlBlock), WithExpress(true)); err != nil {
		t.Fatal(err)
	}
	smp := nextSample(t, sub.Chan())
	if smp.Kind != SampleKindPut || smp.KeyExpr != "test/pd/x" || string(smp.Payload) != "hello" ||
		smp.Encoding != enc || string(smp.Attachment) != "att" || smp.Priority != PriorityInteractiveHigh ||
		smp.CongestionControl != CongestionControlBlock || !smp.Express {
		t.Fatalf("got %+v", smp)
	}
	if smp.Encoding.String() != "text/plain;utf-8" {
		t.Fatalf("encoding %q", smp.Encoding)
	}
	if !smp.Timestamp.IsZero() {
		t.Fatalf("peers do not timestamp by default, got %v", smp.Timestamp)
	}

	if err := a.Delete("test/pd/x", WithAttachment([]byte("gone"))); err != nil {
		t.Fatal(err)
	}
	smp = nextSample(t, sub.Chan())
	if smp.Kind != SampleKindDelete || smp.KeyExpr != "test/pd/x" || len(smp.Payload) != 0 || string(smp.Attachment) != "gone" {
		t.Fatalf("got %+v", smp)
	}
}

func TestPayloadCopied(t *testing.T) {
	a, b := peerPair(t)
	sub, _ := b.DeclareSubscriber("test/copy/**", FifoChannel(64))
	local, _ := a.DeclareSubscriber("test/copy/**", FifoChannel(64))
	probeRoute(t, a, "test/copy/probe", sub.Chan())
	buf := []byte("first")
	if err := a.Put("test/copy/x", buf); err != nil {
		t.Fatal(err)
	}
	copy(buf, "XXXXX")
	if got := nextSample(t, sub.Chan()); string(got.Payload) != "first" {
		t.Fatalf("remote got %q", got.Payload)
	}
	if got := nextSample(t, local.Chan()); string(got.Payload) != "first" {
		t.Fatalf("local got %q", got.Payload)
	}
}

func TestCallbackHandler(t *testing.T) {
	a, b := peerPair(t)
	ch := watchKey(t, b, "test/cb/*")
	probeRoute(t, a, "test/cb/probe", ch)
	for i := range 10 {
		if err := a.Put(fmt.Sprintf("test/cb/%d", i), []byte{byte(i)}, WithCongestionControl(CongestionControlBlock)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		smp := nextSample(t, ch)
		if smp.KeyExpr != fmt.Sprintf("test/cb/%d", i) || smp.Payload[0] != byte(i) {
			t.Fatalf("sample %d: %+v", i, smp)
		}
	}
}

// sentinel publishes n samples on data keys, then one on end; when the
// watcher sees end, every data sample was dispatched.
func publishThenEnd(t *testing.T, a *Session, prefix string, n int, watch <-chan Sample) {
	t.Helper()
	publishThenEndCC(t, a, prefix, n, watch, CongestionControlBlock)
}

// publishThenEndCC is publishThenEnd with the data samples under cc (the
// end marker is always Block).
func publishThenEndCC(t *testing.T, a *Session, prefix string, n int, watch <-chan Sample, cc CongestionControl) {
	t.Helper()
	for i := range n {
		if err := a.Put(fmt.Sprintf("%s/data/%d", prefix, i), []byte{byte(i)}, WithCongestionControl(cc)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Put(prefix+"/end", nil, WithCongestionControl(CongestionControlBlock)); err != nil {
		t.Fatal(err)
	}
	for {
		if nextSample(t, watch).KeyExpr == prefix+"/end" {
			return
		}
	}
}

func drainPayloads(ch <-chan Sample) []byte {
	var got []byte
	for {
		select {
		case smp := <-ch:
			got = append(got, smp.Payload[0])
		default:
			return got
		}
	}
}

func TestRingChannelKeepsNewest(t *testing.T) {
	a, b := peerPair(t)
	ring, err := b.DeclareSubscriber("test/ring/data/*", RingChannel(3))
	if err != nil {
		t.Fatal(err)
	}
	watch := watchKey(t, b, "test/ring/*")
	probeRoute(t, a, "test/ring/probe", watch)
	publishThenEnd(t, a, "test/ring", 10, watch)
	if got := drainPayloads(ring.Chan()); !slices.Equal(got, []byte{7, 8, 9}) {
		t.Fatalf("ring kept %v, want [7 8 9]", got)
	}
	if d := ring.Dropped(); d != 7 {
		t.Fatalf("dropped %d, want 7", d)
	}
}

// TestFifoChannelBounded: a full FIFO drops (and counts) Drop samples,
// and holds back the publisher of Block ones until it is read: none is
// lost.
func TestFifoChannelBounded(t *testing.T) {
	a, b := peerPair(t)
	fifo, err := b.DeclareSubscriber("test/fifo/data/*", FifoChannel(3))
	if err != nil {
		t.Fatal(err)
	}
	watch := watchKey(t, b, "test/fifo/*")
	probeRoute(t, a, "test/fifo/probe", watch)
	publishThenEndCC(t, a, "test/fifo", 10, watch, CongestionControlDrop)
	if got := drainPayloads(fifo.Chan()); !slices.Equal(got, []byte{0, 1, 2}) {
		t.Fatalf("fifo kept %v, want [0 1 2]", got)
	}
	if d := fifo.Dropped(); d != 7 {
		t.Fatalf("dropped %d, want 7", d)
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10 {
			if err := a.Put(fmt.Sprintf("test/fifo/data/%d", i), []byte{byte(i)},
				WithCongestionControl(CongestionControlBlock)); err != nil {
				t.Error(err)
			}
		}
	}()
	var got []byte
	for len(got) < 10 {
		got = append(got, nextSample(t, fifo.Chan()).Payload[0])
	}
	<-done
	if !slices.Equal(got, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("fifo delivered %v under Block, want 0..9", got)
	}
	if d := fifo.Dropped(); d != 7 {
		t.Fatalf("dropped %d after the Block samples, want still 7", d)
	}
}

func TestUndeclareStopsDelivery(t *testing.T) {
	a, b := peerPair(t)
	fifo, _ := b.DeclareSubscriber("test/undecl/data/*", FifoChannel(64))
	calls := make(chan Sample, 64)
	cb, _ := b.DeclareSubscriber("test/undecl/data/*", Callback(func(s Sample) { calls <- s }))
	watch := watchKey(t, b, "test/undecl/*")
	probeRoute(t, a, "test/undecl/probe", watch)
	publishThenEnd(t, a, "test/undecl", 1, watch)
	if got := drainPayloads(fifo.Chan()); len(got) != 1 {
		t.Fatalf("before undeclare: fifo got %v", got)
	}
	if len(calls) != 1 {
		t.Fatalf("before undeclare: %d callbacks", len(calls))
	}
	<-calls
	if err := fifo.Undeclare(); err != nil {
		t.Fatal(err)
	}
	if err := cb.Undeclare(); err != nil {
		t.Fatal(err)
	}
	if err := cb.Undeclare(); !errors.Is(err, ErrUndeclared) {
		t.Fatalf("second Undeclare: %v", err)
	}
	publishThenEnd(t, a, "test/undecl", 3, watch)
	// The channel is closed, with nothing published after Undeclare.
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	select {
	case smp, ok := <-fifo.Chan():
		if ok {
			t.Fatalf("sample after undeclare: %+v", smp)
		}
	case <-timer.C:
		t.Fatal("channel not closed after Undeclare")
	}
	if len(calls) != 0 {
		t.Fatalf("%d callbacks after undeclare", len(calls))
	}
}

func TestPublisher(t *testing.T) {
	a, b := peerPair(t)
	sub, _ := b.DeclareSubscriber("test/pub/**", FifoChannel(64))
	probeRoute(t, a, "test/pub/probe", sub.Chan())
	p, err := a.DeclarePublisher("test/pub/x", WithEncoding(EncodingApplicationJSON), WithAttachment([]byte("a")))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Put([]byte(`{"v":1}`), WithAttachment([]byte("b"))); err != nil {
		t.Fatal(err)
	}
	smp := nextSample(t, sub.Chan())
	if smp.KeyExpr != "test/pub/x" || smp.Encoding != EncodingApplicationJSON || string(smp.Attachment) != "b" {
		t.Fatalf("got %+v", smp)
	}
	if err := p.Delete(); err != nil {
		t.Fatal(err)
	}
	if smp = nextSample(t, sub.Chan()); smp.Kind != SampleKindDelete || string(smp.Attachment) != "a" {
		t.Fatalf("got %+v", smp)
	}
	if err := p.Undeclare(); err != nil {
		t.Fatal(err)
	}
	if err := p.Put(nil); !errors.Is(err, ErrUndeclared) {
		t.Fatalf("Put after Undeclare: %v", err)
	}
}

func TestRouterAndClients(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	r := openTest(t, cfg)
	cfg = DefaultConfig()
	cfg.Mode = ModeClient
	cfg.Connect = []string{locatorOf(t, r)}
	c1 := openTest(t, cfg)
	c2 := openTest(t, cfg)

	sub, _ := c2.DeclareSubscriber("test/rc/**", FifoChannel(64))
	probeRoute(t, c1, "test/rc/probe", sub.Chan())
	if err := c1.Put("test/rc/x", []byte("via router")); err != nil {
		t.Fatal(err)
	}
	smp := nextSample(t, sub.Chan())
	if string(smp.Payload) != "via router" {
		t.Fatalf("got %+v", smp)
	}
	if smp.Timestamp.IsZero() || smp.Timestamp.ID.String() != r.ZenohId() {
		t.Fatalf("routers timestamp by default: got %v, router %s", smp.Timestamp, r.ZenohId())
	}

	info, err := c1.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Routers, []string{r.ZenohId()}) || len(info.Peers) != 0 || info.ZID != c1.ZenohId() {
		t.Fatalf("client info %+v, router %s", info, r.ZenohId())
	}
	info, _ = r.Info()
	if len(info.Routers) != 0 || len(info.Peers) != 0 {
		t.Fatalf("router info %+v: clients are neither routers nor peers", info)
	}
}

func TestInfoPeers(t *testing.T) {
	a, b := peerPair(t)
	info, err := b.Info()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.Peers, []string{a.ZenohId()}) || len(info.Routers) != 0 {
		t.Fatalf("info %+v, a %s", info, a.ZenohId())
	}
}

func TestOpenConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MulticastScouting = false
	cfg.ID = "a1b2c3"
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s.ZenohId() != "a1b2c3" {
		t.Fatalf("zid %s", s.ZenohId())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Put("a/b", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Put after Close: %v", err)
	}
	if _, err := s.Get(context.Background(), "a/b"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}

	bad := DefaultConfig()
	bad.ID = "0xyz"
	if _, err := Open(context.Background(), bad); err == nil {
		t.Fatal("bad id accepted")
	}
	bad = DefaultConfig()
	bad.Mode = 0
	if _, err := Open(context.Background(), bad); err == nil {
		t.Fatal("bad mode accepted")
	}
}

func TestOpenConnectTimeout(t *testing.T) {
	// A port nothing listens on: Open gives up when ctx ends.
	cfg := DefaultConfig()
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	a := openTest(t, cfg)
	ep := locatorOf(t, a)
	_ = a.Close()

	cfg = DefaultConfig()
	cfg.MulticastScouting = false
	cfg.Mode = ModeClient
	cfg.Connect = []string{ep}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if s, err := Open(ctx, cfg); err == nil {
		_ = s.Close()
		t.Fatal("Open succeeded without a peer")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
}

func TestInvalidKeys(t *testing.T) {
	cfg := DefaultConfig()
	s := openTest(t, cfg)
	for _, k := range []string{"", "a//b", "a/", "a/**/**", "/a"} {
		if err := s.Put(k, nil); err == nil {
			t.Errorf("Put(%q) accepted", k)
		}
		if _, err := s.DeclareSubscriber(k, FifoChannel(1)); err == nil {
			t.Errorf("DeclareSubscriber(%q) accepted", k)
		}
		if _, err := s.DeclareQueryable(k, func(*Query) {}); err == nil {
			t.Errorf("DeclareQueryable(%q) accepted", k)
		}
		if _, err := s.Get(context.Background(), k+"?x=1"); err == nil {
			t.Errorf("Get(%q) accepted", k)
		}
	}
}

func TestEncoding(t *testing.T) {
	for _, c := range []struct {
		s    string
		e    Encoding
		back string
	}{
		{"", EncodingZenohBytes, "zenoh/bytes"},
		{"zenoh/bytes", EncodingZenohBytes, "zenoh/bytes"},
		{"text/plain", EncodingTextPlain, "text/plain"},
		{"text/plain;utf-8", Encoding{ID: 4, Schema: "utf-8"}, "text/plain;utf-8"},
		{"application/json", EncodingApplicationJSON, "application/json"},
		{"video/vp9", Encoding{ID: 52}, "video/vp9"},
		{"my/own;x", Encoding{ID: EncodingCustomID, Schema: "my/own;x"}, "my/own;x"},
	} {
		e := EncodingFromString(c.s)
		if e != c.e || e.String() != c.back {
			t.Errorf("%q: got %+v %q, want %+v %q", c.s, e, e.String(), c.e, c.back)
		}
	}
	if s := (Encoding{ID: 999}).String(); s != "unknown(999)" {
		t.Errorf("got %q", s)
	}
	if (Encoding{ID: 0, Schema: "pico"}).String() != "zenoh/bytes;pico" {
		t.Error("pico's custom form")
	}
}

// TestClientPutRightAfterOpenAndBeforeClose: a client that opens, puts
// and closes at once delivers its sample: Open waits for the router's
// declarations, Close for what was sent.
func TestClientPutRightAfterOpenAndBeforeClose(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	r := openTest(t, cfg)
	sub, err := r.DeclareSubscriber("now/**", FifoChannel(16))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ccfg := DefaultConfig()
		ccfg.Mode = ModeClient
		ccfg.Connect = []string{locatorOf(t, r)}
		c, err := Open(context.Background(), ccfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Put("now/x", []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if s := nextSample(t, sub.Chan()); s.Payload[0] != byte(i) {
			t.Fatalf("round %d: got %v", i, s.Payload)
		}
	}
}
