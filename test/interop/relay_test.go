package interop

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// codecRelay sits between two zenoh-pico processes. It decodes every batch
// with our codec, encodes the decoded values again and forwards our
// encoding, not the original bytes: pico then talks through gozenoh's
// encoder. Any batch whose re-encoding differs from the original is
// recorded as a failure.
type codecRelay struct {
	ln     net.Listener
	target string

	mu       sync.Mutex
	errs     []string
	batches  int
	messages int
	frags    int
	kinds    map[string]map[byte]int // per direction, transport messages seen by id
	wg       sync.WaitGroup
	conns    []net.Conn
}

func newCodecRelay(t *testing.T, target string) *codecRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &codecRelay{ln: ln, target: target, kinds: map[string]map[byte]int{"C>S": {}, "S>C": {}}}
	r.wg.Add(1)
	go r.acceptLoop()
	t.Cleanup(r.close)
	return r
}

func (r *codecRelay) addr() string { return r.ln.Addr().String() }

func (r *codecRelay) acceptLoop() {
	defer r.wg.Done()
	for {
		in, err := r.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", r.target)
		if err != nil {
			in.Close()
			r.fail("dial %s: %v", r.target, err)
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, in, out)
		r.mu.Unlock()
		r.wg.Add(2)
		go r.pipe(in, out, "C>S")
		go r.pipe(out, in, "S>C")
	}
}

func (r *codecRelay) close() {
	r.ln.Close()
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *codecRelay) fail(format string, args ...any) {
	r.mu.Lock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// pipe forwards one direction batch by batch, re-encoded.
func (r *codecRelay) pipe(src, dst net.Conn, dir string) {
	defer r.wg.Done()
	defer dst.Close()
	framer := codec.NewStreamFramer(65535)
	br := &codec.BatchReader{}
	var tm codec.TransportMessage
	var nm codec.NetworkMessage
	var frag []byte
	buf := make([]byte, 65536)
	var out []byte
	for {
		n, err := src.Read(buf)
		if n > 0 {
			out = out[:0]
			ferr := framer.Feed(buf[:n], func(batch []byte) error {
				start := len(out)
				out = append(out, 0, 0)
				br.Reset(batch)
				msgs := 0
				for br.Next(&tm) {
					msgs++
					if relayTrace {
						fmt.Printf("%s %s\n", dir, hexOf(batch))
					}
					r.mu.Lock()
					r.kinds[dir][tm.ID]++
					r.mu.Unlock()
					if tm.ID != codec.MidFrame {
						if tm.ID == codec.MidFragment {
							frag = append(frag, tm.Fragment.Payload...)
							if !tm.Fragment.More {
								r.checkReassembled(dir, frag)
								frag = frag[:0]
							}
						}
						out = codec.AppendTransport(out, &tm)
						continue
					}
					out = codec.AppendFrameHeader(out, &tm.Frame)
					for br.NextNetwork(&nm) {
						msgs++
						out = codec.AppendNetwork(out, &nm)
					}
				}
				if err := br.Err(); err != nil {
					return fmt.Errorf("%s: decode %x: %w", dir, batch, err)
				}
				re := out[start+2:]
				if !bytes.Equal(re, batch) {
					r.fail("%s: re-encoding differs\n got  %x\n want %x", dir, re, batch)
				}
				out[start], out[start+1] = byte(len(re)), byte(len(re)>>8)
				r.mu.Lock()
				r.batches++
				r.messages += msgs
				r.mu.Unlock()
				return nil
			})
			if ferr != nil {
				r.fail("%v", ferr)
				return
			}
			if _, werr := dst.Write(out); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF && !strings.Contains(err.Error(), "use of closed") {
				r.fail("%s read: %v", dir, err)
			}
			return
		}
	}
}

func (r *codecRelay) checkReassembled(dir string, msg []byte) {
	var nm codec.NetworkMessage
	n, err := codec.DecodeNetwork(msg, &nm)
	if err != nil || n != len(msg) {
		r.fail("%s: reassembled %d bytes: n=%d err=%v", dir, len(msg), n, err)
		return
	}
	if re := codec.AppendNetwork(nil, &nm); !bytes.Equal(re, msg) {
		r.fail("%s: reassembled message re-encodes differently", dir)
	}
	r.mu.Lock()
	r.frags++
	r.mu.Unlock()
}

// count returns how many transport messages of kind id went in direction
// dir ("C>S": from the connecting side).
func (r *codecRelay) count(dir string, id byte) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kinds[dir][id]
}

