package router

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
	"github.com/gozenoh/zenoh/internal/sessiontest"
)

// benchRouter measures publisher session → router → subscriber session,
// all in one process over loopback TCP, with payloads of size bytes.
func benchRouter(b *testing.B, size int) {
	sys := actortest.NewSystem(b)
	ep := startRouterTB(b, sys)
	var got, ignored atomic.Int64
	sub := connect(b, sys, ep, func(*session.Opened) session.Handler { return sessiontest.PushCounter{N: &got} })
	pub := connect(b, sys, ep, func(*session.Opened) session.Handler { return sessiontest.PushCounter{N: &ignored} })
	_ = sessiontest.Send(sub, declare(codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("bench/**")}))
	payload := make([]byte, size)
	msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full("bench/x"),
		QoS: codec.DefaultQoS | codec.QoSBlock, Body: codec.Data{Kind: codec.MidPut, Payload: payload}}}
	// Wait until the subscription is in place.
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() == 0 {
		_ = sessiontest.Send(pub, msg)
		<-time.After(20 * time.Millisecond) // retry until the declaration has arrived
		if time.Now().After(deadline) {
			b.Fatal("subscription never took effect")
		}
	}
	start := got.Load()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		if err := pub.Outbox.Push(&msg, true, nil); err != nil {
			b.Fatal(err)
		}
	}
	for got.Load()-start < int64(b.N) {
		if time.Now().After(deadline.Add(60 * time.Second)) {
			b.Fatalf("received %d of %d", got.Load()-start, b.N)
		}
		<-time.After(time.Millisecond) // counting has no event to wait on; poll briefly
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkRouterTCP8B(b *testing.B)   { benchRouter(b, 8) }
func BenchmarkRouterTCP1KiB(b *testing.B) { benchRouter(b, 1024) }

// BenchmarkRouterQueryRTT measures a query round trip: querier session →
// router → queryable session, which answers one reply and ResponseFinal,
// back to the querier. Reports the median and the 99th percentile.
func BenchmarkRouterQueryRTT(b *testing.B) {
	sys := actortest.NewSystem(b)
	ep := startRouterTB(b, sys)

	// The queryable answers every Request at once, from its reader.
	qs := connect(b, sys, ep, func(o *session.Opened) session.Handler { return &answerHandler{o: o} })
	_ = sessiontest.Send(qs, declare(codec.Declaration{Kind: codec.DeclQueryable, ID: 1, WireExpr: full("rtt/**"), Complete: true}))

	// The querier waits for each ResponseFinal.
	finals := make(chan uint32, 16)
	replies := make(chan struct{}, 16)
	cs := connect(b, sys, ep, func(*session.Opened) session.Handler {
		return replyHandler{finals: finals, replies: replies}
	})

	req := func(id uint32) codec.NetworkMessage {
		return codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: id, WireExpr: full("rtt/x"),
			QoS: codec.DefaultQoS | codec.QoSBlock, Query: codec.Query{}}}
	}
	// Warm up until the queryable is routed (a reply comes back).
	id := uint32(0)
	for deadline := time.Now().Add(5 * time.Second); ; {
		id++
		_ = sessiontest.Send(cs, req(id))
		<-finals
		select {
		case <-replies:
		default:
			if time.Now().After(deadline) {
				b.Fatal("queryable never routed")
			}
			<-time.After(10 * time.Millisecond) // retry until the declaration arrived
			continue
		}
		break
	}
	rtts := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id++
		t0 := time.Now()
		_ = sessiontest.Send(cs, req(id))
		<-replies
		<-finals
		rtts = append(rtts, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "median-us")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99-us")
}

// answerHandler answers every Request with one reply and ResponseFinal.
type answerHandler struct{ o *session.Opened }

func (h *answerHandler) Handle(m *codec.NetworkMessage, _ bool) error {
	if m.ID != codec.MidRequest {
		return nil
	}
	id := m.Request.ID
	return sessiontest.Send(h.o,
		codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: id,
			WireExpr: full("rtt/x"), QoS: codec.DefaultQoS,
			Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: []byte("pong")}}}},
		codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: id, QoS: codec.DefaultQoS}})
}

func (*answerHandler) EndRead() error { return nil }

// replyHandler reports the replies and finals a querier receives.
type replyHandler struct {
	finals  chan uint32
	replies chan struct{}
}

func (h replyHandler) Handle(m *codec.NetworkMessage, _ bool) error {
	switch m.ID {
	case codec.MidResponse:
		h.replies <- struct{}{}
	case codec.MidResponseFinal:
		h.finals <- m.ResponseFinal.RequestID
	}
	return nil
}

func (replyHandler) EndRead() error { return nil }
