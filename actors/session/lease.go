package session

import "time"

// Lease keeps one link alive and notices when the peer went silent
// (spec/transport.md 5.7, 6.5). It sends a KeepAlive after min(own, peer
// lease)/4 without sending anything, because pico checks every min(own,
// peer) lease and Rust expects a batch within the lease it announced; and
// it declares the link dead after the peer's lease without receiving
// anything. State is per link: every link of a session keeps its own.
type Lease struct {
	peer     time.Duration
	interval time.Duration
	lastRX   time.Time
	lastTX   time.Time
}

// NewLease starts the timers at now, when the handshake completed.
func NewLease(own, peer time.Duration, now time.Time) Lease {
	iv := min(own, peer) / 4
	if iv <= 0 {
		iv = time.Millisecond
	}
	return Lease{peer: peer, interval: iv, lastRX: now, lastTX: now}
}

// Interval is the KeepAlive interval.
func (l *Lease) Interval() time.Duration { return l.interval }

// OnRecv records a batch received at now (any batch refreshes the lease).
func (l *Lease) OnRecv(now time.Time) {
	if now.After(l.lastRX) {
		l.lastRX = now
	}
}

// OnSend records a batch written at now.
func (l *Lease) OnSend(now time.Time) {
	if now.After(l.lastTX) {
		l.lastTX = now
	}
}

// Tick reports, at now, whether to send a KeepAlive and whether the link
// expired (close it; Rust sends no Close then, pico sends Close(EXPIRED)).
// When it asks for a KeepAlive it assumes the caller sends it and records
// the send, so a fast ticker does not send several.
func (l *Lease) Tick(now time.Time) (sendKeepAlive bool, expired bool) {
	if now.Sub(l.lastRX) >= l.peer {
		return false, true
	}
	if now.Sub(l.lastTX) >= l.interval {
		l.lastTX = now
		return true, false
	}
	return false, false
}

// Next is when Tick has something to do at the earliest, to arm a timer.
func (l *Lease) Next() time.Time {
	ka, exp := l.lastTX.Add(l.interval), l.lastRX.Add(l.peer)
	if exp.Before(ka) {
		return exp
	}
	return ka
}
