package session

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
)

// Messages crossing the boundary between a session actor and the layers
// above it (the router, or a test probe). The router package imports this
// one.

// Opened is sent to the session Manager, which forwards it to the node's
// handler, when a session reaches its data phase. The handler answers
// the session with Admit: until then the session's reader waits.
type Opened struct {
	Session     *actor.PID
	ZID         codec.ZenohID
	WhatAmI     codec.WhatAmI
	Link        link.Info
	Established Established
	// Outbox is the session's send stage: any goroutine sends to the
	// peer through it.
	Outbox *Outbox
	// Cancel is closed when the session's link stops: a Handler that
	// waits (for room in another session's Outbox) gives up then.
	Cancel <-chan struct{}
}

// Admit tells a session what to hand its received messages to. The
// session first walks what arrived with the end of its handshake, then
// lets its link's reader call the Handler directly.
type Admit struct {
	Handler Handler
}

// Closed is sent once for every Opened, when that session has ended and
// its link's reader has stopped. Reason says why (a *CloseError we sent,
// a *PeerClosedError, a link failure, lease expiry, ErrReplaced, or nil
// for a local close).
type Closed struct {
	Session *actor.PID
	ZID     codec.ZenohID
	Reason  error
}

// CloseSession asks a session to send Close with Reason to its peer,
// after what is queued, and end (a local close: Closed carries a nil
// Reason).
type CloseSession struct {
	Reason byte
}

// GetStats asks a session for its counters; it answers with *Report.
type GetStats struct{}