func (r *codecRelay) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errs {
		t.Error(e)
	}
	if r.batches == 0 {
		t.Error("no batch went through the relay")
	}
	t.Logf("relay: %d batches, %d messages, %d reassembled, all re-encoded byte for byte", r.batches, r.messages, r.frags)
}

// TestCodecRelayPubSub: pico z_pub → our re-encoding → pico z_sub.
func TestCodecRelayPubSub(t *testing.T) {
	dir := picoDir(t)
	subAddr := freePort(t)
	sub := start(t, dir, "z_sub", "-l", "tcp/"+subAddr)
	waitListening(t, subAddr)
	relay := newCodecRelay(t, subAddr)
	start(t, dir, "z_pub", "-m", "peer", "-e", "tcp/"+relay.addr(), "-n", "3")
	got := sub.waitLines(t, "Received", 3, 20*time.Second)
	if !strings.Contains(got[0], "Pub from Pico!") {
		t.Fatalf("unexpected sample line %q", got[0])
	}
	relay.check(t)
}

// TestCodecRelayQuery: pico z_get → relay → pico z_queryable, replies back.
func TestCodecRelayQuery(t *testing.T) {
	dir := picoDir(t)
	qAddr := freePort(t)
	start(t, dir, "z_queryable", "-l", "tcp/"+qAddr)
	waitListening(t, qAddr)
	relay := newCodecRelay(t, qAddr)
	get := start(t, dir, "z_get", "-m", "peer", "-e", "tcp/"+relay.addr(), "-k", "demo/example/**")
	got := get.waitLines(t, ">> Received", 1, 20*time.Second)
	if !strings.Contains(got[0], "Queryable from Pico!") {
		t.Fatalf("unexpected reply line %q", got[0])
	}
	relay.check(t)
}

// TestCodecRelayFragments: a 100 000-byte put crosses the relay as
// Fragments; our re-encoded fragments reassemble in pico.
func TestCodecRelayFragments(t *testing.T) {
	dir := picoDir(t)
	subAddr := freePort(t)
	sub := start(t, dir, "z_sub", "-l", "tcp/"+subAddr)
	waitListening(t, subAddr)
	relay := newCodecRelay(t, subAddr)
	defer relay.check(t)
	value := strings.Repeat("0123456789", 10000)
	start(t, dir, "z_put", "-m", "peer", "-e", "tcp/"+relay.addr(), "-v", value)
	got := sub.waitLines(t, "Received", 1, 20*time.Second)
	if !strings.Contains(got[0], value[:1000]) {
		t.Fatalf("sample is not the 100 000-byte value (line of %d bytes)", len(got[0]))
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if relay.frags == 0 {
		t.Error("no fragmented message crossed the relay")
	}
}

// TestCodecRelayLiveliness: a pico token seen by a pico liveliness
// subscriber through the relay. The subscriber listens and the token
// connects: a token that exists before the subscriber is declared is
// pushed on accept and not shown by pico's subscriber without history,
// which made the other arrangement depend on timing.
func TestCodecRelayLiveliness(t *testing.T) {
	dir := picoDir(t)
	addr := freePort(t)
	sub := start(t, dir, "z_sub_liveliness", "-l", "tcp/"+addr)
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	start(t, dir, "z_liveliness", "-m", "peer", "-e", "tcp/"+relay.addr())
	sub.waitLines(t, "New alive token", 1, 20*time.Second)
}

// TestCodecRelayBatch2048: a listener with pico's default batch size (2048)
// negotiates down the connector's 65535 (InitAck with the S block), and a
// 3000-byte value crosses as two fragments.
func TestCodecRelayBatch2048(t *testing.T) {
	dir := picoDir(t)
	small := os.Getenv("ZPICO_DEFAULT")
	if small == "" {
		t.Skip("ZPICO_DEFAULT is not set (the CMake-default pico build from setup-pico.sh)")
	}
	addr := freePort(t)
	sub := start(t, small, "z_sub", "-l", "tcp/"+addr)
	waitListening(t, addr)
	relay := newCodecRelay(t, addr)
	defer relay.check(t)
	value := strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 116)
	start(t, dir, "z_put", "-m", "peer", "-e", "tcp/"+relay.addr(), "-v", value)
	got := sub.waitLines(t, "Received", 1, 20*time.Second)
	if !strings.Contains(got[0], value) {
		t.Fatalf("sample is not the 3016-byte value")
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if relay.frags == 0 {
		t.Error("no fragmented message crossed the relay")
	}
}

// relayTrace prints every batch a relay forwards (debugging aid).
var relayTrace = os.Getenv("ZENOH_RELAY_TRACE") != ""

func hexOf(b []byte) string { return fmt.Sprintf("%x", b) }
