package zenoh

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// QueryTarget says which queryables a query goes to.
type QueryTarget uint8

// Query targets (spec/network.md section 3.2).
const (
	// QueryTargetBestMatching reaches one complete queryable including
	// the key if there is one, else every matching queryable (default).
	QueryTargetBestMatching QueryTarget = 0
	// QueryTargetAll reaches every matching queryable.
	QueryTargetAll QueryTarget = 1
	// QueryTargetAllComplete reaches every complete queryable including
	// the key.
	QueryTargetAllComplete QueryTarget = 2
)

// ConsolidationMode says how a Get merges the replies it receives for
// one key. Consolidation is done by the querier; the values are Rust's
// wire values (spec/network.md section 13 item 1).
type ConsolidationMode uint8

// Consolidation modes.
const (
	// ConsolidationAuto is ConsolidationLatest, or ConsolidationNone when
	// the selector's parameters hold a time range (_time=), as zenoh
	// decides it (default).
	ConsolidationAuto ConsolidationMode = 0
	// ConsolidationNone delivers every reply as it comes.
	ConsolidationNone ConsolidationMode = 1
	// ConsolidationMonotonic delivers a reply as it comes unless one with
	// an equal or newer timestamp was delivered for its key (replies
	// without timestamps: only the first per key).
	ConsolidationMonotonic ConsolidationMode = 2
	// ConsolidationLatest keeps, per key, the reply with the newest
	// timestamp (the first one among replies without timestamps) and
	// delivers them when the query ends, in the order their keys first
	// arrived.
	ConsolidationLatest ConsolidationMode = 3
)

// ErrQueryEnded is returned by the reply methods of a Query whose
// callback has returned.
var ErrQueryEnded = errors.New("zenoh: query ended: replies must be sent before the callback returns")

// getOptions are the settings of one Get.
type getOptions struct {
	pub           pubOptions // QoS
	target        QueryTarget
	consolidation ConsolidationMode
	timeout       time.Duration
	payload       []byte
	hasPayload    bool
	encoding      Encoding
	attachment    []byte
	budget        uint32
}

type getOptionFunc func(*getOptions)

func (f getOptionFunc) applyGet(o *getOptions) { f(o) }

// WithTarget sets the queryables a Get reaches (default
// QueryTargetBestMatching).
func WithTarget(t QueryTarget) GetOption {
	return getOptionFunc(func(o *getOptions) { o.target = t })
}

// WithConsolidation sets how a Get merges replies (default
// ConsolidationAuto).
func WithConsolidation(c ConsolidationMode) GetOption {
	return getOptionFunc(func(o *getOptions) { o.consolidation = c })
}

// WithTimeout bounds a Get (default Config.QueryTimeout). It is also
// sent to the routers on the way, which answer for queryables that did
// not reply in time with an error reply "Timeout".
func WithTimeout(d time.Duration) GetOption {
	return getOptionFunc(func(o *getOptions) { o.timeout = d })
}

// WithBudget bounds the replies a Get accepts: it ends after n (0, the
// default, means no bound). The budget also travels with the query, so
// that routers may stop early.
func WithBudget(n uint32) GetOption {
	return getOptionFunc(func(o *getOptions) { o.budget = n })
}

// WithPayload attaches a value to a query (copied); WithEncoding sets
// its encoding.
func WithPayload(b []byte) GetOption {
	b = cloneBytes(b)
	if b == nil {
		b = []byte{}
	}
	return getOptionFunc(func(o *getOptions) { o.payload, o.hasPayload = b, true })
}

// Reply is one answer to a Get: a Sample, or an error when Err is not
// nil.
type Reply struct {
	// Sample is the answer when Err is nil.
	Sample Sample
	// Err is set for an error reply: from a queryable (Query.ReplyErr),
	// or "Timeout" from a router, or from this session when the Get
	// times out.
	Err *ReplyError
	// ResponderID is the ZenohId of the node that answered, when known.
	ResponderID string
}

// ReplyError is the value of an error reply.
type ReplyError struct {
	Payload  []byte
	Encoding Encoding
}

// Error returns the payload as text.
func (e *ReplyError) Error() string { return "zenoh: error reply: " + string(e.Payload) }

