// Package badinput throws bad input and exhaustion attempts at a live
// router (started with zenoh.Open) over loopback TCP, from raw net.Conns
// that speak the wire protocol themselves, while well-behaved client
// sessions check that the router keeps serving them.
package badinput

import (
	"bytes"
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// badinputFor is how long TestBadInputKeepsServing sends bad input:
// short by default so that CI stays fast, -badinput=60s for a soak.
var badinputFor = flag.Duration("badinput", 5*time.Second, "how long TestBadInputKeepsServing sends bad input")

// TestMain checks that nothing is left running once every test closed
// its nodes and connections. protoactor's dead-letter throttle runs a
// goroutine for one interval after a message reaches a stopped actor; it
// ends by itself.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/asynkron/protoactor-go/actor.NewDeadLetter.NewThrottle.func4.1"))
}

// wait bounds every wait for an event that should come promptly.
const wait = 10 * time.Second

// logSink receives the node's log lines (one Write per record from a
// slog.TextHandler). It counts the lines that contain each watched
// string and keeps the first of them, plus a bounded tail for failure
// reports: the soak run logs hundreds of thousands of lines, which must
// not count as the node's heap growth.
type logSink struct {
	mu     sync.Mutex
	watch  []string
	counts []int
	first  []string
	lines  int
	tail   []byte
}

const logTail = 64 << 10

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines++
	for i, w := range s.watch {
		if bytes.Contains(p, []byte(w)) {
			s.counts[i] += eventsIn(p)
			if s.first[i] == "" {
				s.first[i] = strings.TrimSpace(string(p))
			}
		}
	}
	s.tail = append(s.tail, p...)
	if len(s.tail) > 2*logTail {
		s.tail = append(s.tail[:0], s.tail[len(s.tail)-logTail:]...)
	}
	return len(p), nil
}

// eventsIn returns how many events a log line stands for: the value of
// its refused= attribute (rate-limited lines summarize several), else 1.
func eventsIn(line []byte) int {
	_, rest, ok := bytes.Cut(line, []byte(" refused="))
	if !ok {
		return 1
	}
	end := bytes.IndexAny(rest, " \n")
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(string(rest[:end]))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// count returns how many events the lines containing w stand for (one of the watched strings)
// and the first of them.
func (s *logSink) count(w string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.watch {
		if x == w {
			return s.counts[i], s.first[i]
		}
	}
	panic("badinput: " + w + " is not watched")
}

// lastLines returns the end of the log, for failure messages.
func (s *logSink) lastLines(max int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tail
	if len(t) > max {
		t = t[len(t)-max:]
	}
	return string(t)
}

// waitCount polls until w was logged at least n times or timeout passes;
// it returns the count reached. The node offers no log event to wait on.
func (s *logSink) waitCount(w string, n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		c, _ := s.count(w)
		if c >= n || time.Now().After(deadline) {
			return c
		}
		<-time.After(10 * time.Millisecond)
	}
}

// newLogger returns a debug-level logger writing into a sink that
// watches the given strings.
func newLogger(watch ...string) (*slog.Logger, *logSink) {
	s := &logSink{watch: watch, counts: make([]int, len(watch)), first: make([]string, len(watch))}
	return slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug})), s
}

// open opens a session closed when the test ends.
func open(t *testing.T, cfg zenoh.Config) *zenoh.Session {
	t.Helper()
	cfg.MulticastScouting = false
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	s, err := zenoh.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// startRouter starts a router on an ephemeral loopback port and returns
// it with its locator ("tcp/127.0.0.1:PORT").
func startRouter(t *testing.T, logger *slog.Logger) (*zenoh.Session, string) {
	t.Helper()
	r := open(t, zenoh.Config{Mode: zenoh.ModeRouter, Listen: []string{"tcp/127.0.0.1:0"}, Logger: logger})
	info, err := r.Info()
	if err != nil || len(info.Locators) == 0 {
		t.Fatalf("router has no locator: %+v %v", info, err)
	}
	return r, info.Locators[0]
}

// openClient opens a client session connected to the router at loc.
func openClient(t *testing.T, loc string) *zenoh.Session {
	t.Helper()
	return open(t, zenoh.Config{Mode: zenoh.ModeClient, Connect: []string{loc}})
}

// heapInuse returns HeapInuse after a full collection.
func heapInuse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(ents)
}

// waitGoroutines polls until at most n goroutines run or timeout passes;
// it returns the last count.
func waitGoroutines(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		g := runtime.NumGoroutine()
		if g <= n || time.Now().After(deadline) {
			return g
		}
		<-time.After(20 * time.Millisecond)
	}
}

// waitFDs polls until at most n descriptors are open or timeout passes.
func waitFDs(t *testing.T, n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		c := openFDs(t)
		if c <= n || time.Now().After(deadline) {
			return c
		}
		<-time.After(20 * time.Millisecond)
	}
}

// randomZID returns a random 16-byte ZenohId.
func randomZID() codec.ZenohID {
	for {
		id, err := hlc.NewRandomID(rand.Reader)
		if err == nil && !id.IsZero() {
			return id
		}
	}
}

const mib = 1 << 20

func mibs(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/mib) }
