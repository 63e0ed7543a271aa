package hlc

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// specPhys is specTime as the clock reads it: counter bits cleared.
const specPhys = specNTP64 & logicalMask // 0x6650a3c1b3333330

func TestNewClockConfig(t *testing.T) {
	id := mustID(t, 1)
	t.Run("zero id", func(t *testing.T) {
		if _, err := NewClock(ID{}, DefaultConfig()); !errors.Is(err, ErrZeroID) {
			t.Errorf("error = %v, want ErrZeroID", err)
		}
	})
	t.Run("negative delta", func(t *testing.T) {
		if _, err := NewClock(id, Config{MaxDelta: -1}); !errors.Is(err, ErrMaxDelta) {
			t.Errorf("error = %v, want ErrMaxDelta", err)
		}
	})
	t.Run("zero config means default", func(t *testing.T) {
		c := mustClock(t, id, Config{})
		if c.MaxDelta() != DefaultMaxDelta || c.delta != 0x8000_0000 {
			t.Errorf("MaxDelta = %v (%#x), want %v (0x80000000)", c.MaxDelta(), uint64(c.delta), DefaultMaxDelta)
		}
		if c.ID() != id || c.Last() != 0 {
			t.Errorf("ID, Last = %v, %d", c.ID(), c.Last())
		}
		before := NTP64FromTime(time.Now()) & logicalMask
		ts := c.NewTimestamp()
		after := NTP64FromTime(time.Now())
		if ts.Time < before || ts.Time > after || ts.ID != id {
			t.Errorf("NewTimestamp = %v, want a time in [%d, %d] with id %v", ts, before, after, id)
		}
		if c.Last() != ts.Time {
			t.Errorf("Last = %d, want %d", c.Last(), ts.Time)
		}
	})
	t.Run("custom delta", func(t *testing.T) {
		c := mustClock(t, id, Config{MaxDelta: time.Second})
		if c.MaxDelta() != time.Second || c.delta != 1<<32 {
			t.Errorf("MaxDelta = %v (%#x)", c.MaxDelta(), uint64(c.delta))
		}
	})
}

// TestNewTimestampSteps scripts the physical clock and checks each
// timestamp to the bit.
func TestNewTimestampSteps(t *testing.T) {
	mc := newManualClock(specTime)
	c := mustClock(t, mustID(t, 7), Config{Now: mc.Now})
	steps := []struct {
		name string
		at   time.Duration // physical clock, relative to specTime
		want NTP64
	}{
		{"first takes the physical time, counter cleared", 0, specPhys},
		{"frozen clock counts", 0, specPhys + 1},
		{"still frozen", 0, specPhys + 2},
	}
	for i := 3; i <= 16; i++ {
		steps = append(steps, struct {
			name string
			at   time.Duration
			want NTP64
		}{fmt.Sprintf("count %d", i), 0, specPhys + NTP64(i)})
	}
	steps = append(steps, []struct {
		name string
		at   time.Duration
		want NTP64
	}{
		// The counter overflowed into the next physical tick (+16 units,
		// about 3.7 ns); a reading 1 ns later is still within that tick.
		{"1ns later, same tick as last", 1, specPhys + 17},
		// 10 ns later reads specNTP64+42 = specPhys+0x2d, which clears to
		// specPhys+0x20, above last's tick specPhys+0x10.
		{"physical clock overtakes", 10, specPhys + 0x20},
		{"clock steps back a second", -time.Second, specPhys + 0x21},
		{"clock back within last's tick", 10, specPhys + 0x22},
		{"clock far ahead", time.Millisecond, NTP64FromTime(specTime.Add(time.Millisecond)) & logicalMask},
	}...)
	for _, s := range steps {
		mc.Set(specTime.Add(s.at))
		ts := c.NewTimestamp()
		if ts.Time != s.want || ts.ID != c.ID() {
			t.Fatalf("%s: NewTimestamp = %#x/%v, want %#x/%v", s.name, uint64(ts.Time), ts.ID, uint64(s.want), c.ID())
		}
		if c.Last() != s.want {
			t.Fatalf("%s: Last = %#x, want %#x", s.name, uint64(c.Last()), uint64(s.want))
		}
	}
}