// Get queries selector ("key" or "key?parameters") and returns the
// channel on which the replies arrive; it is closed when the query ends:
// every queryable reached has finished, or the timeout expired (then an
// error reply "Timeout" comes last), or ctx ended, or the session
// closed. A query that reaches no queryable ends at once. The replies
// are queued without bound until read; a caller that stops reading
// should cancel ctx.
//
// Queryables of this session are queried too (all matching ones, with
// QueryTargetBestMatching as with QueryTargetAll).
func (s *Session) Get(ctx context.Context, selector string, opts ...GetOption) (<-chan Reply, error) {
	key, params, _ := strings.Cut(selector, "?")
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	o := getOptions{pub: pubOptions{priority: PriorityDefault, congestion: CongestionControlBlock},
		timeout: s.cfg.QueryTimeout}
	for _, op := range opts {
		op.applyGet(&o)
	}
	if o.timeout <= 0 {
		o.timeout = s.cfg.QueryTimeout
	}
	mode := o.consolidation
	if mode == ConsolidationAuto || mode > ConsolidationLatest {
		mode = ConsolidationLatest
		if hasParam(params, "_time") {
			mode = ConsolidationNone
		}
	}
	if o.target > QueryTargetAllComplete {
		o.target = QueryTargetBestMatching
	}
	id := s.nextQuery.Add(1)
	if id == 0 {
		id = s.nextQuery.Add(1)
	}
	ms := uint64(o.timeout.Milliseconds())
	if ms == 0 {
		ms = 1
	}
	req := codec.Request{ID: id, WireExpr: wire(key), QoS: o.pub.qos(), Target: codec.Target(o.target),
		Timeout: ms, Budget: o.budget, Query: codec.Query{Consolidation: uint8(mode), HasConsolidation: true,
			Parameters: []byte(params), Attachment: o.attachment}}
	if o.hasPayload || o.encoding != (Encoding{}) {
		req.Query.HasBody = true
		req.Query.BodyEncoding = o.encoding.toCodec()
		req.Query.BodyPayload = o.payload
	}
	g := &pendingGet{id: id, key: key, params: params, anyKey: hasParam(params, "_anyke"), mode: mode,
		target: o.target, timeout: o.timeout, req: req, q: newReplyQueue(), left: 1, budget: o.budget}
	out := make(chan Reply)
	if err := s.track(); err != nil {
		return nil, err
	}
	// The dispatcher learns of the query before the router can answer.
	s.sys.Root.Send(s.disp, &startGet{g: g})
	s.send(codec.NetworkMessage{ID: codec.MidRequest, Request: req})
	go s.forward(ctx, g.q, &endGet{id: g.id}, out)
	return out, nil
}

// track counts one more goroutine Close must wait for, unless the
// session is closed.
func (s *Session) track() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isClosed() {
		return ErrClosed
	}
	s.wg.Add(1)
	return nil
}

// hasParam reports whether the ;-separated parameters hold name (alone
// or as name=value).
func hasParam(params, name string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, _, _ := strings.Cut(p, "=")
		if k == name {
			return true
		}
	}
	return false
}

// replyQueue hands replies from the dispatcher to a Get's forwarder
// without ever blocking the dispatcher.
type replyQueue struct {
	mu     sync.Mutex
	items  []Reply
	ended  bool
	signal chan struct{}
}

func newReplyQueue() *replyQueue { return &replyQueue{signal: make(chan struct{}, 1)} }

func (q *replyQueue) push(r Reply) {
	q.mu.Lock()
	q.items = append(q.items, r)
	q.mu.Unlock()
	q.wake()
}

func (q *replyQueue) end() {
	q.mu.Lock()
	q.ended = true
	q.mu.Unlock()
	q.wake()
}

func (q *replyQueue) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *replyQueue) take() ([]Reply, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items, q.ended
}

// forward moves a Get's replies to its channel until the query ends,
// ctx ends or the session closes; stop (sent to the dispatcher) ends the
// query early when ctx ends.
func (s *Session) forward(ctx context.Context, q *replyQueue, stop any, out chan<- Reply) {
	defer s.wg.Done()
	defer close(out)
	cancel := func() {
		if !s.isClosed() {
			s.sys.Root.Send(s.disp, stop)
		}
	}
	for {
		items, ended := q.take()
		for _, r := range items {
			select {
			case out <- r:
			case <-ctx.Done():
				cancel()
				return
			case <-s.done:
				return
			}
		}
		if len(items) > 0 {
			continue
		}
		if ended {
			return
		}
		select {
		case <-q.signal:
		case <-ctx.Done():
			cancel()
			return
		case <-s.done:
			return
		}
	}
}

