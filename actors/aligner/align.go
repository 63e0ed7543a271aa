package aligner

import (
	"fmt"
	"math"
	"slices"

	"github.com/gozenoh/zenoh/actors/storage"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Batch sizes of the requests Align sends.
const (
	// subsBatch is the most intervals per ReqSubs (fewer when
	// SubIntervals is so large that the reply would pass MaxItems).
	subsBatch = 256
	// eventsBatch is the most sub-intervals per ReqEvents.
	eventsBatch = 64
	// valuesBatch is the most keys per ReqValues.
	valuesBatch = 1000
)

// ReplyBudget is the size, in encoded bytes, past which Answer cuts a
// reply short (setting More) rather than add another entry. It is soft: a
// reply always holds at least one entry, which may be up to MaxPayload.
const ReplyBudget = 4 << 20

// limits are the item and byte budgets of a reply (tests shrink them to
// exercise continuations).
type limits struct {
	items, bytes int
}

var replyLimits = limits{items: MaxItems, bytes: ReplyBudget}

// Answer answers req from src, whose storage uses p: the replica side of
// an alignment, run for each query a remote Align sends. The reply is
// RepFPs for ReqIntervals and ReqSubs, RepEvents for ReqEvents, and
// RepValues for ReqEvents with values and for ReqValues. A reply that
// would pass MaxItems entries or ReplyBudget bytes is cut short with More
// set; the requester asks again for the rest. Events whose key or payload
// is over the wire limits are left out (they cannot be aligned). A
// request over the limits is refused with ErrLimit, a malformed one with
// ErrRequest.
func Answer(src Source, p Params, req Request) (Reply, error) {
	return answer(src, p, &req, replyLimits)
}

func answer(src Source, p Params, req *Request, lim limits) (Reply, error) {
	if err := p.Validate(); err != nil {
		return Reply{}, err
	}
	w := src.SliceWidth()
	if w == 0 {
		return Reply{}, fmt.Errorf("%w: slice width 0", ErrParams)
	}
	subs := uint64(p.SubIntervals)
	if err := req.check(subs); err != nil {
		return Reply{}, err
	}
	var rep Reply
	var err error
	switch req.Kind {
	case ReqIntervals:
		rep, err = answerIntervals(src, req, subs, w, lim)
	case ReqSubs:
		rep, err = answerSubs(src, req, subs, w)
	case ReqEvents:
		rep, err = answerEvents(src, req, w, lim)
	case ReqValues:
		rep, err = answerValues(src, req, lim)
	}
	if err != nil {
		return Reply{}, fmt.Errorf("aligner: answering %v: %w", req.Kind, err)
	}
	return rep, nil
}

// check verifies what DecodeRequest guarantees, for requests built in
// code, and the limits that depend on subs.
func (req *Request) check(subs uint64) error {
	ascending := func(what string, idx []uint64) error {
		for i := 1; i < len(idx); i++ {
			if idx[i] <= idx[i-1] {
				return fmt.Errorf("%w: %s out of order at %d", ErrRequest, what, i)
			}
		}
		return nil
	}
	switch req.Kind {
	case ReqIntervals:
		if req.From > req.To {
			return fmt.Errorf("%w: interval range [%d, %d)", ErrRequest, req.From, req.To)
		}
	case ReqSubs:
		if uint64(len(req.Intervals)) > MaxItems/subs {
			return fmt.Errorf("%w: %d intervals of %d sub-intervals", ErrLimit, len(req.Intervals), subs)
		}
		return ascending("intervals", req.Intervals)
	case ReqEvents:
		if len(req.Subs) > MaxItems || len(req.After) > MaxKey {
			return fmt.Errorf("%w: %d sub-intervals, cursor of %d bytes", ErrLimit, len(req.Subs), len(req.After))
		}
		return ascending("subs", req.Subs)
	case ReqValues:
		if len(req.Keys) > MaxItems {
			return fmt.Errorf("%w: %d keys", ErrLimit, len(req.Keys))
		}
		for i, k := range req.Keys {
			switch {
			case k == "" || len(k) > MaxKey:
				return fmt.Errorf("%w: key %d of %d bytes", ErrRequest, i, len(k))
			case i > 0 && k <= req.Keys[i-1]:
				return fmt.Errorf("%w: key %d out of order", ErrRequest, i)
			}
		}
	default:
		return fmt.Errorf("%w: %v is not a request", ErrType, req.Kind)
	}
	return nil
}

// answerIntervals aggregates the slice fingerprints of [From, To) per
// interval. SliceFingerprints reports slices in order, so an interval is
// complete when the next one starts.
func answerIntervals(src Source, req *Request, subs uint64, w hlc.NTP64, lim limits) (Reply, error) {
	rep := Reply{Kind: RepFPs}
	span := satMul(subs, uint64(w))
	from, to := satMul(req.From, span), satMul(req.To, span)
	if req.From >= req.To || from == math.MaxUint64 {
		return rep, nil
	}
	if to == math.MaxUint64 {
		to = 0 // past the NTP64 range: no upper bound
	}
	var cur FP
	order := newOrderCheck(req.From)
	// flush adds cur to the reply; false when the reply is full.
	flush := func() bool {
		if cur.FP == 0 {
			return true
		}
		if len(rep.FPs) >= lim.items {
			rep.More = true
			return false
		}
		rep.FPs = append(rep.FPs, cur)
		return true
	}
	err := src.SliceFingerprints(hlc.NTP64(from), hlc.NTP64(to), func(start hlc.NTP64, fp uint64) bool {
		i := uint64(start) / span
		if !order.ok(i) {
			return false
		}
		if i != cur.Index {
			if !flush() {
				return false
			}
			cur = FP{Index: i}
		}
		cur.FP ^= fp
		return true
	})
	if err == nil {
		err = order.err
	}
	if err != nil {
		return Reply{}, err
	}
	if !rep.More {
		flush()
	}
	return rep, nil
}

// answerSubs lists the sub-interval fingerprints of Intervals, reading
// each run of consecutive intervals with one SliceFingerprints call.
func answerSubs(src Source, req *Request, subs uint64, w hlc.NTP64) (Reply, error) {
	rep := Reply{Kind: RepFPs}
	var err error
	forRuns(req.Intervals, func(first, last uint64) bool {
		from := satMul(satMul(first, subs), uint64(w))
		to := satMul(satMul(last+1, subs), uint64(w))
		if from == math.MaxUint64 || last == math.MaxUint64 {
			return false
		}
		if to == math.MaxUint64 {
			to = 0
		}
		rep.FPs, err = appendSubFPs(rep.FPs, src, first*subs, hlc.NTP64(from), hlc.NTP64(to), w)
		return err == nil
	})
	if err != nil {
		return Reply{}, err
	}
	rep.FPs = dropZero(rep.FPs)
	return rep, nil
}

// appendSubFPs appends the fingerprints of the slices in [from, to) to
// fps, by sub-interval index; first is from's index. Zero entries may
// remain (dropZero).
func appendSubFPs(fps []FP, src Source, first uint64, from, to, w hlc.NTP64) ([]FP, error) {
	order := newOrderCheck(first)
	err := src.SliceFingerprints(from, to, func(start hlc.NTP64, fp uint64) bool {
		sub := uint64(start / w)
		if !order.ok(sub) {
			return false
		}
		fps = addFP(fps, sub, fp)
		return true
	})
	if err == nil {
		err = order.err
	}
	return fps, err
}

// forRuns calls fn with the first and last index of each run of
// consecutive indexes of the ascending idx, until fn returns false.
func forRuns(idx []uint64, fn func(first, last uint64) bool) {
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if !fn(idx[i], idx[j]) {
			return
		}
		i = j + 1
	}
}

