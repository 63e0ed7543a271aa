// Package link carries batches over TCP and UDP: endpoints
// (ParseEndpoint), dialing (Dial), listeners (ListenerProps) and links
// (Props). It knows nothing of the messages inside the batches; the
// session actor above it does (spec/transport.md 3).
//
// A link is an actor that owns one connection and two goroutines, a
// reader and a writer. Its owner, the session actor, spawns it as a
// child; messages.go lists what crosses between them.
//
// # Read path
//
// On *actor.Started the link starts its reader, which reads the
// connection until it fails or the link stops. On a stream (TCP) it feeds
// each read to a codec.StreamFramer, which cuts batches at their 2-byte
// length prefixes whatever the read sizes; on a datagram link (UDP) each
// datagram is one batch. During the handshake the complete batches of a
// read are copied into an *Inbound sent to the owner, and the reader
// waits until the owner releases it: the owner sees the handshake one
// read at a time. Once the session is established the owner switches the
// reader to a Sink (Inbound.Switch): from then on the reader hands each
// batch to the sink in place, on its own goroutine, and calls EndRead
// after each read; no actor message is sent per read. A sink that waits
// (for room in another session's queue) stops the reader, so the kernel's
// receive buffer fills and TCP's flow control stalls the peer: back
// pressure. It must give up its waits when Config.Done closes, which the
// link does when it stops. A length prefix above the agreed batch size
// (SetBatchSize; the link MTU until then) cannot be resynchronised, so,
// like a read error or the peer closing, it fails the link: the link
// sends *Failed to the owner and stops, and the owner, which watches its
// children, also sees *actor.Terminated. A sink's error stops only the
// reader, reported as *Rejected: the owner may still write a Close.
//
// # Write path
//
// The writer drains a Source (Config.Out, the session's outbox): it
// sleeps until the source signals Ready, then pulls batches and writes
// them, several in one system call on streams (writev), until the source
// is empty, under Config.WriteTimeout per call. Batching thus happens
// while a write is in progress, and a lone batch goes out at once. A
// DirectSource also gets a non-blocking write function (TCP on Unix), so
// that a publisher finding the link quiet writes itself without waking
// the writer; what the socket does not take at once the writer finishes.
// A failed write fails the link.
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