// pendingGet is a Get in progress; only the dispatcher touches it
// (except q).
type pendingGet struct {
	id      uint32
	key     string
	params  string
	anyKey  bool
	mode    ConsolidationMode
	target  QueryTarget
	timeout time.Duration
	req     codec.Request
	q       *replyQueue
	left    int // sources still to send their final: the router, local queryables
	timer   *time.Timer
	latest  map[string]Reply
	order   []string // keys of latest, first arrival first
	budget  uint32   // replies accepted at most, 0 = no bound
	replies uint32   // replies received
}

func (d *dispatcher) startGet(g *pendingGet) {
	d.gets[g.id] = g
	s := d.s
	id := g.id
	g.timer = time.AfterFunc(g.timeout, func() { s.sys.Root.Send(s.disp, &endGet{id: id, timeout: true}) })
	qs := d.matching(g.key, g.target)
	if len(qs) == 0 {
		return
	}
	g.left++
	for _, qbl := range qs {
		d.runQueryable(qbl, &g.req, func(r codec.Response) {
			s.sys.Root.Send(s.disp, &localReply{getID: id, resp: r})
		})
	}
	s.sys.Root.Send(s.disp, &localFinal{getID: id})
}

// matching returns the queryables a query on key with target reaches,
// by id.
func (d *dispatcher) matching(key string, target QueryTarget) []*Queryable {
	var qs []*Queryable
	for _, q := range d.qbls {
		if q.undeclared.Load() || !keyexpr.Intersects(q.key, key) {
			continue
		}
		if target == QueryTargetAllComplete && !(q.complete && keyexpr.Includes(q.key, key)) {
			continue
		}
		qs = append(qs, q)
	}
	slices.SortFunc(qs, func(a, b *Queryable) int { return int(int64(a.id) - int64(b.id)) })
	return qs
}

// request answers a query the router forwarded: every matching
// queryable's callback runs, then one ResponseFinal goes back.
func (d *dispatcher) request(r *codec.Request) {
	s := d.s
	rid := r.ID
	for _, qbl := range d.matching(string(r.WireExpr.Suffix), QueryTarget(r.Target)) {
		d.runQueryable(qbl, r, func(resp codec.Response) {
			resp.RequestID = rid
			s.send(codec.NetworkMessage{ID: codec.MidResponse, Response: resp})
		})
	}
	s.send(codec.NetworkMessage{ID: codec.MidResponseFinal,
		ResponseFinal: codec.ResponseFinal{RequestID: rid, QoS: r.QoS}})
}

// runQueryable calls qbl's callback with a Query built from r (copied);
// its replies go to sink.
func (d *dispatcher) runQueryable(qbl *Queryable, r *codec.Request, sink func(codec.Response)) {
	q := &Query{
		s:          d.s,
		qbl:        qbl,
		key:        string(r.WireExpr.Suffix),
		params:     string(r.Query.Parameters),
		attachment: cloneBytes(r.Query.Attachment),
		qos:        r.QoS,
		sink:       sink,
	}
	if r.Query.HasBody {
		q.payload = cloneBytes(r.Query.BodyPayload)
		if q.payload == nil {
			q.payload = []byte{}
		}
		q.encoding = encodingFromCodec(r.Query.BodyEncoding)
	}
	q.anyKey = hasParam(q.params, "_anyke")
	d.s.guard("queryable callback", func() { qbl.fn(q) })
	q.mu.Lock()
	q.ended = true
	q.mu.Unlock()
}

