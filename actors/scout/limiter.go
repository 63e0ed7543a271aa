package scout

import (
	"net/netip"
	"time"
)

// limiter keeps a responder from being used as an amplifier: a Scout is
// 3 bytes, its Hello tens to thousands, and UDP sources can be spoofed.
// It allows one Hello per source address per interval, remembers at most
// maxSources sources, and caps all Hellos together with a token bucket of
// rate per second. It is a plain struct owned by the responder's reader
// goroutine; the caller passes the clock.
type limiter struct {
	interval   time.Duration
	maxSources int
	last       map[netip.AddrPort]time.Time
	swept      time.Time // last sweep of expired sources

	rate     float64 // tokens per second
	burst    float64 // bucket size
	tokens   float64
	refilled time.Time
}

func newLimiter(interval time.Duration, maxSources, rate int) *limiter {
	burst := float64(max(1, rate/5))
	return &limiter{
		interval:   interval,
		maxSources: maxSources,
		last:       make(map[netip.AddrPort]time.Time),
		rate:       float64(rate),
		burst:      burst,
		tokens:     burst,
	}
}

// allow reports whether src may get a Hello at now, and if so records it.
func (l *limiter) allow(src netip.AddrPort, now time.Time) bool {
	t, known := l.last[src]
	if known && now.Sub(t) < l.interval {
		return false
	}
	if !known && len(l.last) >= l.maxSources {
		// Sweeping is O(sources): do it at most once per interval, so a
		// flood of fresh sources costs a map lookup per datagram.
		if now.Sub(l.swept) < l.interval {
			return false
		}
		l.swept = now
		for a, t := range l.last {
			if now.Sub(t) >= l.interval {
				delete(l.last, a)
			}
		}
		if len(l.last) >= l.maxSources {
			return false
		}
	}
	if !l.take(now) {
		return false
	}
	l.last[src] = now
	return true
}

// take refills the bucket for the time elapsed and takes one token.
func (l *limiter) take(now time.Time) bool {
	if !l.refilled.IsZero() {
		if d := now.Sub(l.refilled); d > 0 {
			l.tokens = min(l.burst, l.tokens+d.Seconds()*l.rate)
		}
	}
	l.refilled = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
