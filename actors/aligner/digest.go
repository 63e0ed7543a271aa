package aligner

import (
	"fmt"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/hlc"
)

// Source is what the aligner reads of a storage: *storage.Store
// implements it. Its methods may be called from the aligner actor while
// the storage writes; each call must be consistent on its own, but two
// calls need not see the same state (a write in between only makes a
// digest or a comparison differ, which a later round corrects).
type Source interface {
	// SliceWidth is the width of a sub-interval (the store's time slice),
	// in NTP64 units. It is never 0.
	SliceWidth() hlc.NTP64
	// SliceFingerprints calls fn in increasing order of start for every
	// slice whose start is in [from, to) (to == 0: no upper bound) and
	// whose fingerprint is nonzero, until fn returns false. A slice's
	// fingerprint is the XOR of the fingerprints of its events.
	SliceFingerprints(from, to hlc.NTP64, fn func(start hlc.NTP64, fp uint64) bool) error
	// TotalFingerprint is the XOR of the fingerprints of every stored
	// event.
	TotalFingerprint() (uint64, error)
	// Slice calls fn with the (key, timestamp, kind) of the events of the
	// slice starting at start, in key order, until fn returns false.
	Slice(start hlc.NTP64, fn func(key string, ts hlc.Timestamp, kind byte) bool) error
	// Latest returns the stored event of key (a tombstone has Kind
	// codec.MidDel).
	Latest(key string) (storage.Event, bool, error)
	// Values calls fn with the full stored event of each key of keys that
	// exists, in the order of keys, until fn returns false. Answer relies
	// on the order to resume a reply cut short.
	Values(keys []string, fn func(storage.Event) bool) error
}

// FP is the fingerprint of an interval or a sub-interval, by index.
type FP struct {
	Index uint64
	FP    uint64
}

// Digest summarises the events of a storage below a cut: one fingerprint
// per Hot sub-interval, one per Warm interval and one for the whole Cold
// era (see the package doc). Lists hold nonzero fingerprints only, in
// strictly ascending Index.
type Digest struct {
	// SubWidth, SubIntervals, Hot and Warm are the configuration the
	// digest was built with; only digests that agree on them compare.
	SubWidth     hlc.NTP64
	SubIntervals uint32
	Hot, Warm    uint32
	// Cut is the first sub-interval left out (Params.Cut).
	Cut uint64
	// Cold is the XOR of the fingerprints of the events of the Cold era.
	Cold uint64
	// WarmFPs holds the fingerprint of each Warm interval.
	WarmFPs []FP
	// HotFPs holds the fingerprint of each Hot sub-interval below Cut.
	HotFPs []FP
}

// Eras returns the era boundaries of d.
func (d *Digest) Eras() Eras {
	return eras(d.Cut, uint64(d.SubIntervals), uint64(d.Hot), uint64(d.Warm))
}

// BuildDigest builds the digest of src at cut (usually p.Cut(now,
// src.SliceWidth())). It reads only slice fingerprints, never events:
// one pass over the slices from the start of the Warm era on, and the
// total fingerprint, from which the Cold one follows by XOR.
func BuildDigest(src Source, p Params, cut uint64) (Digest, error) {
	if err := p.Validate(); err != nil {
		return Digest{}, err
	}
	w := src.SliceWidth()
	if err := checkCut(cut, w); err != nil {
		return Digest{}, err
	}
	subs := uint64(p.SubIntervals)
	e := p.Eras(cut)
	d := Digest{
		SubWidth:     w,
		SubIntervals: uint32(p.SubIntervals),
		Hot:          uint32(p.Hot),
		Warm:         uint32(p.Warm),
		Cut:          cut,
	}
	total, err := src.TotalFingerprint()
	if err != nil {
		return Digest{}, fmt.Errorf("aligner: total fingerprint: %w", err)
	}
	// recent is the XOR of every slice from the Warm era on, those at or
	// after the cut included: total^recent is then the Cold era.
	var recent uint64
	order := newOrderCheck(e.WarmStart * subs)
	err = src.SliceFingerprints(subStart(e.WarmStart*subs, w), 0, func(start hlc.NTP64, fp uint64) bool {
		recent ^= fp
		sub := uint64(start / w)
		if !order.ok(sub) {
			return false
		}
		switch {
		case sub >= cut:
		case sub >= e.HotSub:
			d.HotFPs = addFP(d.HotFPs, sub, fp)
		default:
			d.WarmFPs = addFP(d.WarmFPs, sub/subs, fp)
		}
		return true
	})
	if err == nil {
		err = order.err
	}
	if err != nil {
		return Digest{}, fmt.Errorf("aligner: slice fingerprints: %w", err)
	}
	d.Cold = total ^ recent
	d.WarmFPs = dropZero(d.WarmFPs)
	d.HotFPs = dropZero(d.HotFPs)
	return d, nil
}

