package storage

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"go.uber.org/goleak"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// storeT0 is the wall-clock origin of the store tests.
var storeT0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// storeTS returns the timestamp storeT0+d of the clock with ID id.
func storeTS(tb testing.TB, d time.Duration, id byte) hlc.Timestamp {
	tb.Helper()
	zid, err := hlc.IDFromBytes([]byte{id})
	if err != nil {
		tb.Fatal(err)
	}
	return hlc.Timestamp{Time: hlc.NTP64FromTime(storeT0.Add(d)), ID: zid}
}

func storePut(key string, ts hlc.Timestamp, payload string) Event {
	return Event{Key: key, TS: ts, Kind: codec.MidPut, Payload: []byte(payload),
		Encoding: codec.Encoding{ID: 7, Schema: []byte("s")}}
}

func storeDel(key string, ts hlc.Timestamp) Event {
	return Event{Key: key, TS: ts, Kind: codec.MidDel}
}

func openStore(tb testing.TB, o Options) *Store {
	tb.Helper()
	s, err := Open(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func memStore(tb testing.TB) *Store {
	return openStore(tb, Options{InMemory: true})
}

func mustApply(tb testing.TB, s *Store, now time.Time, evs ...Event) []bool {
	tb.Helper()
	applied, err := s.Apply(evs, now)
	if err != nil {
		tb.Fatal(err)
	}
	return applied
}

func mustLatest(tb testing.TB, s *Store, key string) (Event, bool) {
	tb.Helper()
	ev, ok, err := s.Latest(key)
	if err != nil {
		tb.Fatal(err)
	}
	return ev, ok
}

// queryAll returns the events Query reports, in order.
func queryAll(tb testing.TB, s *Store, ke string, from, to hlc.NTP64) []Event {
	tb.Helper()
	var out []Event
	if err := s.Query(ke, from, to, func(ev Event) bool { out = append(out, ev); return true }); err != nil {
		tb.Fatal(err)
	}
	return out
}

type sliceEntry struct {
	key  string
	ts   hlc.Timestamp
	kind byte
}

func sliceAll(tb testing.TB, s *Store, start hlc.NTP64) []sliceEntry {
	tb.Helper()
	var out []sliceEntry
	err := s.Slice(start, func(key string, ts hlc.Timestamp, kind byte) bool {
		out = append(out, sliceEntry{key, ts, kind})
		return true
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func sameEvent(a, b Event) bool {
	return a.Key == b.Key && a.TS == b.TS && a.Kind == b.Kind &&
		string(a.Payload) == string(b.Payload) &&
		a.Encoding.ID == b.Encoding.ID && string(a.Encoding.Schema) == string(b.Encoding.Schema)
}

func TestStorePutGet(t *testing.T) {
	s := memStore(t)
	ev := storePut("demo/a", storeTS(t, 0, 1), "hello")
	if got := mustApply(t, s, storeT0, ev); !got[0] {
		t.Fatal("put not applied")
	}
	got, ok := mustLatest(t, s, "demo/a")
	if !ok || !sameEvent(got, ev) {
		t.Fatalf("Latest = %+v, %v; want %+v", got, ok, ev)
	}
	if _, ok := mustLatest(t, s, "demo/b"); ok {
		t.Fatal("Latest of a missing key found something")
	}
	q := queryAll(t, s, "demo/a", 0, 0)
	if len(q) != 1 || !sameEvent(q[0], ev) {
		t.Fatalf("Query = %+v", q)
	}
}

func TestStoreLastWriterWins(t *testing.T) {
	cases := []struct {
		name    string
		evs     []Event // applied one call each
		applied []bool
		want    string // payload of the stored put
	}{
		{"newer wins", []Event{storePut("k", storeTS(t, 1, 1), "old"), storePut("k", storeTS(t, 2, 1), "new")},
			[]bool{true, true}, "new"},
		{"older never overwrites", []Event{storePut("k", storeTS(t, 2, 1), "new"), storePut("k", storeTS(t, 1, 1), "old")},
			[]bool{true, false}, "new"},
		{"equal does not overwrite", []Event{storePut("k", storeTS(t, 2, 1), "first"), storePut("k", storeTS(t, 2, 1), "second")},
			[]bool{true, false}, "first"},
		{"same time, higher id wins", []Event{storePut("k", storeTS(t, 2, 1), "id1"), storePut("k", storeTS(t, 2, 2), "id2")},
			[]bool{true, true}, "id2"},
		{"same time, lower id loses", []Event{storePut("k", storeTS(t, 2, 2), "id2"), storePut("k", storeTS(t, 2, 1), "id1")},
			[]bool{true, false}, "id2"},
	}
	for _, tc := range cases {
		for _, batched := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/batched=%v", tc.name, batched), func(t *testing.T) {
				s := memStore(t)
				var applied []bool
				if batched {
					applied = mustApply(t, s, storeT0, tc.evs...)
				} else {
					for _, ev := range tc.evs {
						applied = append(applied, mustApply(t, s, storeT0, ev)...)
					}
				}
				if !slices.Equal(applied, tc.applied) {
					t.Errorf("applied = %v, want %v", applied, tc.applied)
				}
				got, ok := mustLatest(t, s, "k")
				if !ok || string(got.Payload) != tc.want {
					t.Errorf("stored %q (%v), want %q", got.Payload, ok, tc.want)
				}
				// Exactly one index entry for the key, in its slice.
				entries := sliceAll(t, s, got.TS.Time)
				if len(entries) != 1 || entries[0].ts != got.TS {
					t.Errorf("slice = %+v, want the stored event only", entries)
				}
			})
		}
	}
}

func TestStoreTombstone(t *testing.T) {
	t.Run("stops a resurrection", func(t *testing.T) {
		s := memStore(t)
		mustApply(t, s, storeT0, storePut("k", storeTS(t, 1, 1), "v1"))
		if a := mustApply(t, s, storeT0, storeDel("k", storeTS(t, 3, 1))); !a[0] {
			t.Fatal("delete not applied")
		}
		if a := mustApply(t, s, storeT0, storePut("k", storeTS(t, 2, 1), "late")); a[0] {
			t.Fatal("an older put resurrected a deleted key")
		}
		if q := queryAll(t, s, "k", 0, 0); len(q) != 0 {
			t.Fatalf("Query after delete = %+v", q)
		}
		if q := queryAll(t, s, "**", 0, 0); len(q) != 0 {
			t.Fatalf("wild Query after delete = %+v", q)
		}
		ev, ok := mustLatest(t, s, "k")
		if !ok || ev.Kind != codec.MidDel || ev.TS != storeTS(t, 3, 1) || len(ev.Payload) != 0 {
			t.Fatalf("Latest = %+v, %v; want the tombstone", ev, ok)
		}
	})
	t.Run("newer put wins", func(t *testing.T) {
		s := memStore(t)
		a := mustApply(t, s, storeT0,
			storePut("k", storeTS(t, 1, 1), "v1"),
			storeDel("k", storeTS(t, 2, 1)),
			storePut("k", storeTS(t, 3, 1), "v3"))
		if !slices.Equal(a, []bool{true, true, true}) {
			t.Fatalf("applied = %v", a)
		}
		q := queryAll(t, s, "k", 0, 0)
		if len(q) != 1 || string(q[0].Payload) != "v3" {
			t.Fatalf("Query = %+v", q)
		}
	})
	t.Run("delete of a missing key", func(t *testing.T) {
		s := memStore(t)
		mustApply(t, s, storeT0, storeDel("k", storeTS(t, 5, 1)))
		if a := mustApply(t, s, storeT0, storePut("k", storeTS(t, 4, 1), "late")); a[0] {
			t.Fatal("a put older than a tombstone was applied")
		}
	})
	t.Run("expired delete keeps no tombstone", func(t *testing.T) {
		s := memStore(t)
		mustApply(t, s, storeT0, storePut("k", storeTS(t, 1, 1), "v1"))
		now := storeT0.Add(DefaultTombstoneTTL + time.Hour)
		if a := mustApply(t, s, now, storeDel("k", storeTS(t, 2, 1))); !a[0] {
			t.Fatal("expired delete did not apply")
		}
		if _, ok := mustLatest(t, s, "k"); ok {
			t.Fatal("expired delete left a record")
		}
		if e := sliceAll(t, s, storeTS(t, 1, 1).Time); len(e) != 0 {
			t.Fatalf("index after expired delete = %+v", e)
		}
	})
}

func TestStoreRestart(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir}
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	var want []Event
	for i := range 100 {
		ev := storePut(fmt.Sprintf("r/%03d", i), storeTS(t, time.Duration(i)*time.Millisecond, 1), fmt.Sprint("v", i))
		want = append(want, ev)
	}
	mustApply(t, s, storeT0, want...)
	del := storeDel("r/050", storeTS(t, time.Second, 1))
	mustApply(t, s, storeT0, del)
	want = slices.Delete(want, 50, 51)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Apply(want[:1], storeT0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close: %v", err)
	}

	s = openStore(t, o)
	got := queryAll(t, s, "r/**", 0, 0)
	if len(got) != len(want) {
		t.Fatalf("after restart: %d events, want %d", len(got), len(want))
	}
	for i := range got {
		if !sameEvent(got[i], want[i]) {
			t.Fatalf("after restart [%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if ev, ok := mustLatest(t, s, "r/050"); !ok || !sameEvent(ev, del) {
		t.Fatalf("tombstone after restart = %+v, %v", ev, ok)
	}
	if a := mustApply(t, s, storeT0, storePut("r/050", storeTS(t, 500*time.Millisecond, 1), "late")); a[0] {
		t.Fatal("tombstone lost across the restart")
	}
}

func TestStoreWildcardQuery10k(t *testing.T) {
	s := memStore(t)
	const n = 10000
	evs := make([]Event, 0, n)
	for i := range n {
		evs = append(evs, storePut(fmt.Sprintf("demo/%d/k%04d", i%10, i), storeTS(t, time.Duration(i)*time.Microsecond, 1), fmt.Sprint("v", i)))
	}
	mustApply(t, s, storeT0, evs...)
	mustApply(t, s, storeT0, storePut("other/k0001", storeTS(t, 0, 1), "x"), storeDel("demo/3/k0003", storeTS(t, time.Second, 1)))

	cases := []struct {
		ke   string
		want int
	}{
		{"demo/**", n - 1},
		{"**", n}, // + other, - the deleted one
		{"demo/*/k00$*", 99},
		{"demo/3/*", 999},
		{"demo/3/k0013", 1},
		{"demo/*/k9999", 1},
		{"*/7/**", 1000},
		{"demo", 0},
	}
	for _, tc := range cases {
		t.Run(tc.ke, func(t *testing.T) {
			got := queryAll(t, s, tc.ke, 0, 0)
			if len(got) != tc.want {
				t.Fatalf("%d results, want %d", len(got), tc.want)
			}
			if !slices.IsSortedFunc(got, func(a, b Event) int { return cmpString(a.Key, b.Key) }) {
				t.Error("results not in key order")
			}
		})
	}
	got := queryAll(t, s, "demo/**", 0, 0)
	byKey := map[string]string{}
	for _, ev := range got {
		byKey[ev.Key] = string(ev.Payload)
	}
	for _, i := range []int{0, 1, 4242, 9999} {
		k := fmt.Sprintf("demo/%d/k%04d", i%10, i)
		if byKey[k] != fmt.Sprint("v", i) {
			t.Errorf("%s = %q", k, byKey[k])
		}
	}
	// fn returning false stops the query.
	calls := 0
	if err := s.Query("**", 0, 0, func(Event) bool { calls++; return calls < 5 }); err != nil || calls != 5 {
		t.Fatalf("stopped query: %d calls, %v", calls, err)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestStoreLiteralPrefix(t *testing.T) {
	for _, tc := range []struct{ ke, want string }{
		{"**", ""},
		{"a/**", "a"},
		{"a/b/*/c", "a/b"},
		{"a/b$*", "a"},
		{"a/$*b/c", "a"},
		{"a/b/c/**", "a/b/c"},
		{"*/a", ""},
	} {
		if got := literalPrefix(tc.ke); got != tc.want {
			t.Errorf("literalPrefix(%q) = %q, want %q", tc.ke, got, tc.want)
		}
	}
	// "a/**" matches "a" itself.
	s := memStore(t)
	mustApply(t, s, storeT0, storePut("a", storeTS(t, 0, 1), "x"), storePut("ab", storeTS(t, 0, 1), "y"))
	if got := queryAll(t, s, "a/**", 0, 0); len(got) != 1 || got[0].Key != "a" {
		t.Fatalf("Query(a/**) = %+v", got)
	}
}

func TestStoreTimeFilter(t *testing.T) {
	s := memStore(t)
	for i := range 10 {
		mustApply(t, s, storeT0, storePut(fmt.Sprintf("t/%d", i), storeTS(t, time.Duration(i)*time.Second, 1), "v"))
	}
	at := func(sec int) hlc.NTP64 { return storeTS(t, time.Duration(sec)*time.Second, 1).Time }
	cases := []struct {
		name     string
		from, to hlc.NTP64
		want     []string
	}{
		{"all", 0, 0, []string{"t/0", "t/1", "t/2", "t/3", "t/4", "t/5", "t/6", "t/7", "t/8", "t/9"}},
		{"closed range", at(3), at(5), []string{"t/3", "t/4", "t/5"}},
		{"from only", at(8), 0, []string{"t/8", "t/9"}},
		{"to only", 0, at(1), []string{"t/0", "t/1"}},
		{"empty", at(5), at(4), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, ev := range queryAll(t, s, "t/*", tc.from, tc.to) {
				keys = append(keys, ev.Key)
			}
			if !slices.Equal(keys, tc.want) {
				t.Errorf("keys = %v, want %v", keys, tc.want)
			}
			// The concrete path filters too.
			n := len(queryAll(t, s, "t/4", tc.from, tc.to))
			if want := slices.Contains(tc.want, "t/4"); (n == 1) != want {
				t.Errorf("Query(t/4) = %d results", n)
			}
		})
	}
}

func TestStoreSlice(t *testing.T) {
	s := openStore(t, Options{InMemory: true, SliceWidth: time.Second})
	// storeT0 is a whole second, so slices start at storeT0 + k s.
	slice0 := storeTS(t, 0, 1).Time
	slice1 := storeTS(t, time.Second, 1).Time
	mustApply(t, s, storeT0,
		storePut("a", storeTS(t, 100*time.Millisecond, 1), "a1"),
		storePut("b", storeTS(t, 900*time.Millisecond, 1), "b1"),
		storePut("c", storeTS(t, 1100*time.Millisecond, 1), "c1"),
		storeDel("d", storeTS(t, 1200*time.Millisecond, 1)),
	)
	want0 := []sliceEntry{
		{"a", storeTS(t, 100*time.Millisecond, 1), codec.MidPut},
		{"b", storeTS(t, 900*time.Millisecond, 1), codec.MidPut},
	}
	if got := sliceAll(t, s, slice0); !slices.Equal(got, want0) {
		t.Fatalf("slice 0 = %+v, want %+v", got, want0)
	}
	// A start inside the slice means the slice.
	if got := sliceAll(t, s, slice0+12345); !slices.Equal(got, want0) {
		t.Fatalf("slice 0 (unaligned start) = %+v", got)
	}
	want1 := []sliceEntry{
		{"c", storeTS(t, 1100*time.Millisecond, 1), codec.MidPut},
		{"d", storeTS(t, 1200*time.Millisecond, 1), codec.MidDel},
	}
	if got := sliceAll(t, s, slice1); !slices.Equal(got, want1) {
		t.Fatalf("slice 1 = %+v, want %+v", got, want1)
	}

	// Replacements move the entry: a to slice 1, b within slice 0, c
	// deleted in slice 2; an older event changes nothing.
	mustApply(t, s, storeT0,
		storePut("a", storeTS(t, 1500*time.Millisecond, 1), "a2"),
		storePut("b", storeTS(t, 950*time.Millisecond, 1), "b2"),
		storeDel("c", storeTS(t, 2500*time.Millisecond, 1)),
		storePut("d", storeTS(t, 1100*time.Millisecond, 1), "older"),
	)
	want0 = []sliceEntry{{"b", storeTS(t, 950*time.Millisecond, 1), codec.MidPut}}
	want1 = []sliceEntry{
		{"a", storeTS(t, 1500*time.Millisecond, 1), codec.MidPut},
		{"d", storeTS(t, 1200*time.Millisecond, 1), codec.MidDel},
	}
	want2 := []sliceEntry{{"c", storeTS(t, 2500*time.Millisecond, 1), codec.MidDel}}
	for i, tc := range []struct {
		start hlc.NTP64
		want  []sliceEntry
	}{{slice0, want0}, {slice1, want1}, {storeTS(t, 2*time.Second, 1).Time, want2}} {
		if got := sliceAll(t, s, tc.start); !slices.Equal(got, tc.want) {
			t.Errorf("slice %d after replacements = %+v, want %+v", i, got, tc.want)
		}
	}
	// Stop early.
	calls := 0
	if err := s.Slice(slice1, func(string, hlc.Timestamp, byte) bool { calls++; return false }); err != nil || calls != 1 {
		t.Fatalf("stopped Slice: %d calls, %v", calls, err)
	}
}

func TestStorePurgeTombstones(t *testing.T) {
	const ttl = time.Hour
	s := openStore(t, Options{InMemory: true, TombstoneTTL: ttl})
	mustApply(t, s, storeT0,
		storePut("p", storeTS(t, 0, 1), "keep"),
		storeDel("old1", storeTS(t, time.Second, 1)),
		storeDel("old2", storeTS(t, 2*time.Second, 1)),
		storeDel("new", storeTS(t, 30*time.Minute, 1)),
	)
	now := storeT0.Add(ttl + 10*time.Minute) // horizon at storeT0+10m
	n, err := s.PurgeTombstones(now)
	if err != nil || n != 2 {
		t.Fatalf("PurgeTombstones = %d, %v; want 2", n, err)
	}
	for key, want := range map[string]bool{"p": true, "old1": false, "old2": false, "new": true} {
		if _, ok := mustLatest(t, s, key); ok != want {
			t.Errorf("%s present = %v, want %v", key, ok, want)
		}
	}
	if e := sliceAll(t, s, storeTS(t, time.Second, 1).Time); len(e) != 0 {
		t.Errorf("index of purged tombstone remains: %+v", e)
	}
	if n, err := s.PurgeTombstones(now); err != nil || n != 0 {
		t.Fatalf("second purge = %d, %v", n, err)
	}
	// A tombstone written after a purge, older than the last horizon (the
	// clock stepped back), is still found by the next purge.
	mustApply(t, s, storeT0.Add(ttl), storeDel("back", storeTS(t, 5*time.Minute, 1)))
	if n, err := s.PurgeTombstones(now.Add(time.Minute)); err != nil || n != 1 {
		t.Fatalf("purge after step back = %d, %v; want 1", n, err)
	}
	if n, err := s.PurgeTombstones(storeT0.Add(2 * ttl)); err != nil || n != 1 {
		t.Fatalf("late purge = %d, %v; want 1 (new)", n, err)
	}
	if got := queryAll(t, s, "**", 0, 0); len(got) != 1 || got[0].Key != "p" {
		t.Fatalf("after purges: %+v", got)
	}
}

func TestStoreCorruptRecord(t *testing.T) {
	s := memStore(t)
	good := storePut("k", storeTS(t, 0, 1), "payload")
	mustApply(t, s, storeT0, good)
	rec := appendRecord(nil, &good)
	corrupt := map[string][]byte{
		"empty":         {},
		"version":       append([]byte{9}, rec[1:]...),
		"kind":          append([]byte{1, 0x7f}, rec[2:]...),
		"truncated ts":  rec[:6],
		"id length 0":   append(append([]byte{}, rec[:10]...), 0, 1),
		"id length 17":  append(append([]byte{}, rec[:10]...), 17),
		"short id":      rec[:11],
		"zero id":       append(append([]byte{}, rec[:10]...), 1, 0, 0, 0),
		"no encoding":   rec[:12],
		"encoding id":   append(append([]byte{}, rec[:12]...), 0xff, 0xff, 0x7f, 0),
		"schema length": append(append([]byte{}, rec[:12]...), 7, 200),
	}
	tomb := appendRecord(nil, &Event{Kind: codec.MidDel, TS: good.TS})
	corrupt["tombstone payload"] = append(tomb, 'x')
	for name, val := range corrupt {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeRecord(val); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("decodeRecord: %v", err)
			}
			if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(valueKey("k"), val) }); err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Latest("k"); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Latest: %v", err)
			}
			if err := s.Query("*", 0, 0, func(Event) bool { return true }); !errors.Is(err, ErrCorrupt) {
				t.Errorf("Query: %v", err)
			}
			// Apply reads only a record's head (kind and timestamp),
			// and, from badger, only what its cache lacks.
			s.metas.Purge()
			_, _, headErr := decodeEntry(val)
			if _, err := s.Apply([]Event{good}, storeT0); (headErr != nil) != errors.Is(err, ErrCorrupt) {
				t.Errorf("Apply: %v, head %v", err, headErr)
			}
		})
	}
	ev, err := decodeRecord(rec)
	if err != nil {
		t.Fatal(err)
	}
	ev.Key = good.Key
	if !sameEvent(ev, good) {
		t.Fatalf("round trip = %+v", ev)
	}
}

