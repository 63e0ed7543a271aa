package router

import (
	"errors"
	"slices"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

const optsPub = codec.InterestKeyExprs | codec.InterestSubscribers | codec.InterestAggregate

// A pico client publisher's write filter (network.md §9.2): aggregate
// answers name the client's own id with M=0.
func TestPicoPublisherWriteFilter(t *testing.T) {
	tb := newTables(t, codec.Router)
	for id := FaceID(1); id <= 3; id++ {
		open(t, tb, id, codec.Client, false)
	}
	handle(t, tb, 1, keMsg(1, "demo/example/pub"))
	out := handle(t, tb, 1, interestMsg(5, codec.InterestCurrentFuture, optsPub, &codec.WireExpr{Scope: 1, Mapping: true}))
	if got := decls(t, out); len(got) != 1 || got[0] != (decl{face: 1, hasI: true, iid: 5, kind: codec.DeclFinal}) {
		t.Fatalf("interest answer = %+v, want DeclareFinal only", got)
	}

	out = handle(t, tb, 2, entMsg(codec.DeclSubscriber, 1, str("demo/**")))
	got := decls(t, out)
	if len(got) != 1 || got[0].face != 1 || got[0].kind != codec.DeclSubscriber || got[0].hasI ||
		got[0].scope != 1 || got[0].mapping || got[0].key != "" {
		t.Fatalf("aggregate declaration = %+v", got)
	}
	aggID := got[0].id
	if out := handle(t, tb, 3, entMsg(codec.DeclSubscriber, 9, str("demo/example/*"))); len(out) != 0 {
		t.Fatalf("second matching subscriber re-declared: %+v", decls(t, out))
	}

	dests, err := tb.RoutePush(1, &codec.Push{WireExpr: codec.WireExpr{Scope: 1, Mapping: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dests) != 2 || dests[0].Face != 2 || dests[1].Face != 3 || string(dests[0].WireExpr.Suffix) != "demo/example/pub" ||
		dests[0].WireExpr.Scope != 0 {
		t.Fatalf("dests = %+v", dests)
	}

	if out := handle(t, tb, 2, entMsg(codec.UndeclSubscriber, 1, codec.WireExpr{})); len(out) != 0 {
		t.Fatalf("undeclare while another matches: %+v", decls(t, out))
	}
	got = decls(t, tb.CloseFace(3, t0))
	if len(got) != 1 || got[0].kind != codec.UndeclSubscriber || got[0].id != aggID || got[0].face != 1 {
		t.Fatalf("close = %+v, want UndeclareSubscriber %d", got, aggID)
	}

	// A subscriber existing before the interest: I=1 answer, then Final.
	handle(t, tb, 2, entMsg(codec.DeclSubscriber, 2, str("demo/example/pub")))
	handle(t, tb, 1, keMsg(2, "demo/example/pub2"))
	out = handle(t, tb, 1, interestMsg(6, codec.InterestCurrentFuture, optsPub, &codec.WireExpr{Scope: 1, Mapping: true}))
	got = decls(t, out)
	if len(got) != 2 || !got[0].hasI || got[0].iid != 6 || got[0].kind != codec.DeclSubscriber || got[0].scope != 1 ||
		got[0].mapping || got[1].kind != codec.DeclFinal {
		t.Fatalf("interest answer = %+v", got)
	}
	// A full-string interest gets a full-string aggregate answer.
	out = handle(t, tb, 1, interestMsg(7, codec.InterestCurrentFuture, optsPub, &codec.WireExpr{Suffix: []byte("demo/example/pub"), Mapping: true}))
	if got = decls(t, out); len(got) != 2 || got[0].key != "demo/example/pub" || got[0].scope != 0 {
		t.Fatalf("full-string answer = %+v", got)
	}
	// Interest Final: later changes are not reported.
	handle(t, tb, 1, interestMsg(5, codec.InterestFinal, 0, nil))
	handle(t, tb, 1, interestMsg(6, codec.InterestFinal, 0, nil))
	handle(t, tb, 1, interestMsg(7, codec.InterestFinal, 0, nil))
	if out := tb.CloseFace(2, t0); len(out) != 0 {
		t.Fatalf("after Final: %+v", decls(t, out))
	}
}

// Two faces subscribing to one key are announced once to an interested
// face; the undeclaration goes when the last one goes.
func TestSubscriberDeduplication(t *testing.T) {
	tb := newTables(t, codec.Router)
	for id := FaceID(1); id <= 3; id++ {
		open(t, tb, id, codec.Client, false)
	}
	out := handle(t, tb, 1, interestMsg(1, codec.InterestFuture, codec.InterestSubscribers, nil))
	if got := decls(t, out); len(got) != 1 || got[0].kind != codec.DeclFinal {
		t.Fatalf("Future interest answer %+v", got)
	}
	got := decls(t, handle(t, tb, 2, entMsg(codec.DeclSubscriber, 1, str("a/b"))))
	if len(got) != 1 || got[0].face != 1 || got[0].key != "a/b" || got[0].scope != 0 || !got[0].mapping {
		t.Fatalf("declaration = %+v", got)
	}
	id := got[0].id
	if out := handle(t, tb, 3, entMsg(codec.DeclSubscriber, 1, str("a/b"))); len(out) != 0 {
		t.Fatalf("told twice: %+v", decls(t, out))
	}
	if out := handle(t, tb, 2, entMsg(codec.UndeclSubscriber, 1, codec.WireExpr{})); len(out) != 0 {
		t.Fatalf("early undeclaration: %+v", decls(t, out))
	}
	got = decls(t, handle(t, tb, 3, entMsg(codec.UndeclSubscriber, 1, codec.WireExpr{})))
	if len(got) != 1 || got[0].kind != codec.UndeclSubscriber || got[0].id != id {
		t.Fatalf("undeclaration = %+v", got)
	}
	// Non-matching restricted interest: nothing.
	handle(t, tb, 3, interestMsg(2, codec.InterestFuture, codec.InterestSubscribers, &codec.WireExpr{Suffix: []byte("x/**")}))
	if out := handle(t, tb, 2, entMsg(codec.DeclSubscriber, 2, str("a/c"))); len(decls(t, out)) != 1 || out[0].Face != 1 {
		t.Fatalf("restricted interest got %+v", decls(t, out))
	}
}

func TestRoutePushNoEcho(t *testing.T) {
	tb := newTables(t, codec.Router)
	open(t, tb, 1, codec.Client, false)
	open(t, tb, 2, codec.Client, false)
	handle(t, tb, 1, entMsg(codec.DeclSubscriber, 1, str("demo/**")))
	handle(t, tb, 2, entMsg(codec.DeclSubscriber, 1, str("demo/a")))
	tests := []struct {
		name string
		from FaceID
		key  string
		want []FaceID
	}{
		{"to other", 2, "demo/a", []FaceID{1}},
		{"both from 1 no echo", 1, "demo/a", []FaceID{2}},
		{"wild only", 2, "demo/b", []FaceID{1}},
		{"none", 1, "other", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dests, err := tb.RoutePush(tc.from, &codec.Push{WireExpr: str(tc.key)})
			if err != nil {
				t.Fatal(err)
			}
			var got []FaceID
			for _, d := range dests {
				got = append(got, d.Face)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
		})
	}
}

func TestBadMessages(t *testing.T) {
	tb := newTables(t, codec.Router)
	open(t, tb, 1, codec.Client, false)
	open(t, tb, 2, codec.Client, false)
	handle(t, tb, 1, keMsg(1, "a/b"))
	handle(t, tb, 1, keMsg(1, "a/b")) // same key: no-op
	tests := []struct {
		name string
		m    *codec.NetworkMessage
		err  error
	}{
		{"rebind keyexpr", keMsg(1, "a/c"), ErrKeyExprRebind},
		{"unknown scope", entMsg(codec.DeclSubscriber, 1, codec.WireExpr{Scope: 9, Mapping: true}), ErrUnknownScope},
		{"receiver scope", entMsg(codec.DeclSubscriber, 1, codec.WireExpr{Scope: 1}), ErrUnknownScope},
		{"invalid key", entMsg(codec.DeclSubscriber, 1, str("a//b")), ErrInvalidKey},
		{"invalid concat", entMsg(codec.DeclSubscriber, 1, codec.WireExpr{Scope: 1, Suffix: []byte("/"), Mapping: true}), ErrInvalidKey},
		{"unknown undeclare", entMsg(codec.UndeclToken, 4, codec.WireExpr{}), ErrUnknownEntity},
		{"unknown keyexpr undeclare", declMsg(codec.Declaration{Kind: codec.UndeclKeyExpr, ID: 7}), ErrUnknownScope},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tb.Handle(1, tc.m, t0)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
	if tb.faces[1].remoteIDs[1] != "a/b" || tb.idx[kindSub].Len() != 0 || tb.faces[1].ndecl != 1 {
		t.Fatalf("state changed: %v %d %d", tb.faces[1].remoteIDs, tb.idx[kindSub].Len(), tb.faces[1].ndecl)
	}
	if _, err := tb.RoutePush(1, &codec.Push{WireExpr: codec.WireExpr{Scope: 3, Mapping: true}}); !errors.Is(err, ErrUnknownScope) {
		t.Fatalf("push unknown scope: %v", err)
	}
	if _, err := tb.RoutePush(9, &codec.Push{WireExpr: str("a")}); !errors.Is(err, ErrUnknownFace) {
		t.Fatalf("push unknown face: %v", err)
	}
	// Entity rebinding keeps the old key.
	handle(t, tb, 1, entMsg(codec.DeclSubscriber, 1, str("x")))
	if _, err := tb.Handle(1, entMsg(codec.DeclSubscriber, 1, str("y")), t0); !errors.Is(err, ErrEntityRebind) {
		t.Fatalf("rebind: %v", err)
	}
	if d, _ := tb.RoutePush(2, &codec.Push{WireExpr: str("x")}); len(d) != 1 {
		t.Fatalf("old binding lost: %v", d)
	}
	if _, err := tb.OpenFace(1, FaceInfo{WhatAmI: codec.Client}); !errors.Is(err, ErrFaceExists) {
		t.Fatalf("reopen: %v", err)
	}
}

func TestTooManyDeclarations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxDeclarationsPerFace = 3
	tb, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	open(t, tb, 1, codec.Client, false)
	handle(t, tb, 1, keMsg(1, "k"))
	handle(t, tb, 1, entMsg(codec.DeclSubscriber, 1, str("a")))
	handle(t, tb, 1, entMsg(codec.DeclToken, 1, str("a")))
	for _, m := range []*codec.NetworkMessage{
		keMsg(2, "k2"),
		entMsg(codec.DeclQueryable, 1, str("a")),
		interestMsg(1, codec.InterestFuture, codec.InterestTokens, nil),
	} {
		if _, err := tb.Handle(1, m, t0); !errors.Is(err, ErrTooManyDeclarations) {
			t.Fatalf("err = %v", err)
		}
	}
	if tb.idx[kindQabl].Len() != 0 || len(tb.faces[1].interests) != 0 {
		t.Fatal("state changed")
	}
	handle(t, tb, 1, entMsg(codec.UndeclSubscriber, 1, codec.WireExpr{}))
	handle(t, tb, 1, entMsg(codec.DeclQueryable, 1, str("a")))
}

func TestLiveliness(t *testing.T) {
	tb := newTables(t, codec.Router)
	for id := FaceID(1); id <= 3; id++ {
		open(t, tb, id, codec.Client, false)
	}
	handle(t, tb, 1, keMsg(1, "group1/a"))
	handle(t, tb, 1, entMsg(codec.DeclToken, 10, codec.WireExpr{Scope: 1, Mapping: true}))
	handle(t, tb, 2, entMsg(codec.DeclToken, 10, str("group1/b")))
	// Liveliness get from face 2 includes its own token.
	got := decls(t, handle(t, tb, 2, interestMsg(4, codec.InterestCurrent, codec.InterestKeyExprs|codec.InterestTokens,
		&codec.WireExpr{Suffix: []byte("group1/**"), Mapping: true})))
	want := []decl{
		{face: 2, hasI: true, iid: 4, kind: codec.DeclToken, key: "group1/a", mapping: true},
		{face: 2, hasI: true, iid: 4, kind: codec.DeclToken, key: "group1/b", mapping: true},
		{face: 2, hasI: true, iid: 4, kind: codec.DeclFinal},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("liveliness get = %+v", got)
	}
	if len(tb.faces[2].interests) != 0 {
		t.Fatal("Current interest registered")
	}
	// Liveliness subscriber on face 3 with history.
	got = decls(t, handle(t, tb, 3, interestMsg(5, codec.InterestCurrentFuture, codec.InterestTokens,
		&codec.WireExpr{Suffix: []byte("group1/**"), Mapping: true})))
	if len(got) != 3 || got[0].id == 0 || got[0].key != "group1/a" {
		t.Fatalf("history = %+v", got)
	}
	idA := got[0].id
	got = decls(t, tb.CloseFace(1, t0))
	if len(got) != 1 || got[0] != (decl{face: 3, kind: codec.UndeclToken, id: idA, key: "group1/a", mapping: true}) {
		t.Fatalf("close = %+v", got)
	}
	got = decls(t, handle(t, tb, 2, entMsg(codec.DeclToken, 11, str("group1/c"))))
	if len(got) != 1 || got[0].face != 3 || got[0].kind != codec.DeclToken || got[0].hasI {
		t.Fatalf("new token = %+v", got)
	}
	got = decls(t, handle(t, tb, 2, entMsg(codec.UndeclToken, 11, codec.WireExpr{})))
	if len(got) != 1 || got[0].kind != codec.UndeclToken {
		t.Fatalf("undeclared token = %+v", got)
	}
	if _, err := tb.Handle(3, interestMsg(5, codec.InterestFuture, codec.InterestTokens, nil), t0); !errors.Is(err, ErrInterestInUse) {
		t.Fatalf("reused interest id: %v", err)
	}
}

func TestQueryableInfoMerge(t *testing.T) {
	tb := newTables(t, codec.Router)
	for id := FaceID(1); id <= 3; id++ {
		open(t, tb, id, codec.Client, false)
	}
	handle(t, tb, 1, interestMsg(1, codec.InterestFuture, codec.InterestQueryables, nil))
	q := func(complete bool, dist uint16) *codec.NetworkMessage {
		m := entMsg(codec.DeclQueryable, 1, str("q"))
		m.Declare.Body.Complete, m.Declare.Body.Distance = complete, dist
		return m
	}
	out := handle(t, tb, 2, q(false, 0))
	if len(out) != 1 || out[0].Msg.Declare.Body.Complete {
		t.Fatalf("%+v", decls(t, out))
	}
	id := out[0].Msg.Declare.Body.ID
	out = handle(t, tb, 3, q(true, 2))
	if len(out) != 1 || !out[0].Msg.Declare.Body.Complete || out[0].Msg.Declare.Body.Distance != 2 || out[0].Msg.Declare.Body.ID != id {
		t.Fatalf("re-declaration %+v", out)
	}
	if out = handle(t, tb, 2, q(false, 0)); len(out) != 0 {
		t.Fatalf("same info redeclared: %+v", decls(t, out))
	}
	out = tb.CloseFace(3, t0)
	if len(out) != 1 || out[0].Msg.Declare.Body.Complete || out[0].Msg.Declare.Body.ID != id {
		t.Fatalf("after close %+v", out)
	}
}

func TestPeerMode(t *testing.T) {
	tb := newTables(t, codec.Peer)
	open(t, tb, 100, codec.Peer, true)
	handle(t, tb, 100, entMsg(codec.DeclSubscriber, 1, str("demo/**")))
	handle(t, tb, 100, entMsg(codec.DeclToken, 2, str("tok/a")))
	got := decls(t, open(t, tb, 1, codec.Peer, false))
	want := []decl{
		{face: 1, hasI: true, kind: codec.DeclSubscriber, id: 1, key: "demo/**", mapping: true},
		{face: 1, hasI: true, kind: codec.DeclToken, id: 2, key: "tok/a", mapping: true},
		{face: 1, hasI: true, kind: codec.DeclFinal},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("initial push = %+v", got)
	}
	open(t, tb, 2, codec.Peer, false)
	if out := handle(t, tb, 2, entMsg(codec.DeclSubscriber, 1, str("demo/**"))); len(out) != 0 {
		t.Fatalf("remote declaration propagated: %+v", decls(t, out))
	}
	got = decls(t, handle(t, tb, 100, entMsg(codec.DeclQueryable, 3, str("q"))))
	if len(got) != 2 || got[0].face != 1 || got[1].face != 2 || got[0].hasI {
		t.Fatalf("local declaration = %+v", got)
	}
	dests, _ := tb.RoutePush(1, &codec.Push{WireExpr: str("demo/a")})
	if len(dests) != 1 || dests[0].Face != 100 {
		t.Fatalf("remote push dests = %+v", dests)
	}
	dests, _ = tb.RoutePush(100, &codec.Push{WireExpr: str("demo/a")})
	if len(dests) != 1 || dests[0].Face != 2 {
		t.Fatalf("local push dests = %+v", dests)
	}
	// Queries from a remote peer reach local queryables only.
	handle(t, tb, 2, entMsg(codec.DeclQueryable, 5, str("q")))
	out := handle(t, tb, 1, requestMsg(1, "q", codec.TargetAll))
	if len(out) != 1 || out[0].Face != 100 {
		t.Fatalf("query dests %+v", out)
	}
	out = tb.CloseFace(100, t0)
	if len(out) != 7 || out[6].Msg.ID != codec.MidResponseFinal || out[6].Face != 1 {
		t.Fatalf("local close = %+v", out)
	}
	if got = decls(t, out[:6]); got[0].kind != codec.UndeclSubscriber {
		t.Fatalf("local close = %+v", got)
	}
}
