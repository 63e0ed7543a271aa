package link

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// TestLinkNoDirect: a DirectSource gets no direct write where the link
// cannot write without blocking: on datagrams, and on a connection with
// no file descriptor.
func TestLinkNoDirect(t *testing.T) {
	for _, tt := range []struct {
		name string
		conn func(t *testing.T) (local, peer net.Conn, info Info)
	}{
		{"udp", func(t *testing.T) (net.Conn, net.Conn, Info) {
			a, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := net.DialUDP("udp", nil, a.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close(); b.Close() })
			return b, a, connInfo("udp", b)
		}},
		{"pipe", func(t *testing.T) (net.Conn, net.Conn, Info) {
			a, b := net.Pipe()
			t.Cleanup(func() { a.Close(); b.Close() })
			return a, b, Info{Proto: "tcp", Local: "pipe", Remote: "pipe", Stream: true, MTU: TCPMTU}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sys := newSystem(t)
			local, peer, info := tt.conn(t)
			src := newDirectSource()
			_, linkPID, _ := spawnOwner(t, sys, Props(local, info, Config{Out: src}), false)
			// A pipe write waits for its reader.
			read := make(chan []byte, 1)
			go func() {
				buf := make([]byte, 100)
				n, _ := peer.Read(buf)
				read <- buf[:n]
			}()
			b := frame([]byte("x"))
			src.push(b)
			// The writer goroutine starts after SetDirect would have
			// been called, so once it has written the answer is known.
			if w := src.nextWritten(t); w.err != nil {
				t.Fatal(w.err)
			}
			select {
			case <-src.direct:
				t.Fatal("SetDirect called")
			default:
			}
			select {
			case got := <-read:
				if !bytes.Equal(got, b) {
					t.Fatalf("peer read %q", got)
				}
			case <-time.After(wait):
				t.Fatal("peer read nothing")
			}
			stop(t, sys, linkPID)
			checkNoGoroutines(t)
		})
	}
}

// TestLinkDirectWrite: on TCP a DirectSource gets a write that does not
// block. It writes a batch on the caller's goroutine when the socket
// takes it all (true, and the caller calls Written); otherwise (false)
// the writer goroutine writes the rest and calls Written itself.
func TestLinkDirectWrite(t *testing.T) {
	local, peer := tcpPair(t)
	if rawWriter(local) == nil {
		t.Skip("no non-blocking direct write on this platform (direct_other.go)")
	}
	// A small send buffer, so that the socket fills soon while the peer
	// does not read. (Not a small receive buffer at the peer: its window
	// would never open by a loopback MSS, and the writer would wait for
	// TCP's persist timer instead of a window update.)
	_ = local.SetWriteBuffer(4 << 10)
	sys := newSystem(t)
	src := newDirectSource()
	_, linkPID, _ := spawnOwner(t, sys, Props(local, connInfo("tcp", local), Config{Out: src}), false)
	var write func([][]byte) bool
	select {
	case write = <-src.direct:
	case <-time.After(wait):
		t.Fatal("no SetDirect on a TCP link")
	}
	if write == nil {
		t.Fatal("SetDirect(nil)")
	}

	// An idle socket takes a small batch whole.
	hello := frame([]byte("hello"))
	if !write([][]byte{hello}) {
		t.Fatal("direct write of a small batch on an idle socket returned false")
	}
	if got := readExactly(t, peer, len(hello)); !bytes.Equal(got, hello) {
		t.Fatalf("peer read %q", got)
	}

	// Fill the socket: the peer does not read. The write that does not
	// fit returns false and the writer goroutine finishes it.
	var stream []byte
	var last []byte
	for i := 0; ; i++ {
		if i == 4096 {
			t.Fatal("64 MiB written directly and the socket is not full")
		}
		b := frame(bytes.Repeat([]byte{byte(i)}, 16<<10))
		stream = append(stream, b...)
		if !write([][]byte{b}) {
			last = b
			break
		}
	}
	if got := readExactly(t, peer, len(stream)); !bytes.Equal(got, stream) {
		t.Fatal("peer read other bytes than written directly")
	}
	w := src.nextWritten(t)
	if w.err != nil || len(w.bufs) != 1 || &w.bufs[0][0] != &last[0] {
		t.Fatalf("Written = %d bufs, %v; want the batch the socket did not take", len(w.bufs), w.err)
	}

	// Two batches: a direct write takes only the first; the writer
	// goroutine writes the second and hands both back.
	two := [][]byte{frame([]byte("one")), frame([]byte("two"))}
	if write(two) {
		t.Fatal("direct write of two batches returned true")
	}
	if got := readExactly(t, peer, len(two[0])+len(two[1])); !bytes.Equal(got, frames([]byte("one"), []byte("two"))) {
		t.Fatalf("peer read %q", got)
	}
	w = src.nextWritten(t)
	if w.err != nil || len(w.bufs) != 2 || &w.bufs[0][0] != &two[0][0] || &w.bufs[1][0] != &two[1][0] {
		t.Fatalf("Written = %d bufs, %v; want the two batches", len(w.bufs), w.err)
	}

	// The writer goroutine still serves the Source.
	b := frame([]byte("pulled"))
	src.push(b)
	if w := src.nextWritten(t); w.err != nil {
		t.Fatal(w.err)
	}
	if got := readExactly(t, peer, len(b)); !bytes.Equal(got, b) {
		t.Fatalf("peer read %q", got)
	}
	select {
	case w := <-src.written:
		t.Fatalf("an extra Written of %d bufs (%v)", len(w.bufs), w.err)
	default:
	}
	stop(t, sys, linkPID)
	checkNoGoroutines(t)
}

// TestLinkDirectAfterWriteDeadline: a direct write after the link was
// quiet for longer than WriteTimeout goes through. The writer goroutine
// leaves its last deadline armed; an expired one must not fail a write
// that never waits.
func TestLinkDirectAfterWriteDeadline(t *testing.T) {
	local, peer := tcpPair(t)
	if rawWriter(local) == nil {
		t.Skip("no non-blocking direct write on this platform (direct_other.go)")
	}
	sys := newSystem(t)
	src := newDirectSource()
	const timeout = 10 * time.Millisecond
	ownerPID, linkPID, out := spawnOwner(t, sys, Props(local, connInfo("tcp", local), Config{Out: src, WriteTimeout: timeout}), false)
	var write func([][]byte) bool
	select {
	case write = <-src.direct:
	case <-time.After(wait):
		t.Fatal("no SetDirect on a TCP link")
	}
	b := frame([]byte("through the writer"))
	src.push(b)
	if w := src.nextWritten(t); w.err != nil {
		t.Fatal(w.err)
	}
	readExactly(t, peer, len(b))
	// What is tested is time passing: the writer's deadline expires.
	<-time.After(5 * timeout)
	d := frame([]byte("direct"))
	if !write([][]byte{d}) {
		w := src.nextWritten(t)
		t.Fatalf("direct write after a quiet spell returned false; Written err %v", w.err)
	}
	if got := readExactly(t, peer, len(d)); !bytes.Equal(got, d) {
		t.Fatalf("peer read %q", got)
	}
	stop(t, sys, linkPID)
	for _, m := range drainOwner(t, sys, ownerPID, out) {
		if f, ok := m.(*Failed); ok {
			t.Fatalf("link failed: %v", f.Err)
		}
	}
	checkNoGoroutines(t)
}
