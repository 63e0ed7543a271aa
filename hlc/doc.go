// Package hlc implements zenoh's timestamps and its hybrid logical clock,
// compatible bit for bit with the uhlc 0.8 crate that Rust zenoh 1.x uses
// (spec/network.md section 7, spec/transport.md sections 1.3 and 1.4).
//
// The package is pure: no goroutines, no I/O and no global state. The
// physical clock is passed in through Config.Now, and random IDs are drawn
// from a reader the caller supplies. The wire encoding of these types lives
// in package codec.
//
// # Types
//
// ID is a ZenohId: a non-zero 128-bit integer, kept as its 16 little-endian
// bytes. On the wire it is trimmed to its significant bytes (ID.Bytes); as
// text it is lowercase hex, most significant digit first, without leading
// zeros (ID.String, ParseID).
//
// NTP64 is a time since the Unix epoch: 32 bits of seconds and 32 bits of
// binary fraction. It converts to and from time.Time and time.Duration;
// conversion to nanoseconds rounds up, and from nanoseconds rounds down, so
// a whole number of nanoseconds survives the round trip.
//
// Timestamp pairs an NTP64 with the ID of the clock that made it. It orders
// by time, then by ID, and prints as "<decimal time>/<hex id>", e.g.
// "7386690599959157260/1f1e1d1c1b1a19181716151413121110". RFC3339 methods
// give uhlc's human-readable alternate form, with the time as an RFC 3339
// date-time.
//
// # Usage
//
// A node makes one Clock with its ZenohId and stamps data with it:
//
//	clk, err := hlc.NewClock(zid, hlc.DefaultConfig())
//	if err != nil { ... }
//	ts := clk.NewTimestamp()
//
// Timestamps are unique and strictly increasing per Clock even when the
// physical clock stands still or steps back: the low CounterBits bits of
// the time count events within one physical tick. When a timestamped
// message arrives, Update moves the clock past the message's timestamp, so
// that later local timestamps order after it:
//
//	if err := clk.Update(msg.Timestamp); errors.Is(err, hlc.ErrTooFarInFuture) {
//		// The sender's clock is more than MaxDelta ahead: drop the message
//		// or restamp it with clk.NewTimestamp().
//	}
//
// A Clock is safe for concurrent use and lock-free.
package hlc