// budget tracks the size of a reply under construction.
type budget struct {
	lim   limits
	items int
	bytes int
}

// add reports whether an entry of n bytes still fits, and counts it.
func (b *budget) add(n int) bool {
	if b.items > 0 && (b.items >= b.lim.items || b.bytes+n > b.lim.bytes) {
		return false
	}
	b.items++
	b.bytes += n
	return true
}

// Approximate encoded sizes of entries, for the reply budget.
func metaSize(key string) int { return len(key) + 3 + 8 + 1 + maxIDLen + 1 }

func eventSize(ev *storage.Event) int {
	return metaSize(ev.Key) + 3 + 2 + len(ev.Encoding.Schema) + 4 + len(ev.Payload)
}

// sendable reports whether ev fits the wire limits.
func sendable(ev *storage.Event) bool {
	return len(ev.Key) <= MaxKey && len(ev.Payload) <= MaxPayload && len(ev.Encoding.Schema) <= maxSchema
}

// answerEvents lists the events of Subs, by sub-interval then key, as
// metadata or (WithValues) in full. A full event is left out when it has
// moved to another slice since Slice listed its key: it is the requester's
// next round that will find it there.
func answerEvents(src Source, req *Request, w hlc.NTP64, lim limits) (Reply, error) {
	rep := Reply{Kind: RepEvents}
	if req.WithValues {
		rep.Kind = RepValues
	}
	b := budget{lim: lim}
	for i, sub := range req.Subs {
		if sub > uint64(hlc.MaxNTP64)/uint64(w) {
			break
		}
		after := ""
		if i == 0 {
			after = req.After
		}
		var keys []string
		err := src.Slice(subStart(sub, w), func(key string, ts hlc.Timestamp, kind byte) bool {
			switch {
			case key <= after || len(key) > MaxKey:
			case req.WithValues:
				keys = append(keys, key)
			case !b.add(metaSize(key)):
				rep.More = true
				return false
			default:
				rep.Metas = append(rep.Metas, EventMeta{Key: key, TS: ts, Kind: kind})
			}
			return true
		})
		if err == nil && len(keys) > 0 {
			err = addValues(src, keys, &b, &rep, func(ev *storage.Event) bool { return uint64(ev.TS.Time/w) == sub })
		}
		if err != nil {
			return Reply{}, err
		}
		if rep.More {
			break
		}
	}
	return rep, nil
}

