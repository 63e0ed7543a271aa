package storage

import "errors"

// Sentinel errors of the store. Errors are wrapped with %w and carry the
// key or the index of the offending event.
var (
	// ErrOptions reports invalid Options (Open).
	ErrOptions = errors.New("storage: invalid options")
	// ErrInvalidEvent reports an event Apply refuses: an empty or wild
	// key, a zero timestamp, or a kind other than MidPut and MidDel.
	ErrInvalidEvent = errors.New("storage: invalid event")
	// ErrCorrupt reports a value record or index entry that does not
	// decode: the store was damaged, or written by an incompatible version.
	ErrCorrupt = errors.New("storage: corrupt record")
	// ErrClosed reports a call on a closed Store.
	ErrClosed = errors.New("storage: store closed")
)
