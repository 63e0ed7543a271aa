package badinput

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
)

// rxLimits are the reassembly limits of every session of a node started
// by zenoh.Open, which does not change them.
var rxLimits = session.DefaultRXConfig()

// fragPayload is the payload of each flood fragment: a full 64 KiB batch.
const fragPayload = 65520

// heapPeak samples HeapInuse every 10 ms until stop, to catch what the
// node holds while a flood runs (a sampler, not a wait for an event).
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
	stop chan struct{}
	done chan struct{}
}

func startHeapPeak() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			h.mu.Lock()
			h.peak = max(h.peak, ms.HeapInuse)
			h.mu.Unlock()
			select {
			case <-h.stop:
				return
			case <-tk.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// floodFragments sends total bytes of fragments of one message that is
// never finished (More=1 throughout; First on the first).
func floodFragments(raw *rawConn, total int) error {
	payload := bytes.Repeat([]byte{0xa5}, fragPayload)
	buf := make([]byte, 0, 2+fragPayload+16) // reused: the test's own garbage would blur the node's heap
	for sent := 0; sent < total; sent += fragPayload {
		buf = raw.appendFragment(buf[:2], sent == 0, true, payload)
		binary.LittleEndian.PutUint16(buf, uint16(len(buf)-2))
		if err := raw.write(buf); err != nil {
			return fmt.Errorf("after %s of fragments: %w (Close received %v)", mibs(int64(sent)), err, raw.gotClose.Load())
		}
	}
	return nil
}

// fragmentedPut sends a Put of payload on key as a fragmented message.
func fragmentedPut(t *testing.T, raw *rawConn, key string, payload []byte) {
	t.Helper()
	m := putMsg(key, payload)
	msg := codec.AppendNetwork(nil, &m)
	for off := 0; off < len(msg); off += fragPayload {
		end := min(off+fragPayload, len(msg))
		if err := raw.writeBatch(raw.fragment(off == 0, end < len(msg), msg[off:end])); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFragmentFlood sends a router one fragmented message that never
// ends: ~1 GiB of fragments with More=1 (160 MiB unless -badinput is
// 30 s or more), 16 times the reassembly limit. The router must drop it
// once past MaxMessage (64 MiB) and release the buffer while the chain
// goes on, keep the heap bounded, keep the session, deliver a proper
// fragmented message on the same channel afterwards, and keep serving
// the good stream.
func TestFragmentFlood(t *testing.T) {
	total := 160 * mib
	if *badinputFor >= 30*time.Second {
		total = 1 << 30
	}
	logger, logs := newLogger("[ACTOR] Recovering", "oversize", "Oversize", "too large", "reassembl", "fragment")
	_, loc := startRouter(t, logger)
	good := startGoodStream(t, loc, "good/k", 2*time.Millisecond)
	okSub := openClient(t, loc)
	okPayload := bytes.Repeat([]byte("0123456789abcdef"), 200000/16)
	got := make(chan []byte, 4)
	if _, err := okSub.DeclareSubscriber("frag/**", zenoh.Callback(func(s zenoh.Sample) {
		select {
		case got <- s.Payload:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}

	raw := rawSession(t, loc, true) // patch 1: First markers
	base := heapInuse()
	peak := startHeapPeak()
	start := time.Now()

	// Twice the limit: the node is long past it and skips the rest.
	half := 2 * rxLimits.MaxMessage
	if err := floodFragments(raw, half); err != nil {
		t.Fatal(err)
	}
	mid := heapInuse()
	if err := floodFragments(raw, total-half); err != nil {
		t.Fatal(err)
	}
	// M=0 ends the message being skipped.
	if err := raw.writeBatch(raw.fragment(false, false, []byte{0})); err != nil {
		t.Fatal(err)
	}
	sent := time.Since(start)

	// A proper fragmented message on the same channel goes through: the
	// node has handled the whole chain, and recovered.
	fragmentedPut(t, raw, "frag/ok", okPayload)
	select {
	case p := <-got:
		if !bytes.Equal(p, okPayload) {
			t.Errorf("frag/ok delivered with %d bytes, want %d", len(p), len(okPayload))
		}
	case <-raw.done:
		t.Fatalf("the router closed the session (read: %v, Close received %v reason %d)", raw.readErr, raw.gotClose.Load(), raw.reason.Load())
	case <-time.After(wait):
		t.Fatalf("a fragmented Put sent after the flood was not delivered within %v", wait)
	}
	took := time.Since(start)
	pk := peak.end()
	after := heapInuse()

	recv := good.finish(t)
	if c, first := logs.count("[ACTOR] Recovering"); c > 0 {
		t.Errorf("%d actor panics, first: %s", c, first)
	}
	// While the chain went on past the limit, the buffer was released.
	if g := int64(mid) - int64(base); g > 16*mib {
		t.Errorf("heap in use %s above the start after %s of an unfinished message (limit %s): the dropped message is still held",
			mibs(g), mibs(int64(half)), mibs(int64(rxLimits.MaxMessage)))
	}
	if g := int64(after) - int64(base); g > 16*mib {
		t.Errorf("heap in use %s above the start after the flood", mibs(g))
	}
	// The peak includes garbage the collector has not reclaimed yet; it
	// must not follow the 1 GiB the chain claimed.
	if g := int64(pk) - int64(base); g > 4*int64(rxLimits.MaxMessage) {
		t.Errorf("heap in use peaked %s above the start during the flood (reassembly limit %s)", mibs(g), mibs(int64(rxLimits.MaxMessage)))
	}
	t.Logf("%s of fragments of one message in %v (%.0f MiB/s), then a 200 kB fragmented Put delivered after %v",
		mibs(int64(total)), sent.Round(time.Millisecond), float64(total)/mib/sent.Seconds(), took.Round(time.Millisecond))
	t.Logf("heap in use: %s at the start, %s after %s (GC), peak %s, %s after (GC); good stream: %d samples in order",
		mibs(int64(base)), mibs(int64(mid)), mibs(int64(half)), mibs(int64(pk)), mibs(int64(after)), recv)

	t.Run("logged", func(t *testing.T) {
		for _, w := range []string{"oversize", "Oversize", "too large", "reassembl", "fragment"} {
			if c, first := logs.count(w); c > 0 {
				t.Logf("logged: %s", first)
				return
			}
		}
		t.Skipf("BUG (missing log line): a fragmented message dropped for exceeding RXConfig.MaxMessage (%s) is only counted "+
			"(actors/session/rx.go RX.Fragment, Stats.Oversized); the node logs nothing, and the session actor "+
			"(actors/session/session.go dataBatch) does not look at the drop", mibs(int64(rxLimits.MaxMessage)))
	})
}

// putMsg is a Push of a Put of payload on key.
func putMsg(key string, payload []byte) codec.NetworkMessage {
	return codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{WireExpr: codec.WireExpr{Suffix: []byte(key)},
		QoS: codec.DefaultQoS, Body: codec.Data{Kind: codec.MidPut, Payload: payload}}}
}

// TestFragmentsHeldAcrossSessions parks an unfinished fragmented
// message just over half of MaxMessage in each of several sessions, and
// keeps them open. Each session stays within its own limits, so nothing
// is dropped: what the node holds then is the sum over sessions, which no
// node-wide budget bounds. The test measures it and skips, naming the
// missing limit, when it exceeds one session's MaxBuffered.
func TestFragmentsHeldAcrossSessions(t *testing.T) {
	const sessions = 4
	logger, _ := newLogger()
	r, loc := startRouter(t, logger)
	probes := make(chan string, sessions+1)
	sub := openClient(t, loc)
	if _, err := sub.DeclareSubscriber("probe/*", zenoh.Callback(func(s zenoh.Sample) {
		select {
		case probes <- s.KeyExpr:
		default:
		}
	})); err != nil {
		t.Fatal(err)
	}
	// The router knows the subscriber once a Put of its own reaches it.
	waitDelivery(t, r, "probe/router", probes)
	for len(probes) > 0 {
		<-probes
	}
	base := heapInuse()
	per := rxLimits.MaxMessage/2 + fragPayload
	start := time.Now()
	raws := make([]*rawConn, sessions)
	for i := range raws {
		raws[i] = rawSession(t, loc, true)
	}
	var wg sync.WaitGroup
	for i, raw := range raws {
		wg.Go(func() {
			if err := floodFragments(raw, per); err != nil {
				t.Error(err)
				return
			}
			// A best-effort Frame (another channel: the reassembly goes
			// on) behind the fragments: once it is routed, the node has
			// handled them.
			for _, b := range raw.framesOn(false, []codec.NetworkMessage{putMsg("probe/"+string(rune('a'+i)), []byte("p"))}) {
				if err := raw.writeBatch(b); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	timeout := time.After(wait)
	for range sessions {
		select {
		case <-probes:
		case <-timeout:
			t.Fatalf("the probes behind the fragments were not delivered within %v", wait)
		}
	}
	held := int64(heapInuse()) - int64(base)
	for _, raw := range raws {
		select {
		case <-raw.done:
			t.Fatalf("the node closed a session holding a partial message (read: %v)", raw.readErr)
		default:
		}
	}
	t.Logf("%d sessions each sent %s of one unfinished message in %v: heap in use grew by %s and stays so while the sessions live",
		sessions, mibs(int64(per)), time.Since(start).Round(time.Millisecond), mibs(held))
	if held > int64(rxLimits.MaxBuffered)+16*mib {
		t.Skipf("MISSING LIMIT: reassembly memory is bounded per session only (RXConfig.MaxBuffered %s, actors/session/rx.go), "+
			"not per node: %d sessions that each send %s of a fragmented message and never finish it make the node hold %s "+
			"(RX.grow rounds the buffer up to MaxMessage once past half of it), for as long as they keep their lease; "+
			"MaxSessions (1000) such sessions would pin about %s",
			mibs(int64(rxLimits.MaxBuffered)), sessions, mibs(int64(per)), mibs(held), mibs(1000*int64(rxLimits.MaxMessage)))
	}
}
