package badinput

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
)

// declLimit is the router's MaxDeclarationsPerFace, which zenoh.Open
// leaves at its default.
var declLimit = router.DefaultConfig().MaxDeclarationsPerFace

// subDecl is a DeclareSubscriber of key with entity id id.
func subDecl(id uint32, key string) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
		Body: codec.Declaration{Kind: codec.DeclSubscriber, ID: id, WireExpr: codec.WireExpr{Suffix: []byte(key)}}}}
}

// subUndecl undeclares the subscriber id.
func subUndecl(id uint32) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{QoS: codec.DefaultQoS,
		Body: codec.Declaration{Kind: codec.UndeclSubscriber, ID: id}}}
}

// expectPushes publishes keys from the router's own session (Block, in
// order), tagged with a fresh payload, and returns the keys the raw
// client received with that tag up to and including the last key. With
// poll, it publishes again every 100 ms until the last key arrives (the
// router may not have handled what the raw client just sent); else the
// last key must arrive within wait.
func expectPushes(t *testing.T, r *zenoh.Session, raw *rawConn, poll bool, keys ...string) []string {
	t.Helper()
	deadline := time.After(wait)
	for round := 0; ; round++ {
		tag := "r" + strconv.Itoa(round) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		for _, k := range keys {
			if err := r.Put(k, []byte(tag), zenoh.WithCongestionControl(zenoh.CongestionControlBlock)); err != nil {
				t.Fatal(err)
			}
		}
		last := keys[len(keys)-1] + " " + tag
		var got []string
		var retry <-chan time.Time
		if poll {
			retry = time.After(100 * time.Millisecond)
		}
	collect:
		for {
			select {
			case p := <-raw.pushes:
				k, ptag, _ := strings.Cut(p, " ")
				if ptag != tag {
					continue // from an earlier round
				}
				got = append(got, k)
				if p == last {
					return got
				}
			case <-raw.done:
				t.Fatalf("the router closed the raw session (read: %v, Close received: %v); pushes so far %v",
					raw.readErr, raw.gotClose.Load(), got)
			case <-retry:
				break collect
			case <-deadline:
				t.Fatalf("no Push on %s reached the raw session within %v; got %v", keys[len(keys)-1], wait, got)
			}
		}
	}
}

// TestDeclarationLimit declares MaxDeclarationsPerFace+100 subscribers
// from one raw session: the router must keep the first 10,000, refuse
// the rest with a log line each, keep the session and route to what it
// kept, accept new declarations once some are undeclared, and go on
// serving other sessions.
func TestDeclarationLimit(t *testing.T) {
	const extra = 100
	const refusedLine = "router: too many declarations on face"
	logger, logs := newLogger(refusedLine, "[ACTOR] Recovering")
	r, loc := startRouter(t, logger)
	good := startGoodStream(t, loc, "good/k", 2*time.Millisecond)
	baseHeap := heapInuse()

	raw := rawSession(t, loc, true)

	start := time.Now()
	n := declLimit + extra
	msgs := make([]codec.NetworkMessage, n)
	for i := range msgs {
		msgs[i] = subDecl(uint32(i+1), "decl/"+strconv.Itoa(i))
	}
	batches := sendAll(t, raw, msgs)
	// The refused ones are the last: once they are logged, the router
	// has handled every declaration.
	if c := logs.waitCount(refusedLine, extra, wait); c != extra {
		t.Fatalf("%d declarations beyond the limit of %d logged as refused within %v, want %d; log tail:\n%s",
			c, declLimit, wait, extra, logs.lastLines(2000))
	}
	took := time.Since(start)
	_, first := logs.count(refusedLine)
	t.Logf("%d subscriber declarations in %d batches handled in %v; refused beyond %d, one log line each: %s",
		n, batches, took.Round(time.Millisecond), declLimit, first)

	// The session lives on, with the declarations it was allowed (the
	// routes they make are published just after the log line: wait for
	// the last one first).
	over, lastIn := "decl/"+strconv.Itoa(n-1), "decl/"+strconv.Itoa(declLimit-1)
	expectPushes(t, r, raw, true, lastIn)
	got := expectPushes(t, r, raw, false, over, lastIn, "decl/0")
	for _, k := range got {
		if k == over {
			t.Errorf("a subscriber refused beyond the limit (%s) received a Push", over)
		}
	}
	if len(got) != 2 {
		t.Errorf("raw session received %v, want [%s decl/0]", got, lastIn)
	}

	// Undeclaring makes room: 100 new declarations are accepted.
	var undecl []codec.NetworkMessage
	for i := range extra {
		undecl = append(undecl, subUndecl(uint32(i+1)))
	}
	for i := range extra {
		undecl = append(undecl, subDecl(uint32(n+i+1), "decl/new/"+strconv.Itoa(i)))
	}
	sendAll(t, raw, undecl)
	expectPushes(t, r, raw, true, "decl/new/"+strconv.Itoa(extra-1))
	got = expectPushes(t, r, raw, false, "decl/0", "decl/new/"+strconv.Itoa(extra-1))
	if len(got) != 1 {
		t.Errorf("after undeclaring decl/0..%d and declaring decl/new/0..%d, the raw session received %v", extra-1, extra-1, got)
	}
	if c, _ := logs.count(refusedLine); c != extra {
		t.Errorf("%d refusals logged after making room, want still %d", c, extra)
	}

	// Other sessions are served: the good stream, and a new client.
	other := openClient(t, loc)
	recvd := make(chan struct{}, 1)
	if _, err := other.DeclareSubscriber("other/k", zenoh.Callback(func(zenoh.Sample) {
		select {
		case recvd <- struct{}{}:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}
	waitDelivery(t, r, "other/k", recvd)
	recv := good.finish(t)
	if c, first := logs.count("[ACTOR] Recovering"); c > 0 {
		t.Errorf("%d actor panics, first: %s", c, first)
	}
	t.Logf("heap in use grew by %s with %d declarations held; good stream: %d samples in order",
		mibs(int64(heapInuse())-int64(baseHeap)), declLimit, recv)
}

// waitDelivery publishes on key from s until recvd signals a delivery.
func waitDelivery[T any](t *testing.T, s *zenoh.Session, key string, recvd <-chan T) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if err := s.Put(key, []byte("x")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-recvd:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing published on %s was delivered within %v", key, wait)
		}
	}
}
