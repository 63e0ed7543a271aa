package zenoh

import (
	"errors"
	"sync/atomic"

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
// wildcards are needed, but zenoh accepts them). The payload is copied
// before Put returns, so the caller may reuse it at once. Subscribers of
// this session that match receive it too.
func (s *Session) Put(key string, payload []byte, opts ...PutOption) error {
	o := defaultPubOptions()
	for _, op := range opts {
		op.applyPut(&o)
	}
	return s.publish(key, codec.MidPut, payload, &o)
}

// Delete publishes a deletion of key.
func (s *Session) Delete(key string, opts ...PutOption) error {
	o := defaultPubOptions()
	for _, op := range opts {
		op.applyPut(&o)
	}
	return s.publish(key, codec.MidDel, nil, &o)
}

// publish validates key and sends one Push to the router and, through
// the session's own actor, to its matching subscribers.
func (s *Session) publish(key string, kind byte, payload []byte, o *pubOptions) error {
	if err := keyexpr.Validate(key); err != nil {
		return err
	}
	if s.isClosed() {
		return ErrClosed
	}
	d := codec.Data{Kind: kind, Timestamp: o.timestamp, Attachment: cloneBytes(o.attachment)}
	if kind == codec.MidPut {
		d.Payload = cloneBytes(payload)
		d.Encoding = o.encoding.toCodec()
	}
	if d.Timestamp.IsZero() && s.timestamping {
		d.Timestamp = s.node.Clock.NewTimestamp()
	}
	push := codec.Push{WireExpr: wire(key), QoS: o.qos(), Body: d}
	// Publications in flight toward the router are bounded: under Block
	// congestion control Put waits for room (the router finishes a
	// publication once every session it goes to has taken it, so a slow
	// link or storage holds Put back); under Drop, beyond a larger bound,
	// the publication is dropped and counted.
	slots := s.inflightDrop
	if o.congestion == CongestionControlBlock {
		slots = s.inflightBlock
		select {
		case slots <- struct{}{}:
		case <-s.done:
			return ErrClosed
		}
	} else {
		select {
		case slots <- struct{}{}:
		default:
			s.dropped.Add(1)
			return nil
		}
	}
	// The local copy goes first: the router may stamp its Push in place.
	s.sys.Root.Send(s.local, &localPush{push: clonePush(&push)})
	s.sys.Root.Send(s.node.Router, &router.LocalSend{Face: s.face, Reliable: o.reliability == ReliabilityReliable,
		Msgs: []codec.NetworkMessage{{ID: codec.MidPush, Push: push}}, Done: func() { <-slots }})
	return nil
}

func clonePush(p *codec.Push) codec.Push {
	c := *p
	c.WireExpr.Suffix = cloneBytes(p.WireExpr.Suffix)
	c.Body.Payload = cloneBytes(p.Body.Payload)
	c.Body.Attachment = cloneBytes(p.Body.Attachment)
	c.Body.Encoding.Schema = cloneBytes(p.Body.Encoding.Schema)
	c.Exts, c.Body.Exts = nil, nil
	return c
}

// Publisher publishes on one key expression with default options.
type Publisher struct {
	s          *Session
	key        string
	opts       []PutOption
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
	return &Publisher{s: s, key: key, opts: append([]PutOption(nil), opts...)}, nil
}

// KeyExpr returns the publisher's key expression.
func (p *Publisher) KeyExpr() string { return p.key }

// Put publishes payload (copied, as by Session.Put).
func (p *Publisher) Put(payload []byte, opts ...PutOption) error {
	if p.undeclared.Load() {
		return ErrUndeclared
	}
	return p.s.Put(p.key, payload, append(p.opts[:len(p.opts):len(p.opts)], opts...)...)
}

// Delete publishes a deletion of the publisher's key.
func (p *Publisher) Delete(opts ...PutOption) error {
	if p.undeclared.Load() {
		return ErrUndeclared
	}
	return p.s.Delete(p.key, append(p.opts[:len(p.opts):len(p.opts)], opts...)...)
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

// DroppedPublications returns how many publications with Drop congestion
// control this session dropped because too many were in flight.
func (s *Session) DroppedPublications() uint64 { return s.dropped.Load() }