// response handles one reply to g, consolidating it.
func (d *dispatcher) response(g *pendingGet, r *codec.Response) {
	if g.budget > 0 {
		g.replies++
		if g.replies == g.budget {
			defer d.finishGet(g, false)
		}
	}
	rep := Reply{}
	if !r.ResponderID.ZID.IsZero() {
		rep.ResponderID = r.ResponderID.ZID.String()
	}
	if r.IsErr {
		p := cloneBytes(r.Err.Payload)
		if p == nil {
			p = []byte{}
		}
		rep.Err = &ReplyError{Payload: p, Encoding: encodingFromCodec(r.Err.Encoding)}
		g.q.push(rep)
		return
	}
	key := string(r.WireExpr.Suffix)
	if keyexpr.Validate(key) != nil || (!g.anyKey && !keyexpr.Intersects(g.key, key)) {
		d.s.logger.Debug("zenoh: dropping a reply on a key outside the query", "query", g.key, "key", key)
		return
	}
	rep.Sample = sampleFromData(r.WireExpr.Suffix, &r.Reply.Body, r.QoS)
	ts := rep.Sample.Timestamp
	switch g.mode {
	case ConsolidationNone:
		g.q.push(rep)
	case ConsolidationMonotonic:
		if g.latest == nil {
			g.latest = map[string]Reply{}
		}
		if prev, ok := g.latest[key]; !ok || prev.Sample.Timestamp.Less(ts) {
			g.latest[key] = Reply{Sample: Sample{Timestamp: ts}}
			g.q.push(rep)
		}
	default: // Latest
		if g.latest == nil {
			g.latest = map[string]Reply{}
		}
		prev, ok := g.latest[key]
		if !ok {
			g.order = append(g.order, key)
		}
		if !ok || prev.Sample.Timestamp.Less(ts) {
			g.latest[key] = rep
		}
	}
}

// final counts one source of replies done; the last one ends g.
func (d *dispatcher) final(g *pendingGet) {
	g.left--
	if g.left <= 0 {
		d.finishGet(g, false)
	}
}

// finishGet ends g: Latest replies are delivered, then the timeout
// error if timedOut, and the channel is closed.
func (d *dispatcher) finishGet(g *pendingGet, timedOut bool) {
	delete(d.gets, g.id)
	if g.timer != nil {
		g.timer.Stop()
	}
	if g.mode == ConsolidationLatest {
		for _, k := range g.order {
			g.q.push(g.latest[k])
		}
	}
	if timedOut {
		g.q.push(Reply{Err: &ReplyError{Payload: []byte("Timeout")}, ResponderID: d.s.ZenohId()})
	}
	g.q.end()
}

// Queryable answers the queries on the key expressions intersecting its
// own.
type Queryable struct {
	s          *Session
	id         uint32
	key        string
	complete   bool
	fn         func(*Query)
	undeclared atomic.Bool
}

// QueryableOption sets an option of DeclareQueryable.
type QueryableOption func(*Queryable)

// WithComplete declares the queryable complete: it holds every value of
// the keys its expression includes, so a query on them with
// QueryTargetBestMatching needs no other (default false).
func WithComplete(complete bool) QueryableOption {
	return func(q *Queryable) { q.complete = complete }
}

// DeclareQueryable declares a queryable on key (wildcards allowed) that
// calls fn with every query reaching it, on the session's dispatch
// goroutine (see Session). fn replies with the Query's methods before it
// returns: its return ends the query for this queryable.
func (s *Session) DeclareQueryable(key string, fn func(*Query), opts ...QueryableOption) (*Queryable, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, errors.New("zenoh: DeclareQueryable: nil callback")
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	q := &Queryable{s: s, id: s.nextEntity.Add(1), key: key, fn: fn}
	for _, o := range opts {
		o(q)
	}
	s.sys.Root.Send(s.disp, &addQbl{q: q})
	s.declare(codec.Declaration{Kind: codec.DeclQueryable, ID: q.id, WireExpr: wire(key), Complete: q.complete})
	return q, nil
}

// KeyExpr returns the queryable's key expression.
func (q *Queryable) KeyExpr() string { return q.key }

// Undeclare withdraws the queryable; no callback starts after it
// returns. Undeclaring twice returns ErrUndeclared.
func (q *Queryable) Undeclare() error {
	if q.undeclared.Swap(true) {
		return ErrUndeclared
	}
	if q.s.isClosed() {
		return nil
	}
	q.s.declare(codec.Declaration{Kind: codec.UndeclQueryable, ID: q.id})
	q.s.sys.Root.Send(q.s.disp, &delQbl{id: q.id})
	return nil
}