// answerValues returns the stored events of Keys.
func answerValues(src Source, req *Request, lim limits) (Reply, error) {
	rep := Reply{Kind: RepValues}
	b := budget{lim: lim}
	if err := addValues(src, req.Keys, &b, &rep, nil); err != nil {
		return Reply{}, err
	}
	return rep, nil
}

// addValues appends to rep.Events the stored events of keys that are
// sendable and pass keep (nil: all), within b; when b runs out it sets
// rep.More and stops.
func addValues(src Source, keys []string, b *budget, rep *Reply, keep func(*storage.Event) bool) error {
	return src.Values(keys, func(ev storage.Event) bool {
		switch {
		case !sendable(&ev) || keep != nil && !keep(&ev):
		case !b.add(eventSize(&ev)):
			rep.More = true
			return false
		default:
			rep.Events = append(rep.Events, ev)
		}
		return true
	})
}

func satMul(a, b uint64) uint64 {
	if a != 0 && b > math.MaxUint64/a {
		return math.MaxUint64
	}
	return a * b
}

// Align narrows one remote digest down to the events to fetch: the
// requester side of an alignment. It is a plain state machine: the
// aligner actor sends each request Next returns to the replica that
// published the digest, and feeds the reply (from its Answer) to Step,
// until Next reports that nothing is left. Align pulls only: after it,
// the local storage holds whatever the remote had newer; the remote does
// the same from the local digest. An Align is used by one goroutine.
type Align struct {
	src  Source
	w    hlc.NTP64
	subs uint64
	plan Plan

	// coldFrom, coldTo are the Cold intervals still to compare; the range
	// is empty once done.
	coldFrom, coldTo uint64
	intervals        []uint64 // differing intervals, for ReqSubs
	fetch            []uint64 // differing sub-intervals we hold nothing of: ReqEvents with values
	metas            []uint64 // other differing sub-intervals: ReqEvents
	keys             []string // keys the remote holds newer: ReqValues

	cont    Request // the rest of a reply cut short, sent next when hasCont
	hasCont bool
	cur     Request // the last request Next returned
	waiting bool    // cur awaits its reply
	err     error   // the error that abandoned the alignment
}

