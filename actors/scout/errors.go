package scout

import "errors"

// Sentinel errors; test with errors.Is.
var (
	// ErrConfig: a ResponderConfig or ScoutConfig is unusable (a group
	// that is not a multicast ip:port, a zero ZID, an invalid role, a
	// negative limit).
	ErrConfig = errors.New("scout: invalid config")

	// ErrJoin: the kernel refused to join the multicast group (no
	// multicast-capable interface, no route, permission). The responder
	// reports it in ResponderFailed; the node goes on without scouting.
	ErrJoin = errors.New("scout: cannot join multicast group")

	// ErrRead: the responder's group socket kept failing to read.
	ErrRead = errors.New("scout: multicast read failed")

	// ErrSend: not a single Scout could be sent to the group (no route to
	// it, typically), so nothing could be found.
	ErrSend = errors.New("scout: cannot send scout")

	// ErrNotFound: scouting ended (its context did) without a matching
	// Hello.
	ErrNotFound = errors.New("scout: no matching node found")
)
