package aligner

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

// naiveDigest computes the digest of f's events by classifying every
// event on its own.
func naiveDigest(f *fakeSource, p Params, cut uint64) Digest {
	w := f.SliceWidth()
	subs := uint64(p.SubIntervals)
	e := p.Eras(cut)
	d := Digest{SubWidth: w, SubIntervals: uint32(subs), Hot: uint32(p.Hot), Warm: uint32(p.Warm), Cut: cut}
	warm, hot := map[uint64]uint64{}, map[uint64]uint64{}
	for _, ev := range f.events {
		fp := fingerprint(ev.Key, ev.TS, ev.Kind)
		sub := uint64(ev.TS.Time / w)
		if sub >= cut {
			continue
		}
		switch e.IntervalEra(sub / subs) {
		case EraCold:
			d.Cold ^= fp
		case EraWarm:
			warm[sub/subs] ^= fp
		case EraHot:
			hot[sub] ^= fp
		}
	}
	list := func(m map[uint64]uint64) []FP {
		var fps []FP
		for _, i := range slices.Sorted(maps.Keys(m)) {
			if m[i] != 0 {
				fps = append(fps, FP{Index: i, FP: m[i]})
			}
		}
		return fps
	}
	d.WarmFPs, d.HotFPs = list(warm), list(hot)
	return d
}

func TestBuildDigestNaive(t *testing.T) {
	for seed := range uint64(40) {
		g := newGen(seed)
		p := testParams()
		p.SubIntervals = 1 + g.rng.IntN(6)
		p.Hot = 1 + g.rng.IntN(4)
		p.Warm = g.rng.IntN(6)
		w := width(p)
		f := newFake(w)
		// Times from 0 up to 40 intervals, so that small cuts saturate.
		hi := hlc.NTP64(40*p.SubIntervals) * w
		for i := range 1 + g.rng.IntN(300) {
			f.apply(g.event(fmt.Sprintf("k/%d", g.rng.IntN(i+1)), 1, hi))
		}
		for _, cut := range []uint64{0, 1, 3, uint64(p.SubIntervals), g.rng.Uint64N(uint64(45 * p.SubIntervals)), uint64(100 * p.SubIntervals)} {
			got, err := BuildDigest(f, p, cut)
			if err != nil {
				t.Fatal(err)
			}
			if want := naiveDigest(f, p, cut); !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d cut %d:\n got %+v\nwant %+v", seed, cut, got, want)
			}
			if err := got.check(); err != nil {
				t.Fatalf("seed %d cut %d: built digest fails check: %v", seed, cut, err)
			}
		}
	}
}

func TestBuildDigestEmpty(t *testing.T) {
	p := testParams()
	d, err := BuildDigest(newFake(width(p)), p, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := Digest{SubWidth: width(p), SubIntervals: 5, Hot: 2, Warm: 3, Cut: 1000}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("digest of nothing = %+v, want %+v", d, want)
	}
}

func TestBuildDigestErrors(t *testing.T) {
	p := testParams()
	f := newFake(width(p))
	if _, err := BuildDigest(f, p, ^uint64(0)); !errors.Is(err, ErrParams) {
		t.Errorf("cut past NTP64: %v, want ErrParams", err)
	}
	bad := p
	bad.Hot = 0
	if _, err := BuildDigest(f, bad, 10); !errors.Is(err, ErrParams) {
		t.Errorf("invalid params: %v, want ErrParams", err)
	}
	if _, err := BuildDigest(newFake(0), p, 10); !errors.Is(err, ErrParams) {
		t.Errorf("zero slice width: %v, want ErrParams", err)
	}
	f.apply(newGen(1).event("a", 50*f.w, 51*f.w))
	if _, err := BuildDigest(disorderly{f}, p, 10); err == nil {
		t.Error("slices out of order: no error")
	}
	if _, err := BuildDigest(failing{f}, p, 10); !errors.Is(err, errFailing) {
		t.Errorf("failing source: %v", err)
	}
}