// NewAlign starts aligning src, configured with p, from remote, a digest
// received from another replica: it builds the local digest at
// remote.Cut and diffs the two. A remote digest built with another
// configuration is refused with ErrIncompatible.
//
// Wherever the remote fingerprint is 0, the remote holds nothing to pull,
// so those differences are not followed (the remote's own alignment from
// the local digest pulls them the other way).
func NewAlign(src Source, p Params, remote *Digest) (*Align, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	w := src.SliceWidth()
	want := Digest{SubWidth: w, SubIntervals: uint32(p.SubIntervals), Hot: uint32(p.Hot), Warm: uint32(p.Warm)}
	if !Compatible(&want, remote) {
		return nil, fmt.Errorf("%w: remote width/sub-intervals/hot/warm %d/%d/%d/%d, local %d/%d/%d/%d",
			ErrIncompatible, remote.SubWidth, remote.SubIntervals, remote.Hot, remote.Warm,
			want.SubWidth, want.SubIntervals, want.Hot, want.Warm)
	}
	if err := remote.check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	local, err := BuildDigest(src, p, remote.Cut)
	if err != nil {
		return nil, err
	}
	a := &Align{src: src, w: w, subs: uint64(p.SubIntervals), plan: Diff(&local, remote)}
	if a.plan.Cold && remote.Cold != 0 {
		a.coldTo = remote.Eras().WarmStart
	}
	mergeFPs(local.WarmFPs, remote.WarmFPs, func(i, l, r uint64) {
		if r != 0 && l != r {
			a.intervals = append(a.intervals, i)
		}
	})
	mergeFPs(local.HotFPs, remote.HotFPs, a.queueSub)
	return a, nil
}

// queueSub queues sub-interval i for ReqEvents when it differs and the
// remote holds something there.
func (a *Align) queueSub(i, local, remote uint64) {
	switch {
	case remote == 0 || local == remote:
	case local == 0:
		a.fetch = append(a.fetch, i)
	default:
		a.metas = append(a.metas, i)
	}
}

// Plan returns the differences between the local and the remote digest
// found by NewAlign.
func (a *Align) Plan() Plan { return a.plan }

// Next returns the next request to send; ok is false when the alignment
// is finished or abandoned. Until Step is given its reply, Next returns
// the same request again, so that it may be resent after a timeout.
func (a *Align) Next() (req Request, ok bool) {
	if a.err != nil {
		return Request{}, false
	}
	if !a.waiting {
		if a.cur, ok = a.pick(); !ok {
			return Request{}, false
		}
		a.waiting = true
	}
	return a.cur, true
}

// pick chooses the next request. Full batches of the later stages go
// first, so that the queues stay short; then the Cold era; then partial
// batches, the earlier stages first as they feed the later ones.
func (a *Align) pick() (Request, bool) {
	sb := min(subsBatch, MaxItems/int(a.subs))
	switch {
	case a.hasCont:
		a.hasCont = false
		return a.cont, true
	case len(a.keys) >= valuesBatch:
		return a.valuesReq(), true
	case len(a.fetch) >= eventsBatch:
		return a.eventsReq(&a.fetch, true), true
	case len(a.metas) >= eventsBatch:
		return a.eventsReq(&a.metas, false), true
	case len(a.intervals) >= sb:
		return a.subsReq(sb), true
	case a.coldFrom < a.coldTo:
		return Request{Kind: ReqIntervals, From: a.coldFrom, To: a.coldTo}, true
	case len(a.intervals) > 0:
		return a.subsReq(sb), true
	case len(a.fetch) > 0:
		return a.eventsReq(&a.fetch, true), true
	case len(a.metas) > 0:
		return a.eventsReq(&a.metas, false), true
	case len(a.keys) > 0:
		return a.valuesReq(), true
	}
	return Request{}, false
}

// take removes up to n entries from the front of q and returns them
// sorted and without duplicates, as the wire needs.
func take[T string | uint64](q *[]T, n int) []T {
	n = min(n, len(*q))
	batch := slices.Clone((*q)[:n])
	*q = (*q)[n:]
	if len(*q) == 0 {
		*q = nil
	}
	slices.Sort(batch)
	return slices.Compact(batch)
}

func (a *Align) subsReq(n int) Request {
	return Request{Kind: ReqSubs, Intervals: take(&a.intervals, n)}
}

func (a *Align) eventsReq(q *[]uint64, withValues bool) Request {
	return Request{Kind: ReqEvents, Subs: take(q, eventsBatch), WithValues: withValues}
}

func (a *Align) valuesReq() Request {
	return Request{Kind: ReqValues, Keys: take(&a.keys, valuesBatch)}
}

