package zenoh_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gozenoh/zenoh"
)

// A session publishes to its own subscriber and queries its own
// queryable; with Listen and Connect endpoints the same calls reach
// other nodes.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := zenoh.DefaultConfig()
	cfg.MulticastScouting = false
	s, err := zenoh.Open(ctx, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()

	sub, _ := s.DeclareSubscriber("demo/example/**", zenoh.FifoChannel(16))
	_ = s.Put("demo/example/hello", []byte("world"), zenoh.WithEncoding(zenoh.EncodingTextPlain))
	smp := <-sub.Chan()
	fmt.Println(smp.Kind, smp.KeyExpr, string(smp.Payload), smp.Encoding)

	_, _ = s.DeclareQueryable("demo/example/q", func(q *zenoh.Query) {
		_ = q.Reply(q.KeyExpr(), []byte("answer to "+q.Parameters()))
	})
	replies, _ := s.Get(ctx, "demo/example/q?x=1")
	for r := range replies {
		fmt.Println(r.Sample.KeyExpr, string(r.Sample.Payload))
	}
	// Output:
	// PUT demo/example/hello world text/plain
	// demo/example/q answer to x=1
}
