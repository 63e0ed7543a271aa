package router

import (
	"slices"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// queryTables: face 1 queries; face 2 has a complete queryable on q/**,
// face 3 an incomplete one on q/a, face 4 a complete one on q/a/b only.
func queryTables(t *testing.T) *Tables {
	tb := newTables(t, codec.Router)
	for id := FaceID(1); id <= 4; id++ {
		open(t, tb, id, codec.Client, false)
	}
	m := entMsg(codec.DeclQueryable, 1, str("q/**"))
	m.Declare.Body.Complete = true
	handle(t, tb, 2, m)
	handle(t, tb, 3, entMsg(codec.DeclQueryable, 1, str("q/a")))
	m = entMsg(codec.DeclQueryable, 1, str("q/a/b"))
	m.Declare.Body.Complete = true
	handle(t, tb, 4, m)
	return tb
}

func faces(out []Out) []FaceID {
	var fs []FaceID
	for _, o := range out {
		fs = append(fs, o.Face)
	}
	return fs
}

func TestQueryTargets(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		target codec.Target
		want   []FaceID
	}{
		{"best matching complete", "q/a", codec.TargetBestMatching, []FaceID{2}},
		{"all", "q/a", codec.TargetAll, []FaceID{2, 3}},
		{"all complete", "q/a", codec.TargetAllComplete, []FaceID{2}},
		{"all complete wild", "q/*/b", codec.TargetAllComplete, []FaceID{2}},
		{"all wild", "q/**", codec.TargetAll, []FaceID{2, 3, 4}},
		{"best none complete", "**", codec.TargetBestMatching, []FaceID{2, 3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := queryTables(t)
			out := handle(t, tb, 1, requestMsg(7, tc.key, tc.target))
			if !slices.Equal(faces(out), tc.want) {
				t.Fatalf("dests %v want %v", faces(out), tc.want)
			}
			for _, o := range out {
				r := &o.Msg.Request
				if o.Msg.ID != codec.MidRequest || r.ID != 1 || string(r.WireExpr.Suffix) != tc.key ||
					r.WireExpr.Scope != 0 || string(r.Query.Parameters) != "p=1" || r.Target != tc.target {
					t.Fatalf("forwarded %+v", o.Msg.Request)
				}
			}
		})
	}
}

func TestQueryRepliesAndFinal(t *testing.T) {
	tb := queryTables(t)
	req := requestMsg(7, "q/a", codec.TargetAll)
	req.Request.QoS = codec.NewQoS(codec.PriorityDataHigh, false, false)
	out := handle(t, tb, 1, req)
	req.Request.Query.Parameters[0] = 'X' // the forwarded copy owns its bytes
	if string(out[0].Msg.Request.Query.Parameters) != "p=1" {
		t.Fatal("forwarded request aliases the input")
	}
	// The second query on face 2 gets id 2.
	out2 := handle(t, tb, 4, requestMsg(1, "q/z", codec.TargetBestMatching))
	if len(out2) != 1 || out2[0].Face != 2 || out2[0].Msg.Request.ID != 2 {
		t.Fatalf("second query %+v", faces(out2))
	}

	reply := &codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: 1, WireExpr: str("q/a"),
		QoS: codec.DefaultQoS, Reply: codec.Reply{Body: codec.Data{Payload: []byte("v")}}}}
	out = handle(t, tb, 2, reply)
	if len(out) != 1 || out[0].Face != 1 || out[0].Msg.Response.RequestID != 7 ||
		string(out[0].Msg.Response.WireExpr.Suffix) != "q/a" || out[0].Msg.Response.QoS != req.Request.QoS ||
		string(out[0].Msg.Response.Reply.Body.Payload) != "v" {
		t.Fatalf("reply %+v", out)
	}
	reply.Response.RequestID = 99
	if out = handle(t, tb, 2, reply); len(out) != 0 {
		t.Fatal("unknown reply forwarded")
	}
	fin := func(rid uint32) *codec.NetworkMessage {
		return &codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: rid, QoS: codec.DefaultQoS}}
	}
	if out = handle(t, tb, 2, fin(1)); len(out) != 0 {
		t.Fatalf("early final %+v", out)
	}
	if out = handle(t, tb, 2, fin(1)); len(out) != 0 {
		t.Fatal("duplicate final forwarded")
	}
	out = handle(t, tb, 3, fin(1))
	if len(out) != 1 || out[0].Face != 1 || out[0].Msg.ID != codec.MidResponseFinal ||
		out[0].Msg.ResponseFinal.RequestID != 7 || out[0].Msg.ResponseFinal.QoS != req.Request.QoS {
		t.Fatalf("final %+v", out)
	}
	// The answering face closing finalizes the query of face 4.
	out = tb.CloseFace(2, t0)
	if len(out) != 1 || out[0].Face != 4 || out[0].Msg.ID != codec.MidResponseFinal || out[0].Msg.ResponseFinal.RequestID != 1 {
		t.Fatalf("close %+v", out)
	}
	if tb.PendingQueries() != 0 {
		t.Fatal("pending left")
	}
}

