// Package nodetest holds what the multi-node tests under test/ share:
// reaching a session's locator, putting a fault proxy in front of it,
// waiting for its router sessions, and comparing the contents of
// replicated storages.
package nodetest

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/gozenoh/zenoh"
	"github.com/gozenoh/zenoh/test/faultproxy"
)

// Locator returns the first endpoint s listens on.
func Locator(t testing.TB, s *zenoh.Session) string {
	t.Helper()
	info, err := s.Info()
	if err != nil || len(info.Locators) == 0 {
		t.Fatalf("no locator: %v", err)
	}
	return info.Locators[0]
}

// Proxy returns a fault proxy in front of to, closed with the test.
func Proxy(t testing.TB, to *zenoh.Session) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(strings.TrimPrefix(Locator(t, to), "tcp/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Routers returns how many routers s has sessions with.
func Routers(t testing.TB, s *zenoh.Session) int {
	t.Helper()
	info, err := s.Info()
	if err != nil {
		t.Fatal(err)
	}
	return len(info.Routers)
}

// WaitRouters waits until s has sessions with exactly n routers.
func WaitRouters(t testing.TB, s *zenoh.Session, n int, wait time.Duration) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for Routers(t, s) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d routers, want %d", s.ZenohId(), Routers(t, s), n)
		}
		<-time.After(20 * time.Millisecond) // sessions come and go on their own
	}
}

// Contents is one storage's visible contents: key → "value@timestamp".
type Contents map[string]string

// Value returns the value part of key's entry.
func (c Contents) Value(key string) string {
	v, _, _ := strings.Cut(c[key], "@")
	return v
}

// Dumps queries every storage on keyExpr through s and returns the
// contents of each, by the ZenohId of its node; nil when a storage
// answered with an error (a timeout while links catch up).
func Dumps(t testing.TB, s *zenoh.Session, keyExpr string) map[string]Contents {
	t.Helper()
	out, failed := dumps(t, s, keyExpr)
	if failed {
		return nil
	}
	return out
}

// dumps is Dumps that also returns what answered when some did not.
func dumps(t testing.TB, s *zenoh.Session, keyExpr string) (map[string]Contents, bool) {
	t.Helper()
	ch, err := s.Get(context.Background(), keyExpr, zenoh.WithTarget(zenoh.QueryTargetAll),
		zenoh.WithConsolidation(zenoh.ConsolidationNone), zenoh.WithTimeout(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Contents{}
	failed := false
	for rep := range ch {
		if rep.Err != nil {
			t.Logf("reply error from %q: %s", rep.ResponderID, rep.Err.Payload)
			failed = true
			continue
		}
		c := out[rep.ResponderID]
		if c == nil {
			c = Contents{}
			out[rep.ResponderID] = c
		}
		c[rep.Sample.KeyExpr] = string(rep.Sample.Payload) + "@" + rep.Sample.Timestamp.String()
	}
	return out, failed
}

// Converged waits until the storages on keyExpr of every node in ss hold
// the same contents, and returns them and how long it took.
func Converged(t testing.TB, wait time.Duration, keyExpr string, ss ...*zenoh.Session) (Contents, time.Duration) {
	t.Helper()
	start := time.Now()
	var last map[string]Contents
	for time.Since(start) < wait {
		last = Dumps(t, ss[0], keyExpr)
		if same(last, ss) {
			return last[ss[0].ZenohId()], time.Since(start)
		}
		<-time.After(100 * time.Millisecond) // alignment runs on its own; nothing to wait on
	}
	for _, s := range ss {
		d, _ := dumps(t, s, keyExpr)
		for _, o := range ss {
			t.Logf("through %s: %s holds %d keys", s.ZenohId(), o.ZenohId(), len(d[o.ZenohId()]))
		}
	}
	t.Fatalf("no convergence within %v", wait)
	return nil, 0
}

func same(d map[string]Contents, ss []*zenoh.Session) bool {
	if len(d) != len(ss) {
		return false
	}
	first, ok := d[ss[0].ZenohId()]
	if !ok {
		return false
	}
	for _, s := range ss[1:] {
		if c, ok := d[s.ZenohId()]; !ok || !maps.Equal(first, c) {
			return false
		}
	}
	return true
}
