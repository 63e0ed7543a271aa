package aligner

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

func TestDefaultParams(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := p.SliceWidth(); got != 2*time.Second {
		t.Errorf("SliceWidth = %v, want 2s", got)
	}
	if p.MaxSkew != hlc.DefaultMaxDelta {
		t.Errorf("MaxSkew = %v, want the HLC's %v", p.MaxSkew, hlc.DefaultMaxDelta)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Params)
		ok   bool
	}{
		{"default", func(*Params) {}, true},
		{"no warm, no delays", func(p *Params) { p.Warm, p.PropagationDelay, p.MaxSkew = 0, 0, 0 }, true},
		{"one sub-interval per ns", func(p *Params) { p.Interval, p.SubIntervals = 5, 5 }, true},
		{"zero interval", func(p *Params) { p.Interval = 0 }, false},
		{"negative interval", func(p *Params) { p.Interval = -time.Second }, false},
		{"zero sub-intervals", func(p *Params) { p.SubIntervals = 0 }, false},
		{"zero hot", func(p *Params) { p.Hot = 0 }, false},
		{"negative warm", func(p *Params) { p.Warm = -1 }, false},
		{"negative delay", func(p *Params) { p.PropagationDelay = -1 }, false},
		{"negative skew", func(p *Params) { p.MaxSkew = -1 }, false},
		{"empty sub-intervals", func(p *Params) { p.Interval, p.SubIntervals = 4, 5 }, false},
		{"hot digest too long", func(p *Params) { p.Hot, p.SubIntervals = MaxItems/5+1, 5 }, false},
		{"hot digest at the limit", func(p *Params) { p.Hot, p.SubIntervals = MaxItems/5, 5 }, true},
		{"too many sub-intervals", func(p *Params) { p.SubIntervals = MaxItems + 1 }, false},
		{"warm digest too long", func(p *Params) { p.Warm = MaxItems + 1 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			tt.edit(&p)
			err := p.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrParams) {
				t.Fatalf("error %v is not ErrParams", err)
			}
		})
	}
}

func TestSliceWidthInvalid(t *testing.T) {
	p := Params{Interval: time.Second}
	if got := p.SliceWidth(); got != 0 {
		t.Errorf("SliceWidth without sub-intervals = %v, want 0", got)
	}
}

func TestCut(t *testing.T) {
	w := hlc.NTP64FromDuration(2 * time.Second)
	unix := func(sec int64, ns int64) time.Time { return time.Unix(sec, ns) }
	tests := []struct {
		name string
		p    func(*Params)
		now  time.Time
		w    hlc.NTP64
		want uint64
	}{
		{"epoch", nil, unix(0, 0), w, 0},
		{"within the delays", nil, unix(0, 750e6), w, 0},
		{"before 1970", nil, unix(-100, 0), w, 0},
		{"first slice not complete", nil, unix(2, 750e6-1), w, 0},
		{"first slice complete", nil, unix(2, 750e6), w, 1},
		{"mid slice", nil, unix(5, 0), w, 2},
		{"no delays", func(p *Params) { p.PropagationDelay, p.MaxSkew = 0, 0 }, unix(4, 0), w, 2},
		{"huge delays", func(p *Params) { p.PropagationDelay, p.MaxSkew = math.MaxInt64, math.MaxInt64 }, unix(1e9, 0), w, 0},
		{"zero width", nil, unix(100, 0), 0, 0},
		{"width 1", func(p *Params) { p.PropagationDelay, p.MaxSkew = 0, 0 }, unix(1, 0), 1, 1 << 32},
		{"today", nil, unix(1_700_000_000, 750e6), w, 850_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := DefaultParams()
			if tt.p != nil {
				tt.p(&p)
			}
			if got := p.Cut(tt.now, tt.w); got != tt.want {
				t.Errorf("Cut(%v, %d) = %d, want %d", tt.now, tt.w, got, tt.want)
			}
		})
	}
}

func TestEras(t *testing.T) {
	const max = math.MaxUint64
	tests := []struct {
		name            string
		subs, hot, warm int
		cut             uint64
		want            Eras
	}{
		{"cut 0", 5, 2, 3, 0, Eras{}},
		{"cut 1", 5, 2, 3, 1, Eras{Cut: 1, End: 1}},
		{"one full interval", 5, 2, 3, 5, Eras{Cut: 5, End: 1}},
		{"into the second interval", 5, 2, 3, 6, Eras{Cut: 6, End: 2}},
		{"first warm", 5, 2, 3, 11, Eras{Cut: 11, End: 3, HotStart: 1, HotSub: 5}},
		{"warm full", 5, 2, 3, 25, Eras{Cut: 25, End: 5, HotStart: 3, HotSub: 15}},
		{"first cold", 5, 2, 3, 26, Eras{Cut: 26, End: 6, HotStart: 4, HotSub: 20, WarmStart: 1}},
		{"interval boundary", 5, 2, 3, 30, Eras{Cut: 30, End: 6, HotStart: 4, HotSub: 20, WarmStart: 1}},
		{"just past a boundary", 5, 2, 3, 31, Eras{Cut: 31, End: 7, HotStart: 5, HotSub: 25, WarmStart: 2}},
		{"no warm", 1, 1, 0, 10, Eras{Cut: 10, End: 10, HotStart: 9, HotSub: 9, WarmStart: 9}},
		{"max cut", 5, 2, 3, max, Eras{Cut: max, End: max / 5, HotStart: max/5 - 2, HotSub: (max/5 - 2) * 5, WarmStart: max/5 - 5}},
		{"max cut, uneven", 7, 1, 1, max, Eras{Cut: max, End: max/7 + 1, HotStart: max / 7, HotSub: max / 7 * 7, WarmStart: max/7 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Params{SubIntervals: tt.subs, Hot: tt.hot, Warm: tt.warm}
			if got := p.Eras(tt.cut); got != tt.want {
				t.Errorf("Eras(%d) = %+v, want %+v", tt.cut, got, tt.want)
			}
		})
	}
}

// TestErasDefinition checks Eras against the definition, in signed
// arithmetic: with C = (Cut-1)/SubIntervals, Hot is intervals (C-Hot, C],
// Warm (C-Hot-Warm, C-Hot] and Cold the rest up to C-Hot-Warm; hot
// sub-intervals stop at Cut.
func TestErasDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		subs, hot, warm := 1+rng.IntN(6), 1+rng.IntN(4), rng.IntN(5)
		cut := rng.Uint64N(80)
		p := Params{SubIntervals: subs, Hot: hot, Warm: warm}
		e := p.Eras(cut)
		c := (int64(cut) - 1) / int64(subs)
		if cut == 0 {
			c = -1 // no sub-interval included
		}
		for i := int64(0); i < c+5; i++ {
			var want Era
			switch {
			case i > c:
				want = EraNone
			case i > c-int64(hot):
				want = EraHot
			case i > c-int64(hot)-int64(warm):
				want = EraWarm
			default:
				want = EraCold
			}
			if got := e.IntervalEra(uint64(i)); got != want {
				t.Fatalf("subs %d hot %d warm %d cut %d: interval %d is era %d, want %d", subs, hot, warm, cut, i, got, want)
			}
		}
		for s := uint64(0); s < cut+10; s++ {
			hotSub := s < cut && e.IntervalEra(s/uint64(subs)) == EraHot
			if got := s >= e.HotSub && s < e.Cut; got != hotSub {
				t.Fatalf("subs %d hot %d cut %d: sub %d hot=%v, want %v", subs, hot, cut, s, got, hotSub)
			}
		}
	}
}
