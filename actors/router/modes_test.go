package router

import (
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// A client's tables: on every (re)connection to a router they send one
// interest in everything and the local declarations; local publications
// go to the router only where it declared a matching subscriber.
func TestClientModeUpstream(t *testing.T) {
	tb := newTables(t, codec.Client)
	open(t, tb, 1, codec.Client, true)
	handle(t, tb, 1, entMsg(codec.DeclSubscriber, 1, str("a/**")))
	handle(t, tb, 1, entMsg(codec.DeclToken, 2, str("a/tok")))
	for round := range 2 {
		out := open(t, tb, 2, codec.Router, false)
		if len(out) != 3 || out[0].Msg.ID != codec.MidInterest {
			t.Fatalf("round %d: %d messages, want the interest and 2 declarations", round, len(out))
		}
		in := out[0].Msg.Interest
		if in.Mode != codec.InterestCurrentFuture || in.Restricted ||
			in.Options != codec.InterestSubscribers|codec.InterestQueryables|codec.InterestTokens {
			t.Fatalf("round %d: interest %+v", round, in)
		}
		ds := decls(t, out[1:])
		if ds[0].kind != codec.DeclSubscriber || ds[0].key != "a/**" || ds[0].hasI ||
			ds[1].kind != codec.DeclToken || ds[1].key != "a/tok" {
			t.Fatalf("round %d: declarations %+v", round, ds)
		}
		push := &codec.Push{WireExpr: str("b/x"), QoS: codec.DefaultQoS}
		if d, _ := tb.RoutePush(1, push); len(d) != 0 {
			t.Fatalf("round %d: unmatched publication routed to %+v", round, d)
		}
		m := entMsg(codec.DeclSubscriber, 9, str("b/*"))
		m.Declare.HasInterestID, m.Declare.InterestID = true, upstreamInterest
		handle(t, tb, 2, m)
		if d, _ := tb.RoutePush(1, push); len(d) != 1 || d[0].Face != 2 || d[0].NodeID != 0 {
			t.Fatalf("round %d: publication routed to %+v, want the router", round, d)
		}
		if d, _ := tb.RoutePush(2, push); len(d) != 0 {
			t.Fatalf("round %d: a remote publication went to %+v", round, d)
		}
		tb.CloseFace(2, t0)
	}
}

// A client's local session learns the tokens behind the router through
// its own interest: the current ones at once, later ones as they come.
func TestClientModeLocalInterest(t *testing.T) {
	tb := newTables(t, codec.Client)
	open(t, tb, 1, codec.Client, true)
	open(t, tb, 2, codec.Router, false)
	m := entMsg(codec.DeclToken, 9, str("g/a"))
	m.Declare.HasInterestID, m.Declare.InterestID = true, upstreamInterest
	handle(t, tb, 2, m)
	key := str("g/**")
	ds := decls(t, handle(t, tb, 1, interestMsg(3, codec.InterestCurrentFuture, codec.InterestTokens, &key)))
	if len(ds) != 2 || ds[0].kind != codec.DeclToken || ds[0].key != "g/a" || !ds[0].hasI || ds[0].iid != 3 ||
		ds[1].kind != codec.DeclFinal {
		t.Fatalf("current answer %+v", ds)
	}
	ds = decls(t, handle(t, tb, 2, entMsg(codec.DeclToken, 10, str("g/b"))))
	if len(ds) != 1 || ds[0].face != 1 || ds[0].kind != codec.DeclToken || ds[0].key != "g/b" || ds[0].hasI {
		t.Fatalf("future declaration %+v", ds)
	}
	ds = decls(t, handle(t, tb, 2, entMsg(codec.UndeclToken, 10, codec.WireExpr{})))
	if len(ds) != 1 || ds[0].face != 1 || ds[0].kind != codec.UndeclToken {
		t.Fatalf("undeclaration %+v", ds)
	}
	if ds := decls(t, handle(t, tb, 2, entMsg(codec.DeclToken, 11, str("other")))); len(ds) != 0 {
		t.Fatalf("a token outside the interest reached the local session: %+v", ds)
	}
}
