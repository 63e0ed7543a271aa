package e2e

import (
	"sync"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// TestSubscriberLeavesUnderLoad: a subscriber's session ends while a
// publisher floods the router. What the router had routed to the dead
// session must not hold back the publisher's link: a new subscriber
// receives, and the publisher's session survives.
func TestSubscriberLeavesUnderLoad(t *testing.T) {
	r := startNode(t, codec.Router, nodeOpts{})
	pc := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	s1 := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	r.waitSessions(t, 2)
	pub, sub1 := pc.local(t), s1.local(t)
	sub1.declare(codec.DeclSubscriber, "load/**")
	connected(t, pub, sub1, "load/probe")

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // flood
		defer wg.Done()
		p := codec.Push{WireExpr: wire("load/x"), QoS: codec.DefaultQoS, Body: codec.Data{Kind: codec.MidPut,
			Payload: make([]byte, 512)}}
		for {
			select {
			case <-stop:
				return
			default:
			}
			_ = pub.face.Publish(&p, true, nil)
		}
	}()
	// Let the flood reach the subscriber, then kill it mid-stream.
	for range 100 {
		<-sub1.msgs
	}
	s1.Stop(0)
	r.waitSessions(t, 1)

	s2 := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	r.waitSessions(t, 2)
	sub2 := s2.local(t)
	sub2.declare(codec.DeclSubscriber, "load/**")
	sub2.nextPush(t)
	close(stop)
	wg.Wait()
	if s, _ := pc.Sessions(); len(s) != 1 {
		t.Fatalf("the publisher has %d sessions, want its one session kept", len(s))
	}
}