// Query is one query reaching a Queryable. Its reply methods may be
// called from any goroutine, but only until the queryable's callback
// returns; after, they fail with ErrQueryEnded.
type Query struct {
	s          *Session
	qbl        *Queryable
	key        string
	params     string
	payload    []byte
	encoding   Encoding
	attachment []byte
	anyKey     bool
	qos        codec.QoS
	sink       func(codec.Response)

	mu    sync.Mutex
	ended bool
}

// Selector returns "key?parameters", or the key alone without
// parameters.
func (q *Query) Selector() string {
	if q.params == "" {
		return q.key
	}
	return q.key + "?" + q.params
}

// KeyExpr returns the query's key expression.
func (q *Query) KeyExpr() string { return q.key }

// Parameters returns the selector's parameters (after '?').
func (q *Query) Parameters() string { return q.params }

// Payload returns the value sent with the query, nil if none.
func (q *Query) Payload() []byte { return q.payload }

// Encoding returns the encoding of Payload.
func (q *Query) Encoding() Encoding { return q.encoding }

// Attachment returns the query's attachment, nil if none.
func (q *Query) Attachment() []byte { return q.attachment }

// Reply answers the query with a value on key, which must intersect
// the query's key expression (unless the parameters hold _anyke).
// Options: WithEncoding, WithAttachment, WithTimestamp. The payload is
// copied.
func (q *Query) Reply(key string, payload []byte, opts ...PutOption) error {
	return q.reply(key, codec.MidPut, payload, opts)
}

// ReplyDel answers the query with a deletion of key.
func (q *Query) ReplyDel(key string, opts ...PutOption) error {
	return q.reply(key, codec.MidDel, nil, opts)
}

func (q *Query) reply(key string, kind byte, payload []byte, opts []PutOption) error {
	if err := keyexpr.Validate(key); err != nil {
		return err
	}
	if !q.anyKey && !keyexpr.Intersects(q.key, key) {
		return errors.New("zenoh: reply key " + key + " does not intersect the query's " + q.key)
	}
	o := defaultPubOptions().with(opts)
	d := codec.Data{Kind: kind, Timestamp: o.timestamp, Attachment: cloneBytes(o.attachment)}
	if kind == codec.MidPut {
		d.Payload = cloneBytes(payload)
		d.Encoding = o.encoding.toCodec()
	}
	return q.send(codec.Response{WireExpr: wire(key), QoS: q.qos,
		ResponderID: codec.EntityGlobalID{ZID: q.s.node.ZID, EID: q.qbl.id}, Reply: codec.Reply{Body: d}})
}

// ReplyErr answers the query with an error value (WithEncoding sets its
// encoding).
func (q *Query) ReplyErr(payload []byte, opts ...PutOption) error {
	o := defaultPubOptions().with(opts)
	return q.send(codec.Response{QoS: q.qos, IsErr: true,
		ResponderID: codec.EntityGlobalID{ZID: q.s.node.ZID, EID: q.qbl.id},
		Err:         codec.Err{Payload: cloneBytes(payload), Encoding: o.encoding.toCodec()}})
}

func (q *Query) send(r codec.Response) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended {
		return ErrQueryEnded
	}
	if q.s.isClosed() {
		return ErrClosed
	}
	q.sink(r)
	return nil
}

// Querier is a declared querier: Gets on one key expression with options
// set once.
type Querier struct {
	s    *Session
	key  string
	opts []GetOption
}

// DeclareQuerier returns a querier of key whose Gets use opts (each Get
// may add options that override them).
func (s *Session) DeclareQuerier(key string, opts ...GetOption) (*Querier, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	return &Querier{s: s, key: key, opts: slices.Clone(opts)}, nil
}

// KeyExpr returns the querier's key expression.
func (q *Querier) KeyExpr() string { return q.key }

// Get queries the querier's key with parameters (may be empty); see
// Session.Get.
func (q *Querier) Get(ctx context.Context, parameters string, opts ...GetOption) (<-chan Reply, error) {
	sel := q.key
	if parameters != "" {
		sel += "?" + parameters
	}
	return q.s.Get(ctx, sel, append(slices.Clone(q.opts), opts...)...)
}

// Undeclare releases the querier; it declares nothing on the network.
func (q *Querier) Undeclare() error { return nil }
