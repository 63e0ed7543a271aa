// Package zenoh is a pure-Go Zenoh 1.x node with an embedding API in the
// style of zenoh's own: Open a Session (which runs a router, peer or
// client node of its own), then publish, subscribe, query and answer
// queries on key expressions.
//
//	cfg := zenoh.DefaultConfig()
//	cfg.Connect = []string{"tcp/127.0.0.1:7447"}
//	s, err := zenoh.Open(ctx, cfg)
//	if err != nil { ... }
//	defer s.Close()
//
//	sub, _ := s.DeclareSubscriber("demo/**", zenoh.FifoChannel(256))
//	go func() {
//		for smp := range sub.Chan() {
//			fmt.Println(smp.KeyExpr, string(smp.Payload))
//		}
//	}()
//	_ = s.Put("demo/hello", []byte("world"), zenoh.WithEncoding(zenoh.EncodingTextPlain))
//
//	q, _ := s.DeclareQueryable("demo/q", func(q *zenoh.Query) {
//		_ = q.Reply(q.KeyExpr(), []byte("answer"))
//	})
//	replies, _ := s.Get(ctx, "demo/q?x=1")
//	for r := range replies { ... }
//
// Publications cross no queue of the API: Put encodes the sample straight
// into the send queues of the sessions it goes to (one copy, no
// allocation with a Publisher), and a received sample is delivered on the
// goroutine that read it. Subscribers receive through a Callback (one
// call at a time, in order, on that goroutine), a LoanedCallback (the
// same, with the sample's bytes lent for the call: nothing copied), a
// bounded FifoChannel (a Block sample waits for room, a Drop one is
// dropped and counted) or a RingChannel (which drops the oldest).
// Congestion control is zenoh's: Drop waits wait_before_drop (1 ms) for
// room, Block up to wait_before_close (5 s), after which the peer that
// takes nothing is closed. Session.Stats and Subscriber.Dropped count
// every sample dropped. Queryable callbacks, Get replies and liveliness
// events run on the session's dispatch goroutine: keep queryable
// callbacks short, and never wait there for a Get. A session's own
// publications reach its own matching subscribers, and its Gets its own
// matching queryables, as in zenoh.
package zenoh
