package router

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
	"github.com/gozenoh/zenoh/internal/sessiontest"
)

// stuckHandler never returns from its first message, until release
// closes: its session stops reading, like an application that stopped
// consuming.
type stuckHandler struct{ release chan struct{} }

func (h stuckHandler) Handle(*codec.NetworkMessage, bool) error {
	<-h.release
	return nil
}

func (stuckHandler) EndRead() error { return nil }

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
			release := make(chan struct{})
			defer close(release)
			flooder := newClient(t, sys, ep)
			stuck := connect(t, sys, ep, func(*session.Opened) session.Handler { return stuckHandler{release: release} })
			pub, sub := newClient(t, sys, ep), newClient(t, sys, ep)
			_ = sessiontest.Send(stuck, declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("flood/**")}))
			sub.send(declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("other/**")}))

			// The flood: 20 MiB that the stuck subscriber never reads.
			msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full("flood/x"),
				QoS: qos.q, Body: codec.Data{Kind: codec.MidPut, Payload: make([]byte, 1024)}}}
			stop := make(chan struct{})
			var flooded atomic.Int64
			floodDone := make(chan struct{})
			go func() {
				defer close(floodDone)
				for sent := 0; sent < 20000; sent++ {
					select {
					case <-stop:
						return
					default:
					}
					if flooder.opened.Outbox.Push(&msg, true, stop) != nil {
						return
					}
					flooded.Add(1)
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
