package session

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// sink counts the Push messages it receives and signals when it has seen
// target of them.
type sink struct {
	pid    *actor.PID
	count  atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func newSink(sys *actor.ActorSystem) *sink {
	s := &sink{done: make(chan struct{}, 1)}
	var br codec.BatchReader
	var nm codec.NetworkMessage
	s.pid = sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		r, ok := ctx.Message().(*Received)
		if !ok {
			return
		}
		n := int64(0)
		for _, f := range r.Frames {
			br.ResetFrame(f.Payload)
			for br.NextNetwork(&nm) {
				n++
			}
		}
		n += int64(len(r.Whole))
		r.Release()
		if c := s.count.Add(n); c >= s.target.Load() && s.target.Load() > 0 {
			select {
			case s.done <- struct{}{}:
			default:
			}
		}
	}))
	return s
}

// benchSession measures one session over loopback TCP: b.N Push messages
// with payloads of size bytes, sent in Sends of 256 messages with at most
// 8 Sends outstanding (the sender waits for Done: credit flow control).
func benchSession(b *testing.B, size int) {
	sys := newSystem(b)
	sk := newSink(sys)
	// The router's handler is the sink: it gets Received (and the rare
	// Opened/Closed, which it ignores).
	a := startNode(b, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, func(c *ManagerConfig) {
		c.Handler = sk.pid
	})
	ep := a.listening(b, sys, 1)[0].String()
	c := startNode(b, sys, codec.Client, nil, []string{ep}, nil)
	oc := wait(b, c.events, 5*time.Second, func(*Opened) bool { return true })

	const perSend = 256
	payload := make([]byte, size)
	msgs := make([][]codec.NetworkMessage, 8)
	credits := make(chan struct{}, len(msgs))
	sends := make([]*Send, len(msgs))
	for i := range msgs {
		msgs[i] = make([]codec.NetworkMessage, perSend)
		for j := range msgs[i] {
			msgs[i][j] = codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
				WireExpr: codec.WireExpr{Scope: 1, Mapping: true}, QoS: codec.DefaultQoS | codec.QoSBlock,
				Body: codec.Data{Kind: codec.MidPut, Payload: payload}}}
		}
		sends[i] = &Send{Msgs: msgs[i], Reliable: true, Done: func() { credits <- struct{}{} }}
		credits <- struct{}{}
	}
	sk.target.Store(int64(b.N))
	b.ReportAllocs()
	b.SetBytes(int64(size))
	b.ResetTimer()
	sent, k := 0, 0
	for sent < b.N {
		<-credits
		n := min(perSend, b.N-sent)
		s := sends[k%len(sends)]
		s.Msgs = msgs[k%len(sends)][:n]
		sys.Root.Send(oc.Session, s)
		sent += n
		k++
	}
	select {
	case <-sk.done:
	case <-time.After(60 * time.Second):
		b.Fatalf("received %d of %d", sk.count.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkSessionTCP8B(b *testing.B)   { benchSession(b, 8) }
func BenchmarkSessionTCP1KiB(b *testing.B) { benchSession(b, 1024) }
