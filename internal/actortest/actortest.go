// Package actortest holds what the actor packages' tests share: an actor
// system with a logger, and typed waits on a channel of messages with a
// deadline (tests never sleep to wait for something). Tests only.
package actortest

import (
	"crypto/rand"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// Logger discards everything, unless ZENOH_TEST_LOG is set: then it logs
// at debug level to stderr.
func Logger() *slog.Logger {
	if os.Getenv("ZENOH_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// NewSystem returns an actor system logging through Logger, shut down
// when the test ends.
func NewSystem(t testing.TB) *actor.ActorSystem {
	t.Helper()
	logger := Logger()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return logger }))
	t.Cleanup(sys.Shutdown)
	return sys
}

// NewZID returns a random ZenohId.
func NewZID(t testing.TB) codec.ZenohID {
	t.Helper()
	id, err := hlc.NewRandomID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// Next waits up to timeout for the next message of type T on ch.
// Messages of other types that come first are put back at the end of ch.
func Next[T any](t testing.TB, ch chan any, timeout time.Duration) T {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var skipped []any
	defer func() {
		for _, m := range skipped {
			ch <- m
		}
	}()
	for {
		select {
		case m := <-ch:
			if v, ok := m.(T); ok {
				return v
			}
			skipped = append(skipped, m)
		case <-deadline.C:
			var zero T
			t.Fatalf("no %T within %v; skipped %d messages", zero, timeout, len(skipped))
			return zero
		}
	}
}

// Await waits up to timeout for a message of type T on ch for which match
// (nil: any) returns true, dropping the others.
func Await[T any](t testing.TB, ch chan any, timeout time.Duration, match func(T) bool) T {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case m := <-ch:
			if v, ok := m.(T); ok && (match == nil || match(v)) {
				return v
			}
		case <-deadline.C:
			var zero T
			t.Fatalf("no %T within %v", zero, timeout)
			return zero
		}
	}
}

// Buffer is an io.Writer (for logs and tool output) safe for concurrent
// writers.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
