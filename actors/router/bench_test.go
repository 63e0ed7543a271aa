package router

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/internal/actortest"
)

// countingClient is a session to the router whose handler only counts the
// Pushes it receives.
func countingClient(b *testing.B, sys *actor.ActorSystem, ep string, count *atomic.Int64, opened chan *actor.PID) {
	b.Helper()
	var br codec.BatchReader
	var nm codec.NetworkMessage
	h := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			opened <- m.Session
		case *session.Received:
			n := int64(0)
			for _, f := range m.Frames {
				br.ResetFrame(f.Payload)
				for br.NextNetwork(&nm) {
					if nm.ID == codec.MidPush {
						n++
					}
				}
			}
			m.Release()
			count.Add(n)
		}
	}))
	startClientWith(b, sys, ep, h)
}

// benchRouter measures publisher session → router → subscriber session,
// all in one process over loopback TCP, with payloads of size bytes.
func benchRouter(b *testing.B, size int) {
	sys := actortest.NewSystem(b)
	ep := startRouterTB(b, sys)
	var got, ignored atomic.Int64
	opened := make(chan *actor.PID, 2)
	countingClient(b, sys, ep, &got, opened)
	sub := <-opened
	countingClient(b, sys, ep, &ignored, opened)
	pub := <-opened
	sys.Root.Send(sub, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{declare(
		codec.Declaration{Kind: codec.DeclSubscriber, ID: 1, WireExpr: full("bench/**")})}})
	payload := make([]byte, size)
	msg := codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: full("bench/x"),
		QoS: codec.DefaultQoS | codec.QoSBlock, Body: codec.Data{Kind: codec.MidPut, Payload: payload}}}
	// Wait until the subscription is in place.
	deadline := time.Now().Add(5 * time.Second)
	for got.Load() == 0 {
		sys.Root.Send(pub, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{msg}})
		<-time.After(20 * time.Millisecond) // retry until the declaration has arrived
		if time.Now().After(deadline) {
			b.Fatal("subscription never took effect")
		}
	}
	const perSend = 256
	credits := make(chan struct{}, 8)
	sends := make([]*session.Send, cap(credits))
	for i := range sends {
		msgs := make([]codec.NetworkMessage, perSend)
		for j := range msgs {
			msgs[j] = msg
		}
		sends[i] = &session.Send{Msgs: msgs, Reliable: true, Done: func() { credits <- struct{}{} }}
		credits <- struct{}{}
	}
	start := got.Load()
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	for sent, k := 0, 0; sent < b.N; k++ {
		<-credits
		n := min(perSend, b.N-sent)
		s := sends[k%len(sends)]
		s.Msgs = s.Msgs[:n]
		sys.Root.Send(pub, s)
		sent += n
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

	// The queryable answers every Request at once.
	var br codec.BatchReader
	var nm codec.NetworkMessage
	qOpened := make(chan *actor.PID, 1)
	qh := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			qOpened <- m.Session
		case *session.Received:
			var out []codec.NetworkMessage
			for _, f := range m.Frames {
				br.ResetFrame(f.Payload)
				for br.NextNetwork(&nm) {
					if nm.ID != codec.MidRequest {
						continue
					}
					id := nm.Request.ID
					out = append(out,
						codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{RequestID: id,
							WireExpr: full("rtt/x"), QoS: codec.DefaultQoS,
							Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: []byte("pong")}}}},
						codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: id, QoS: codec.DefaultQoS}})
				}
			}
			s := m.Session
			m.Release()
			if len(out) > 0 {
				ctx.Send(s, &session.Send{Msgs: out, Reliable: true})
			}
		}
	}))
	startClientWith(b, sys, ep, qh)
	qs := <-qOpened
	sys.Root.Send(qs, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{declare(
		codec.Declaration{Kind: codec.DeclQueryable, ID: 1, WireExpr: full("rtt/**"), Complete: true})}})

	// The querier waits for each ResponseFinal.
	finals := make(chan uint32, 16)
	replies := make(chan struct{}, 16)
	var qbr codec.BatchReader
	var qnm codec.NetworkMessage
	cOpened := make(chan *actor.PID, 1)
	ch := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			cOpened <- m.Session
		case *session.Received:
			for _, f := range m.Frames {
				qbr.ResetFrame(f.Payload)
				for qbr.NextNetwork(&qnm) {
					switch qnm.ID {
					case codec.MidResponse:
						replies <- struct{}{}
					case codec.MidResponseFinal:
						finals <- qnm.ResponseFinal.RequestID
					}
				}
			}
			m.Release()
		}
	}))
	startClientWith(b, sys, ep, ch)
	cs := <-cOpened

	req := func(id uint32) codec.NetworkMessage {
		return codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{ID: id, WireExpr: full("rtt/x"),
			QoS: codec.DefaultQoS | codec.QoSBlock, Query: codec.Query{}}}
	}
	// Warm up until the queryable is routed (a reply comes back).
	id := uint32(0)
	for deadline := time.Now().Add(5 * time.Second); ; {
		id++
		sys.Root.Send(cs, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{req(id)}})
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
		sys.Root.Send(cs, &session.Send{Reliable: true, Msgs: []codec.NetworkMessage{req(id)}})
		<-replies
		<-finals
		rtts = append(rtts, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(rtts)
	b.ReportMetric(float64(rtts[len(rtts)/2].Microseconds()), "median-us")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Microseconds()), "p99-us")
}
