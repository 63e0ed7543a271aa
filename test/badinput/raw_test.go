package badinput

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// rawOpts are what a raw client offers in its handshake.
type rawOpts struct {
	whatAmI   codec.WhatAmI
	qos       bool
	patch     uint64
	lease     time.Duration // announced in OpenSyn: the node expires us after it
	batch     uint16
	initialSN uint32
}

func defaultRawOpts() rawOpts {
	return rawOpts{whatAmI: codec.Client, qos: false, patch: 1, lease: time.Second, batch: codec.DefaultBatchSize}
}

// rawConn is a client that speaks the wire protocol over a plain TCP
// connection, to misbehave at will. Its drain goroutine reads whatever
// the node sends (so the node's writes never block on us) until the
// connection ends; done closes then.
type rawConn struct {
	c   net.Conn
	rd  *bufio.Reader
	zid codec.ZenohID

	// Agreed in the handshake.
	batch  uint16
	patch  uint64
	snMask uint32
	sn     [2]uint32 // next SN: [0] best effort, [1] reliable

	wmu sync.Mutex // orders writes from several goroutines

	done     chan struct{} // the drain goroutine ended
	readErr  error         // why it ended (valid after done)
	gotClose atomic.Bool   // the node sent a Close
	reason   atomic.Int32  // its reason
	subsIn   atomic.Int64  // DeclareSubscriber received
	unsubsIn atomic.Int64  // UndeclareSubscriber received
	// markersIn counts the DeclareSubscribers received whose key starts
	// with markerPrefix. markerPrefix and pushes are set before drain.
	markerPrefix string
	markersIn    atomic.Int64
	pushes       chan string // "KEY PAYLOAD" of the Pushes received, if not nil (drops when full)
	drained      bool        // drain was called
}

// dialRaw connects to the router at loc ("tcp/HOST:PORT").
func dialRaw(loc string) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(loc, "tcp/"), wait)
	if err != nil {
		return nil, err
	}
	return &rawConn{c: c, rd: bufio.NewReaderSize(c, 64<<10), zid: randomZID(), done: make(chan struct{})}, nil
}

