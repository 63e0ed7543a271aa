package aligner

import (
	"fmt"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

// Params configures the anti-entropy of a storage. Every replica of a key
// expression must use the same Interval, SubIntervals, Hot and Warm (and
// slice width), or their digests are incompatible and never compared.
type Params struct {
	// Interval is how often a digest is published, and the width of an
	// interval, the unit of the Warm era (default 10 s). Shorter finds
	// divergence sooner at the cost of more digests on the network.
	Interval time.Duration
	// SubIntervals is the number of sub-intervals per interval (default
	// 5). A sub-interval is the storage's time slice, the unit of the Hot
	// era and the smallest set of events fetched at once.
	SubIntervals int
	// Hot is the number of most recent intervals whose sub-intervals are
	// each fingerprinted in the digest (default 6). Recent writes, the
	// likeliest to diverge, are then found without any round trip.
	Hot int
	// Warm is the number of intervals before the Hot ones that are each
	// fingerprinted in the digest (default 30); everything older is one
	// Cold fingerprint. Larger makes digests bigger and narrowing cheaper.
	Warm int
	// PropagationDelay is how long a sample may take to reach every
	// replica (default 250 ms). Sub-intervals newer than that (plus
	// MaxSkew) are left out of the digest, so that samples still in
	// flight do not count as divergence.
	PropagationDelay time.Duration
	// MaxSkew is the largest clock offset between replicas: the HLC's max
	// delta (default 500 ms, hlc.DefaultMaxDelta).
	MaxSkew time.Duration
}

// Default values of Params.
const (
	DefaultInterval         = 10 * time.Second
	DefaultSubIntervals     = 5
	DefaultHot              = 6
	DefaultWarm             = 30
	DefaultPropagationDelay = 250 * time.Millisecond
	DefaultMaxSkew          = hlc.DefaultMaxDelta
)

// DefaultParams returns the default Params.
func DefaultParams() Params {
	return Params{
		Interval:         DefaultInterval,
		SubIntervals:     DefaultSubIntervals,
		Hot:              DefaultHot,
		Warm:             DefaultWarm,
		PropagationDelay: DefaultPropagationDelay,
		MaxSkew:          DefaultMaxSkew,
	}
}

// Validate reports whether p is usable. It fills in nothing: a zero field
// is an error, except Warm and the delays, for which zero is meaningful.
// Hot*SubIntervals and Warm are bounded by MaxItems, so that every digest
// p builds can be decoded.
func (p *Params) Validate() error {
	switch {
	case p.Interval <= 0:
		return fmt.Errorf("%w: Interval %v is not positive", ErrParams, p.Interval)
	case p.SubIntervals < 1:
		return fmt.Errorf("%w: SubIntervals %d is below 1", ErrParams, p.SubIntervals)
	case p.Hot < 1:
		return fmt.Errorf("%w: Hot %d is below 1", ErrParams, p.Hot)
	case p.Warm < 0:
		return fmt.Errorf("%w: Warm %d is negative", ErrParams, p.Warm)
	case p.PropagationDelay < 0:
		return fmt.Errorf("%w: PropagationDelay %v is negative", ErrParams, p.PropagationDelay)
	case p.MaxSkew < 0:
		return fmt.Errorf("%w: MaxSkew %v is negative", ErrParams, p.MaxSkew)
	case p.SubIntervals > MaxItems || p.Hot > MaxItems/p.SubIntervals:
		return fmt.Errorf("%w: Hot*SubIntervals (%d*%d) is over %d", ErrParams, p.Hot, p.SubIntervals, MaxItems)
	case p.Warm > MaxItems:
		return fmt.Errorf("%w: Warm %d is over %d", ErrParams, p.Warm, MaxItems)
	case p.Interval/time.Duration(p.SubIntervals) == 0:
		return fmt.Errorf("%w: Interval %v splits into empty sub-intervals", ErrParams, p.Interval)
	}
	return nil
}

// SliceWidth is the width of a sub-interval, Interval/SubIntervals: the
// storage must use it as its slice width (storage.Options.SliceWidth). It
// is 0 when SubIntervals is not positive.
func (p Params) SliceWidth() time.Duration {
	if p.SubIntervals <= 0 {
		return 0
	}
	return p.Interval / time.Duration(p.SubIntervals)
}

// Cut returns the snapshot cut at time now for sub-intervals of width w
// (NTP64 units): the index of the first sub-interval a digest built now
// leaves out. A sub-interval enters a digest once its end is at least
// PropagationDelay+MaxSkew in the past, so that a replica does not count
// the samples still in flight, or stamped by a clock ahead of its own, as
// divergence. The subtraction saturates at 0; w == 0 gives 0.
func (p Params) Cut(now time.Time, w hlc.NTP64) uint64 {
	t := hlc.NTP64FromTime(now)
	d := satAdd(uint64(hlc.NTP64FromDuration(p.PropagationDelay)), uint64(hlc.NTP64FromDuration(p.MaxSkew)))
	if w == 0 || uint64(t) <= d {
		return 0
	}
	return (uint64(t) - d) / uint64(w)
}

// Eras are the boundaries of the eras of a digest with cut Cut, as
// interval and sub-interval indexes; every range is half-open. Intervals
// [0, WarmStart) are Cold, [WarmStart, HotStart) Warm and [HotStart, End)
// Hot, and the Hot sub-intervals are [HotSub, Cut). End is the first
// interval holding no sub-interval below Cut. When Cut is 0 every range
// is empty.
type Eras struct {
	Cut       uint64 // first sub-interval left out
	End       uint64 // ceil(Cut / SubIntervals)
	HotStart  uint64 // End - Hot, saturating
	HotSub    uint64 // HotStart * SubIntervals
	WarmStart uint64 // HotStart - Warm, saturating
}

// Eras returns the era boundaries of cut under p. p must be valid.
func (p Params) Eras(cut uint64) Eras {
	return eras(cut, uint64(p.SubIntervals), uint64(p.Hot), uint64(p.Warm))
}

// eras computes Eras for subs sub-intervals per interval (at least 1).
// HotSub cannot overflow: HotStart < End unless both are 0, so HotSub is
// at most (End-1)*subs, which is below Cut.
func eras(cut, subs, hot, warm uint64) Eras {
	e := Eras{Cut: cut, End: cut / subs}
	if cut%subs != 0 {
		e.End++
	}
	e.HotStart = satSub(e.End, hot)
	e.HotSub = e.HotStart * subs
	e.WarmStart = satSub(e.HotStart, warm)
	return e
}

// Era is the era of an interval relative to a cut.
type Era uint8

// The eras, and EraNone for intervals a digest leaves out.
const (
	EraCold Era = iota
	EraWarm
	EraHot
	EraNone
)

// IntervalEra returns the era of interval i; EraNone when i >= End.
func (e Eras) IntervalEra(i uint64) Era {
	switch {
	case i >= e.End:
		return EraNone
	case i >= e.HotStart:
		return EraHot
	case i >= e.WarmStart:
		return EraWarm
	}
	return EraCold
}

func satSub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}

func satAdd(a, b uint64) uint64 {
	if a+b < a {
		return ^uint64(0)
	}
	return a + b
}
