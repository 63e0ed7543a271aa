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
// Subscribers receive through a Callback, a bounded FifoChannel (which
// drops new samples when full) or a RingChannel (which drops the
// oldest). Every callback runs on the session's single dispatch
// goroutine: keep callbacks short, and never wait there for a Get.
// A session's own publications reach its own matching subscribers, and
// its Gets its own matching queryables, as in zenoh.
package zenoh
