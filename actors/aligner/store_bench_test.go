package aligner

import (
	"fmt"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// BenchmarkDigestFromStore builds digests from a real (in-memory badger)
// store of 100,000 keys written over the last day, with zenoh's default
// replication settings: the CPU time per digest, and its size.
func BenchmarkDigestFromStore(b *testing.B) {
	p := DefaultParams()
	st, err := storage.Open(storage.Options{InMemory: true, SliceWidth: p.SliceWidth()})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	zid, _ := hlc.IDFromBytes([]byte{7})
	now := time.Now()
	const n = 100000
	evs := make([]storage.Event, 0, 1000)
	for i := range n {
		t := now.Add(-time.Duration(i) * (24 * time.Hour / n))
		evs = append(evs, storage.Event{Key: fmt.Sprintf("bench/%03d/%06d", i%997, i),
			TS: hlc.Timestamp{Time: hlc.NTP64FromTime(t), ID: zid}, Kind: codec.MidPut, Payload: []byte("v")})
		if len(evs) == cap(evs) {
			if _, err := st.Apply(evs, now); err != nil {
				b.Fatal(err)
			}
			evs = evs[:0]
		}
	}
	cut := p.Cut(now, st.SliceWidth())
	var size int
	b.ReportAllocs()
	for b.Loop() {
		d, err := BuildDigest(st, p, cut)
		if err != nil {
			b.Fatal(err)
		}
		size = len(AppendDigest(nil, &d))
	}
	b.ReportMetric(float64(size), "digest-bytes")
}