// Step takes the reply to the request Next returned last, and returns
// the events to apply: full events the remote holds and the local store
// may lack or hold older. The caller applies them last writer wins
// (storage.Store.Apply), which drops those that are not newer; their
// payloads alias the reply. An error abandons the alignment: Next then
// reports nothing left, and Step returns the same error.
func (a *Align) Step(rep Reply) (apply []storage.Event, err error) {
	if a.err != nil {
		return nil, a.err
	}
	if !a.waiting {
		a.err = fmt.Errorf("%w: %v with no request outstanding", ErrReply, rep.Kind)
		return nil, a.err
	}
	a.waiting = false
	req := &a.cur
	want := RepFPs
	switch {
	case req.Kind == ReqEvents && !req.WithValues:
		want = RepEvents
	case req.Kind == ReqEvents || req.Kind == ReqValues:
		want = RepValues
	}
	switch {
	case rep.Kind != want:
		err = fmt.Errorf("%w: %v to %v", ErrReply, rep.Kind, req.Kind)
	case rep.More && len(rep.FPs)+len(rep.Metas)+len(rep.Events) == 0:
		err = fmt.Errorf("%w: empty %v with more to come", ErrReply, rep.Kind)
	case req.Kind == ReqIntervals:
		err = a.stepIntervals(req, &rep)
	case req.Kind == ReqSubs:
		err = a.stepSubs(req, &rep)
	case req.Kind == ReqEvents && !req.WithValues:
		err = a.stepMetas(req, &rep)
	case req.Kind == ReqEvents:
		apply, err = a.stepFetch(req, &rep)
	default:
		apply, err = a.stepValues(req, &rep)
	}
	if err != nil {
		a.err = err
		return nil, err
	}
	return apply, nil
}

// stepIntervals compares a page of remote Cold interval fingerprints with
// the local ones over the same range, and queues those that differ.
func (a *Align) stepIntervals(req *Request, rep *Reply) error {
	if err := checkFPs(rep.FPs, req.From, req.To); err != nil {
		return fmt.Errorf("%w: intervals: %w", ErrReply, err)
	}
	end := req.To
	if rep.More {
		end = rep.FPs[len(rep.FPs)-1].Index + 1
	}
	span := a.subs * uint64(a.w)
	var local []FP
	order := newOrderCheck(req.From)
	err := a.src.SliceFingerprints(hlc.NTP64(req.From*span), hlc.NTP64(end*span), func(start hlc.NTP64, fp uint64) bool {
		i := uint64(start) / span
		if !order.ok(i) {
			return false
		}
		local = addFP(local, i, fp)
		return true
	})
	if err == nil {
		err = order.err
	}
	if err != nil {
		return fmt.Errorf("aligner: local interval fingerprints: %w", err)
	}
	mergeFPs(dropZero(local), rep.FPs, func(i, l, r uint64) {
		if r != 0 && l != r {
			a.intervals = append(a.intervals, i)
		}
	})
	a.coldFrom = end
	return nil
}

// stepSubs compares the remote sub-interval fingerprints of a batch of
// intervals with the local ones, and queues those that differ.
func (a *Align) stepSubs(req *Request, rep *Reply) error {
	if rep.More {
		return fmt.Errorf("%w: ReqSubs answered in parts", ErrReply)
	}
	if err := checkFPs(rep.FPs, 0, math.MaxUint64); err != nil {
		return fmt.Errorf("%w: sub-intervals: %w", ErrReply, err)
	}
	for _, f := range rep.FPs {
		if _, found := slices.BinarySearch(req.Intervals, f.Index/a.subs); !found {
			return fmt.Errorf("%w: sub-interval %d outside the intervals asked", ErrReply, f.Index)
		}
	}
	var local []FP
	var err error
	forRuns(req.Intervals, func(first, last uint64) bool {
		local, err = appendSubFPs(local, a.src, first*a.subs,
			subStart(first*a.subs, a.w), subStart((last+1)*a.subs, a.w), a.w)
		return err == nil
	})
	if err != nil {
		return fmt.Errorf("aligner: local sub-interval fingerprints: %w", err)
	}
	mergeFPs(dropZero(local), rep.FPs, a.queueSub)
	return nil
}

// subOf returns the index of the sub-interval of ts, and whether it is
// one of subs.
func (a *Align) subOf(ts hlc.Timestamp, subs []uint64) (uint64, bool) {
	s := uint64(ts.Time / a.w)
	_, found := slices.BinarySearch(subs, s)
	return s, found
}

