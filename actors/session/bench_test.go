package session

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// counter is a Handler that counts the messages it is handed and, at the
// end of a read, signals once it has seen target of them.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (c *counter) Handle(*codec.NetworkMessage, bool) error {
	c.n.Add(1)
	return nil
}

func (c *counter) EndRead() error {
	if t := c.target.Load(); t > 0 && c.n.Load() >= t {
		select {
		case c.done <- struct{}{}:
		default:
		}
	}
	return nil
}

// benchSession measures one session over loopback TCP: Push messages
// with payloads of size bytes, pushed one at a time through the client
// session's Outbox (Block: the pusher waits for room, so the writer sets
// the pace) and counted by the router session's Handler on its reader
// goroutine. The time includes draining what is still in flight.
func benchSession(b *testing.B, size int) {
	sys := newSystem(b)
	cnt := &counter{done: make(chan struct{}, 1)}
	sink := newProbeWith(b, sys, probeOptions{handler: func(*Opened, chan any) Handler { return cnt }})
	a := startNodeWith(b, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, sink, nil)
	ep := a.listening(b, sys, 1)[0].String()
	c := startNode(b, sys, codec.Client, nil, []string{ep}, nil)
	oc := wait(b, c.events, 5*time.Second, func(*Opened) bool { return true })
	// The router's side must be admitted before the count starts.
	wait(b, a.events, 5*time.Second, func(*Opened) bool { return true })

	push := codec.Push{WireExpr: codec.WireExpr{Scope: 1, Mapping: true}, QoS: codec.DefaultQoS | codec.QoSBlock,
		Body: codec.Data{Kind: codec.MidPut, Payload: make([]byte, size)}}
	b.ReportAllocs()
	b.SetBytes(int64(size))
	sent := int64(0)
	for b.Loop() {
		if err := oc.Outbox.PushPublication(&push, true, nil); err != nil {
			b.Fatal(err)
		}
		sent++
	}
	// b.Loop stopped the timer; what is in flight counts too.
	b.StartTimer()
	cnt.target.Store(sent)
	if cnt.n.Load() < sent {
		select {
		case <-cnt.done:
		case <-time.After(60 * time.Second):
			b.Fatalf("received %d of %d", cnt.n.Load(), sent)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkSessionTCP8B(b *testing.B)   { benchSession(b, 8) }
func BenchmarkSessionTCP1KiB(b *testing.B) { benchSession(b, 1024) }
