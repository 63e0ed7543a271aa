package scout

import (
	"net/netip"
	"testing"
	"time"
)

func TestLimiterPerSource(t *testing.T) {
	l := newLimiter(100*time.Millisecond, 4, 1000)
	t0 := time.Unix(1000, 0)
	a := netip.MustParseAddrPort("10.0.0.1:5000")
	b := netip.MustParseAddrPort("10.0.0.1:5001")
	for _, step := range []struct {
		src  netip.AddrPort
		at   time.Duration
		want bool
	}{
		{a, 0, true},
		{a, 50 * time.Millisecond, false},
		{b, 50 * time.Millisecond, true}, // another port is another source
		{a, 99 * time.Millisecond, false},
		{a, 100 * time.Millisecond, true},
		{a, 150 * time.Millisecond, false},
		{b, 150 * time.Millisecond, true},
	} {
		if got := l.allow(step.src, t0.Add(step.at)); got != step.want {
			t.Fatalf("%v at %v: %v, want %v", step.src, step.at, got, step.want)
		}
	}
}

func TestLimiterTableBounded(t *testing.T) {
	l := newLimiter(100*time.Millisecond, 4, 1000)
	t0 := time.Unix(1000, 0)
	src := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), 7446)
	}
	for i := range 4 {
		if !l.allow(src(i), t0) {
			t.Fatalf("source %d refused", i)
		}
	}
	// Full of fresh sources: a flood of new ones is refused and the table
	// does not grow.
	for i := 4; i < 200; i++ {
		if l.allow(src(i), t0.Add(time.Millisecond)) {
			t.Fatalf("source %d allowed into a full table", i)
		}
	}
	if len(l.last) != 4 {
		t.Fatalf("table holds %d sources", len(l.last))
	}
	// Once the entries are older than the interval they are swept.
	if !l.allow(src(100), t0.Add(150*time.Millisecond)) {
		t.Fatal("new source refused after the old ones expired")
	}
	if len(l.last) != 1 {
		t.Fatalf("table holds %d sources after the sweep", len(l.last))
	}
}

func TestLimiterGlobalRate(t *testing.T) {
	l := newLimiter(time.Millisecond, 1<<20, 50) // bucket of 10, 50 per second
	t0 := time.Unix(1000, 0)
	n := 0
	for i := range 1000 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), uint16(1000+i))
		if l.allow(src, t0) {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("burst allowed %d, want 10", n)
	}
	// One second later, the bucket is full again (capped at 10).
	n = 0
	for i := range 1000 {
		src := netip.AddrPortFrom(netip.MustParseAddr("10.0.0.2"), uint16(1000+i))
		if l.allow(src, t0.Add(time.Second)) {
			n++
		}
	}
	if n != 10 {
		t.Fatalf("after 1 s allowed %d, want 10", n)
	}
}
