package link

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
)

// udpListener spawns a UDP listener on 127.0.0.1 under a test owner and
// returns its PID, bound endpoint and the owner's channel.
func udpListener(t *testing.T, sys *actor.ActorSystem, cfg ListenerConfig) (ownerPID, lnPID *actor.PID, ep Endpoint, out chan any) {
	t.Helper()
	ownerPID, lnPID, out = spawnOwner(t, sys, ListenerProps(mustEndpoint(t, "udp/127.0.0.1:0"), cfg), false)
	ep = next[*Listening](t, out).Endpoint
	return ownerPID, lnPID, ep, out
}

func readDatagram(t *testing.T, c net.Conn) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 64<<10)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

func TestUDPListenerDemux(t *testing.T) {
	sys := newSystem(t)
	_, lnPID, ep, out := udpListener(t, sys, ListenerConfig{})
	if ep.Addr == "127.0.0.1:0" {
		t.Fatalf("Listening on %s", ep)
	}
	var clients [2]net.Conn
	for i := range clients {
		c, _, err := Dial(context.Background(), ep)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	// Each client sends two datagrams; each gets its own connection.
	conns := map[string]*Accepted{}
	for round := range 2 {
		for i, c := range clients {
			if _, err := c.Write([]byte{byte(i), byte(round)}); err != nil {
				t.Fatal(err)
			}
		}
		if round == 0 {
			for range clients {
				a := next[*Accepted](t, out)
				if a.Info.Proto != "udp" || a.Info.Stream || a.Info.MTU != udpLinkMTU || a.Info.Local != ep.Addr || a.Endpoint != ep {
					t.Fatalf("Accepted %+v on %s", a.Info, a.Endpoint)
				}
				conns[a.Info.Remote] = a
			}
		}
	}
	for i, c := range clients {
		a := conns[c.LocalAddr().String()]
		if a == nil {
			t.Fatalf("client %d (%s) not accepted: %v", i, c.LocalAddr(), conns)
		}
		for round := range 2 {
			if got := readDatagram(t, a.Conn); !bytes.Equal(got, []byte{byte(i), byte(round)}) {
				t.Fatalf("client %d's connection read %v", i, got)
			}
		}
		reply := []byte{'r', byte(i)}
		if _, err := a.Conn.Write(reply); err != nil {
			t.Fatal(err)
		}
		if got := readDatagram(t, c); !bytes.Equal(got, reply) {
			t.Fatalf("client %d got reply %v", i, got)
		}
	}
	// A read deadline interrupts a read.
	a0 := conns[clients[0].LocalAddr().String()]
	_ = a0.Conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	if _, err := a0.Conn.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	// Closing a connection frees its remote: the next datagram from it
	// makes a new connection.
	a0.Conn.Close()
	if _, err := a0.Conn.Read(make([]byte, 10)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if _, err := clients[0].Write([]byte("again")); err != nil {
		t.Fatal(err)
	}
	again := next[*Accepted](t, out)
	if again.Info.Remote != a0.Info.Remote || again.Conn == a0.Conn {
		t.Fatalf("after close, Accepted %+v", again.Info)
	}
	if got := readDatagram(t, again.Conn); string(got) != "again" {
		t.Fatalf("read %q", got)
	}
	if s := listenerStats(t, sys, lnPID); s.Accepted != 3 || s.Remotes != 2 || s.DroppedQueueFull != 0 || s.DroppedTableFull != 0 {
		t.Fatalf("stats %+v", s)
	}
	// Stopping the listener fails the connections it carried.
	stop(t, sys, lnPID)
	if _, err := again.Conn.Read(make([]byte, 10)); !errors.Is(err, ErrListenerClosed) {
		t.Fatalf("read after the listener stopped: %v", err)
	}
	checkNoGoroutines(t)
}

func TestUDPListenerLimits(t *testing.T) {
	sys := newSystem(t)
	_, lnPID, ep, out := udpListener(t, sys, ListenerConfig{UDPMaxRemotes: 1, UDPQueueLen: 2})
	c1, _, err := Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	c2, _, err := Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	for i := range 5 {
		if _, err := c1.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	a := next[*Accepted](t, out)
	if _, err := c2.Write([]byte("full")); err != nil {
		t.Fatal(err)
	}
	// Wait until the listener has seen all six datagrams.
	want := ListenerStats{Accepted: 1, DroppedQueueFull: 3, DroppedTableFull: 1, Remotes: 1}
	deadline := time.Now().Add(wait)
	for {
		s := listenerStats(t, sys, lnPID)
		if *s == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v; want %+v", s, want)
		}
	}
	for i := range 2 {
		if got := readDatagram(t, a.Conn); !bytes.Equal(got, []byte{byte(i)}) {
			t.Fatalf("datagram %d: %v", i, got)
		}
	}
	stop(t, sys, lnPID)
	checkNoGoroutines(t)
}

// TestUDPLinks runs links at both ends of a UDP connection: a dialed,
// connected socket and a listener's virtual connection. The client
// switches its link to a sink after the first datagram.
func TestUDPLinks(t *testing.T) {
	sys := newSystem(t)
	srvOwner, _, ep, srvOut := udpListener(t, sys, ListenerConfig{})

	conn, info, err := Dial(context.Background(), ep)
	if err != nil {
		t.Fatal(err)
	}
	cliSrc := newTestSource()
	cliProps, cliApplied := appliedBatchSize(Props(conn, info, Config{Out: cliSrc}))
	_, cliLink, cliOut := spawnSinkOwner(t, sys, cliProps, &testSink{})

	// write pushes bufs at once and waits until the writer has written
	// them: one datagram each.
	write := func(src *testSource, bufs ...[]byte) {
		t.Helper()
		src.push(bufs...)
		for n := 0; n < len(bufs); {
			w := src.nextWritten(t)
			if w.err != nil {
				t.Fatal(w.err)
			}
			n += len(w.bufs)
		}
	}
	write(cliSrc, []byte("hello"))
	acc := next[*Accepted](t, srvOut)
	srvSrc := newTestSource()
	sys.Root.Send(srvOwner, func(ctx actor.Context) {
		srvOut <- &spawned{pid: ctx.Spawn(Props(acc.Conn, acc.Info, Config{Out: srvSrc}))}
	})
	next[*spawned](t, srvOut)
	write(srvSrc, []byte("welcome"))
	if r := next[*received](t, srvOut); len(r.batches) != 1 || string(r.batches[0]) != "hello" {
		t.Fatalf("server got %q", r.batches)
	}
	if d := collect(t, cliOut, 1); len(d.inbounds) != 1 || string(d.batches[0]) != "welcome" {
		t.Fatalf("client got %q", d.batches)
	}
	// Several batches in one Pull are still one datagram each: to the
	// client's sink, one read each.
	write(srvSrc, []byte("one"), []byte("two"), []byte("three"))
	d := collect(t, cliOut, 3)
	if d.sunk != 3 || d.ends != 3 {
		t.Fatalf("client sink: %d batches in %d reads; want 3 in 3", d.sunk, d.ends)
	}
	for i, want := range []string{"one", "two", "three"} {
		if string(d.batches[i]) != want {
			t.Fatalf("client got %q", d.batches)
		}
	}
	// A datagram is one batch, up to the link MTU, then up to the agreed
	// size; over it, the link fails.
	big := bytes.Repeat([]byte{7}, int(udpLinkMTU)+1)
	write(srvSrc, big[:udpLinkMTU])
	if d := collect(t, cliOut, 1); len(d.batches[0]) != int(udpLinkMTU) {
		t.Fatalf("client got %d bytes, want %d", len(d.batches[0]), udpLinkMTU)
	}
	setBatchSize(t, sys, cliLink, cliApplied, 1000)
	write(srvSrc, big[:1000])
	if d := collect(t, cliOut, 1); len(d.batches[0]) != 1000 {
		t.Fatalf("client got %d bytes, want 1000", len(d.batches[0]))
	}
	write(srvSrc, big[:1001])
	if f := failedAndTerminated(t, cliOut, cliLink); !errors.Is(f.Err, codec.ErrBatchTooLarge) {
		t.Fatalf("Failed: %v", f.Err)
	}
	stop(t, sys, srvOwner)
	checkNoGoroutines(t)
}