// disorderly reports every slice twice, the second time with a smaller
// start.
type disorderly struct{ *fakeSource }

func (d disorderly) SliceFingerprints(from, to hlc.NTP64, fn func(hlc.NTP64, uint64) bool) error {
	return d.fakeSource.SliceFingerprints(from, to, func(start hlc.NTP64, fp uint64) bool {
		return fn(start, fp) && fn(start-d.w, fp)
	})
}

var errFailing = errors.New("failing source")

// failing fails every read.
type failing struct{ *fakeSource }

func (failing) SliceFingerprints(hlc.NTP64, hlc.NTP64, func(hlc.NTP64, uint64) bool) error {
	return errFailing
}
func (failing) TotalFingerprint() (uint64, error) { return 0, errFailing }

func TestDiff(t *testing.T) {
	base := Digest{SubWidth: 1, SubIntervals: 5, Hot: 2, Warm: 3, Cut: 100}
	with := func(cold uint64, warm, hot []FP) *Digest {
		d := base
		d.Cold, d.WarmFPs, d.HotFPs = cold, warm, hot
		return &d
	}
	tests := []struct {
		name          string
		local, remote *Digest
		want          Plan
	}{
		{"both empty", with(0, nil, nil), with(0, nil, nil), Plan{}},
		{"identical", with(7, []FP{{15, 1}, {17, 2}}, []FP{{90, 3}}), with(7, []FP{{15, 1}, {17, 2}}, []FP{{90, 3}}), Plan{}},
		{"cold", with(7, nil, nil), with(8, nil, nil), Plan{Cold: true}},
		{"remote only", with(0, nil, nil), with(0, []FP{{15, 1}}, []FP{{90, 3}, {95, 1}}), Plan{Intervals: []uint64{15}, Subs: []uint64{90, 95}}},
		{"local only", with(0, []FP{{16, 1}}, []FP{{91, 3}}), with(0, nil, nil), Plan{Intervals: []uint64{16}, Subs: []uint64{91}}},
		{"interleaved", with(1, []FP{{15, 1}, {16, 2}, {18, 4}}, []FP{{90, 1}, {92, 2}}),
			with(1, []FP{{15, 1}, {17, 3}, {18, 5}}, []FP{{91, 1}, {92, 2}}),
			Plan{Intervals: []uint64{16, 17, 18}, Subs: []uint64{90, 91}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Diff(tt.local, tt.remote)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Diff = %+v, want %+v", got, tt.want)
			}
			if got.Empty() != reflect.DeepEqual(tt.want, Plan{}) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	a := Digest{SubWidth: 8, SubIntervals: 5, Hot: 2, Warm: 3, Cut: 10, Cold: 1}
	b := a
	b.Cut, b.Cold = 20, 2
	if !Compatible(&a, &b) {
		t.Error("digests differing in cut and content are not compatible")
	}
	for i, edit := range []func(*Digest){
		func(d *Digest) { d.SubWidth++ },
		func(d *Digest) { d.SubIntervals++ },
		func(d *Digest) { d.Hot++ },
		func(d *Digest) { d.Warm++ },
	} {
		c := a
		edit(&c)
		if Compatible(&a, &c) {
			t.Errorf("edit %d: still compatible", i)
		}
	}
}

// BenchmarkBuildDigest builds the digest of 100,000 keys written over the
// last day, with the default Params.
func BenchmarkBuildDigest(b *testing.B) {
	p := DefaultParams()
	w := width(p)
	f := newFake(w)
	g := newGen(1)
	now := hlc.NTP64FromTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range 100_000 {
		f.apply(g.event(fmt.Sprintf("bench/key/%d", i), now-hlc.NTP64FromDuration(24*time.Hour), now))
	}
	cut := p.Cut(now.Time(), w)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		d, err := BuildDigest(f, p, cut)
		if err != nil {
			b.Fatal(err)
		}
		size = len(AppendDigest(nil, &d))
	}
	b.ReportMetric(float64(size), "digest-bytes")
}
