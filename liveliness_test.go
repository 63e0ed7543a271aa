package zenoh

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// livelinessNet opens a router session and two client sessions connected
// to it. Liveliness subscribers and Gets that must see other sessions'
// tokens run on the router session: in client (and peer) mode the
// routing tables hand a local session only its own tokens, and register
// no Future interest for it (actors/router: counts, wants,
// handleInterest).
func livelinessNet(t *testing.T) (r, c1, c2 *Session) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	r = openTest(t, cfg)
	cfg = DefaultConfig()
	cfg.Mode = ModeClient
	cfg.Connect = []string{locatorOf(t, r)}
	c1 = openTest(t, cfg)
	c2 = openTest(t, cfg)
	return r, c1, c2
}

func declareToken(t *testing.T, s *Session, key string) *LivelinessToken {
	t.Helper()
	tok, err := s.Liveliness().DeclareToken(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func livSub(t *testing.T, s *Session, key string, opts ...LivelinessOption) *LivelinessSubscriber {
	t.Helper()
	sub, err := s.Liveliness().DeclareSubscriber(key, FifoChannel(64), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

// expectToken waits for the next sample on ch and checks it.
func expectToken(t *testing.T, ch <-chan Sample, key string, kind SampleKind) {
	t.Helper()
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	select {
	case smp, ok := <-ch:
		if !ok {
			t.Fatalf("channel closed, want %v %s", kind, key)
		}
		if smp.KeyExpr != key || smp.Kind != kind || len(smp.Payload) != 0 {
			t.Fatalf("got %v %s %q, want %v %s", smp.Kind, smp.KeyExpr, smp.Payload, kind, key)
		}
	case <-timer.C:
		t.Fatalf("no %v %s within %v", kind, key, testWait)
	}
}

// livGet runs a liveliness Get and returns the sorted keys of its
// replies; it fails unless the Get ends within testWait (its timeout is
// longer, so the router's DeclareFinal ended it).
func livGet(t *testing.T, s *Session, key string) []string {
	t.Helper()
	ch, err := s.Liveliness().Get(context.Background(), key, WithTimeout(3*testWait))
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	var keys []string
	for {
		select {
		case r, ok := <-ch:
			if !ok {
				slices.Sort(keys)
				return keys
			}
			if r.Err != nil || r.Sample.Kind != SampleKindPut {
				t.Fatalf("unexpected reply %+v", r)
			}
			keys = append(keys, r.Sample.KeyExpr)
		case <-timer.C:
			t.Fatalf("liveliness get %s did not end within %v", key, testWait)
		}
	}
}

func TestLivelinessSubscriberPutDelete(t *testing.T) {
	r, c1, _ := livelinessNet(t)
	sub := livSub(t, r, "test/liv/pd/**")
	other := livSub(t, r, "test/liv/pd/b/*") // shares the router's stream, disjoint key
	tok := declareToken(t, c1, "test/liv/pd/a")
	expectToken(t, sub.Chan(), "test/liv/pd/a", SampleKindPut)
	tokB := declareToken(t, c1, "test/liv/pd/b/1")
	expectToken(t, sub.Chan(), "test/liv/pd/b/1", SampleKindPut)
	expectToken(t, other.Chan(), "test/liv/pd/b/1", SampleKindPut)

	if err := tok.Undeclare(); err != nil {
		t.Fatal(err)
	}
	expectToken(t, sub.Chan(), "test/liv/pd/a", SampleKindDelete)
	if err := tok.Undeclare(); !errors.Is(err, ErrUndeclared) {
		t.Fatalf("second undeclare: %v", err)
	}
	if err := tokB.Undeclare(); err != nil {
		t.Fatal(err)
	}
	expectToken(t, sub.Chan(), "test/liv/pd/b/1", SampleKindDelete)
	// other saw nothing of test/liv/pd/a: its next event is b/1's end.
	expectToken(t, other.Chan(), "test/liv/pd/b/1", SampleKindDelete)

	if err := sub.Undeclare(); err != nil {
		t.Fatal(err)
	}
	if err := sub.Undeclare(); !errors.Is(err, ErrUndeclared) {
		t.Fatalf("second undeclare: %v", err)
	}
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	for closed := false; !closed; {
		select {
		case _, ok := <-sub.Chan():
			closed = !ok
		case <-timer.C:
			t.Fatal("channel not closed after Undeclare")
		}
	}
	// The interest is gone: a new token still reaches the remaining one.
	declareToken(t, c1, "test/liv/pd/b/2")
	expectToken(t, other.Chan(), "test/liv/pd/b/2", SampleKindPut)
}

func TestLivelinessHistory(t *testing.T) {
	r, c1, _ := livelinessNet(t)
	seen := livSub(t, r, "test/liv/h/**")
	declareToken(t, c1, "test/liv/h/old")
	expectToken(t, seen.Chan(), "test/liv/h/old", SampleKindPut) // the router has it

	hist := livSub(t, r, "test/liv/h/**", WithHistory(true))
	noHist := livSub(t, r, "test/liv/h/**", WithHistory(false))
	expectToken(t, hist.Chan(), "test/liv/h/old", SampleKindPut)

	declareToken(t, c1, "test/liv/h/new")
	expectToken(t, hist.Chan(), "test/liv/h/new", SampleKindPut)
	// Without history the existing token is not announced: the first
	// event is the new one.
	expectToken(t, noHist.Chan(), "test/liv/h/new", SampleKindPut)
	expectToken(t, seen.Chan(), "test/liv/h/new", SampleKindPut)
}

func TestLivelinessGet(t *testing.T) {
	r, c1, c2 := livelinessNet(t)
	seen := livSub(t, r, "test/liv/g/**")
	declareToken(t, c1, "test/liv/g/1")
	expectToken(t, seen.Chan(), "test/liv/g/1", SampleKindPut)
	declareToken(t, c2, "test/liv/g/2")
	expectToken(t, seen.Chan(), "test/liv/g/2", SampleKindPut)
	declareToken(t, c2, "test/liv/other")
	declareToken(t, r, "test/liv/g/r") // the asking session's own

	if got, want := livGet(t, r, "test/liv/g/**"), []string{"test/liv/g/1", "test/liv/g/2", "test/liv/g/r"}; !slices.Equal(got, want) {
		t.Fatalf("get: %v, want %v", got, want)
	}
	if got, want := livGet(t, r, "test/liv/g/2"), []string{"test/liv/g/2"}; !slices.Equal(got, want) {
		t.Fatalf("get: %v, want %v", got, want)
	}
	if got := livGet(t, r, "test/liv/none/**"); len(got) != 0 {
		t.Fatalf("get on nothing: %v", got)
	}
	// A client's Get includes its own tokens.
	if got := livGet(t, c1, "test/liv/g/**"); !slices.Contains(got, "test/liv/g/1") {
		t.Fatalf("client get: %v, want its own token among them", got)
	}

	// A cancelled context ends a Get.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ch, err := r.Liveliness().Get(ctx, "test/liv/g/**")
	if err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	for done := false; !done; {
		select {
		case _, ok := <-ch:
			done = !ok
		case <-timer.C:
			t.Fatal("get with a cancelled context did not end")
		}
	}
}

func TestLivelinessSessionCloseWithdraws(t *testing.T) {
	r, c1, c2 := livelinessNet(t)
	sub := livSub(t, r, "test/liv/c/**")
	declareToken(t, c2, "test/liv/c/2")
	expectToken(t, sub.Chan(), "test/liv/c/2", SampleKindPut)
	declareToken(t, c1, "test/liv/c/1")
	expectToken(t, sub.Chan(), "test/liv/c/1", SampleKindPut)
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	expectToken(t, sub.Chan(), "test/liv/c/2", SampleKindDelete)
	if got, want := livGet(t, r, "test/liv/c/**"), []string{"test/liv/c/1"}; !slices.Equal(got, want) {
		t.Fatalf("get after close: %v, want %v", got, want)
	}
	if _, err := c2.Liveliness().DeclareToken("test/liv/c/x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("token on a closed session: %v", err)
	}
	if _, err := c2.Liveliness().DeclareSubscriber("test/liv/c/x", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscriber on a closed session: %v", err)
	}
	if _, err := c2.Liveliness().Get(context.Background(), "test/liv/c/x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("get on a closed session: %v", err)
	}
}

func TestLivelinessSameSession(t *testing.T) {
	for _, mode := range []Mode{ModeRouter, ModeClient} {
		t.Run(mode.String(), func(t *testing.T) {
			r, c1, _ := livelinessNet(t)
			s := r
			if mode == ModeClient {
				s = c1
			}
			ch := make(chan Sample, 64)
			sub, err := s.Liveliness().DeclareSubscriber("test/liv/s/**", Callback(func(smp Sample) { ch <- smp }))
			if err != nil {
				t.Fatal(err)
			}
			if sub.Chan() != nil {
				t.Fatal("a callback subscriber has no channel")
			}
			tok := declareToken(t, s, "test/liv/s/own")
			expectToken(t, ch, "test/liv/s/own", SampleKindPut)

			// With history, the session's own token comes once (from the
			// router's answer), then the next event.
			hist := livSub(t, s, "test/liv/s/**", WithHistory(true))
			expectToken(t, hist.Chan(), "test/liv/s/own", SampleKindPut)
			declareToken(t, s, "test/liv/s/marker")
			expectToken(t, hist.Chan(), "test/liv/s/marker", SampleKindPut)
			expectToken(t, ch, "test/liv/s/marker", SampleKindPut)

			if err := tok.Undeclare(); err != nil {
				t.Fatal(err)
			}
			expectToken(t, ch, "test/liv/s/own", SampleKindDelete)
			expectToken(t, hist.Chan(), "test/liv/s/own", SampleKindDelete)
			if got, want := livGet(t, s, "test/liv/s/**"), []string{"test/liv/s/marker"}; !slices.Equal(got, want) {
				t.Fatalf("get: %v, want %v", got, want)
			}
		})
	}
}

func TestLivelinessInvalidKeys(t *testing.T) {
	cfg := DefaultConfig()
	s := openTest(t, cfg)
	l := s.Liveliness()
	if _, err := l.DeclareToken("a//b"); err == nil {
		t.Fatal("token on an invalid key")
	}
	if _, err := l.DeclareSubscriber("a/**/**", nil); err == nil {
		t.Fatal("subscriber on an invalid key")
	}
	if _, err := l.Get(context.Background(), ""); err == nil {
		t.Fatal("get on an invalid key")
	}
}

func TestLivelinessCloseClosesSubscribers(t *testing.T) {
	cfg := DefaultConfig()
	s := openTest(t, cfg)
	sub := livSub(t, s, "test/liv/x/**")
	ch, err := s.Liveliness().Get(context.Background(), "test/liv/x/**", WithTimeout(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	for _, c := range []<-chan Sample{sub.Chan()} {
		for closed := false; !closed; {
			select {
			case _, ok := <-c:
				closed = !ok
			case <-timer.C:
				t.Fatal("subscriber channel open after Close")
			}
		}
	}
	for done := false; !done; {
		select {
		case _, ok := <-ch:
			done = !ok
		case <-timer.C:
			t.Fatal("get open after Close")
		}
	}
	if err := sub.Undeclare(); err != nil {
		t.Fatal(err)
	}
}

// TestLivelinessGetTimeout drives a liveliness Get that no router
// answers (no interest is sent): its timeout ends it.
func TestLivelinessGetTimeout(t *testing.T) {
	s := openTest(t, DefaultConfig())
	g := &livelinessGet{id: s.nextEntity.Add(1), key: "test/liv/t", timeout: 10 * time.Millisecond, q: newReplyQueue()}
	out := make(chan Reply)
	s.wg.Add(1)
	s.sys.Root.Send(s.disp, &startLivGet{g: g})
	go s.forward(context.Background(), g.q, &endLivGet{id: g.id}, out)
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	select {
	case r, ok := <-out:
		if ok {
			t.Fatalf("unexpected reply %+v", r)
		}
	case <-timer.C:
		t.Fatal("timeout did not end the get")
	}
}

// TestLivelinessBetweenClients: a client's liveliness subscriber and Get
// see another client's token through the router.
func TestLivelinessBetweenClients(t *testing.T) {
	_, c1, c2 := livelinessNet(t)
	sub := livSub(t, c2, "cl/**")
	tok := declareToken(t, c1, "cl/one")
	expectToken(t, sub.Chan(), "cl/one", SampleKindPut)
	if keys := livGet(t, c2, "cl/**"); !slices.Equal(keys, []string{"cl/one"}) {
		t.Fatalf("client Get found %v, want [cl/one]", keys)
	}
	if err := tok.Undeclare(); err != nil {
		t.Fatal(err)
	}
	expectToken(t, sub.Chan(), "cl/one", SampleKindDelete)
}
