package session

import (
	"log/slog"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
)

// Messages crossing the boundary between a session actor and the layers
// above it (the router, or a test probe). The router package imports this
// one.

// Opened is sent to the session Manager, which forwards it to the node's
// handler, when a session reaches its data phase.
type Opened struct {
	Session     *actor.PID
	ZID         codec.ZenohID
	WhatAmI     codec.WhatAmI
	Link        link.Info
	Established Established
}

// Closed is sent once for every Opened, when that session ends. Reason
// says why (a *CloseError we sent, a *PeerClosedError, a link failure,
// lease expiry, ErrReplaced, or nil for a local close).
type Closed struct {
	Session *actor.PID
	ZID     codec.ZenohID
	Reason  error
}

// FrameSpan is the network-message bytes of one accepted Frame.
type FrameSpan struct {
	Payload  []byte // encoded network messages back to back
	Reliable bool
	Priority codec.Priority
}

// Reassembled is one network message rebuilt from Fragments.
type Reassembled struct {
	Msg      []byte // one encoded network message (a copy, owned here)
	Reliable bool
	Priority codec.Priority
	// Before is the number of Frames of the Received that came before
	// it on the link: a handler keeps the order by handling it after
	// Frames[Before-1] and before Frames[Before].
	Before int
}

// Received carries what one read of the link brought: the accepted Frames
// (their network messages still encoded, aliasing the link's buffer) and
// messages reassembled from Fragments. The handler decodes them in place
// (codec.BatchReader.ResetFrame) and calls Release exactly once, which
// hands the buffer back to the link; until then the link reads on into
// its other buffers, so a slow handler slows its peer, never the node.
type Received struct {
	Session *actor.PID
	ZID     codec.ZenohID
	Frames  []FrameSpan
	Whole   []Reassembled
	in      *link.Inbound
}

var receivedPool = sync.Pool{New: func() any { return new(Received) }}

// Release returns the buffers behind r. r must not be used afterwards.
func (r *Received) Release() {
	if r.in != nil {
		r.in.Release()
	}
	for i := range r.Whole {
		r.Whole[i] = Reassembled{}
	}
	for i := range r.Frames {
		r.Frames[i] = FrameSpan{}
	}
	*r = Received{Frames: r.Frames[:0], Whole: r.Whole[:0]}
	receivedPool.Put(r)
}

// Send asks a session to send network messages to its peer, all on one
// reliability. The session encodes them at once into its batches, then
// calls Done (if set) so the sender can reuse Msgs; nothing in Msgs is
// kept. A message the session's queues cannot take under Drop congestion
// control is dropped and counted; under Block it waits for the link.
//
// Pushes carries publications after Msgs: a Push alone is a fifth of a
// NetworkMessage, which matters to a router forwarding millions a second.
type Send struct {
	Msgs     []codec.NetworkMessage
	Pushes   []codec.Push
	Reliable bool
	Done     func()
}

// Len is the number of messages in s.
func (s *Send) Len() int { return len(s.Msgs) + len(s.Pushes) }

// LogValue keeps log lines about a Send short (a dead letter is logged
// with its message).
func (s *Send) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("messages", s.Len()), slog.Bool("reliable", s.Reliable))
}

// CloseSession asks a session to send Close with Reason to its peer and
// end (a local close: Closed carries a nil Reason).
type CloseSession struct {
	Reason byte
}

// GetStats asks a session for its counters; it answers with *Report.
type GetStats struct{}
