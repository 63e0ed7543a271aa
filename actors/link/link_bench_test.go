package link

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// benchSource hands the writer the same batch as many times as the
// benchmark gave credit for: no copying, no allocation per batch.
type benchSource struct {
	batch  []byte
	credit atomic.Int64 // batches given, not yet pulled
	ready  chan struct{}
	failed chan error
}

// give allows n more batches and wakes the writer.
func (s *benchSource) give(n int) {
	s.credit.Add(int64(n))
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

func (s *benchSource) Ready() <-chan struct{} { return s.ready }

// Pull is the only one to take credit, so the Load then Add is safe
// against give.
func (s *benchSource) Pull(dst [][]byte) [][]byte {
	n := min(s.credit.Load(), maxPull)
	for range n {
		dst = append(dst, s.batch)
	}
	s.credit.Add(-n)
	return dst
}

func (s *benchSource) Written(_ [][]byte, err error) {
	if err != nil {
		select {
		case s.failed <- err:
		default:
		}
	}
}

// benchSink counts the batches the reader hands it and wakes the
// benchmark at the end of each read.
type benchSink struct {
	batches atomic.Int64
	reads   atomic.Int64
	tick    chan struct{}
}

func (s *benchSink) Batch([]byte) error { s.batches.Add(1); return nil }

func (s *benchSink) EndRead() error {
	s.reads.Add(1)
	select {
	case s.tick <- struct{}{}:
	default:
	}
	return nil
}

// benchOwner spawns both links and switches the reading one to the sink
// at its first Inbound, counting that Inbound's batches too.
type benchOwner struct {
	writer, reader *actor.Props
	sink           *benchSink
	failed         chan error
}

func (o *benchOwner) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.Spawn(o.writer)
		ctx.Spawn(o.reader)
	case *Inbound:
		n := int64(0)
		_ = m.Batches(func([]byte) error { n++; return nil })
		o.sink.batches.Add(n)
		m.Switch(o.sink)
		select {
		case o.sink.tick <- struct{}{}:
		default:
		}
	case *Failed:
		o.failed <- m.Err
	case *Rejected:
		o.failed <- m.Err
	}
}

// BenchmarkLinkTCP: one link writes batches from a Source over loopback
// TCP to another, whose reader hands them to a counting sink. One op is
// about 64 KiB of batches: one of the largest size, or 63 of 1 KiB. The
// writer gets credit for a window of ops ahead of the reader.
func BenchmarkLinkTCP(b *testing.B) {
	for _, size := range []int{codec.MaxBatchPayload(TCPMTU, true), 1024, 64} {
		b.Run(strconv.Itoa(size), func(b *testing.B) { benchLinkTCP(b, size) })
	}
}

func benchLinkTCP(b *testing.B, size int) {
	sys := newSystem(b)
	wconn, rconn := tcpPair(b)
	failed := make(chan error, 4)
	src := &benchSource{batch: frame(make([]byte, size)), ready: make(chan struct{}, 1), failed: failed}
	sink := &benchSink{tick: make(chan struct{}, 1)}
	o := &benchOwner{
		writer: Props(wconn, connInfo("tcp", wconn), Config{Out: src}),
		reader: Props(rconn, connInfo("tcp", rconn), Config{}),
		sink:   sink,
		failed: failed,
	}
	pid := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return o }))
	defer func() { _ = sys.Root.StopFuture(pid).Wait() }()

	perOp := max(1, 64<<10/len(src.batch))
	const window = 16 // ops in flight, beyond which the benchmark waits
	var sent int64
	// waitFor waits until the sink has counted at least n batches.
	waitFor := func(n int64) {
		for sink.batches.Load() < n {
			select {
			case <-sink.tick:
			case err := <-failed:
				b.Fatal(err)
			}
		}
	}
	b.SetBytes(int64(perOp * len(src.batch)))
	b.ReportAllocs()
	for b.Loop() {
		src.give(perOp)
		sent += int64(perOp)
		waitFor(sent - window*int64(perOp))
	}
	waitFor(sent)
	ops := float64(sent) / float64(perOp)
	b.ReportMetric(float64(sink.reads.Load())/ops, "reads/op")
	b.ReportMetric(float64(perOp), "batches/op")
	b.ReportMetric(float64(sent)/b.Elapsed().Seconds(), "batches/s")
}
