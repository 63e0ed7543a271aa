// Package faultproxy is a TCP proxy for tests that injects network faults at
// run time: added latency, a bandwidth cap, stalls, cut connections and
// partitions. Multi-node tests put one in front of a node's listener and
// give its peers the proxy's endpoint instead of the node's.
//
// A Proxy listens on 127.0.0.1 (an ephemeral port) and forwards each
// accepted connection to one target address. Every connection gets two
// directions: up (client to target) and down (target to client). Each
// direction has a reader goroutine, which reads into a fixed 32 KiB buffer
// and queues a copy of what it read with a timestamp, and a writer
// goroutine, which writes queued chunks once their delay has passed and the
// token bucket allows. The queue holds at most 64 chunks; when it is full
// the reader stops reading, so TCP back pressure reaches the sender and
// memory stays bounded (at most about 2 MiB per direction).
//
// Faults apply to every connection, current and future, as soon as they
// are set:
//
//   - SetDelay adds one-way latency to each chunk, in both directions;
//     order is kept.
//   - SetBandwidth caps each direction of each connection.
//   - Stall stops forwarding and reading until it is lifted; connections
//     stay open and nothing is lost. A read already in progress when the
//     stall begins completes, and its chunk waits in the queue.
//   - Cut resets every current connection, both sides (RST, not FIN).
//   - Partition cuts, then resets new connections right after accepting
//     them until it is lifted.
//
// When one side closes its connection (or it fails), the proxy forwards
// what that side sent before closing, then closes the other side: it does
// not keep half-open connections.
//
// # Usage
//
//	p, err := faultproxy.New(nodeAddr)
//	if err != nil {
//		t.Fatal(err)
//	}
//	defer p.Close()
//	cfg.Connect = []string{p.Endpoint()}
//	...
//	p.Partition(true)  // the peer loses its link and cannot redial
//	...                // wait for the routes to converge
//	p.Partition(false) // the peer redials
//
// Close stops listening, closes every connection and waits for all the
// proxy's goroutines to end, so tests that check for leaks with goleak
// pass.
package faultproxy
