package hlc

import (
	"sync/atomic"
	"testing"
	"time"
)

// specTime is the example of spec/network.md section 7.1:
// 0x6650a3c1b3333333 = 1716560833 s + 0.7 s.
var specTime = time.Date(2024, 5, 24, 14, 27, 13, 700_000_000, time.UTC)

const specNTP64 = NTP64(0x6650a3c1b3333333)

// manualClock is a physical clock that tests set by hand. It is safe for
// concurrent use.
type manualClock struct{ ns atomic.Int64 }

func newManualClock(t time.Time) *manualClock {
	c := &manualClock{}
	c.Set(t)
	return c
}

func (c *manualClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *manualClock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *manualClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// jumpyClock is a physical clock that moves forward and back in jumps of a
// few microseconds around base, one step per reading. It is safe for
// concurrent use.
type jumpyClock struct {
	base  time.Time
	reads atomic.Uint64
}

func (c *jumpyClock) Now() time.Time {
	n := c.reads.Add(1)
	// Offsets cycle through -3..+3 µs in a scrambled order, plus a slow
	// drift forward, so the readings go both ways.
	off := time.Duration(int64(n*7919%7)-3) * time.Microsecond
	return c.base.Add(off + time.Duration(n/64)*time.Nanosecond)
}

// mustID builds an ID from its wire bytes or fails the test.
func mustID(tb testing.TB, wire ...byte) ID {
	tb.Helper()
	id, err := IDFromBytes(wire)
	if err != nil {
		tb.Fatalf("IDFromBytes(% x): %v", wire, err)
	}
	return id
}

// mustClock builds a Clock or fails the test.
func mustClock(tb testing.TB, id ID, cfg Config) *Clock {
	tb.Helper()
	c, err := NewClock(id, cfg)
	if err != nil {
		tb.Fatalf("NewClock: %v", err)
	}
	return c
}

// seqID is the ID with wire bytes 10 11 ... 1f.
func seqID(tb testing.TB) ID {
	return mustID(tb, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
		0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f)
}