func TestQueryNoQueryable(t *testing.T) {
	tb := queryTables(t)
	for _, m := range []*codec.NetworkMessage{requestMsg(3, "nothing", codec.TargetAll),
		{ID: codec.MidRequest, Request: codec.Request{ID: 3, WireExpr: codec.WireExpr{Scope: 5, Mapping: true}, QoS: codec.DefaultQoS}}} {
		out, _ := tb.Handle(1, m, t0)
		if len(out) != 1 || out[0].Face != 1 || out[0].Msg.ID != codec.MidResponseFinal || out[0].Msg.ResponseFinal.RequestID != 3 {
			t.Fatalf("%+v", out)
		}
	}
}

func TestQueryTimeout(t *testing.T) {
	tb := queryTables(t)
	req := requestMsg(7, "q/a", codec.TargetAll)
	req.Request.Timeout = 100
	handle(t, tb, 1, req)
	handle(t, tb, 4, requestMsg(8, "q/a", codec.TargetAll)) // default 10 s
	if out := tb.Tick(t0.Add(99 * time.Millisecond)); len(out) != 0 {
		t.Fatalf("early %+v", out)
	}
	out := tb.Tick(t0.Add(100 * time.Millisecond))
	if len(out) != 3 {
		t.Fatalf("timeout %+v", out)
	}
	for i, o := range out[:2] {
		r := &o.Msg.Response
		if o.Face != 1 || o.Msg.ID != codec.MidResponse || !r.IsErr || string(r.Err.Payload) != "Timeout" || r.RequestID != 7 ||
			r.QoS != codec.DefaultQoS || len(r.WireExpr.Suffix) != 0 {
			t.Fatalf("err %d %+v", i, o)
		}
	}
	if out[2].Face != 1 || out[2].Msg.ID != codec.MidResponseFinal || out[2].Msg.ResponseFinal.RequestID != 7 {
		t.Fatalf("final %+v", out[2])
	}
	if tb.PendingQueries() != 2 {
		t.Fatalf("pending %d", tb.PendingQueries())
	}
	// The querier closing drops its queries silently.
	if out := tb.CloseFace(4, t0); len(out) != 0 {
		t.Fatalf("%+v", out)
	}
	if tb.PendingQueries() != 0 {
		t.Fatal("pending left")
	}
}

func TestTooManyQueries(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxPendingQueries = 2
	tb, _ := New(cfg)
	for id := FaceID(1); id <= 3; id++ {
		open(t, tb, id, codec.Client, false)
	}
	handle(t, tb, 2, entMsg(codec.DeclQueryable, 1, str("q")))
	handle(t, tb, 3, entMsg(codec.DeclQueryable, 1, str("q")))
	handle(t, tb, 1, requestMsg(1, "q", codec.TargetAll))
	out, err := tb.Handle(1, requestMsg(2, "q", codec.TargetAll), t0)
	if err == nil || len(out) != 1 || out[0].Msg.ID != codec.MidResponseFinal {
		t.Fatalf("%v %+v", err, out)
	}
}
