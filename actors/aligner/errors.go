package aligner

import "errors"

// Sentinel errors of the package. Functions wrap them with %w and add the
// offending field, offset or index, so test them with errors.Is.
var (
	// ErrParams reports invalid Params (Params.Validate).
	ErrParams = errors.New("aligner: invalid params")
	// ErrVersion reports a message whose version byte is not 1.
	ErrVersion = errors.New("aligner: unknown message version")
	// ErrType reports a message whose type byte is unknown, or a known
	// type decoded by the wrong decoder (a reply given to DecodeRequest).
	ErrType = errors.New("aligner: unknown message type")
	// ErrMalformed reports a message that does not decode: truncated,
	// a bad uvarint, an index list out of order, a zero fingerprint, an
	// invalid timestamp or kind, and so on.
	ErrMalformed = errors.New("aligner: malformed message")
	// ErrTrailing reports bytes left after a complete message.
	ErrTrailing = errors.New("aligner: trailing bytes")
	// ErrLimit reports a list, key or payload over its limit (MaxItems,
	// MaxKey, MaxPayload), in a message or in a request given to Answer.
	ErrLimit = errors.New("aligner: limit exceeded")
	// ErrIncompatible reports a remote digest built with another slice
	// width, or other SubIntervals, Hot or Warm, than the local Params.
	ErrIncompatible = errors.New("aligner: incompatible digest")
	// ErrReply reports a reply that does not answer the last request: the
	// wrong kind, a fingerprint or event outside what was asked, or a
	// continuation that makes no progress. The alignment is abandoned.
	ErrReply = errors.New("aligner: unexpected reply")
	// ErrRequest reports a request Answer refuses (lists out of order,
	// an empty key).
	ErrRequest = errors.New("aligner: invalid request")
)
