package aligner

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// answerFixture is a fake with known events: with testParams (2 s
// slices, 5 per interval), keys a and b in sub-interval 3 (interval 0), c
// in sub 7 (interval 1), d (a tombstone) in sub 12 and e in sub 14
// (interval 2).
func answerFixture(t *testing.T) (*fakeSource, Params) {
	p := testParams()
	f := newFake(width(p))
	id := testID(1)
	at := func(sub uint64) hlc.Timestamp { return hlc.Timestamp{Time: hlc.NTP64(sub)*f.w + 5, ID: id} }
	f.apply(
		storage.Event{Key: "a", TS: at(3), Kind: codec.MidPut, Payload: []byte("A")},
		storage.Event{Key: "b", TS: at(3), Kind: codec.MidPut, Payload: []byte("B")},
		storage.Event{Key: "c", TS: at(7), Kind: codec.MidPut, Payload: []byte("C")},
		storage.Event{Key: "d", TS: at(12), Kind: codec.MidDel},
		storage.Event{Key: "e", TS: at(14), Kind: codec.MidPut, Payload: []byte("E")},
	)
	return f, p
}

func TestAnswer(t *testing.T) {
	f, p := answerFixture(t)
	fp := func(keys ...string) uint64 {
		var x uint64
		for _, k := range keys {
			ev := f.events[k]
			x ^= fingerprint(k, ev.TS, ev.Kind)
		}
		return x
	}
	meta := func(k string) EventMeta {
		ev := f.events[k]
		return EventMeta{Key: k, TS: ev.TS, Kind: ev.Kind}
	}
	tests := []struct {
		name string
		req  Request
		want Reply
	}{
		{"all intervals", Request{Kind: ReqIntervals, From: 0, To: 10},
			Reply{Kind: RepFPs, FPs: []FP{{0, fp("a", "b")}, {1, fp("c")}, {2, fp("d", "e")}}}},
		{"some intervals", Request{Kind: ReqIntervals, From: 1, To: 2}, Reply{Kind: RepFPs, FPs: []FP{{1, fp("c")}}}},
		{"no interval", Request{Kind: ReqIntervals, From: 3, To: 3}, Reply{Kind: RepFPs}},
		{"intervals past NTP64", Request{Kind: ReqIntervals, From: 1 << 62, To: 1<<64 - 1}, Reply{Kind: RepFPs}},
		{"subs", Request{Kind: ReqSubs, Intervals: []uint64{0, 2, 5}},
			Reply{Kind: RepFPs, FPs: []FP{{3, fp("a", "b")}, {12, fp("d")}, {14, fp("e")}}}},
		{"subs of a run", Request{Kind: ReqSubs, Intervals: []uint64{1, 2}},
			Reply{Kind: RepFPs, FPs: []FP{{7, fp("c")}, {12, fp("d")}, {14, fp("e")}}}},
		{"events", Request{Kind: ReqEvents, Subs: []uint64{3, 4, 12}},
			Reply{Kind: RepEvents, Metas: []EventMeta{meta("a"), meta("b"), meta("d")}}},
		{"events after a key", Request{Kind: ReqEvents, Subs: []uint64{3, 7}, After: "a"},
			Reply{Kind: RepEvents, Metas: []EventMeta{meta("b"), meta("c")}}},
		{"events with values", Request{Kind: ReqEvents, Subs: []uint64{7, 12}, WithValues: true},
			Reply{Kind: RepValues, Events: []storage.Event{f.events["c"], f.events["d"]}}},
		{"values", Request{Kind: ReqValues, Keys: []string{"a", "d", "x"}},
			Reply{Kind: RepValues, Events: []storage.Event{f.events["a"], f.events["d"]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Answer(f, p, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Answer = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestAnswerMore cuts replies at two entries and follows the
// continuations by hand.
func TestAnswerMore(t *testing.T) {
	f, p := answerFixture(t)
	lim := limits{items: 2, bytes: 1 << 20}
	rep, err := answer(f, p, &Request{Kind: ReqIntervals, From: 0, To: 10}, lim)
	if err != nil || !rep.More || len(rep.FPs) != 2 || rep.FPs[1].Index != 1 {
		t.Fatalf("first page of intervals: %+v, %v", rep, err)
	}
	rep, err = answer(f, p, &Request{Kind: ReqIntervals, From: 2, To: 10}, lim)
	if err != nil || rep.More || len(rep.FPs) != 1 || rep.FPs[0].Index != 2 {
		t.Fatalf("second page of intervals: %+v, %v", rep, err)
	}
	rep, err = answer(f, p, &Request{Kind: ReqEvents, Subs: []uint64{3, 7, 12}}, lim)
	if err != nil || !rep.More || len(rep.Metas) != 2 || rep.Metas[1].Key != "b" {
		t.Fatalf("first page of events: %+v, %v", rep, err)
	}
	rep, err = answer(f, p, &Request{Kind: ReqEvents, Subs: []uint64{3, 7, 12}, After: "b"}, lim)
	if err != nil || rep.More || len(rep.Metas) != 2 || rep.Metas[0].Key != "c" || rep.Metas[1].Key != "d" {
		t.Fatalf("second page of events: %+v, %v", rep, err)
	}
	rep, err = answer(f, p, &Request{Kind: ReqValues, Keys: []string{"a", "b", "c"}}, limits{items: 10, bytes: 1})
	if err != nil || !rep.More || len(rep.Events) != 1 {
		t.Fatalf("values over the byte budget: %+v, %v", rep, err)
	}
}

func TestAnswerRefuses(t *testing.T) {
	f, p := answerFixture(t)
	tests := []struct {
		name string
		req  Request
		want error
	}{
		{"digest kind", Request{Kind: MsgDigest}, ErrType},
		{"reply kind", Request{Kind: RepFPs}, ErrType},
		{"backwards range", Request{Kind: ReqIntervals, From: 2, To: 1}, ErrRequest},
		{"intervals out of order", Request{Kind: ReqSubs, Intervals: []uint64{2, 1}}, ErrRequest},
		{"too many intervals", Request{Kind: ReqSubs, Intervals: make([]uint64, MaxItems/5+1)}, ErrLimit},
		{"subs out of order", Request{Kind: ReqEvents, Subs: []uint64{1, 1}}, ErrRequest},
		{"too many subs", Request{Kind: ReqEvents, Subs: make([]uint64, MaxItems+1)}, ErrLimit},
		{"keys out of order", Request{Kind: ReqValues, Keys: []string{"b", "a"}}, ErrRequest},
		{"empty key", Request{Kind: ReqValues, Keys: []string{""}}, ErrRequest},
		{"too many keys", Request{Kind: ReqValues, Keys: make([]string, MaxItems+1)}, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Answer(f, p, tt.req); !errors.Is(err, tt.want) {
				t.Errorf("Answer = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Answer(failing{f}, p, Request{Kind: ReqIntervals, To: 1}); !errors.Is(err, errFailing) {
		t.Errorf("failing source: %v", err)
	}
}

// divergent fills two fakes with random, partly shared contents and
// returns them with the last-writer-wins merge of both. Every time is
// below cut.
func divergent(seed uint64, p Params, cut uint64, n int) (a, b *fakeSource, want map[string]storage.Event) {
	g := newGen(seed)
	w := width(p)
	a, b, all := newFake(w), newFake(w), newFake(w)
	lo := hlc.NTP64(1)
	if g.rng.IntN(2) == 0 {
		lo = hlc.NTP64(cut/2) * w // Cold era only partly used
	}
	hi := hlc.NTP64(cut) * w
	emptyA, emptyB := seed%5 == 1, seed%5 == 2
	for range n {
		ev := g.event(fmt.Sprintf("k/%d", g.rng.IntN(n/2+1)), lo, hi)
		all.apply(ev)
		switch side := g.rng.IntN(4); {
		case side == 0 && !emptyA:
			a.apply(ev)
		case side == 1 && !emptyB:
			b.apply(ev)
		case !emptyA && !emptyB:
			a.apply(ev)
			b.apply(ev)
		case emptyA:
			b.apply(ev)
		default:
			a.apply(ev)
		}
	}
	return a, b, all.events
}

func TestConverge(t *testing.T) {
	lims := map[string]limits{"full replies": replyLimits, "replies of 3": {items: 3, bytes: 1 << 20}, "replies of 100 bytes": {items: MaxItems, bytes: 100}}
	for _, name := range slices.Sorted(maps.Keys(lims)) {
		lim := lims[name]
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(30) {
				p := testParams()
				if seed%3 == 0 {
					p.Warm = 0
				}
				cut := uint64(50 + seed*7)
				a, b, want := divergent(seed, p, cut, 20+int(seed)*20)
				exchange(t, a, b, p, cut, lim)
				exchange(t, b, a, p, cut, lim)
				if !reflect.DeepEqual(a.events, want) {
					t.Fatalf("seed %d: A holds %d keys, not the %d of the merge", seed, len(a.events), len(want))
				}
				if !reflect.DeepEqual(b.events, want) {
					t.Fatalf("seed %d: B holds %d keys, not the %d of the merge", seed, len(b.events), len(want))
				}
				for _, pair := range [][2]*fakeSource{{a, b}, {b, a}} {
					al, n := exchange(t, pair[0], pair[1], p, cut, lim)
					if !al.Plan().Empty() || n != 0 {
						t.Fatalf("seed %d: converged replicas still differ: %+v, %d requests", seed, al.Plan(), n)
					}
				}
			}
		})
	}
}

// TestConvergeMany has more events than a batch of keys, of events and of
// intervals.
func TestConvergeMany(t *testing.T) {
	p := testParams()
	p.SubIntervals = 1
	cut := uint64(3000)
	a, b, want := divergent(99, p, cut, 20_000)
	exchange(t, a, b, p, cut, replyLimits)
	exchange(t, b, a, p, cut, replyLimits)
	if !reflect.DeepEqual(a.events, want) || !reflect.DeepEqual(b.events, want) {
		t.Fatal("replicas did not converge")
	}
}

func TestIdenticalPlanEmpty(t *testing.T) {
	p := testParams()
	a, _, _ := divergent(3, p, 100, 200)
	b := newFake(a.w)
	for _, ev := range a.events {
		b.apply(ev)
	}
	al, n := exchange(t, a, b, p, 100, replyLimits)
	if !al.Plan().Empty() || n != 0 {
		t.Errorf("identical replicas: plan %+v, %d requests", al.Plan(), n)
	}
}

// TestAfterCut checks that events at or after the cut are neither in the
// digest nor fetched.
func TestAfterCut(t *testing.T) {
	p := testParams()
	a, b := newFake(width(p)), newFake(width(p))
	cut := uint64(100)
	g := newGen(5)
	b.apply(g.event("late", hlc.NTP64(cut)*b.w, hlc.NTP64(cut+1)*b.w))
	al, n := exchange(t, a, b, p, cut, replyLimits)
	if !al.Plan().Empty() || n != 0 || len(a.events) != 0 {
		t.Errorf("event after the cut: plan %+v, %d requests, %d events fetched", al.Plan(), n, len(a.events))
	}
}

// TestPullOnly checks that what only the local side holds is not
// requested.
func TestPullOnly(t *testing.T) {
	p := testParams()
	a, b := newFake(width(p)), newFake(width(p))
	g := newGen(6)
	for i := range 100 {
		a.apply(g.event(fmt.Sprintf("k/%d", i), 1, 100*a.w))
	}
	al, n := exchange(t, a, b, p, 100, replyLimits)
	if al.Plan().Empty() || n != 0 {
		t.Errorf("local-only events: plan %+v (want differences), %d requests (want 0)", al.Plan(), n)
	}
}

func TestNewAlignRefuses(t *testing.T) {
	p := testParams()
	f := newFake(width(p))
	d, err := BuildDigest(f, p, 100)
	if err != nil {
		t.Fatal(err)
	}
	other := p
	other.Warm++
	if _, err := NewAlign(f, other, &d); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other Warm: %v", err)
	}
	if _, err := NewAlign(newFake(f.w*2), p, &d); !errors.Is(err, ErrIncompatible) {
		t.Errorf("other slice width: %v", err)
	}
	bad := d
	bad.HotFPs = []FP{{Index: 100, FP: 1}}
	if _, err := NewAlign(f, p, &bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("hot fingerprint at the cut: %v", err)
	}
	other = p
	other.Hot = 0
	if _, err := NewAlign(f, other, &d); !errors.Is(err, ErrParams) {
		t.Errorf("invalid params: %v", err)
	}
}

// stepAfter returns an Align of a (empty) from a remote digest with the
// given hot fingerprints, with its first request sent.
func stepAfter(t *testing.T, hot []FP) (*Align, Request) {
	t.Helper()
	p := testParams()
	a := newFake(width(p))
	d := Digest{SubWidth: a.w, SubIntervals: 5, Hot: 2, Warm: 3, Cut: 100, HotFPs: hot}
	al, err := NewAlign(a, p, &d)
	if err != nil {
		t.Fatal(err)
	}
	req, ok := al.Next()
	if !ok {
		t.Fatal("nothing to request")
	}
	return al, req
}

func TestStepRefuses(t *testing.T) {
	id := testID(1)
	ev := func(key string, sub uint64) storage.Event {
		return storage.Event{Key: key, TS: hlc.Timestamp{Time: hlc.NTP64(sub)*width(testParams()) + 1, ID: id}, Kind: codec.MidPut}
	}
	tests := []struct {
		name string
		rep  Reply
	}{
		{"wrong kind", Reply{Kind: RepEvents}},
		{"fingerprints", Reply{Kind: RepFPs}},
		{"event outside the subs", Reply{Kind: RepValues, Events: []storage.Event{ev("a", 96)}}},
		{"more without entries", Reply{Kind: RepValues, More: true}},
		{"wild key", Reply{Kind: RepValues, Events: []storage.Event{ev("a/*", 95)}}},
		{"zero time", Reply{Kind: RepValues, Events: []storage.Event{{Key: "a", TS: hlc.Timestamp{ID: id}, Kind: codec.MidPut}}}},
		{"bad kind", Reply{Kind: RepValues, Events: []storage.Event{{Key: "a", TS: ev("a", 95).TS, Kind: 7}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			al, req := stepAfter(t, []FP{{Index: 95, FP: 1}})
			if req.Kind != ReqEvents || !req.WithValues || !slices.Equal(req.Subs, []uint64{95}) {
				t.Fatalf("first request %+v", req)
			}
			if _, err := al.Step(tt.rep); !errors.Is(err, ErrReply) {
				t.Fatalf("Step = %v, want ErrReply", err)
			}
			if _, ok := al.Next(); ok {
				t.Error("Next after an error still has requests")
			}
			if _, err := al.Step(Reply{Kind: RepValues}); !errors.Is(err, ErrReply) {
				t.Errorf("Step after an error = %v", err)
			}
		})
	}
}

func TestStepContinuation(t *testing.T) {
	al, req := stepAfter(t, []FP{{Index: 95, FP: 1}, {Index: 97, FP: 2}})
	if again, _ := al.Next(); !reflect.DeepEqual(again, req) {
		t.Fatalf("Next before Step = %+v, want the same %+v", again, req)
	}
	w := width(testParams())
	ev := storage.Event{Key: "m", TS: hlc.Timestamp{Time: 97*w + 1, ID: testID(1)}, Kind: codec.MidDel}
	apply, err := al.Step(Reply{Kind: RepValues, Events: []storage.Event{ev}, More: true})
	if err != nil || len(apply) != 1 {
		t.Fatalf("Step = %v, %v", apply, err)
	}
	next, ok := al.Next()
	want := Request{Kind: ReqEvents, Subs: []uint64{97}, After: "m", WithValues: true}
	if !ok || !reflect.DeepEqual(next, want) {
		t.Fatalf("continuation %+v, want %+v", next, want)
	}
	// A continuation that does not move forward is refused.
	if _, err := al.Step(Reply{Kind: RepValues, Events: []storage.Event{ev}, More: true}); !errors.Is(err, ErrReply) {
		t.Fatalf("stuck continuation: %v", err)
	}
}

func TestStepWithoutRequest(t *testing.T) {
	p := testParams()
	f := newFake(width(p))
	d, _ := BuildDigest(f, p, 10)
	al, err := NewAlign(f, p, &d)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := al.Next(); ok {
		t.Fatal("empty replicas have something to request")
	}
	if _, err := al.Step(Reply{Kind: RepFPs}); !errors.Is(err, ErrReply) {
		t.Errorf("Step with no request = %v", err)
	}
}