func TestUpdate(t *testing.T) {
	remote := mustID(t, 0xaa)
	delta := NTP64(0x8000_0000) // 500 ms
	tests := []struct {
		name string
		// pre brings the clock (physical clock at specTime) to a state.
		pre      func(c *Clock)
		at       time.Duration // physical clock during Update, from specTime
		ts       NTP64
		wantErr  bool
		wantLast NTP64
	}{
		{name: "past: m == now", ts: specPhys - 1000, wantLast: specPhys},
		{name: "epoch: m == now", ts: 0, wantLast: specPhys},
		{name: "equal to now: m == now, not ts+1", ts: specPhys, wantLast: specPhys},
		{name: "counter bits above now: m == ts", ts: specPhys + 3, wantLast: specPhys + 4},
		{name: "near future: m == ts", ts: specPhys + 100, wantLast: specPhys + 101},
		{name: "exactly max delta ahead is accepted", ts: specPhys + delta, wantLast: specPhys + delta + 1},
		{name: "one unit beyond max delta is rejected", ts: specPhys + delta + 1, wantErr: true, wantLast: 0},
		{name: "far future is rejected", ts: MaxNTP64, wantErr: true, wantLast: 0},
		{
			name:     "rejection leaves state unchanged",
			pre:      func(c *Clock) { mustUpdate(t, c, specPhys+100) },
			ts:       specPhys + delta + 1,
			wantErr:  true,
			wantLast: specPhys + 101,
		},
		{
			name:     "last ahead of both: m == last",
			pre:      func(c *Clock) { mustUpdate(t, c, specPhys+100) },
			ts:       specPhys - 5,
			wantLast: specPhys + 102,
		},
		{
			name:     "last within the current tick: m == last",
			pre:      func(c *Clock) { c.NewTimestamp(); c.NewTimestamp(); c.NewTimestamp() },
			ts:       specPhys - 5,
			wantLast: specPhys + 3,
		},
		{
			name:     "ts equal to last, both ahead: m == ts",
			pre:      func(c *Clock) { mustUpdate(t, c, specPhys+100) },
			ts:       specPhys + 101,
			wantLast: specPhys + 102,
		},
		{
			name:     "now equal to last: m == now, unchanged",
			pre:      func(c *Clock) { c.NewTimestamp() },
			ts:       specPhys - 5,
			wantLast: specPhys,
		},
		{
			name:     "physical clock passed last: m == now",
			pre:      func(c *Clock) { mustUpdate(t, c, specPhys+100) },
			at:       time.Millisecond,
			ts:       specPhys,
			wantLast: NTP64FromTime(specTime.Add(time.Millisecond)) & logicalMask,
		},
		{
			name:     "delta is measured from the current physical clock",
			at:       time.Second,
			ts:       specPhys + 1<<32 + delta,
			wantLast: specPhys + 1<<32 + delta + 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mc := newManualClock(specTime)
			c := mustClock(t, mustID(t, 7), Config{Now: mc.Now})
			if tt.pre != nil {
				tt.pre(c)
			}
			mc.Set(specTime.Add(tt.at))
			in := Timestamp{Time: tt.ts, ID: remote}
			err := c.Update(in)
			if tt.wantErr != (err != nil) || (err != nil && !errors.Is(err, ErrTooFarInFuture)) {
				t.Fatalf("Update(%v) error = %v, want error %v", in, err, tt.wantErr)
			}
			if got := c.Last(); got != tt.wantLast {
				t.Fatalf("Last = %#x, want %#x", uint64(got), uint64(tt.wantLast))
			}
			next := c.NewTimestamp()
			if next.Time <= tt.wantLast {
				t.Errorf("next NewTimestamp %#x is not after Last %#x", uint64(next.Time), uint64(tt.wantLast))
			}
			if err == nil && !in.Less(next) {
				t.Errorf("next NewTimestamp %v is not after the adopted %v", next, in)
			}
		})
	}
}

func mustUpdate(tb testing.TB, c *Clock, t NTP64) {
	tb.Helper()
	if err := c.Update(Timestamp{Time: t, ID: mustID(tb, 0xbb)}); err != nil {
		tb.Fatalf("Update(%#x): %v", uint64(t), err)
	}
}