// checkCut reports a cut whose sub-intervals do not all start within the
// NTP64 range, or a zero slice width.
func checkCut(cut uint64, w hlc.NTP64) error {
	if w == 0 {
		return fmt.Errorf("%w: slice width 0", ErrParams)
	}
	if !cutInRange(cut, w) {
		return fmt.Errorf("%w: cut %d at slice width %d is past the NTP64 range", ErrParams, cut, w)
	}
	return nil
}

// cutInRange reports whether every sub-interval below cut starts within
// the NTP64 range (w > 0).
func cutInRange(cut uint64, w hlc.NTP64) bool { return cut <= uint64(hlc.MaxNTP64)/uint64(w) }

// subStart returns the start time of sub-interval s; s*w must not
// overflow (checkCut).
func subStart(s uint64, w hlc.NTP64) hlc.NTP64 { return hlc.NTP64(s * uint64(w)) }

// orderCheck verifies that a Source reports slices in increasing order
// from a lower bound, as the digest lists need ascending indexes.
type orderCheck struct {
	next uint64 // smallest acceptable sub-interval index
	err  error
}

func newOrderCheck(from uint64) orderCheck { return orderCheck{next: from} }

func (o *orderCheck) ok(sub uint64) bool {
	if sub < o.next {
		o.err = fmt.Errorf("source reported slice %d out of order (expected %d or later)", sub, o.next)
		return false
	}
	o.next = sub
	return true
}

// addFP XORs fp into the last entry of fps when it has index i, or
// appends a new entry: slices arrive in ascending order, so the entries
// of one interval are adjacent.
func addFP(fps []FP, i, fp uint64) []FP {
	if n := len(fps); n > 0 && fps[n-1].Index == i {
		fps[n-1].FP ^= fp
		return fps
	}
	return append(fps, FP{Index: i, FP: fp})
}

// dropZero removes, in place, the entries whose fingerprints cancelled
// out; nil when none is left.
func dropZero(fps []FP) []FP {
	out := fps[:0]
	for _, f := range fps {
		if f.FP != 0 {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Compatible reports whether a and b were built with the same slice
// width, SubIntervals, Hot and Warm, so that their fingerprints cover the
// same ranges and Diff means something.
func Compatible(a, b *Digest) bool {
	return a.SubWidth == b.SubWidth && a.SubIntervals == b.SubIntervals &&
		a.Hot == b.Hot && a.Warm == b.Warm
}

// Plan is what differs between two digests of the same cut.
type Plan struct {
	// Cold is set when the Cold fingerprints differ.
	Cold bool
	// Intervals are the Warm intervals whose fingerprints differ
	// (including those present on one side only), ascending.
	Intervals []uint64
	// Subs are the Hot sub-intervals whose fingerprints differ, ascending.
	Subs []uint64
}

// Empty reports whether the digests agreed on everything.
func (p Plan) Empty() bool { return !p.Cold && len(p.Intervals) == 0 && len(p.Subs) == 0 }

// Diff compares local with remote. Both must be Compatible and built at
// the same Cut (NewAlign builds local at remote.Cut); Diff checks
// neither.
func Diff(local, remote *Digest) Plan {
	var p Plan
	p.Cold = local.Cold != remote.Cold
	mergeFPs(local.WarmFPs, remote.WarmFPs, func(i, l, r uint64) {
		if l != r {
			p.Intervals = append(p.Intervals, i)
		}
	})
	mergeFPs(local.HotFPs, remote.HotFPs, func(i, l, r uint64) {
		if l != r {
			p.Subs = append(p.Subs, i)
		}
	})
	return p
}

// mergeFPs walks two lists in ascending Index and calls fn once for every
// index present in either, with its fingerprint in a and in b (0 when
// absent). Both lists must be strictly ascending.
func mergeFPs(a, b []FP, fn func(index, fa, fb uint64)) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Index < b[j].Index):
			fn(a[i].Index, a[i].FP, 0)
			i++
		case i == len(a) || b[j].Index < a[i].Index:
			fn(b[j].Index, 0, b[j].FP)
			j++
		default:
			fn(a[i].Index, a[i].FP, b[j].FP)
			i++
			j++
		}
	}
}

// The store is the Source of a storage's aligner.
var _ Source = (*storage.Store)(nil)
