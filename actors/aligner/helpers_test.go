package aligner

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// fakeSource is an in-memory Source: the latest event per key, last
// writer wins, with a slice index kept up to date as events are applied.
type fakeSource struct {
	w      hlc.NTP64
	events map[string]storage.Event
	slices map[uint64]map[string]struct{} // slice index → keys
	fps    map[uint64]uint64              // slice index → fingerprint
	total  uint64
	sorted []uint64 // slice indexes with a nonzero fingerprint, ascending
	dirty  bool     // sorted must be rebuilt
}

func newFake(w hlc.NTP64) *fakeSource {
	return &fakeSource{
		w:      w,
		events: make(map[string]storage.Event),
		slices: make(map[uint64]map[string]struct{}),
		fps:    make(map[uint64]uint64),
	}
}

// fingerprint is the fake's event fingerprint: xxhash64 of the key, a
// zero byte, the time (8 bytes big-endian), the ZenohId and the kind.
func fingerprint(key string, ts hlc.Timestamp, kind byte) uint64 {
	b := make([]byte, 0, len(key)+1+8+16+1)
	b = append(append(b, key...), 0)
	b = binary.BigEndian.AppendUint64(b, uint64(ts.Time))
	b = ts.ID.AppendWire(b)
	return xxhash.Sum64(append(b, kind))
}

// apply stores evs last writer wins, like storage.Store.Apply, and
// returns how many were applied.
func (f *fakeSource) apply(evs ...storage.Event) int {
	n := 0
	for _, ev := range evs {
		old, ok := f.events[ev.Key]
		if ok && ev.TS.Compare(old.TS) <= 0 {
			continue
		}
		if ok {
			f.unindex(old)
		}
		f.events[ev.Key] = ev
		s := uint64(ev.TS.Time / f.w)
		if f.slices[s] == nil {
			f.slices[s] = make(map[string]struct{})
		}
		f.slices[s][ev.Key] = struct{}{}
		fp := fingerprint(ev.Key, ev.TS, ev.Kind)
		f.fps[s] ^= fp
		f.total ^= fp
		f.dirty = true
		n++
	}
	return n
}

func (f *fakeSource) unindex(ev storage.Event) {
	s := uint64(ev.TS.Time / f.w)
	delete(f.slices[s], ev.Key)
	fp := fingerprint(ev.Key, ev.TS, ev.Kind)
	f.fps[s] ^= fp
	f.total ^= fp
	if len(f.slices[s]) == 0 {
		delete(f.slices, s)
		delete(f.fps, s)
	}
}

func (f *fakeSource) SliceWidth() hlc.NTP64 { return f.w }

func (f *fakeSource) SliceFingerprints(from, to hlc.NTP64, fn func(hlc.NTP64, uint64) bool) error {
	if f.dirty {
		f.sorted = f.sorted[:0]
		for s, fp := range f.fps {
			if fp != 0 {
				f.sorted = append(f.sorted, s)
			}
		}
		slices.Sort(f.sorted)
		f.dirty = false
	}
	i := sort.Search(len(f.sorted), func(i int) bool { return hlc.NTP64(f.sorted[i])*f.w >= from })
	for ; i < len(f.sorted); i++ {
		start := hlc.NTP64(f.sorted[i]) * f.w
		if to != 0 && start >= to {
			break
		}
		if !fn(start, f.fps[f.sorted[i]]) {
			break
		}
	}
	return nil
}

func (f *fakeSource) TotalFingerprint() (uint64, error) { return f.total, nil }

func (f *fakeSource) Slice(start hlc.NTP64, fn func(string, hlc.Timestamp, byte) bool) error {
	keys := make([]string, 0, len(f.slices[uint64(start/f.w)]))
	for k := range f.slices[uint64(start/f.w)] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		ev := f.events[k]
		if !fn(k, ev.TS, ev.Kind) {
			break
		}
	}
	return nil
}

