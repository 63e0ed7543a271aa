// Package sessiontest is a raw session probe for tests: an actor that
// stands where a node's router would (a session manager's Handler),
// admits every session with a Handler that copies each network message
// received onto a channel, and sends through the sessions' outboxes.
// Tests only.
package sessiontest

import (
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
)

// Msg is one network message a session received, copied (it owns its
// bytes).
type Msg struct {
	Session  *actor.PID
	ZID      codec.ZenohID
	Reliable bool
	M        codec.NetworkMessage
}

// Probe is the Handler actor of a session manager. Events carries, in
// order, every *session.Opened (after the session is admitted), every
// *session.Closed and, with Collect, every Msg.
type Probe struct {
	PID    *actor.PID
	Events chan any
}

// Options tune a Probe.
type Options struct {
	// Handler, if set, makes the Handler of each session opened; the
	// default copies messages to Events.
	Handler func(o *session.Opened, events chan<- any) session.Handler
	// Buffer is the capacity of Events (default 65536).
	Buffer int
}

// New spawns a probe in sys.
func New(t testing.TB, sys *actor.ActorSystem, opts Options) *Probe {
	t.Helper()
	if opts.Buffer <= 0 {
		opts.Buffer = 1 << 16
	}
	p := &Probe{Events: make(chan any, opts.Buffer)}
	p.PID = sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		switch m := ctx.Message().(type) {
		case *session.Opened:
			var h session.Handler
			if opts.Handler != nil {
				h = opts.Handler(m, p.Events)
			} else {
				h = &Collector{Session: m.Session, ZID: m.ZID, Out: p.Events, Cancel: m.Cancel}
			}
			// Opened first: the session's messages come after it.
			p.Events <- m
			ctx.Send(m.Session, &session.Admit{Handler: h})
		case *session.Closed:
			p.Events <- m
		}
	}))
	return p
}

// Collector is a session.Handler that copies every message to Out (it
// waits while Out is full: back pressure on the session, until Cancel).
type Collector struct {
	Session *actor.PID
	ZID     codec.ZenohID
	Out     chan<- any
	Cancel  <-chan struct{}
}

// Handle copies m to Out.
func (c *Collector) Handle(m *codec.NetworkMessage, reliable bool) error {
	select {
	case c.Out <- Msg{Session: c.Session, ZID: c.ZID, Reliable: reliable, M: Copy(m)}:
		return nil
	case <-c.Cancel:
		return session.ErrCanceled
	}
}

// EndRead does nothing.
func (c *Collector) EndRead() error { return nil }

// PushCounter is a session.Handler that counts the Pushes it receives
// in N and allocates nothing doing so: a receiving side that costs next
// to nothing, for benchmarks.
type PushCounter struct{ N *atomic.Int64 }

// Handle counts m if it is a Push.
func (c PushCounter) Handle(m *codec.NetworkMessage, _ bool) error {
	if m.ID == codec.MidPush {
		c.N.Add(1)
	}
	return nil
}

// EndRead does nothing.
func (PushCounter) EndRead() error { return nil }

// Copy deep-copies a network message (re-encoded, decoded from the copy).
func Copy(m *codec.NetworkMessage) codec.NetworkMessage {
	b := codec.AppendNetwork(nil, m)
	var c codec.NetworkMessage
	if _, err := codec.DecodeNetwork(b, &c); err != nil {
		panic(err)
	}
	return c
}

// Send pushes msgs on the reliable channel of the session o opened,
// waiting for room as Block congestion control does (nil cancel).
func Send(o *session.Opened, msgs ...codec.NetworkMessage) error {
	for i := range msgs {
		if err := o.Outbox.Push(&msgs[i], true, nil); err != nil {
			return err
		}
	}
	return nil
}
