package e2e

import (
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// mesh starts n routers and links them as edges says (i dials j).
func mesh(t *testing.T, n int, edges [][2]int) []*node {
	t.Helper()
	rs := make([]*node, n)
	for i := range rs {
		var connect []string
		for _, e := range edges {
			if e[0] == i && e[1] < i {
				connect = append(connect, rs[e[1]].ep)
			}
		}
		rs[i] = startNode(t, codec.Router, nodeOpts{connect: connect})
	}
	for i, r := range rs {
		deg := 0
		for _, e := range edges {
			if e[0] == i || e[1] == i {
				deg++
			}
		}
		r.waitSessions(t, deg)
	}
	return rs
}

func TestMeshLineOfThree(t *testing.T) {
	rs := mesh(t, 3, [][2]int{{1, 0}, {2, 1}})
	pub, mid, sub := rs[0].local(t), rs[1].local(t), rs[2].local(t)
	sub.declare(codec.DeclSubscriber, "demo/**")
	connected(t, pub, sub, "demo/probe")
	expectOnce(t, pub, "demo/x", 100, []*local{sub}, []*local{mid})
}