// readBatch reads one length-prefixed batch.
func readBatch(rd *bufio.Reader, buf []byte) ([]byte, error) {
	var p [2]byte
	if _, err := io.ReadFull(rd, p[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint16(p[:]))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(rd, buf)
	return buf, err
}

// prefixed returns b with its 2-byte length prefix.
func prefixed(b []byte) []byte {
	out := make([]byte, 2, 2+len(b))
	binary.LittleEndian.PutUint16(out, uint16(len(b)))
	return append(out, b...)
}

// initSyn returns a valid InitSyn batch (without prefix) for o.
func (r *rawConn) initSyn(o rawOpts) []byte {
	return codec.AppendInit(nil, &codec.Init{Version: codec.ProtoVersion, WhatAmI: o.whatAmI, ZID: r.zid,
		Resolution: codec.DefaultResolution, BatchSize: o.batch, QoS: o.qos, Patch: o.patch})
}

// handshake runs InitSyn, InitAck, OpenSyn, OpenAck, each read within
// wait. A mutate function, if given, may rewrite the OpenSyn batch
// before it is sent; trailer is written right behind the OpenSyn, in the
// same write.
func (r *rawConn) handshake(o rawOpts, mutateOpen func([]byte) []byte, trailer []byte) error {
	_ = r.c.SetDeadline(time.Now().Add(wait))
	defer func() { _ = r.c.SetDeadline(time.Time{}) }()
	if _, err := r.c.Write(prefixed(r.initSyn(o))); err != nil {
		return fmt.Errorf("writing InitSyn: %w", err)
	}
	b, err := readBatch(r.rd, nil)
	if err != nil {
		return fmt.Errorf("reading InitAck: %w", err)
	}
	var tm codec.TransportMessage
	if _, err := codec.DecodeTransport(b, &tm); err != nil || tm.ID != codec.MidInit || !tm.Init.Ack {
		return fmt.Errorf("expected InitAck, got %x (%v)", b, err)
	}
	ack := tm.Init
	r.batch = min(o.batch, ack.BatchSize)
	r.patch = ack.Patch
	r.snMask = codec.SNMask(ack.Resolution.SNBits())
	r.sn = [2]uint32{o.initialSN, o.initialSN}
	open := codec.AppendOpen(nil, &codec.Open{Lease: o.lease, InitialSN: o.initialSN,
		Cookie: append([]byte(nil), ack.Cookie...)})
	if mutateOpen != nil {
		open = mutateOpen(open)
	}
	if _, err := r.c.Write(append(prefixed(open), trailer...)); err != nil {
		return fmt.Errorf("writing OpenSyn: %w", err)
	}
	b, err = readBatch(r.rd, b)
	if err != nil {
		return fmt.Errorf("reading OpenAck: %w", err)
	}
	if _, err := codec.DecodeTransport(b, &tm); err != nil || tm.ID != codec.MidOpen || !tm.Open.Ack {
		if err == nil && tm.ID == codec.MidClose {
			return fmt.Errorf("%w: Close reason %d", errRefused, tm.Close.Reason)
		}
		return fmt.Errorf("expected OpenAck, got %x (%v)", b, err)
	}
	return nil
}

var errRefused = errors.New("handshake refused")

// drain starts the goroutine that reads until the connection ends.
func (r *rawConn) drain() {
	r.drained = true
	go func() {
		defer close(r.done)
		var buf []byte
		var br codec.BatchReader
		var tm codec.TransportMessage
		var nm codec.NetworkMessage
		for {
			b, err := readBatch(r.rd, buf)
			if err != nil {
				r.readErr = err
				return
			}
			buf = b
			br.Reset(b)
			for br.Next(&tm) {
				switch tm.ID {
				case codec.MidClose:
					r.gotClose.Store(true)
					r.reason.Store(int32(tm.Close.Reason))
				case codec.MidFrame:
					for br.NextNetwork(&nm) {
						if nm.ID == codec.MidDeclare {
							switch nm.Declare.Body.Kind {
							case codec.DeclSubscriber:
								r.subsIn.Add(1)
								if r.markerPrefix != "" && bytes.HasPrefix(nm.Declare.Body.WireExpr.Suffix, []byte(r.markerPrefix)) {
									r.markersIn.Add(1)
								}
							case codec.UndeclSubscriber:
								r.unsubsIn.Add(1)
							}
						}
						if nm.ID == codec.MidPush && r.pushes != nil {
							select {
							case r.pushes <- string(nm.Push.WireExpr.Suffix) + " " + string(nm.Push.Body.Payload):
							default:
							}
						}
					}
				}
			}
		}
	}()
}

// write writes raw bytes (a deadline keeps a node that stopped reading
// from hanging the test; the error is then the node's doing).
func (r *rawConn) write(b []byte) error {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_ = r.c.SetWriteDeadline(time.Now().Add(wait))
	_, err := r.c.Write(b)
	return err
}

// writeBatch writes b with its length prefix.
func (r *rawConn) writeBatch(b []byte) error { return r.write(prefixed(b)) }

// nextSN returns the next SN of a reliability and advances it.
func (r *rawConn) nextSN(reliable bool) uint32 {
	i := 0
	if reliable {
		i = 1
	}
	s := r.sn[i]
	r.sn[i] = (s + 1) & r.snMask
	return s
}

// frames packs msgs into as few reliable Frame batches as the agreed
// batch size allows, each with the next SN.
func (r *rawConn) frames(msgs []codec.NetworkMessage) [][]byte {
	return r.framesOn(true, msgs)
}

// framesOn is frames on the reliable or the best-effort channel.
func (r *rawConn) framesOn(reliable bool, msgs []codec.NetworkMessage) [][]byte {
	limit := codec.MaxBatchPayload(r.batch, true)
	var out [][]byte
	var cur []byte
	hdr := 0
	for i := range msgs {
		m := codec.AppendNetwork(nil, &msgs[i])
		if cur != nil && len(cur)+len(m) > limit {
			out = append(out, cur)
			cur = nil
		}
		if cur == nil {
			cur = codec.AppendFrameHeader(make([]byte, 0, limit), &codec.Frame{Reliable: reliable, SN: r.nextSN(reliable), Priority: codec.PriorityData})
			hdr = len(cur)
		}
		cur = append(cur, m...)
	}
	if cur != nil && len(cur) > hdr {
		out = append(out, cur)
	}
	return out
}

// fragment returns one reliable Fragment batch with the next SN.
func (r *rawConn) fragment(first, more bool, payload []byte) []byte {
	return r.appendFragment(nil, first, more, payload)
}

// appendFragment appends one reliable Fragment with the next SN to dst.
func (r *rawConn) appendFragment(dst []byte, first, more bool, payload []byte) []byte {
	f := codec.Fragment{Reliable: true, More: more, SN: r.nextSN(true), Priority: codec.PriorityData,
		First: first && r.patch >= 1, Payload: payload}
	return codec.AppendFragment(dst, &f)
}

// waitClosed waits up to d for the node to end the connection. It
// reports whether the node did; if not, it closes the connection itself.
// Either way the drain goroutine has ended when it returns.
func (r *rawConn) waitClosed(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.done:
		_ = r.c.Close()
		return true
	case <-t.C:
		r.closeAndWait()
		return false
	}
}

// close closes the connection.
func (r *rawConn) close() { _ = r.c.Close() }

// closeAndWait closes the connection and waits for the drain goroutine,
// if it was started.
func (r *rawConn) closeAndWait() {
	r.close()
	if r.drained {
		<-r.done
	}
}

// rawSession opens a raw client session with a one-minute lease (no
// KeepAlives needed during a test), sends msgs, and starts reading
// unless read is false.
func rawSession(t *testing.T, loc string, read bool, msgs ...codec.NetworkMessage) *rawConn {
	t.Helper()
	raw, err := dialRaw(loc)
	if err != nil {
		t.Fatal(err)
	}
	o := defaultRawOpts()
	o.lease = time.Minute
	if err := raw.handshake(o, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range raw.frames(msgs) {
		if err := raw.writeBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	raw.pushes = make(chan string, 64)
	if read {
		raw.drain()
	}
	t.Cleanup(raw.closeAndWait)
	return raw
}

// waitCounter polls until c reaches n or timeout passes.
func waitCounter(c *atomic.Int64, n int64, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for {
		v := c.Load()
		if v >= n || time.Now().After(deadline) {
			return v
		}
		<-time.After(5 * time.Millisecond)
	}
}

// sendAll writes msgs as reliable Frames.
func sendAll(t *testing.T, raw *rawConn, msgs []codec.NetworkMessage) int {
	t.Helper()
	bs := raw.frames(msgs)
	for _, b := range bs {
		if err := raw.writeBatch(b); err != nil {
			t.Fatal(err)
		}
	}
	return len(bs)
}
