package session

import (
	"errors"
	"strconv"

	"github.com/gozenoh/zenoh/codec"
)

// Sentinel errors. The handshake and the RX path wrap them in a
// *CloseError that says which Close reason to send before dropping the
// link; test them with errors.Is.
var (
	// ErrConfig reports a Config, RXConfig or TXConfig that cannot work.
	ErrConfig = errors.New("session: invalid config")

	// ErrUnexpectedMessage: the peer sent something other than the
	// handshake message expected at this step (spec/transport.md 5.8).
	ErrUnexpectedMessage = errors.New("session: unexpected message")

	// ErrClosedByPeer: the peer sent a Close instead of the expected
	// message. The *PeerClosedError that wraps it carries the reason.
	ErrClosedByPeer = errors.New("session: closed by peer")

	// ErrVersion: the peer's protocol version is not 0x09.
	ErrVersion = errors.New("session: unsupported protocol version")

	// ErrResolution: an InitAck announces a resolution field larger than
	// the one we offered.
	ErrResolution = errors.New("session: resolution larger than offered")

	// ErrBatchSize: the announced or agreed batch size is below
	// Config.MinBatchSize.
	ErrBatchSize = errors.New("session: batch size too small")

	// ErrPatch: an InitAck announces a patch level above ours.
	ErrPatch = errors.New("session: patch level above ours")

	// ErrQoSConflict: an Init carries both the QoS and QoSLink extensions.
	ErrQoSConflict = errors.New("session: both QoS and QoSLink extensions")

	// ErrZID: the peer's ZenohId is zero.
	ErrZID = errors.New("session: invalid zenoh id")

	// ErrConnectionToSelf: the peer's ZenohId is our own.
	ErrConnectionToSelf = errors.New("session: connection to self")

	// ErrCookie: the OpenSyn cookie is malformed, forged, expired, bound
	// to another link or carries another nonce (spec/transport.md 5.5).
	ErrCookie = errors.New("session: invalid cookie")

	// ErrLease: the peer announced a zero lease.
	ErrLease = errors.New("session: zero lease")

	// ErrSN: an initial SN or a Frame/Fragment SN above the agreed mask.
	ErrSN = errors.New("session: sequence number above the resolution")

	// ErrPriority: a Frame or Fragment of a priority other than Data on a
	// session without QoS (spec/transport.md 8.3).
	ErrPriority = errors.New("session: priority not negotiated")

	// ErrState: a handshake method called out of order (a caller bug).
	ErrState = errors.New("session: handshake step out of order")

	// ErrRandom: the randomness source failed.
	ErrRandom = errors.New("session: reading randomness")

	// ErrQueueFull: a TX channel or the whole TX queue is at its byte
	// limit. Nothing was queued; the caller applies the message's
	// congestion control (Block: wait for Pull, Drop: discard).
	ErrQueueFull = errors.New("session: tx queue full")

	// ErrMessageTooLarge: a message to send exceeds TXConfig.MaxMessage.
	ErrMessageTooLarge = errors.New("session: message too large")

	// ErrNotNetwork: TX.Push was given a message whose ID is not a
	// network message id.
	ErrNotNetwork = errors.New("session: not a network message")
)

// CloseError is a failure that ends the link: send Close with Reason
// (spec/transport.md 4.3), then drop the link. Err says why.
type CloseError struct {
	Reason byte
	Err    error
}

// Error describes the close and its cause.
func (e *CloseError) Error() string {
	return e.Err.Error() + " (close " + ReasonName(e.Reason) + ")"
}

// Unwrap returns the cause.
func (e *CloseError) Unwrap() error { return e.Err }

// closeErr builds a *CloseError.
func closeErr(reason byte, err error) *CloseError {
	return &CloseError{Reason: reason, Err: err}
}

// CloseReason returns the reason to put in the Close sent before dropping
// the link after err: the Reason of a *CloseError in err's chain, or
// GENERIC. ok is false when err came from a Close the peer sent, which is
// not answered.
func CloseReason(err error) (reason byte, ok bool) {
	if errors.Is(err, ErrClosedByPeer) {
		return 0, false
	}
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Reason, true
	}
	return codec.CloseGeneric, true
}

// PeerClosedError reports a Close received from the peer during the
// handshake. It unwraps to ErrClosedByPeer.
type PeerClosedError struct {
	Reason  byte
	Session bool // the peer's S flag
}

// Error names the reason the peer gave.
func (e *PeerClosedError) Error() string {
	return "session: closed by peer: " + ReasonName(e.Reason)
}

// Unwrap returns ErrClosedByPeer.
func (e *PeerClosedError) Unwrap() error { return ErrClosedByPeer }

// ReasonName names a Close reason as spec/transport.md 4.3 does.
func ReasonName(r byte) string {
	switch r {
	case codec.CloseGeneric:
		return "GENERIC"
	case codec.CloseUnsupported:
		return "UNSUPPORTED"
	case codec.CloseInvalid:
		return "INVALID"
	case codec.CloseMaxSessions:
		return "MAX_SESSIONS"
	case codec.CloseMaxLinks:
		return "MAX_LINKS"
	case codec.CloseExpired:
		return "EXPIRED"
	case codec.CloseUnresponsive:
		return "UNRESPONSIVE"
	case codec.CloseConnectionToSelf:
		return "CONNECTION_TO_SELF"
	}
	return "0x" + strconv.FormatUint(uint64(r), 16)
}