func TestStoreInvalidEvents(t *testing.T) {
	s := memStore(t)
	ts := storeTS(t, 0, 1)
	for name, ev := range map[string]Event{
		"empty key":  storePut("", ts, "x"),
		"wild key":   storePut("a/*", ts, "x"),
		"zero ts":    storePut("a", hlc.Timestamp{}, "x"),
		"bad kind":   {Key: "a", TS: ts, Kind: 9},
		"big schema": {Key: "a", TS: ts, Kind: codec.MidPut, Encoding: codec.Encoding{Schema: make([]byte, 256)}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := s.Apply([]Event{storePut("ok", ts, "x"), ev}, storeT0)
			if !errors.Is(err, ErrInvalidEvent) {
				t.Fatalf("Apply: %v", err)
			}
			if _, ok := mustLatest(t, s, "ok"); ok {
				t.Fatal("part of a refused batch was written")
			}
		})
	}
	for name, o := range map[string]Options{
		"no dir":         {},
		"negative ttl":   {InMemory: true, TombstoneTTL: -1},
		"negative width": {InMemory: true, SliceWidth: -1},
	} {
		if _, err := Open(o); !errors.Is(err, ErrOptions) {
			t.Errorf("Open(%s): %v", name, err)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	zid, _ := hlc.IDFromBytes([]byte{1, 2, 3})
	ts := hlc.Timestamp{Time: 12345, ID: zid}
	f.Add(appendRecord(nil, &Event{Kind: codec.MidPut, TS: ts, Payload: []byte("p"), Encoding: codec.Encoding{ID: 300, Schema: []byte("x")}}))
	f.Add(appendRecord(nil, &Event{Kind: codec.MidDel, TS: ts}))
	f.Fuzz(func(t *testing.T, src []byte) {
		ev, err := decodeRecord(src)
		if err != nil {
			return
		}
		again, err := decodeRecord(appendRecord(nil, &ev))
		if err != nil || !sameEvent(ev, again) {
			t.Fatalf("re-encode: %+v, %v; want %+v", again, err, ev)
		}
	})
}

func BenchmarkStoreApply(b *testing.B) {
	const batch = 1000
	for _, vol := range []string{"memory", "badger"} {
		b.Run(vol, func(b *testing.B) {
			o := Options{InMemory: vol == "memory", Dir: b.TempDir()}
			s := openStore(b, o)
			payload := make([]byte, 64)
			evs := make([]Event, batch)
			zid, _ := hlc.IDFromBytes([]byte{1})
			t := hlc.NTP64FromTime(storeT0)
			keys := make([][]string, 100) // rounds cycle over 100 key sets
			for r := range keys {
				for i := range batch {
					keys[r] = append(keys[r], fmt.Sprintf("bench/%d/%d", r, i))
				}
			}
			round := 0
			b.SetBytes(batch * int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				for i := range evs {
					t++
					evs[i] = Event{Key: keys[round%100][i], TS: hlc.Timestamp{Time: t, ID: zid},
						Kind: codec.MidPut, Payload: payload}
				}
				round++
				if _, err := s.Apply(evs, storeT0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkStoreQuery(b *testing.B) {
	s := memStore(b)
	const n = 10000
	evs := make([]Event, 0, n)
	for i := range n {
		evs = append(evs, storePut(fmt.Sprintf("demo/%d/k%04d", i%10, i), storeTS(b, time.Duration(i)*time.Microsecond, 1), string(make([]byte, 64))))
	}
	mustApply(b, s, storeT0, evs...)
	for _, tc := range []struct {
		name, ke string
		want     int
	}{
		{"one key", "demo/3/k0013", 1},
		{"10000 keys", "demo/**", n},
		{"1000 of 10000 keys", "demo/3/*", 1000},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(tc.want * 64))
			for b.Loop() {
				got := 0
				if err := s.Query(tc.ke, 0, 0, func(Event) bool { got++; return true }); err != nil {
					b.Fatal(err)
				}
				if got != tc.want {
					b.Fatalf("%d results, want %d", got, tc.want)
				}
			}
		})
	}
}

func TestStoreCloseLeaksNothing(t *testing.T) {
	before := goleak.IgnoreCurrent()
	for _, o := range []Options{{InMemory: true}, {Dir: t.TempDir()}} {
		s, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, storeT0, storePut("k", storeTS(t, 0, 1), "v"))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	goleak.VerifyNone(t, before)
}
