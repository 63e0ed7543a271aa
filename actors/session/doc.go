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
//   - RX (rx.go): sequence-number acceptance per channel (8 priorities ×
//     reliable and best effort) and fragment reassembly under a memory cap.
//   - TX (tx.go): per-priority queues that pack network messages into one
//     Frame per batch, number Frames and Fragments, and fragment messages
//     larger than a batch. The writer pulls a batch whenever it is idle,
//     so batching happens only while the link is busy and no timer adds
//     latency.
//   - Lease (lease.go): a KeepAlive after a quarter of the lease without
//     sending; the link is dead after the peer's lease without receiving.
//
// A misbehaving peer yields an error, never a panic; errors that end the
// link are *CloseError values naming the reason to send in Close first.
//
// # Actors
//
//   - The session actor (session.go, Props) spawns its link (package link)
//     as a child, runs the handshake as opener or acceptor, then moves
//     batches: every read of the link arrives as one link.Inbound, whose
//     accepted Frames and reassembled messages go to the Handler as one
//     Received (still encoded, aliasing the link's buffer until Release).
//     Send carries network messages the other way; under Block congestion
//     control a full queue parks them until the writer frees room.
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