func (f *fakeSource) Latest(key string) (storage.Event, bool, error) {
	ev, ok := f.events[key]
	return ev, ok, nil
}

func (f *fakeSource) Values(keys []string, fn func(storage.Event) bool) error {
	for _, k := range keys {
		if ev, ok := f.events[k]; ok && !fn(ev) {
			break
		}
	}
	return nil
}

// testParams are small Params: 10 s intervals of five 2 s sub-intervals,
// 2 hot and 3 warm intervals.
func testParams() Params {
	p := DefaultParams()
	p.Hot, p.Warm = 2, 3
	return p
}

// width returns p's slice width as NTP64.
func width(p Params) hlc.NTP64 { return hlc.NTP64FromDuration(p.SliceWidth()) }

func testID(n uint64) hlc.ID {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	id, err := hlc.IDFromBytes(b[:])
	if err != nil {
		panic(err)
	}
	return id
}

// gen makes random events with unique timestamps.
type gen struct {
	rng  *rand.Rand
	used map[hlc.Timestamp]bool
}

func newGen(seed uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), used: make(map[hlc.Timestamp]bool)}
}

// ts returns a fresh timestamp with a time in [lo, hi) and one of three
// ids.
func (g *gen) ts(lo, hi hlc.NTP64) hlc.Timestamp {
	for {
		ts := hlc.Timestamp{Time: lo + hlc.NTP64(g.rng.Uint64N(uint64(hi-lo))), ID: testID(1 + g.rng.Uint64N(3))}
		if !g.used[ts] {
			g.used[ts] = true
			return ts
		}
	}
}

// event returns a random event of key: mostly Puts with a payload,
// sometimes a tombstone.
func (g *gen) event(key string, lo, hi hlc.NTP64) storage.Event {
	ev := storage.Event{Key: key, TS: g.ts(lo, hi), Kind: codec.MidPut}
	if g.rng.IntN(5) == 0 {
		ev.Kind = codec.MidDel
		return ev
	}
	ev.Payload = fmt.Appendf(nil, "v%d", g.rng.Uint64())
	if g.rng.IntN(3) == 0 {
		ev.Encoding = codec.Encoding{ID: uint16(g.rng.IntN(1 << 16)), Schema: []byte("s")}
	}
	return ev
}

// exchange aligns local from remote at cut, every message going through
// the wire encoding, and returns the alignment and the number of
// requests sent.
func exchange(t testing.TB, local, remote *fakeSource, p Params, cut uint64, lim limits) (*Align, int) {
	t.Helper()
	d, err := BuildDigest(remote, p, cut)
	if err != nil {
		t.Fatal(err)
	}
	d, err = DecodeDigest(AppendDigest(nil, &d))
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAlign(local, p, &d)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		req, ok := a.Next()
		if !ok {
			return a, n
		}
		if n++; n > 1_000_000 {
			t.Fatal("alignment does not end")
		}
		got, err := DecodeRequest(AppendRequest(nil, &req))
		if err != nil {
			t.Fatalf("request %+v: %v", req, err)
		}
		if !reflect.DeepEqual(got, req) {
			t.Fatalf("request %+v decoded as %+v", req, got)
		}
		rep, err := answer(remote, p, &got, lim)
		if err != nil {
			t.Fatalf("answer %+v: %v", got, err)
		}
		rep, err = DecodeReply(AppendReply(nil, &rep))
		if err != nil {
			t.Fatalf("reply to %+v: %v", got, err)
		}
		apply, err := a.Step(rep)
		if err != nil {
			t.Fatalf("step %+v: %v", got, err)
		}
		local.apply(apply...)
	}
}

// nowAt returns the time whose cut under p is cut.
func nowAt(p Params, cut uint64) time.Time {
	t := hlc.NTP64(cut)*width(p) + hlc.NTP64FromDuration(p.PropagationDelay+p.MaxSkew)
	return t.Time()
}
