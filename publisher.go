package zenoh

import (
	"errors"
	"sync/atomic"
	"unsafe"

	"github.com/gozenoh/zenoh/actors/router"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// ErrUndeclared is returned by the methods of an undeclared Publisher.
var ErrUndeclared = errors.New("zenoh: undeclared")

// pubOptions are the settings of one publication (or reply).
type pubOptions struct {
	encoding    Encoding
	priority    Priority
	congestion  CongestionControl
	express     bool
	reliability Reliability
	attachment  []byte
	timestamp   hlc.Timestamp
}

func defaultPubOptions() pubOptions {
	return pubOptions{priority: PriorityDefault, congestion: CongestionControlDrop}
}

// with returns o with opts applied.
func (o pubOptions) with(opts []PutOption) pubOptions {
	for _, op := range opts {
		op.applyPut(&o)
	}
	return o
}

func (o *pubOptions) qos() codec.QoS {
	return codec.NewQoS(o.priority, o.congestion == CongestionControlBlock, o.express)
}

// PutOption sets an option of Put, Delete, DeclarePublisher (where it
// sets the publisher's defaults) or Query.Reply.
type PutOption interface {
	applyPut(*pubOptions)
}

// GetOption sets an option of Get.
type GetOption interface {
	applyGet(*getOptions)
}

// Option is an option that Put, Delete, DeclarePublisher, Query.Reply
// and Get all take.
type Option interface {
	PutOption
	GetOption
}

type encodingOpt Encoding

func (e encodingOpt) applyPut(o *pubOptions) { o.encoding = Encoding(e) }
func (e encodingOpt) applyGet(o *getOptions) { o.encoding = Encoding(e) }

// WithEncoding sets the payload's encoding (default EncodingZenohBytes).
// It is ignored by Delete, which carries no payload.
func WithEncoding(e Encoding) Option { return encodingOpt(e) }

type priorityOpt Priority

func (p priorityOpt) applyPut(o *pubOptions) { o.priority = Priority(p) }
func (p priorityOpt) applyGet(o *getOptions) { o.pub.priority = Priority(p) }

// WithPriority sets the message priority (default PriorityData).
func WithPriority(p Priority) Option { return priorityOpt(p & 7) }

type congestionOpt CongestionControl

func (c congestionOpt) applyPut(o *pubOptions) { o.congestion = CongestionControl(c) }
func (c congestionOpt) applyGet(o *getOptions) { o.pub.congestion = CongestionControl(c) }

// WithCongestionControl sets the congestion control (default
// CongestionControlDrop for publications, CongestionControlBlock for
// queries).
func WithCongestionControl(c CongestionControl) Option { return congestionOpt(c) }

type expressOpt bool

func (e expressOpt) applyPut(o *pubOptions) { o.express = bool(e) }
func (e expressOpt) applyGet(o *getOptions) { o.pub.express = bool(e) }

// WithExpress asks for the message to be sent at once, without waiting
// to fill a batch (default false).
func WithExpress(express bool) Option { return expressOpt(express) }

type reliabilityOpt Reliability

func (r reliabilityOpt) applyPut(o *pubOptions) { o.reliability = Reliability(r) }

// WithReliability sets the channel of a publication (default
// ReliabilityReliable).
func WithReliability(r Reliability) PutOption { return reliabilityOpt(r) }

type attachmentOpt []byte

func (a attachmentOpt) applyPut(o *pubOptions) { o.attachment = a }
func (a attachmentOpt) applyGet(o *getOptions) { o.attachment = a }

// WithAttachment attaches user bytes to the message. They are copied.
func WithAttachment(b []byte) Option { return attachmentOpt(cloneBytes(b)) }

type timestampOpt hlc.Timestamp

func (t timestampOpt) applyPut(o *pubOptions) { o.timestamp = hlc.Timestamp(t) }

// WithTimestamp sets the timestamp of a publication or a reply. Without
// it, publications are stamped with the session's clock when
// timestamping is on (Config.Timestamping), and replies carry none.
func WithTimestamp(ts hlc.Timestamp) PutOption { return timestampOpt(ts) }

// Put publishes payload on key, a canonical key expression (no
// wildcards are needed, but zenoh accepts them). The payload is encoded
// into the queues of the sessions it goes to, and copied for the local
// subscribers, before Put returns: the caller may reuse it at once.
// Subscribers of this session that match receive it too, on this
// goroutine. Under CongestionControlBlock, Put waits while a destination's
// queue is full (at most its wait_before_close, 5 s, past which that peer
// is closed as unresponsive); under CongestionControlDrop (the default) a
// sample is dropped for a destination whose queue stayed full for
// wait_before_drop (1 ms), and counted in DroppedPublications.
func (s *Session) Put(key string, payload []byte, opts ...PutOption) error {
	return s.publishKey(key, codec.MidPut, payload, opts)
}

// Delete publishes a deletion of key.
func (s *Session) Delete(key string, opts ...PutOption) error {
	return s.publishKey(key, codec.MidDel, nil, opts)
}

// publishKey is publish for a key given with each publication.
func (s *Session) publishKey(key string, kind byte, payload []byte, opts []PutOption) error {
	o := defaultPubOptions().with(opts)
	if err := keyexpr.Validate(key); err != nil {
		return err
	}
	return s.publish(keyWire(key), kind, payload, &o, nil)
}

// keyWire names key in full without copying it: the routing reads the
// bytes, never writes them, and copies what it keeps.
func keyWire(key string) codec.WireExpr {
	return codec.WireExpr{Suffix: unsafe.Slice(unsafe.StringData(key), len(key)), Mapping: true}
}

// publish routes one Push of this session: on this goroutine, against the
// node's routing snapshot, into the queues of the sessions it goes to and
// to the local subscribers (r, if set, caches the route of a publisher).
func (s *Session) publish(we codec.WireExpr, kind byte, payload []byte, o *pubOptions, r *router.PubRoute) error {
	if s.isClosed() {
		return ErrClosed
	}
	push := codec.Push{WireExpr: we, QoS: o.qos(), Body: codec.Data{Kind: kind, Timestamp: o.timestamp,
		Attachment: o.attachment}}
	if kind == codec.MidPut {
		push.Body.Payload = payload
		push.Body.Encoding = o.encoding.toCodec()
	}
	err := s.face.Publish(&push, o.reliability == ReliabilityReliable, r)
	if errors.Is(err, router.ErrLocalClosed) {
		return ErrClosed
	}
	return err
}

// Publisher publishes on one key expression with default options. Its
// key is validated and its route cached once: Put with no options
// allocates nothing.
type Publisher struct {
	s          *Session
	key        string
	we         codec.WireExpr
	o          pubOptions
	route      *router.PubRoute
	undeclared atomic.Bool
}

// DeclarePublisher returns a Publisher on key whose Put and Delete use
// opts unless their own options override them.
func (s *Session) DeclarePublisher(key string, opts ...PutOption) (*Publisher, error) {
	if err := keyexpr.Validate(key); err != nil {
		return nil, err
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	o := defaultPubOptions().with(opts)
	return &Publisher{s: s, key: key, we: wire(key), o: o, route: router.NewPubRoute(key)}, nil
}

// KeyExpr returns the publisher's key expression.
func (p *Publisher) KeyExpr() string { return p.key }

// Put publishes payload, as Session.Put does.
func (p *Publisher) Put(payload []byte, opts ...PutOption) error {
	if p.undeclared.Load() {
		return ErrUndeclared
	}
	if len(opts) == 0 {
		return p.s.publish(p.we, codec.MidPut, payload, &p.o, p.route)
	}
	o := p.o.with(opts)
	return p.s.publish(p.we, codec.MidPut, payload, &o, p.route)
}

// Delete publishes a deletion of the publisher's key.
func (p *Publisher) Delete(opts ...PutOption) error {
	if p.undeclared.Load() {
		return ErrUndeclared
	}
	o := p.o.with(opts)
	return p.s.publish(p.we, codec.MidDel, nil, &o, p.route)
}

// Undeclare ends the publisher: its Put and Delete fail with
// ErrUndeclared afterwards. A publisher declares nothing on the network,
// so this only concerns the publisher itself.
func (p *Publisher) Undeclare() error {
	if p.undeclared.Swap(true) {
		return ErrUndeclared
	}
	return nil
}

// DroppedPublications returns how many times a publication of this
// session was dropped for a destination: by a session's queue under
// CongestionControlDrop, or by a local subscriber's full channel.
func (s *Session) DroppedPublications() uint64 { return s.face.Dropped() }
