// Package scout finds zenoh nodes by UDP multicast scouting
// (spec/transport.md 7): a node that wants to connect sends a Scout to the
// group 224.0.0.224:7446 asking for some roles, and the nodes of those
// roles answer with a Hello, by unicast, listing their id, role and the
// locators they listen on.
//
// # Answering: the responder actor
//
// ResponderProps builds an actor that joins the group and answers. A
// gozenoh router must answer Scouts asking for routers, as pico clients
// without a connect endpoint find their router that way; peers and
// clients may answer too. The session manager spawns it as a child. On
// *actor.Started it joins the group (net.ListenMulticastUDP, which binds
// the port with SO_REUSEADDR so that several nodes on one host share it),
// opens a unicast socket for the Hellos and starts a reader goroutine.
// The reader decodes each datagram with the pure answerer (answer.go):
// malformed datagrams are counted and dropped, Hellos and Scouts for other
// roles or carrying the node's own ZID are ignored, and a Scout for our
// role gets one Hello back to its source address and port. A limiter
// allows one Hello per source per ResponderConfig.HelloInterval, remembers
// a bounded number of sources and caps the Hello rate overall, so spoofed
// Scouts cannot turn the responder into an amplifier. Listen locators on a
// wildcard address (tcp/[::]:7447) are rewritten to the local address that
// routes to the scouter. The parent gets *ResponderJoined, or
// *ResponderFailed when the kernel refuses the join: the node then runs
// without answering. Stopping the actor closes both sockets and waits for
// the reader.
//
// # Scouting: functions
//
// Stream, Scout, First and FirstRouter send Scouts from an ephemeral
// unicast socket, re-sending after 1 s, 2 s, 4 s, 8 s, 8 s... (Rust's
// schedule), and read the Hellos that come back on that socket until their
// context ends. They are plain blocking functions without goroutines of
// their own, for the session manager's dialer (a client or peer without a
// connect endpoint) to call from wherever it already waits.
//
// # Multicast and interfaces
//
// Multicast needs a multicast-capable interface and a route for
// 224.0.0.0/4 (Linux uses the default route). Datagrams a host sends to
// the group loop back to its own members, so nodes on one host find each
// other. Scouts go out with TTL 1, the kernel's default for multicast.
// On Linux the loopback interface can carry the group even without its
// MULTICAST flag when the responder joins on it and the scouter binds to
// 127.0.0.1 (ScoutConfig.Interface does that); the tests use it to stay
// off the network.
package scout
