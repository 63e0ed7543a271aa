package router

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
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
	cep, _ := link.ParseEndpoint(ep)
	cfg := session.ManagerConfig{Session: session.DefaultConfig(), Handler: h, Logger: actortest.Logger(),
		Connect: []link.Endpoint{cep}}
	cfg.Session.ZID, cfg.Session.WhatAmI = actortest.NewZID(b), codec.Client
	props, err := session.ManagerProps(cfg)
	if err != nil {
		b.Fatal(err)
	}
	sys.Root.Spawn(props)
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
