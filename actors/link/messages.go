package link

import (
	"net"

	"github.com/asynkron/protoactor-go/actor"
)

// Messages crossing the boundary between a link and its owner (the session
// actor that spawned it) or between a listener and its parent. The owner's
// package imports this one, never the reverse.

// Inbound is one read's worth of complete batches during the handshake,
// sent by a link's reader to the link's owner: Data holds the batches
// back to back, each preceded by its 2-byte little-endian length (on
// datagram links too, so that owners walk both kinds alike with Batches).
// The reader waits until the owner calls Release or Switch, then reads
// on: the owner sees the handshake one read at a time.
type Inbound struct {
	Link *actor.PID
	Data []byte
	back chan Sink
}

// Batches calls fn for each batch in m, in order. The slices alias m.Data
// and are valid until Release or Switch.
func (m *Inbound) Batches(fn func(batch []byte) error) error {
	d := m.Data
	for len(d) >= 2 {
		n := int(d[0]) | int(d[1])<<8
		if len(d) < 2+n {
			break
		}
		if err := fn(d[2 : 2+n : 2+n]); err != nil {
			return err
		}
		d = d[2+n:]
	}
	return nil
}

// Release lets the reader read on, still handing reads to the owner.
// Call Release or Switch exactly once, and keep neither m nor slices of
// m.Data afterwards: the reader reuses its buffer.
func (m *Inbound) Release() { m.Switch(nil) }

// Switch lets the reader read on and hand every batch from now on to s
// on its own goroutine (nil: as Release). Batches of the current read
// that m did not hold go to s too.
func (m *Inbound) Switch(s Sink) {
	if m.back != nil {
		m.back <- s
		m.back = nil
		m.Data = nil
	}
}

// Rejected is sent by a link to its owner when its Sink returned an error:
// the reader has stopped, the connection is still open for writing. Err
// is the sink's.
type Rejected struct {
	Link *actor.PID
	Err  error
}

// SetBatchSize tells a link the batch size agreed in the handshake, the
// largest batch (prefix included on streams) its reader then accepts.
type SetBatchSize struct {
	Size uint16
}

// Failed is sent by a link to its owner just before it stops because its
// connection failed: a read or write error, the peer closing, or bytes that
// cannot be framed. The owner also sees *actor.Terminated, possibly
// first: Terminated is a system message, and those overtake the user
// messages waiting in the owner's mailbox.
type Failed struct {
	Link *actor.PID
	Err  error
}

// Listening is sent by a listener to its parent once it is bound.
// Endpoint is the one it was given with the address actually bound (the
// port chosen by the system for port 0); Metadata and Config are kept.
type Listening struct {
	Endpoint Endpoint
}

// ListenFailed is sent by a listener to its parent when it cannot listen
// (address in use, unsupported protocol...) or when accepting fails for
// good; the listener then stops.
type ListenFailed struct {
	Endpoint Endpoint
	Err      error
}

// GetStats asks a listener for its counters; it answers ListenerStats.
type GetStats struct{}

// ListenerStats answers GetStats.
type ListenerStats struct {
	Accepted uint64 // connections (UDP: remote addresses) handed to the parent
	// UDP only: datagrams dropped because the table of remotes was full,
	// and because a remote's queue (or the listener's byte budget) was full.
	DroppedTableFull uint64
	DroppedQueueFull uint64
	Remotes          int // UDP only: remotes in the table now
}

// Accepted is sent by a listener to its parent for each new connection.
// The parent owns Conn from then on (it normally spawns a session actor
// that spawns the link) and closes it when it does not want it. For UDP,
// Conn is a virtual connection to one remote address over the listener's
// socket: its Read returns one datagram, its Write sends one.
type Accepted struct {
	Conn     net.Conn
	Info     Info
	Endpoint Endpoint
}

// Info describes one connected link.
type Info struct {
	Proto  string // "tcp" or "udp"
	Local  string // local address, host:port
	Remote string // remote address, host:port
	Stream bool   // stream framing (2-byte length prefixes)
	MTU    uint16 // largest batch the link can carry (prefix included)
}