func TestUpdateError(t *testing.T) {
	mc := newManualClock(specTime)
	c := mustClock(t, mustID(t, 7), Config{Now: mc.Now})
	in := Timestamp{Time: NTP64FromTime(specTime.Add(2 * time.Second)), ID: mustID(t, 0xc3, 0xb2, 0xa1)}
	err := c.Update(in)
	if !errors.Is(err, ErrTooFarInFuture) {
		t.Fatalf("error = %v, want ErrTooFarInFuture", err)
	}
	msg := err.Error()
	for _, want := range []string{"2024-05-24T14:27:15.700000000Z", "a1b2c3", "2024-05-24T14:27:13.700000000Z", "500ms", "2.000000001s"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
}

// TestNewTimestampConcurrent has many goroutines stamp at once, some of
// them also folding in a remote clock's timestamps, and checks that every
// timestamp is unique and each goroutine's are strictly increasing.
func TestNewTimestampConcurrent(t *testing.T) {
	const (
		stampers = 8
		updaters = 2
		perG     = 2000
	)
	frozen := func() time.Time { return specTime }
	tests := []struct {
		name       string
		now        func() time.Time
		remoteNow  func() time.Time // nil: no updaters
		contiguous bool             // the timestamps must be exactly specPhys, specPhys+1, ...
	}{
		{name: "frozen clock", now: frozen, contiguous: true},
		{name: "jumpy clock", now: (&jumpyClock{base: specTime}).Now},
		{name: "system clock", now: time.Now},
		{name: "frozen clock with updates", now: frozen,
			remoteNow: func() time.Time { return specTime.Add(100 * time.Millisecond) }},
		{name: "jumpy clock with updates", now: (&jumpyClock{base: specTime}).Now,
			remoteNow: (&jumpyClock{base: specTime.Add(-time.Millisecond)}).Now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustClock(t, mustID(t, 7), Config{Now: tt.now})
			var remote *Clock
			nG := stampers
			if tt.remoteNow != nil {
				remote = mustClock(t, mustID(t, 8), Config{Now: tt.remoteNow})
				nG += updaters
			}
			results := make([][]Timestamp, nG)
			errs := make(chan error, nG)
			var wg sync.WaitGroup
			for g := range nG {
				wg.Go(func() {
					out := make([]Timestamp, 0, perG)
					for range perG {
						var in Timestamp
						if g >= stampers {
							in = remote.NewTimestamp()
							if err := c.Update(in); err != nil {
								errs <- fmt.Errorf("goroutine %d: Update(%v): %w", g, in, err)
								return
							}
						}
						ts := c.NewTimestamp()
						if g >= stampers && !in.Less(ts) {
							errs <- fmt.Errorf("goroutine %d: %v after Update(%v)", g, ts, in)
							return
						}
						out = append(out, ts)
					}
					results[g] = out
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			seen := make(map[Timestamp]int, nG*perG)
			for g, out := range results {
				for i, ts := range out {
					if ts.ID != c.ID() {
						t.Fatalf("goroutine %d: timestamp %v has the wrong id", g, ts)
					}
					if i > 0 && !out[i-1].Less(ts) {
						t.Fatalf("goroutine %d: %v then %v", g, out[i-1], ts)
					}
					if h, dup := seen[ts]; dup {
						t.Fatalf("%v made by goroutines %d and %d", ts, h, g)
					}
					seen[ts] = g
				}
			}
			if len(seen) != nG*perG {
				t.Fatalf("%d timestamps, want %d", len(seen), nG*perG)
			}
			if tt.contiguous {
				for i := range NTP64(nG * perG) {
					if _, ok := seen[Timestamp{specPhys + i, c.ID()}]; !ok {
						t.Fatalf("timestamp specPhys+%d missing", i)
					}
				}
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	mc := newManualClock(specTime)
	c := mustClock(t, seqID(t), Config{Now: mc.Now})
	ts := Timestamp{specNTP64, seqID(t)}
	buf := make([]byte, 0, 128)
	text := ts.String()
	other := Timestamp{specNTP64, mustID(t, 1)}
	var sink int
	tests := []struct {
		name string
		fn   func()
	}{
		{"Clock.NewTimestamp", func() { c.NewTimestamp() }},
		{"Clock.Update", func() { _ = c.Update(ts) }},
		{"Timestamp.Compare", func() { sink += ts.Compare(other) }},
		{"Timestamp.AppendTo", func() { buf = ts.AppendTo(buf[:0]) }},
		{"ID.AppendTo", func() { buf = ts.ID.AppendTo(buf[:0]) }},
		{"ParseTimestamp", func() { _, _ = ParseTimestamp(text) }},
		{"NTP64FromTime", func() { sink += int(NTP64FromTime(specTime)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(1000, tt.fn); n != 0 {
				t.Errorf("%v allocations per run, want 0", n)
			}
		})
	}
	_ = sink
}

// TestNewTimestampAtCountsUp: a batch stamped with one reading of the
// clock gets strictly increasing timestamps, and an older reading never
// makes the clock go back.
func TestNewTimestampAtCountsUp(t *testing.T) {
	c, err := NewClock(mustID(t, 1), DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	prev := c.NewTimestampAt(now)
	for i := range 1000 {
		at := now
		if i%3 == 0 {
			at = now.Add(-time.Second)
		}
		ts := c.NewTimestampAt(at)
		if ts.Time <= prev.Time {
			t.Fatalf("timestamp %d: %v not after %v", i, ts, prev)
		}
		prev = ts
	}
	if ts := c.NewTimestamp(); ts.Time <= prev.Time {
		t.Fatalf("NewTimestamp %v not after %v", ts, prev)
	}
}
