package hlc

import (
	"fmt"
	"sync/atomic"
	"time"
)

const (
	// CounterBits is how many low bits of an HLC time are a logical
	// counter (uhlc's CSIZE). The physical clock's reading is truncated
	// to a multiple of 2^CounterBits NTP64 units (about 3.7 ns).
	CounterBits = 4

	counterMask = 1<<CounterBits - 1
	// logicalMask clears the counter bits (uhlc's LMASK).
	logicalMask = ^NTP64(counterMask)

	// DefaultMaxDelta is how far ahead of the local physical clock a remote
	// timestamp may be for Update to accept it (uhlc's default; Rust zenoh
	// can override it with the UHLC_MAX_DELTA_MS environment variable).
	DefaultMaxDelta = 500 * time.Millisecond
)

// Config configures a Clock. The zero Config is valid and means
// DefaultConfig.
type Config struct {
	// Now reads the physical clock. The Clock uses its wall-clock reading
	// (time since the Unix epoch), not the monotonic one. nil means
	// time.Now. Tests pass a fake to control time; it may be called
	// concurrently.
	Now func() time.Time

	// MaxDelta is the largest drift Update tolerates: a remote timestamp
	// further ahead of Now is rejected. Larger values let a peer with a
	// fast clock drag this clock (and every timestamp it makes) further into
	// the future; smaller ones reject more messages from peers whose clocks
	// are not tightly synchronised. 0 means DefaultMaxDelta; it must not be
	// negative.
	MaxDelta time.Duration
}

// DefaultConfig returns the configuration zenoh uses: the system clock and
// a MaxDelta of 500 ms.
func DefaultConfig() Config {
	return Config{Now: time.Now, MaxDelta: DefaultMaxDelta}
}

// validate checks c and fills in defaults.
func (c *Config) validate() error {
	if c.Now == nil {
		c.Now = time.Now
	}
	switch {
	case c.MaxDelta < 0:
		return fmt.Errorf("%w: %v", ErrMaxDelta, c.MaxDelta)
	case c.MaxDelta == 0:
		c.MaxDelta = DefaultMaxDelta
	}
	return nil
}

// Clock is a hybrid logical clock that makes unique, strictly increasing
// timestamps carrying its ID. It follows uhlc 0.8 bit for bit
// (spec/network.md section 7.2). A Clock is safe for concurrent use; it
// keeps its state in one atomic word and never blocks. Make one with
// NewClock (the zero Clock is not usable), and do not copy it.
type Clock struct {
	id       ID
	now      func() time.Time
	delta    NTP64
	maxDelta time.Duration

	// Keep the contended word off the cache line of the read-only fields.
	_    [64]byte
	last atomic.Uint64 // NTP64 of the latest timestamp made or adopted
	_    [56]byte
}

// NewClock returns a Clock that stamps with id, which must not be zero (a
// zenoh node uses its ZenohId). Its last time starts at 0.
func NewClock(id ID, cfg Config) (*Clock, error) {
	if id.IsZero() {
		return nil, ErrZeroID
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Clock{
		id:       id,
		now:      cfg.Now,
		delta:    NTP64FromDuration(cfg.MaxDelta),
		maxDelta: cfg.MaxDelta,
	}, nil
}

// ID returns the ID the clock stamps with.
func (c *Clock) ID() ID { return c.id }

// MaxDelta returns the configured tolerance of Update.
func (c *Clock) MaxDelta() time.Duration { return c.maxDelta }

// Last returns the time of the latest timestamp the clock made or adopted
// (0 for a new clock).
func (c *Clock) Last() NTP64 { return NTP64(c.last.Load()) }

// physical reads the physical clock with the counter bits cleared.
func (c *Clock) physical() NTP64 { return NTP64FromTime(c.now()) & logicalMask }

// NewTimestamp returns a timestamp greater than every one this clock made
// before and than every time it adopted through Update. When the physical
// clock (counter bits cleared) is ahead of the last time, it takes the
// physical time; otherwise it adds one to the last time, so the counter
// bits count events within one physical tick, or while the physical clock
// stands still or steps back.
func (c *Clock) NewTimestamp() Timestamp {
	return c.next(c.physical())
}

// NewTimestampAt is NewTimestamp with the physical time read by the
// caller (not through Config.Now), so that a batch of events read the
// clock once: events after the first then count up from it, which keeps
// every guarantee of NewTimestamp.
func (c *Clock) NewTimestampAt(physical time.Time) Timestamp {
	return c.next(NTP64FromTime(physical) & logicalMask)
}

// NewTimestampAtNTP is NewTimestampAt with the physical time already
// converted: a batch converts it once.
func (c *Clock) NewTimestampAtNTP(physical NTP64) Timestamp {
	return c.next(physical & logicalMask)
}

func (c *Clock) next(now NTP64) Timestamp {
	for {
		last := NTP64(c.last.Load())
		next := last + 1
		if now > last&logicalMask {
			next = now
		}
		if c.last.CompareAndSwap(uint64(last), uint64(next)) {
			return Timestamp{Time: next, ID: c.id}
		}
	}
}

// Update folds a timestamp received from another clock into this one, so
// that timestamps made afterwards are greater than ts. It rejects, with an
// error wrapping ErrTooFarInFuture and leaving the clock unchanged, a
// timestamp more than MaxDelta ahead of the physical clock. Otherwise,
// with m the greatest of the physical time, ts.Time and the last time, the
// last time becomes: the physical time if m is it; else ts.Time+1 if m is
// ts.Time; else the last time plus one.
func (c *Clock) Update(ts Timestamp) error {
	now := c.physical()
	msg := ts.Time
	if msg > now && msg-now > c.delta {
		return fmt.Errorf("%w: %s from %s is %v ahead of the local clock %s (max %v)",
			ErrTooFarInFuture, msg.RFC3339(), ts.ID, (msg - now).Duration(), now.RFC3339(), c.maxDelta)
	}
	for {
		last := NTP64(c.last.Load())
		var next NTP64
		switch m := max(now, msg, last); m {
		case now:
			next = now
		case msg:
			next = msg + 1
		default:
			next = last + 1
		}
		if next == last || c.last.CompareAndSwap(uint64(last), uint64(next)) {
			return nil
		}
	}
}
