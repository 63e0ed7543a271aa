package router

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// stuckClient is a session whose handler keeps every Received and never
// releases it: after its link's few buffers it stops reading, like an
// application that stopped consuming.
func stuckClient(t *testing.T, sys *actor.ActorSystem, ep string) *actor.PID {
	t.Helper()
	opened := make(chan *actor.PID, 1)
	var kept []*session.Received
	h := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			opened <- m.Session
		case *session.Received:
			kept = append(kept, m) // never released
		}
	}))
	startClientWith(t, sys, ep, h)
	select {
	case pid := <-opened:
		return pid
	case <-time.After(5 * time.Second):
		t.Fatal("stuck client did not open")
		return nil
	}
}

// TestRouterStuckSubscriberDoesNotStallOthers: a subscriber stops
// reading while a publisher floods it with Block traffic. The flood's
// publisher is held back (its reads stop), but the router goes on serving
// everyone else: an unrelated publisher and subscriber keep exchanging
// data throughout.
func TestRouterStuckSubscriberDoesNotStallOthers(t *testing.T) {
	for _, qos := range []struct {
		name string
		q    codec.QoS
	}{{"block", codec.DefaultQoS | codec.QoSBlock}, {"drop", codec.DefaultQoS}} {
		t.Run(qos.name, func(t *testing.T) {
			sys := actortest.NewSystem(t)
			ep := startRouter(t, sys)
			flooder, stuck := newClient(t, sys, ep), stuckClient(t, sys, ep)
			pub, sub := newClient(t, sys, ep), newClient(t, sys, ep)
			sys.Root.Send(stuck, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{
				declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("flood/**")})}})
			sub.send(declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("other/**")}))

			// The flood: 20 MiB that the stuck subscriber never reads.
			msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full("flood/x"),
				QoS: qos.q, Body: codec.Data{Kind: codec.MidPut, Payload: make([]byte, 1024)}}}
			batch := make([]codec.NetworkMessage, 100)
			for i := range batch {
				batch[i] = msg
			}
			stop := make(chan struct{})
			var flooded atomic.Int64
			floodDone := make(chan struct{})
			go func() {
				defer close(floodDone)
				credits := make(chan struct{}, 4)
				for i := 0; i < cap(credits); i++ {
					credits <- struct{}{}
				}
				for sent := 0; sent < 20000; sent += len(batch) {
					select {
					case <-credits:
					case <-stop:
						return
					}
					sys.Root.Send(flooder.session, &session.Send{Msgs: batch, Reliable: true,
						Done: func() { credits <- struct{}{} }})
					flooded.Add(int64(len(batch)))
				}
			}()
			defer func() { close(stop); <-floodDone }()

			// Meanwhile the unrelated pair keeps working.
			for i := 0; i < 50; i++ {
				want := []byte{byte(i)}
				deadline := time.Now().Add(5 * time.Second)
				for got := false; !got; {
					pub.send(codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full("other/x"),
						QoS: codec.DefaultQoS | codec.QoSBlock, Body: codec.Data{Kind: codec.MidPut, Payload: want}}})
					select {
					case m := <-sub.msgs:
						if nm, ok := m.(codec.NetworkMessage); ok && nm.ID == codec.MidPush &&
							string(nm.Push.Body.Payload) == string(want) {
							got = true
						}
					case <-time.After(100 * time.Millisecond):
					}
					if time.Now().After(deadline) {
						t.Fatalf("message %d of the unrelated pair stalled (flood at %d)", i, flooded.Load())
					}
				}
			}
			t.Logf("%s flood: %d of 20000 messages accepted by the flooding session meanwhile", qos.name, flooded.Load())
		})
	}
}