// stepMetas queues the keys of the remote events the local store lacks
// or holds older.
func (a *Align) stepMetas(req *Request, rep *Reply) error {
	for i := range rep.Metas {
		m := &rep.Metas[i]
		if _, ok := a.subOf(m.TS, req.Subs); !ok {
			return fmt.Errorf("%w: event of %q at %v outside the sub-intervals asked", ErrReply, m.Key, m.TS)
		}
		if err := validMeta(m.Key, m.TS, m.Kind); err != nil {
			return err
		}
		local, found, err := a.src.Latest(m.Key)
		if err != nil {
			return fmt.Errorf("aligner: latest %q: %w", m.Key, err)
		}
		if !found || local.TS.Compare(m.TS) < 0 {
			a.keys = append(a.keys, m.Key)
		}
	}
	if rep.More {
		last := &rep.Metas[len(rep.Metas)-1]
		return a.resumeEvents(req, last.TS, last.Key)
	}
	return nil
}

// stepFetch checks the full events of sub-intervals the local store held
// nothing of, and returns them to apply.
func (a *Align) stepFetch(req *Request, rep *Reply) ([]storage.Event, error) {
	for i := range rep.Events {
		ev := &rep.Events[i]
		if _, ok := a.subOf(ev.TS, req.Subs); !ok {
			return nil, fmt.Errorf("%w: event of %q at %v outside the sub-intervals asked", ErrReply, ev.Key, ev.TS)
		}
		if err := validEvent(ev); err != nil {
			return nil, err
		}
	}
	if rep.More {
		last := &rep.Events[len(rep.Events)-1]
		if err := a.resumeEvents(req, last.TS, last.Key); err != nil {
			return nil, err
		}
	}
	return rep.Events, nil
}

// resumeEvents sets up the continuation of a ReqEvents reply cut short
// after the event of key at ts.
func (a *Align) resumeEvents(req *Request, ts hlc.Timestamp, key string) error {
	sub, _ := a.subOf(ts, req.Subs)
	if sub == req.Subs[0] && key <= req.After {
		return fmt.Errorf("%w: continuation after %q does not move past %q", ErrReply, key, req.After)
	}
	k, _ := slices.BinarySearch(req.Subs, sub)
	a.cont = Request{Kind: ReqEvents, Subs: req.Subs[k:], After: key, WithValues: req.WithValues}
	a.hasCont = true
	return nil
}

// stepValues checks the events fetched by key and returns them to apply.
func (a *Align) stepValues(req *Request, rep *Reply) ([]storage.Event, error) {
	for i := range rep.Events {
		ev := &rep.Events[i]
		if _, found := slices.BinarySearch(req.Keys, ev.Key); !found {
			return nil, fmt.Errorf("%w: event of %q, a key not asked", ErrReply, ev.Key)
		}
		if err := validEvent(ev); err != nil {
			return nil, err
		}
	}
	if rep.More {
		k, _ := slices.BinarySearch(req.Keys, rep.Events[len(rep.Events)-1].Key)
		if rest := req.Keys[k+1:]; len(rest) > 0 {
			a.cont = Request{Kind: ReqValues, Keys: rest}
			a.hasCont = true
		}
	}
	return rep.Events, nil
}

// validEvent checks a fetched event as DecodeReply does, for replies
// built in code, so that the store does not refuse the batch to apply.
func validEvent(ev *storage.Event) error {
	if err := validMeta(ev.Key, ev.TS, ev.Kind); err != nil {
		return err
	}
	if len(ev.Encoding.Schema) > maxSchema {
		return fmt.Errorf("%w: event of %q with a schema of %d bytes", ErrReply, ev.Key, len(ev.Encoding.Schema))
	}
	return nil
}

// validMeta checks the key, timestamp and kind of an event as
// DecodeReply does.
func validMeta(key string, ts hlc.Timestamp, kind byte) error {
	switch {
	case key == "" || len(key) > MaxKey || keyexpr.IsWild(key):
		return fmt.Errorf("%w: event key %q", ErrReply, key)
	case ts.Time == 0 || ts.ID.IsZero():
		return fmt.Errorf("%w: event of %q with a zero timestamp", ErrReply, key)
	case kind != codec.MidPut && kind != codec.MidDel:
		return fmt.Errorf("%w: event of %q with kind %#x", ErrReply, key, kind)
	}
	return nil
}
