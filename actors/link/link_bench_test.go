package link

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// benchOwner releases every Inbound at once, counting batches and
// messages, and wakes the benchmark.
type benchOwner struct {
	child    *actor.Props
	batches  atomic.Int64
	inbounds atomic.Int64
	tick     chan struct{}
	count    func([]byte) error
	n        int64
}

func (o *benchOwner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		o.count = func([]byte) error { o.n++; return nil }
		ctx.Spawn(o.child)
	case *Inbound:
		_ = m.Batches(o.count)
		m.Release()
		o.batches.Store(o.n)
		o.inbounds.Add(1)
		select {
		case o.tick <- struct{}{}:
		default:
		}
	}
}

// BenchmarkLinkTCP: a plain socket writes batches over loopback to a link,
// whose owner releases each Inbound. One op is one write of about 64 KiB:
// one batch of the largest size, or 63 batches of 1 KiB.
func BenchmarkLinkTCP(b *testing.B) {
	for _, size := range []int{codec.MaxBatchPayload(TCPMTU, true), 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) { benchLinkTCP(b, size) })
	}
}

func benchLinkTCP(b *testing.B, size int) {
	sys := newSystem(b)
	local, peer := tcpPair(b)
	o := &benchOwner{child: Props(local, connInfo("tcp", local), Config{}), tick: make(chan struct{}, 1)}
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return o }))
	defer func() { _ = sys.Root.StopFuture(pid).Wait() }()

	perWrite := max(1, 64<<10/(size+2))
	var chunk []byte
	for range perWrite {
		chunk = append(chunk, frame(make([]byte, size))...)
	}
	const window = 16 // writes in flight, beyond which the writer waits
	var sent int64
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := peer.Write(chunk); err != nil {
			b.Fatal(err)
		}
		sent += int64(perWrite)
		for sent-o.batches.Load() > window*int64(perWrite) {
			<-o.tick
		}
	}
	for o.batches.Load() < sent {
		<-o.tick
	}
	writes := sent / int64(perWrite)
	b.ReportMetric(float64(o.inbounds.Load())/float64(writes), "inbounds/op")
	b.ReportMetric(float64(perWrite), "batches/op")
}
