package hlc

import (
	"testing"
	"time"
)

func BenchmarkNewTimestamp(b *testing.B) {
	clocks := []struct {
		name string
		now  func() time.Time
	}{
		{"system", time.Now},
		{"frozen", func() time.Time { return specTime }},
	}
	for _, ck := range clocks {
		b.Run(ck.name, func(b *testing.B) {
			c := mustClock(b, seqID(b), Config{Now: ck.now})
			b.ReportAllocs()
			for b.Loop() {
				c.NewTimestamp()
			}
		})
		b.Run(ck.name+"/parallel", func(b *testing.B) {
			c := mustClock(b, seqID(b), Config{Now: ck.now})
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.NewTimestamp()
				}
			})
		})
	}
}

func BenchmarkUpdate(b *testing.B) {
	c := mustClock(b, seqID(b), DefaultConfig())
	remote := mustClock(b, mustID(b, 1), DefaultConfig())
	ts := remote.NewTimestamp()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Update(ts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := c.Update(ts); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkTimestampAppendTo(b *testing.B) {
	ts := Timestamp{specNTP64, seqID(b)}
	buf := make([]byte, 0, maxTimestampText)
	b.SetBytes(int64(len(ts.String())))
	b.ReportAllocs()
	for b.Loop() {
		buf = ts.AppendTo(buf[:0])
	}
}

func BenchmarkParseTimestamp(b *testing.B) {
	s := Timestamp{specNTP64, seqID(b)}.String()
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTimestamp(s); err != nil {
			b.Fatal(err)
		}
	}
}
