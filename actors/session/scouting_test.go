package session

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// loopbackGroup returns the loopback interface and a multicast group on a
// fresh port, or skips when the kernel refuses multicast on loopback.
func loopbackGroup(t *testing.T) (*net.Interface, string) {
	t.Helper()
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no loopback interface for multicast scouting: %v", err)
	}
	group := fmt.Sprintf("224.0.0.224:%d", 20000+rand.IntN(20000))
	addr, err := net.ResolveUDPAddr("udp4", group)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenMulticastUDP("udp4", lo, addr)
	if err != nil {
		t.Skipf("the kernel refuses multicast on loopback: %v", err)
	}
	c.Close()
	return lo, group
}

// TestClientScoutsForRouter: a client with no connect endpoint finds a
// router by multicast scouting and opens a session to it.
func TestClientScoutsForRouter(t *testing.T) {
	lo, group := loopbackGroup(t)
	sys := newSystem(t)
	scouting := func(c *ManagerConfig) {
		c.Scouting = ScoutingConfig{Multicast: true, Group: group, Interface: lo}
	}
	a := startNode(t, sys, codec.Router, []string{"tcp/127.0.0.1:0"}, nil, scouting)
	a.listening(t, sys, 1)
	b := startNode(t, sys, codec.Client, nil, nil, scouting)
	ob := wait(t, b.events, 10*time.Second, func(*Opened) bool { return true })
	if ob.ZID != a.zid || ob.WhatAmI != codec.Router {
		t.Fatalf("client opened a session with %v (%v)", ob.ZID, ob.WhatAmI)
	}
	oa := wait(t, a.events, 5*time.Second, func(*Opened) bool { return true })
	if oa.ZID != b.zid {
		t.Fatalf("router saw %v", oa.ZID)
	}
}
