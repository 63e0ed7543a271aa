package hlc

import (
	"errors"
	"fmt"
)

// Sentinel errors. Functions wrap them with %w and add the offending input or
// figures, so test them with errors.Is.
var (
	// ErrIDLength reports a wire ZenohId length outside 1..16.
	ErrIDLength = errors.New("hlc: zenoh id length must be 1..16")

	// ErrZeroID reports an all-zero ZenohId, which zenoh rejects.
	ErrZeroID = errors.New("hlc: zenoh id is zero")

	// ErrIDSyntax reports an ID text that is not 1..32 lowercase hex digits
	// without a leading zero.
	ErrIDSyntax = errors.New("hlc: invalid zenoh id text")

	// ErrNTP64Syntax reports an NTP64 text that is not a decimal u64 (or, for
	// the RFC 3339 form, not an RFC 3339 date-time).
	ErrNTP64Syntax = errors.New("hlc: invalid NTP64 text")

	// ErrNTP64Range reports a date-time that NTP64 cannot hold: before
	// 1970-01-01 or at/after 2^32 seconds past it (in 2106).
	ErrNTP64Range = errors.New("hlc: time out of NTP64 range")

	// ErrTimestampSyntax reports a timestamp text without the '/' that
	// separates time and ID.
	ErrTimestampSyntax = errors.New("hlc: invalid timestamp text")

	// ErrTooFarInFuture reports a remote timestamp more than the clock's
	// MaxDelta ahead of the local physical clock (Clock.Update).
	ErrTooFarInFuture = errors.New("hlc: timestamp too far in the future")

	// ErrMaxDelta reports a negative Config.MaxDelta.
	ErrMaxDelta = errors.New("hlc: max delta must not be negative")
)

// maxSnippet caps how much of a bad input an error message quotes.
const maxSnippet = 48

// snippet quotes s for an error message, truncated to maxSnippet bytes.
func snippet(s string) string {
	if len(s) > maxSnippet {
		return fmt.Sprintf("%q...", s[:maxSnippet])
	}
	return fmt.Sprintf("%q", s)
}
