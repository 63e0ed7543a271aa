package zenoh

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

// collect reads replies until the channel closes.
func collectReplies(t *testing.T, ch <-chan Reply) []Reply {
	t.Helper()
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	var got []Reply
	for {
		select {
		case r, ok := <-ch:
			if !ok {
				return got
			}
			got = append(got, r)
		case <-timer.C:
			t.Fatalf("Get not ended within %v (%d replies)", testWait, len(got))
		}
	}
}

func getAll(t *testing.T, s *Session, selector string, opts ...GetOption) []Reply {
	t.Helper()
	ch, err := s.Get(context.Background(), selector, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return collectReplies(t, ch)
}

// awaitQueryable queries selector until a reply that is not an error
// comes back: the queryable is known to q's node.
func awaitQueryable(t *testing.T, q *Session, selector string) {
	t.Helper()
	deadline := time.Now().Add(testWait)
	for time.Now().Before(deadline) {
		for _, r := range getAll(t, q, selector, WithConsolidation(ConsolidationNone), WithTimeout(time.Second)) {
			if r.Err == nil {
				return
			}
		}
		<-time.After(20 * time.Millisecond) // the declaration is on its way; nothing to testWait on
	}
	t.Fatalf("no queryable for %s within %v", selector, testWait)
}

func replyStrings(rs []Reply) []string {
	var out []string
	for _, r := range rs {
		if r.Err != nil {
			out = append(out, "ERR "+string(r.Err.Payload))
			continue
		}
		out = append(out, r.Sample.Kind.String()+" "+r.Sample.KeyExpr+" "+string(r.Sample.Payload))
	}
	return out
}

func TestGetConsolidation(t *testing.T) {
	a, b := peerPair(t)
	clock, err := hlc.NewClock(b.node.ZID, hlc.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	older, newer := clock.NewTimestamp(), clock.NewTimestamp()
	type seen struct{ selector, params string }
	queries := make(chan seen, 64)
	_, err = b.DeclareQueryable("test/q/**", func(q *Query) {
		if q.Parameters() == "probe" {
			_ = q.Reply("test/q/probe", nil)
			return
		}
		queries <- seen{q.Selector(), q.Parameters()}
		// The newer value of a first, then the older one.
		_ = q.Reply("test/q/a", []byte("new"), WithTimestamp(newer))
		_ = q.Reply("test/q/a", []byte("old"), WithTimestamp(older))
		_ = q.ReplyDel("test/q/b", WithTimestamp(older))
		if err := q.Reply("other/key", nil); err == nil {
			t.Error("a reply outside the query's key was accepted")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	awaitQueryable(t, a, "test/q/probe?probe")

	all := []string{"PUT test/q/a new", "PUT test/q/a old", "DELETE test/q/b "}
	latest := []string{"PUT test/q/a new", "DELETE test/q/b "}
	for _, c := range []struct {
		name     string
		selector string
		mode     ConsolidationMode
		want     []string
	}{
		{"none", "test/q/**", ConsolidationNone, all},
		{"monotonic", "test/q/**", ConsolidationMonotonic, latest},
		{"latest", "test/q/**", ConsolidationLatest, latest},
		{"auto", "test/q/**", ConsolidationAuto, latest},
		{"auto with a time range", "test/q/**?_time=[now(-1h)..]", ConsolidationAuto, all},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := replyStrings(getAll(t, a, c.selector, WithConsolidation(c.mode)))
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			q := <-queries
			if q.selector != c.selector {
				t.Fatalf("queryable saw %q", q.selector)
			}
		})
	}
}

func TestGetPayloadAttachmentAndErr(t *testing.T) {
	a, b := peerPair(t)
	type seen struct {
		payload, attachment string
		enc                 Encoding
	}
	queries := make(chan seen, 64)
	_, err := b.DeclareQueryable("test/qp", func(q *Query) {
		select {
		case queries <- seen{string(q.Payload()), string(q.Attachment()), q.Encoding()}:
		default:
		}
		_ = q.Reply("test/qp", []byte("v"), WithEncoding(EncodingTextPlain), WithAttachment([]byte("ra")))
		_ = q.ReplyErr([]byte("broken"), WithEncoding(EncodingTextPlain))
	}, WithComplete(true))
	if err != nil {
		t.Fatal(err)
	}
	awaitQueryable(t, a, "test/qp")
	for len(queries) > 0 {
		<-queries
	}
	rs := getAll(t, a, "test/qp", WithPayload([]byte("question")), WithEncoding(EncodingApplicationJSON),
		WithAttachment([]byte("qa")), WithTarget(QueryTargetAllComplete), WithConsolidation(ConsolidationNone))
	if len(rs) != 2 {
		t.Fatalf("got %q", replyStrings(rs))
	}
	if s := rs[0].Sample; rs[0].Err != nil || string(s.Payload) != "v" || s.Encoding != EncodingTextPlain ||
		string(s.Attachment) != "ra" || rs[0].ResponderID != b.ZenohId() {
		t.Fatalf("reply %+v", rs[0])
	}
	if e := rs[1].Err; e == nil || string(e.Payload) != "broken" || e.Encoding != EncodingTextPlain {
		t.Fatalf("error reply %+v", rs[1])
	}
	if q := <-queries; q.payload != "question" || q.attachment != "qa" || q.enc != EncodingApplicationJSON {
		t.Fatalf("queryable saw %+v", q)
	}
}

func TestGetTimeout(t *testing.T) {
	a, b := peerPair(t)
	release := make(chan struct{})
	_, err := b.DeclareQueryable("test/slow", func(q *Query) {
		if q.Parameters() == "probe" {
			_ = q.Reply("test/slow", nil)
			return
		}
		<-release
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(release) }) // before the sessions close
	awaitQueryable(t, a, "test/slow?probe")

	start := time.Now()
	rs := getAll(t, a, "test/slow", WithTimeout(300*time.Millisecond))
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("ended after %v, before the timeout", el)
	}
	if len(rs) == 0 || rs[len(rs)-1].Err == nil || string(rs[len(rs)-1].Err.Payload) != "Timeout" {
		t.Fatalf("got %q, want a Timeout error last", replyStrings(rs))
	}
}

func TestGetNoQueryableEndsAtOnce(t *testing.T) {
	a, _ := peerPair(t)
	start := time.Now()
	rs := getAll(t, a, "test/nobody/**", WithTimeout(time.Minute))
	if len(rs) != 0 {
		t.Fatalf("got %q", replyStrings(rs))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestGetContextCancel(t *testing.T) {
	a, b := peerPair(t)
	release := make(chan struct{})
	_, _ = b.DeclareQueryable("test/cancel", func(q *Query) {
		if q.Parameters() == "probe" {
			_ = q.Reply("test/cancel", nil)
			return
		}
		<-release
	})
	t.Cleanup(func() { close(release) })
	awaitQueryable(t, a, "test/cancel?probe")
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := a.Get(ctx, "test/cancel", WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	collectReplies(t, ch)
}

func TestLocalQueryableAndReplyAfterReturn(t *testing.T) {
	s := openTest(t, DefaultConfig())
	var kept *Query
	_, err := s.DeclareQueryable("test/local/*", func(q *Query) {
		kept = q
		_ = q.Reply("test/local/1", []byte("one"))
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := getAll(t, s, "test/local/*")
	if got := replyStrings(rs); !slices.Equal(got, []string{"PUT test/local/1 one"}) {
		t.Fatalf("got %q", got)
	}
	if err := kept.Reply("test/local/1", nil); err != ErrQueryEnded {
		t.Fatalf("reply after return: %v", err)
	}
}

func TestQueryableUndeclare(t *testing.T) {
	s := openTest(t, DefaultConfig())
	q, _ := s.DeclareQueryable("test/u", func(q *Query) { _ = q.Reply("test/u", nil) })
	if len(getAll(t, s, "test/u")) != 1 {
		t.Fatal("no reply")
	}
	if err := q.Undeclare(); err != nil {
		t.Fatal(err)
	}
	if rs := getAll(t, s, "test/u"); len(rs) != 0 {
		t.Fatalf("reply after Undeclare: %q", replyStrings(rs))
	}
}

func TestCloseEndsGet(t *testing.T) {
	a, b := peerPair(t)
	release := make(chan struct{})
	_, _ = b.DeclareQueryable("test/close", func(q *Query) {
		if q.Parameters() == "probe" {
			_ = q.Reply("test/close", nil)
			return
		}
		<-release
	})
	t.Cleanup(func() { close(release) })
	awaitQueryable(t, a, "test/close?probe")
	ch, err := a.Get(context.Background(), "test/close", WithTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	sub, _ := a.DeclareSubscriber("test/close", FifoChannel(1))
	_ = a.Close()
	collectReplies(t, ch)
	if _, ok := <-sub.Chan(); ok {
		t.Fatal("subscriber channel open after Close")
	}
}

// TestQuerierAndBudget: a declared querier carries its options; a budget
// ends the Get after that many replies.
func TestQuerierAndBudget(t *testing.T) {
	a, b := peerPair(t)
	qbl, err := b.DeclareQueryable("qb/**", func(q *Query) {
		for i := range 5 {
			// The budget ends the second Get after two replies: the test
			// may end, and close b, while this goes on.
			if err := q.Reply("qb/"+string(rune('a'+i)), []byte{byte('0' + i)}); err != nil && !errors.Is(err, ErrClosed) {
				t.Error(err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer qbl.Undeclare()
	awaitQueryable(t, a, "qb/**")
	qr, err := a.DeclareQuerier("qb/**", WithConsolidation(ConsolidationNone))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := qr.Get(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := collectReplies(t, ch); len(got) != 5 {
		t.Fatalf("querier got %v, want 5 replies", replyStrings(got))
	}
	ch, err = qr.Get(context.Background(), "x=1", WithBudget(2))
	if err != nil {
		t.Fatal(err)
	}
	if got := collectReplies(t, ch); len(got) != 2 || got[0].Err != nil || got[1].Err != nil {
		t.Fatalf("budget 2 gave %v", replyStrings(got))
	}
	if _, err := a.DeclareQuerier("bad//key"); err == nil {
		t.Fatal("a querier on an invalid key was declared")
	}
}

// TestLargeReplyAcrossRouters: a reply too large for one batch travels
// as fragments, followed by the ResponseFinal in a frame, often in the
// same read; the reassembled reply must be routed before the final that
// ends the query (it was dropped when frames went first).
func TestLargeReplyAcrossRouters(t *testing.T) {
	r := storageRouter(t, nil)
	cfg := DefaultConfig()
	cfg.Mode = ModeRouter
	cfg.MulticastScouting = false
	cfg.Listen = []string{"tcp/127.0.0.1:0"}
	cfg.Connect = []string{locatorOf(t, r)}
	r2 := openTest(t, cfg)
	const size = 200000
	if _, err := r.DeclareQueryable("big/reply", func(q *Query) { q.Reply("big/reply", make([]byte, size)) }); err != nil {
		t.Fatal(err)
	}
	awaitQueryable(t, r2, "big/reply")
	for range 5 {
		reps := getAll(t, r2, "big/reply", WithTimeout(testWait))
		if len(reps) != 1 || reps[0].Err != nil || len(reps[0].Sample.Payload) != size {
			t.Fatalf("replies: %d, want one of %d bytes", len(reps), size)
		}
	}
}
