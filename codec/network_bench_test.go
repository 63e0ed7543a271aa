package codec

import (
	"testing"
)

// benchNetMessages are the messages the network benchmarks decode and
// encode: the data path's Push(Put 8 B) keyed by a declared id or a short
// suffix, a pico-style Request, and a Rust-style Declare.
func benchNetMessages() []struct {
	name string
	m    NetworkMessage
} {
	payload := []byte("01234567")
	return []struct {
		name string
		m    NetworkMessage
	}{
		{"Push/id", NetworkMessage{ID: MidPush, Push: Push{WireExpr: WireExpr{Scope: 1, Mapping: true}, QoS: DefaultQoS,
			Body: Data{Kind: MidPut, Payload: payload}}}},
		{"Push/suffix", NetworkMessage{ID: MidPush, Push: Push{WireExpr: WireExpr{Suffix: []byte("demo/example"), Mapping: true},
			QoS: DefaultQoS, Body: Data{Kind: MidPut, Payload: payload}}}},
		{"Request", NetworkMessage{ID: MidRequest, Request: Request{ID: 1,
			WireExpr: WireExpr{Suffix: []byte("demo/example/**"), Mapping: true}, QoS: 0x0d, Timeout: 10000,
			Query: Query{HasConsolidation: true, Consolidation: 2, Parameters: []byte("x=1")}}}},
		{"Declare", NetworkMessage{ID: MidDeclare, Declare: Declare{QoS: 0x08,
			Body: Declaration{Kind: DeclSubscriber, ID: 2, WireExpr: WireExpr{Scope: 1, Suffix: []byte("/**")}}}}},
	}
}

func benchDecode(b *testing.B, want string) {
	for _, c := range benchNetMessages() {
		if c.name != want && (len(c.name) < len(want) || c.name[:len(want)] != want) {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			wire := AppendNetwork(nil, &c.m)
			var m NetworkMessage
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for b.Loop() {
				if _, err := DecodeNetwork(wire, &m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchEncode(b *testing.B, want string) {
	for _, c := range benchNetMessages() {
		if c.name != want && (len(c.name) < len(want) || c.name[:len(want)] != want) {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			buf := AppendNetwork(nil, &c.m)
			b.ReportAllocs()
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				buf = AppendNetwork(buf[:0], &c.m)
			}
		})
	}
}

func BenchmarkDecodePush(b *testing.B)    { benchDecode(b, "Push") }
func BenchmarkEncodePush(b *testing.B)    { benchEncode(b, "Push") }
func BenchmarkDecodeRequest(b *testing.B) { benchDecode(b, "Request") }
func BenchmarkEncodeRequest(b *testing.B) { benchEncode(b, "Request") }
func BenchmarkDecodeDeclare(b *testing.B) { benchDecode(b, "Declare") }
func BenchmarkEncodeDeclare(b *testing.B) { benchEncode(b, "Declare") }

// BenchmarkPushRun decodes and encodes 64 KiB of back-to-back
// Push(Put 8 B) messages, as a Frame payload holds them; ns/op divided by
// the message count (reported as msgs) is the per-message cost.
func BenchmarkPushRun(b *testing.B) {
	m := benchNetMessages()[0].m
	var run []byte
	n := 0
	for len(run) < 64<<10-16 {
		run = AppendNetwork(run, &m)
		n++
	}
	b.Run("decode", func(b *testing.B) {
		var got NetworkMessage
		b.ReportAllocs()
		b.SetBytes(int64(len(run)))
		for b.Loop() {
			r := reader{b: run}
			for r.off < len(r.b) {
				r.network(&got)
			}
			if r.err != nil {
				b.Fatal(r.err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/msg")
	})
	b.Run("encode", func(b *testing.B) {
		buf := make([]byte, 0, len(run))
		b.ReportAllocs()
		b.SetBytes(int64(len(run)))
		for b.Loop() {
			buf = buf[:0]
			for range n {
				buf = AppendNetwork(buf, &m)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/msg")
	})
}
