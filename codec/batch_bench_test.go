package codec

import "testing"

// pushBatch fills a 64 KiB stream batch with Push(Put 8 B) messages using a
// declared key id, as a publisher sends them after declaring its key.
func pushBatch(b testing.TB) (batch []byte, n int, push NetworkMessage) {
	push = NetworkMessage{ID: MidPush, Push: Push{WireExpr: WireExpr{Scope: 1, Mapping: true},
		QoS: DefaultQoS, Body: Data{Kind: MidPut, Payload: []byte("12345678")}}}
	bb := NewBatchBuilder(65535, true, make([]byte, 0, 65535))
	bb.Buf = AppendFrameHeader(bb.Buf, &Frame{Reliable: true, SN: 1 << 20, Priority: PriorityData})
	for {
		mark := bb.Len()
		bb.Buf = AppendNetwork(bb.Buf, &push)
		if bb.Over() {
			bb.Truncate(mark)
			break
		}
		n++
	}
	return bb.Bytes()[StreamPrefixLen:], n, push
}

func BenchmarkBatchDecode64KPush8(b *testing.B) {
	batch, n, _ := pushBatch(b)
	br := &BatchReader{}
	var tm TransportMessage
	var nm NetworkMessage
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		br.Reset(batch)
		got := 0
		for br.Next(&tm) {
			for br.NextNetwork(&nm) {
				got++
			}
		}
		if got != n || br.Err() != nil {
			b.Fatalf("decoded %d of %d: %v", got, n, br.Err())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkBatchEncode64KPush8(b *testing.B) {
	_, n, push := pushBatch(b)
	bb := NewBatchBuilder(65535, true, make([]byte, 0, 65535))
	frame := Frame{Reliable: true, SN: 1 << 20, Priority: PriorityData}
	b.ReportAllocs()
	b.SetBytes(65535)
	for b.Loop() {
		bb.Reset()
		bb.Buf = AppendFrameHeader(bb.Buf, &frame)
		for i := 0; i < n; i++ {
			bb.Buf = AppendNetwork(bb.Buf, &push)
		}
		if bb.Over() {
			b.Fatal("batch overflowed")
		}
		_ = bb.Bytes()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func TestBatchDecodeNoAllocs(t *testing.T) {
	batch, n, _ := pushBatch(t)
	br := &BatchReader{}
	var tm TransportMessage
	var nm NetworkMessage
	allocs := testing.AllocsPerRun(20, func() {
		br.Reset(batch)
		got := 0
		for br.Next(&tm) {
			for br.NextNetwork(&nm) {
				got++
			}
		}
		if got != n {
			t.Fatalf("decoded %d of %d", got, n)
		}
	})
	if allocs != 0 {
		t.Fatalf("batch decode allocates %.1f times", allocs)
	}
	bb := NewBatchBuilder(65535, true, make([]byte, 0, 65535))
	var push NetworkMessage
	br.Reset(batch)
	br.Next(&tm)
	br.NextNetwork(&push)
	allocs = testing.AllocsPerRun(20, func() {
		bb.Reset()
		bb.Buf = AppendFrameHeader(bb.Buf, &tm.Frame)
		for i := 0; i < n; i++ {
			bb.Buf = AppendNetwork(bb.Buf, &push)
		}
	})
	if allocs != 0 {
		t.Fatalf("batch encode allocates %.1f times", allocs)
	}
}
