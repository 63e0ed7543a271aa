package e2e

import (
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// TestClientRestoresDeclarationsOnReconnect: a client's subscriber keeps
// receiving after its router restarts: the client reconnects and declares
// it again.
func TestClientRestoresDeclarationsOnReconnect(t *testing.T) {
	r := startNode(t, codec.Router, nodeOpts{})
	c1 := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	c2 := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	r.waitSessions(t, 2)
	sub, pub := c1.local(t), c2.local(t)
	sub.declare(codec.DeclSubscriber, "c/**")
	connected(t, pub, sub, "c/probe")
	expectOnce(t, pub, "c/x", 100, []*local{sub}, nil)

	r.Stop(0)
	c1.waitSessions(t, 0)
	r = startNode(t, codec.Router, nodeOpts{zid: r.ZID, listen: r.ep})
	r.waitSessions(t, 2)
	connected(t, pub, sub, "c/probe")
	expectOnce(t, pub, "c/y", 100, []*local{sub}, nil)
}

// TestClientWriteFilter: a client sends nothing to its router while no
// subscriber matches (it learned the router's subscribers through its
// interest).
func TestClientWriteFilter(t *testing.T) {
	r := startNode(t, codec.Router, nodeOpts{})
	c := startNode(t, codec.Client, nodeOpts{connect: []string{r.ep}})
	r.waitSessions(t, 1)
	pub := c.local(t)
	watcher := r.local(t)
	watcher.declare(codec.DeclSubscriber, "w/a")
	connected(t, pub, watcher, "w/a")
	expectOnce(t, pub, "w/a", 10, []*local{watcher}, nil)
	pub.put("w/b", "filtered") // no subscriber: not even sent to the router
	expectOnce(t, pub, "w/a", 1, []*local{watcher}, nil)
}

// TestPeersNoForwarding: three of our peers fully connected; each
// delivers what it publishes to the others once, and never forwards
// between them.
func TestPeersNoForwarding(t *testing.T) {
	p0 := startNode(t, codec.Peer, nodeOpts{})
	p1 := startNode(t, codec.Peer, nodeOpts{connect: []string{p0.ep}})
	p2 := startNode(t, codec.Peer, nodeOpts{connect: []string{p0.ep, p1.ep}})
	for _, p := range []*node{p0, p1, p2} {
		p.waitSessions(t, 2)
	}
	ls := []*local{p0.local(t), p1.local(t), p2.local(t)}
	for _, l := range ls {
		l.declare(codec.DeclSubscriber, "p/**")
	}
	allToAll(t, ls, "p/probe", "p/x", 50, nil)
}

// TestPeerLineDoesNotRoute: in a line of peers p0 - p1 - p2, p1 does not
// route: p2 never gets what p0 publishes, p1 does.
func TestPeerLineDoesNotRoute(t *testing.T) {
	p0 := startNode(t, codec.Peer, nodeOpts{})
	p1 := startNode(t, codec.Peer, nodeOpts{connect: []string{p0.ep}})
	p2 := startNode(t, codec.Peer, nodeOpts{connect: []string{p1.ep}})
	p1.waitSessions(t, 2)
	pub, mid, far := p0.local(t), p1.local(t), p2.local(t)
	mid.declare(codec.DeclSubscriber, "n/**")
	far.declare(codec.DeclSubscriber, "n/**")
	connected(t, pub, mid, "n/probe")
	expectOnce(t, pub, "n/x", 50, []*local{mid}, []*local{far})
}
