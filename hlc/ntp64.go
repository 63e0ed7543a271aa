package hlc

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// NTP64 is a time as 32 bits of seconds since the Unix epoch (1970, not
// NTP's 1900) and 32 bits of binary fraction of a second, i.e. units of
// 2^-32 s (spec/network.md section 7.1). In HLC timestamps the CounterBits
// lowest fraction bits are a logical counter. NTP64 values are plain
// integers: add and subtract them with + and -.
type NTP64 uint64

const (
	fracPerSec  = 1 << 32
	fracMask    = fracPerSec - 1
	nanosPerSec = 1_000_000_000
	// maxSecs is the largest whole number of seconds NTP64 holds.
	maxSecs = math.MaxUint32
)

// MaxNTP64 is the largest NTP64, about 2106-02-07T06:28:16Z.
const MaxNTP64 = NTP64(math.MaxUint64)

// NTP64FromSecsNanos returns secs seconds plus nanos nanoseconds as NTP64,
// the fraction rounded down as zenoh does. nanos may exceed one second;
// the result saturates at MaxNTP64.
func NTP64FromSecsNanos(secs uint64, nanos uint64) NTP64 {
	if secs > maxSecs {
		return MaxNTP64
	}
	secs += nanos / nanosPerSec
	nanos %= nanosPerSec
	if secs > maxSecs {
		return MaxNTP64
	}
	return NTP64(secs<<32 | nanos<<32/nanosPerSec)
}

// NTP64FromTime returns t as NTP64 (time since the Unix epoch). Times
// before 1970 give 0, and times past MaxNTP64 give MaxNTP64, so a clock
// that is wildly off cannot wrap around.
func NTP64FromTime(t time.Time) NTP64 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	return NTP64FromSecsNanos(uint64(s), uint64(t.Nanosecond()))
}

// NTP64FromDuration returns d as NTP64. Negative durations give 0; those
// of 2^32 seconds or more (over 136 years) give MaxNTP64.
func NTP64FromDuration(d time.Duration) NTP64 {
	if d < 0 {
		return 0
	}
	return NTP64FromSecsNanos(uint64(d/time.Second), uint64(d%time.Second))
}

// Secs returns the whole-seconds part (the high 32 bits).
func (t NTP64) Secs() uint32 { return uint32(t >> 32) }

// Frac returns the fraction-of-a-second part (the low 32 bits), in units
// of 2^-32 s.
func (t NTP64) Frac() uint32 { return uint32(t) }

// SubsecNanos returns the fraction part in nanoseconds, rounded up as zenoh
// does, so that converting a whole number of nanoseconds to NTP64 and back
// is exact. Because of the rounding it can be 1e9 (for a fraction above
// 0xFFFFFFFB); AsSecsNanos carries that into the seconds.
func (t NTP64) SubsecNanos() uint32 {
	frac := uint64(t) & fracMask
	return uint32((frac*nanosPerSec + fracMask) >> 32)
}

// AsSecsNanos returns t as whole seconds and nanoseconds below one second
// (0..999999999), with the fraction rounded up to a nanosecond.
func (t NTP64) AsSecsNanos() (secs uint64, nanos uint32) {
	secs, nanos = uint64(t.Secs()), t.SubsecNanos()
	if nanos == nanosPerSec {
		secs, nanos = secs+1, 0
	}
	return secs, nanos
}

// Nanos returns t in nanoseconds, the fraction rounded up.
func (t NTP64) Nanos() uint64 {
	return uint64(t.Secs())*nanosPerSec + uint64(t.SubsecNanos())
}

// Duration returns t as a duration (the fraction rounded up to a
// nanosecond). Every NTP64 fits: 2^32 s is well below time.Duration's
// 292 years.
func (t NTP64) Duration() time.Duration { return time.Duration(t.Nanos()) }

// Time returns t as a UTC time, taking it as relative to the Unix epoch.
func (t NTP64) Time() time.Time {
	secs, nanos := t.AsSecsNanos()
	return time.Unix(int64(secs), int64(nanos)).UTC()
}

// String returns t in decimal, the lossless text form uhlc prints by
// default (e.g. "7386690599959157260").
func (t NTP64) String() string { return strconv.FormatUint(uint64(t), 10) }

// AppendTo appends the String form of t to dst.
func (t NTP64) AppendTo(dst []byte) []byte { return strconv.AppendUint(dst, uint64(t), 10) }

// ParseNTP64 parses the String form: a decimal u64 (leading zeros allowed,
// no sign).
func ParseNTP64(s string) (NTP64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w %s: not a decimal u64", ErrNTP64Syntax, snippet(s))
	}
	return NTP64(v), nil
}

// rfc3339Nanos is the layout of uhlc's alternate (human-readable) form:
// UTC with exactly nine fraction digits.
const rfc3339Nanos = "2006-01-02T15:04:05.000000000Z"

// RFC3339 returns t as uhlc's alternate ("{:#}") form: an RFC 3339 UTC
// date-time with nanoseconds, e.g. "2024-07-01T15:32:06.860479000Z". It is
// lossy: the fraction is rounded up to a nanosecond.
func (t NTP64) RFC3339() string {
	var buf [len(rfc3339Nanos)]byte
	return string(t.AppendRFC3339(buf[:0]))
}

// AppendRFC3339 appends the RFC3339 form of t to dst.
func (t NTP64) AppendRFC3339(dst []byte) []byte {
	return t.Time().AppendFormat(dst, rfc3339Nanos)
}

// ParseNTP64RFC3339 parses an RFC 3339 date-time (any offset, any number of
// fraction digits) into NTP64, the fraction rounded down. It rejects times
// outside NTP64's range (1970 to 2106).
func ParseNTP64RFC3339(s string) (NTP64, error) {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%w %s: not an RFC 3339 date-time", ErrNTP64Syntax, snippet(s))
	}
	if sec := tm.Unix(); sec < 0 || sec > maxSecs {
		return 0, fmt.Errorf("%w: %s", ErrNTP64Range, snippet(s))
	}
	return NTP64FromTime(tm), nil
}
