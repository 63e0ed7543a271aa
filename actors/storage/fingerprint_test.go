package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// naiveFingerprints recomputes the slice fingerprints and the total from
// every stored event, tombstones included.
func naiveFingerprints(tb testing.TB, s *Store, keys []string) (map[hlc.NTP64]uint64, uint64) {
	tb.Helper()
	slices := map[hlc.NTP64]uint64{}
	var total uint64
	err := s.Values(keys, func(ev Event) bool {
		fp := Fingerprint(ev.Key, ev.TS, ev.Kind)
		slices[s.SliceStart(ev.TS.Time)] ^= fp
		total ^= fp
		return true
	})
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range slices {
		if v == 0 {
			delete(slices, k)
		}
	}
	return slices, total
}

func storedFingerprints(tb testing.TB, s *Store) (map[hlc.NTP64]uint64, uint64) {
	tb.Helper()
	slices := map[hlc.NTP64]uint64{}
	last := hlc.NTP64(0)
	err := s.SliceFingerprints(0, 0, func(start hlc.NTP64, fp uint64) bool {
		if start < last {
			tb.Errorf("slice %d after %d", start, last)
		}
		last = start
		slices[start] = fp
		return true
	})
	if err != nil {
		tb.Fatal(err)
	}
	total, err := s.TotalFingerprint()
	if err != nil {
		tb.Fatal(err)
	}
	return slices, total
}

func checkFingerprints(tb testing.TB, s *Store, keys []string) {
	tb.Helper()
	want, wantTotal := naiveFingerprints(tb, s, keys)
	got, gotTotal := storedFingerprints(tb, s)
	if gotTotal != wantTotal {
		tb.Errorf("total %x, want %x", gotTotal, wantTotal)
	}
	if len(got) != len(want) {
		tb.Errorf("%d slices with a fingerprint, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			tb.Errorf("slice %d: fingerprint %x, want %x", k, got[k], v)
		}
	}
}

// TestStoreFingerprintsFollowApply applies random puts, deletes, stale
// events and tombstone purges, and checks after each batch that the
// incrementally kept fingerprints equal a recomputation from the events.
func TestStoreFingerprintsFollowApply(t *testing.T) {
	s := openStore(t, Options{InMemory: true, TombstoneTTL: time.Hour})
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = fmt.Sprintf("fp/k%02d", i)
	}
	now := storeT0.Add(3 * time.Hour)
	for round := range 40 {
		var evs []Event
		for range 1 + r.IntN(30) {
			key := keys[r.IntN(len(keys))]
			ts := storeTS(t, time.Duration(r.IntN(3*3600))*time.Second+time.Duration(r.IntN(1000))*time.Millisecond, byte(1+r.IntN(3)))
			if r.IntN(4) == 0 {
				evs = append(evs, storeDel(key, ts))
			} else {
				evs = append(evs, storePut(key, ts, "v"))
			}
		}
		mustApply(t, s, now, evs...)
		if round%10 == 9 {
			if _, err := s.PurgeTombstones(now); err != nil {
				t.Fatal(err)
			}
		}
		checkFingerprints(t, s, keys)
		if t.Failed() {
			t.Fatalf("round %d", round)
		}
	}
	// Two events of one key in one batch, then the same key's
	// replacement across slices.
	k := "fp/twice"
	mustApply(t, s, now, storePut(k, storeTS(t, time.Second, 1), "a"), storePut(k, storeTS(t, time.Hour, 1), "b"))
	mustApply(t, s, now, storeDel(k, storeTS(t, 2*time.Hour, 1)))
	checkFingerprints(t, s, append(keys, k))
}

// TestStoreRebuildsIndexOnNewWidth reopens a store with another slice
// width: the index and the fingerprints are rebuilt to the new width.
func TestStoreRebuildsIndexOnNewWidth(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir, SliceWidth: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	var evs []Event
	for i := range 100 {
		k := fmt.Sprintf("rb/%03d", i)
		keys = append(keys, k)
		ev := storePut(k, storeTS(t, time.Duration(i)*700*time.Millisecond, 1), "x")
		if i%7 == 0 {
			ev = storeDel(k, ev.TS)
		}
		evs = append(evs, ev)
	}
	mustApply(t, s, storeT0.Add(time.Minute), evs...)
	before, total := storedFingerprints(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := openStore(t, Options{Dir: dir, SliceWidth: 10 * time.Second})
	checkFingerprints(t, s2, keys)
	after, total2 := storedFingerprints(t, s2)
	if total2 != total || len(after) >= len(before) {
		t.Errorf("after the rebuild: %d slices (before %d), total %x (before %x)", len(after), len(before), total2, total)
	}
	n := 0
	for start := range after {
		n += len(sliceAll(t, s2, start))
		if start%s2.SliceWidth() != 0 {
			t.Errorf("slice start %d not a multiple of the new width", start)
		}
	}
	if n != len(keys) {
		t.Errorf("index holds %d entries, want %d", n, len(keys))
	}
	if ev, ok := mustLatest(t, s2, "rb/001"); !ok || ev.Kind != codec.MidPut {
		t.Errorf("rb/001 after the rebuild: %+v %v", ev, ok)
	}
}
