package scout

import "net"

// Messages crossing the boundary between a responder and its parent (the
// node's session manager). The parent's package imports this one, never
// the reverse.

// ResponderJoined is sent by a responder to its parent once it has joined
// the multicast group and answers Scouts. Group is the group it joined;
// Interface names the interface it joined on ("" for the system default).
type ResponderJoined struct {
	Group     *net.UDPAddr
	Interface string
}

// ResponderFailed is sent by a responder to its parent just before it
// stops because it cannot scout: its config is unusable (ErrConfig), the
// kernel refused the multicast join (ErrJoin) or the group socket keeps
// failing (ErrRead). The node goes on without answering Scouts. The parent
// also sees *actor.Terminated if it watches the responder, possibly first:
// Terminated is a system message and overtakes user messages.
type ResponderFailed struct {
	Err error
}

// GetResponderStats asks a responder for its counters; it answers
// *ResponderStats to the sender (use ctx.Request or RequestFuture).
type GetResponderStats struct{}

// ResponderStats answers GetResponderStats. All counters are totals since
// the responder started.
type ResponderStats struct {
	Datagrams  uint64 // datagrams read from the group socket
	Bad        uint64 // datagrams that did not decode as a scouting message
	Scouts     uint64 // Scouts decoded
	Ignored    uint64 // decoded but not answered: a Hello, a Scout not asking for our role, or our own Scout
	Limited    uint64 // Scouts not answered because of the rate limits
	Hellos     uint64 // Hellos sent
	SendErrors uint64 // Hellos the kernel refused to send
}
