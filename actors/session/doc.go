// Package session runs Zenoh unicast sessions (spec/transport.md sections
// 5 and 6): one session actor per remote node, owning its link, with the
// protocol itself in plain structs that test without sockets or actors.
//
// # Protocol core (no goroutines, no I/O)
//
//   - Establishment (establish.go, cookie.go): an Acceptor per node answers
//     InitSyn and OpenSyn without keeping state between them (the state
//     travels in a cookie sealed with HMAC-SHA256 over the negotiated
//     values, an expiry, a nonce and the link's addresses, so a forged,
//     expired, copied or replayed cookie is refused); an Opener per
//     outgoing link drives InitSyn, InitAck, OpenSyn, OpenAck. Both end
//     with an Established: batch size, resolution, QoS, patch level,
//     leases and initial sequence numbers.
//   - RX (rx.go, walker.go): the Walker takes the batches of the data
//     phase, applies the sequence-number window of each channel (8
//     priorities × reliable and best effort), reassembles fragments under
//     a memory cap, and hands every network message, decoded once and in
//     place, to a Handler.
//   - TX (tx.go, outbox.go): the Outbox is the session's send stage. Any
//     goroutine pushes network messages into it; they are encoded at once
//     into per-priority batches (one Frame per batch, Fragments for what
//     does not fit) that the link's writer pulls, several per system
//     call. Batching happens only while the link is busy: an idle writer
//     is woken at once, and a publisher finding the link quiet writes
//     itself. Congestion control is zenoh's: Drop waits at most
//     wait_before_drop, Block up to wait_before_close, after which the peer
//     is unresponsive; the router's control messages are parked, never
//     waited for.
//   - Lease (lease.go): a KeepAlive after a quarter of the lease without
//     sending; the link is dead after the peer's lease without receiving.
//
// A misbehaving peer yields an error, never a panic; errors that end the
// link are *CloseError values naming the reason to send in Close first.
//
// # Actors
//
//   - The session actor (session.go, Props) spawns its link (package link)
//     as a child, runs the handshake as opener or acceptor, reports Opened
//     (with its Outbox) and waits for Admit, which names the Handler of
//     its messages (the router's face). It then walks what came with the
//     end of the handshake and switches its link's reader to the Walker:
//     from then on data never crosses the actor, which keeps the lease,
//     the keep-alives, the close and the supervision of its link.
//   - The Manager (manager.go, ManagerProps) is a node's session
//     supervisor: it spawns a listener per listen endpoint and a dialer per
//     connect endpoint, a session per accepted connection (bounded by
//     MaxHandshakes), keeps one session per peer ZenohId (a newer one
//     replaces the older), and forwards Opened and Closed to the Handler.
//     Shutdown closes every session with Close(GENERIC).
//   - A dialer (dialer.go, DialerProps) connects, owns the session it
//     opens, and when that session ends or the connection fails, tries
//     again after an exponential backoff with jitter (100 ms to 4 s).
//
// A link failure stops the link, which stops its session; the session
// reports Closed with the reason exactly once for every Opened.
package session
