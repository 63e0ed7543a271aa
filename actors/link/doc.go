// Package link carries batches over TCP and UDP: endpoints
// (ParseEndpoint), dialing (Dial), listeners (ListenerProps) and links
// (Props). It knows nothing of the messages inside the batches; the
// session actor above it does (spec/transport.md 3).
//
// A link is an actor that owns one connection. Its owner, the session
// actor, spawns it as a child, writes through it and hears from it;
// messages.go lists what crosses between them.
//
// # Read path and back pressure
//
// On *actor.Started the link starts a reader goroutine, which reads the
// connection until it fails or the link stops. On a stream (TCP) it feeds
// each read to a codec.StreamFramer, which cuts batches at their 2-byte
// length prefixes whatever the read sizes; on a datagram link (UDP) each
// datagram is one batch. The complete batches of one read are copied,
// each with its 2-byte prefix, into one buffer from the link's bounded
// pool (Config.Buffers) and sent to the owner as one *Inbound. The owner
// walks them with Inbound.Batches and calls Release when done. When every
// buffer is with the owner the reader stops reading: the kernel's receive
// buffer fills, and TCP's flow control stalls the peer's writes. A length
// prefix above the agreed batch size (SetBatchSize; the link MTU until
// then) cannot be resynchronised, so, like a read error or the peer
// closing, it fails the link: the link sends *Failed to the owner and
// stops, and the owner, which watches its children, also sees
// *actor.Terminated. Stopping the link closes the connection and waits for
// the reader to exit.
//
// # Write path
//
// The owner sends *Write with ctx.Request: the link writes the batch in
// one call, under Config.WriteTimeout, and answers *Written with the
// buffer for reuse. One write at a time per link, and a slow peer blocks
// only its own link's mailbox. A failed write fails the link.
//
// # Listeners
//
// A listener actor binds its endpoint, tells its parent *Listening with
// the bound address (or *ListenFailed), and hands each new connection to
// the parent as *Accepted. A UDP listener reads all datagrams on one
// socket and demultiplexes them by remote address into virtual
// connections, one per remote, with bounded tables and queues: UDP may
// drop, so the listener drops rather than grows.
package link
