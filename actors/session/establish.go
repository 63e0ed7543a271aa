package session

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// Batch sizes below this cannot carry a Frame header and a useful payload;
// Config.MinBatchSize may not go lower.
const minBatchFloor = 32

// Config is one node's session parameters, shared by its Acceptor and
// Openers. Start from DefaultConfig and set ZID (and CookieSecret for an
// acceptor).
type Config struct {
	// ZID and WhatAmI identify this node in Init messages.
	ZID     codec.ZenohID
	WhatAmI codec.WhatAmI

	// BatchSize is the largest batch this node receives (stream prefix
	// included, spec/transport.md 3.3). The link MTU lowers it per link.
	// 65535 lets the peer choose; zenoh-pico announces 2048.
	BatchSize uint16

	// Resolution is the SN and request-id resolution we offer; the
	// session uses the minimum of both sides. Code 0b11 (64 bit) is
	// refused: Rust and pico disagree on its mask (spec 1.6).
	Resolution codec.Resolution

	// Lease is announced in our Open: how long the peer may wait without
	// hearing from us before it drops the link. Both Rust and pico use
	// 10 s; a shorter lease means more KeepAlives.
	Lease time.Duration

	// QoS offers the 8 priority channels (spec 5.4.3). The session has
	// them only if the peer offers them too (Rust does, pico never).
	QoS bool

	// Patch is the patch level we offer: 1 makes Fragment First/Drop
	// markers meaningful (spec 5.4.4). 0 or 1.
	Patch uint64

	// CookieSecret keys the HMAC that seals acceptor cookies (spec 5.5).
	// At least 32 random bytes, kept for the node's lifetime; only the
	// Acceptor needs it.
	CookieSecret []byte

	// CookieTTL bounds the time between InitAck and OpenSyn. Rust's whole
	// handshake times out after 10 s.
	CookieTTL time.Duration

	// MinBatchSize is the smallest batch size we agree to: a peer or link
	// announcing less is refused with Close(INVALID). zenoh-pico agrees
	// to absurd sizes; nothing real announces less than 2048.
	MinBatchSize uint16
}

// DefaultConfig returns the defaults of Rust zenoh 1.9 (spec "Defaults at
// a glance"), role Peer, without ZID or cookie secret.
func DefaultConfig() Config {
	return Config{
		WhatAmI:      codec.Peer,
		BatchSize:    codec.DefaultBatchSize,
		Resolution:   codec.DefaultResolution,
		Lease:        10 * time.Second,
		QoS:          true,
		Patch:        1,
		CookieTTL:    10 * time.Second,
		MinBatchSize: 64,
	}
}

// validate checks what both handshake roles need.
func (c *Config) validate() error {
	switch {
	case c.ZID.IsZero():
		return fmt.Errorf("%w: zero ZID", ErrConfig)
	case !c.WhatAmI.Valid():
		return fmt.Errorf("%w: WhatAmI %d", ErrConfig, c.WhatAmI)
	case c.MinBatchSize < minBatchFloor:
		return fmt.Errorf("%w: MinBatchSize %d below %d", ErrConfig, c.MinBatchSize, minBatchFloor)
	case c.BatchSize < c.MinBatchSize:
		return fmt.Errorf("%w: BatchSize %d below MinBatchSize %d", ErrConfig, c.BatchSize, c.MinBatchSize)
	case byte(c.Resolution)&0xf0 != 0 || c.Resolution.SNBits() == 3 || c.Resolution.RIDBits() == 3:
		return fmt.Errorf("%w: resolution %#x", ErrConfig, byte(c.Resolution))
	case c.Lease < time.Millisecond:
		return fmt.Errorf("%w: lease %v", ErrConfig, c.Lease)
	case c.Patch > 1:
		return fmt.Errorf("%w: patch %d", ErrConfig, c.Patch)
	}
	return nil
}

// validateAcceptor adds what only the Acceptor needs.
func (c *Config) validateAcceptor() error {
	if err := c.validate(); err != nil {
		return err
	}
	switch {
	case len(c.CookieSecret) < 32:
		return fmt.Errorf("%w: CookieSecret shorter than 32 bytes", ErrConfig)
	case c.CookieTTL <= 0:
		return fmt.Errorf("%w: CookieTTL %v", ErrConfig, c.CookieTTL)
	}
	return nil
}

// LinkInfo describes the link a handshake runs on.
type LinkInfo struct {
	// MTU caps the batch size on this link (65535 on streams, about
	// 65487 on UDP); 0 means no cap below 65535.
	MTU uint16
	// Stream is true for links that put a 2-byte length before each batch
	// (TCP, TLS, QUIC streams, unix sockets).
	Stream bool
	// Local and Remote are the link's addresses. The acceptor binds its
	// cookie to them, so a cookie is refused on any other connection.
	Local, Remote string
}

func (l LinkInfo) mtu() uint16 {
	if l.MTU == 0 {
		return codec.DefaultBatchSize
	}
	return l.MTU
}

// Established is the outcome of a handshake: what the data phase of the
// session needs (spec/transport.md 5.4 and 6.1).
type Established struct {
	ZID        codec.ZenohID // the peer's
	WhatAmI    codec.WhatAmI // the peer's
	BatchSize  uint16        // agreed, both directions, stream prefix included
	Resolution codec.Resolution
	SNMask     uint32 // codec.SNMask of the agreed SN resolution
	QoS        bool   // 16 channels per direction instead of 2
	Patch      uint64 // 1: Fragment First/Drop markers are honoured
	// PeerLease is the lease the peer announced: expire the link after
	// that long without receiving. OwnLease is ours.
	PeerLease, OwnLease time.Duration
	// PeerInitialSN is where every RX channel starts; OwnInitialSN is the
	// first SN of every TX channel.
	PeerInitialSN, OwnInitialSN uint32
}

// Acceptor answers handshakes on a listening node (spec/transport.md 5.3).
// It keeps no state between InitSyn and OpenSyn: the link remembers the
// nonce HandleInitSyn returned and passes it to HandleOpenSyn. An Acceptor
// is immutable, so one serves every link of the node concurrently.
type Acceptor struct {
	cfg Config
}

// NewAcceptor returns the node's acceptor. cfg must carry a CookieSecret.
func NewAcceptor(cfg Config) (*Acceptor, error) {
	if err := cfg.validateAcceptor(); err != nil {
		return nil, err
	}
	cfg.CookieSecret = append([]byte(nil), cfg.CookieSecret...)
	return &Acceptor{cfg: cfg}, nil
}

// HandleInitSyn negotiates from an InitSyn received on link and returns the
// InitAck to send and the nonce sealed in its cookie, which the link keeps
// for HandleOpenSyn. The InitAck owns its cookie; syn is not retained.
func (a *Acceptor) HandleInitSyn(now time.Time, rnd io.Reader, link LinkInfo, syn *codec.Init) (ack codec.Init, nonce uint64, err error) {
	if syn.Ack {
		return ack, 0, closeErr(codec.CloseInvalid, fmt.Errorf("%w: InitAck instead of InitSyn", ErrUnexpectedMessage))
	}
	if syn.Version != codec.ProtoVersion {
		return ack, 0, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %#x", ErrVersion, syn.Version))
	}
	if syn.ZID.IsZero() || !syn.WhatAmI.Valid() {
		return ack, 0, closeErr(codec.CloseInvalid, ErrZID)
	}
	if syn.QoS && syn.HasQoSLink {
		return ack, 0, closeErr(codec.CloseGeneric, ErrQoSConflict)
	}
	res := minResolution(a.cfg.Resolution, syn.Resolution)
	batch := min(syn.BatchSize, a.cfg.BatchSize, link.mtu())
	if batch < a.cfg.MinBatchSize {
		return ack, 0, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %d", ErrBatchSize, batch))
	}
	var nb [8]byte
	if _, err := io.ReadFull(rnd, nb[:]); err != nil {
		return ack, 0, closeErr(codec.CloseGeneric, fmt.Errorf("%w: %w", ErrRandom, err))
	}
	st := cookieState{
		WhatAmI:    syn.WhatAmI,
		ZID:        syn.ZID,
		Resolution: res,
		BatchSize:  batch,
		QoS:        a.cfg.QoS && offersQoS(syn),
		Patch:      uint8(min(a.cfg.Patch, syn.Patch)),
		Expiry:     now.Add(a.cfg.CookieTTL).UnixNano(),
		Nonce:      binary.LittleEndian.Uint64(nb[:]),
	}
	ack = codec.Init{
		Ack:     true,
		Version: codec.ProtoVersion,
		WhatAmI: a.cfg.WhatAmI,
		ZID:     a.cfg.ZID,
		// pico needs the S block whenever the agreed values are not the
		// defaults (spec 4.1); the encoder derives it, say it anyway.
		SizeBlock:  batch != codec.DefaultBatchSize || res != codec.DefaultResolution,
		Resolution: res,
		BatchSize:  batch,
		Cookie:     sealCookie(a.cfg.CookieSecret, &st, link),
		QoS:        st.QoS,
		Patch:      uint64(st.Patch),
	}
	return ack, st.Nonce, nil
}

// HandleOpenSyn checks an OpenSyn received on link, whose InitAck carried
// nonce, and returns the session parameters and the OpenAck to send.
func (a *Acceptor) HandleOpenSyn(now time.Time, link LinkInfo, nonce uint64, syn *codec.Open, rnd io.Reader) (est Established, ack codec.Open, err error) {
	if syn.Ack {
		return est, ack, closeErr(codec.CloseInvalid, fmt.Errorf("%w: OpenAck instead of OpenSyn", ErrUnexpectedMessage))
	}
	st, err := openCookie(a.cfg.CookieSecret, syn.Cookie, link, now)
	if err != nil {
		return est, ack, closeErr(codec.CloseInvalid, err)
	}
	if st.Nonce != nonce {
		return est, ack, closeErr(codec.CloseInvalid, fmt.Errorf("%w: nonce mismatch", ErrCookie))
	}
	if st.ZID == a.cfg.ZID {
		return est, ack, closeErr(codec.CloseConnectionToSelf, ErrConnectionToSelf)
	}
	if syn.Lease <= 0 {
		return est, ack, closeErr(codec.CloseInvalid, ErrLease)
	}
	mask := codec.SNMask(st.Resolution.SNBits())
	if syn.InitialSN > mask {
		return est, ack, closeErr(codec.CloseInvalid, fmt.Errorf("%w: initial SN %d, mask %#x", ErrSN, syn.InitialSN, mask))
	}
	own, err := randomSN(rnd, mask)
	if err != nil {
		return est, ack, closeErr(codec.CloseGeneric, err)
	}
	est = Established{
		ZID:           st.ZID,
		WhatAmI:       st.WhatAmI,
		BatchSize:     st.BatchSize,
		Resolution:    st.Resolution,
		SNMask:        mask,
		QoS:           st.QoS,
		Patch:         uint64(st.Patch),
		PeerLease:     syn.Lease,
		OwnLease:      a.cfg.Lease,
		PeerInitialSN: syn.InitialSN,
		OwnInitialSN:  own,
	}
	ack = codec.Open{Ack: true, Lease: a.cfg.Lease, InitialSN: own}
	return est, ack, nil
}

// openerStep is where an Opener stands in the handshake.
type openerStep uint8

const (
	stepInitSyn openerStep = iota
	stepInitAck
	stepOpenAck
	stepDone
)

// Opener drives the handshake of one outgoing link (spec/transport.md
// 5.2): send InitSyn(), feed the answer to HandleInitAck and send the
// OpenSyn it returns, feed the answer to HandleOpenAck.
type Opener struct {
	cfg   Config
	batch uint16 // what we announce: own batch size capped by the MTU
	step  openerStep
	est   Established
}

// NewOpener returns the opener for one link.
func NewOpener(cfg Config, link LinkInfo) (*Opener, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	b := min(cfg.BatchSize, link.mtu())
	if b < cfg.MinBatchSize {
		return nil, fmt.Errorf("%w: link MTU %d below MinBatchSize %d", ErrConfig, link.MTU, cfg.MinBatchSize)
	}
	return &Opener{cfg: cfg, batch: b}, nil
}

// InitSyn returns the InitSyn to send first.
func (o *Opener) InitSyn() codec.Init {
	if o.step == stepInitSyn {
		o.step = stepInitAck
	}
	return codec.Init{
		Version:    codec.ProtoVersion,
		WhatAmI:    o.cfg.WhatAmI,
		ZID:        o.cfg.ZID,
		SizeBlock:  o.batch != codec.DefaultBatchSize || o.cfg.Resolution != codec.DefaultResolution,
		Resolution: o.cfg.Resolution,
		BatchSize:  o.batch,
		QoS:        o.cfg.QoS,
		Patch:      o.cfg.Patch,
	}
}

// HandleInitAck checks the InitAck and returns the OpenSyn to send, which
// carries a copy of the cookie (ack may alias a read buffer).
func (o *Opener) HandleInitAck(ack *codec.Init, rnd io.Reader) (codec.Open, error) {
	if o.step != stepInitAck {
		return codec.Open{}, fmt.Errorf("%w: InitAck before InitSyn or twice", ErrState)
	}
	if !ack.Ack {
		return codec.Open{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: InitSyn instead of InitAck", ErrUnexpectedMessage))
	}
	if ack.Version != codec.ProtoVersion {
		return codec.Open{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %#x", ErrVersion, ack.Version))
	}
	if ack.ZID.IsZero() || !ack.WhatAmI.Valid() {
		return codec.Open{}, closeErr(codec.CloseInvalid, ErrZID)
	}
	own := o.cfg.Resolution
	if ack.Resolution.SNBits() > own.SNBits() || ack.Resolution.RIDBits() > own.RIDBits() {
		return codec.Open{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %#x, offered %#x", ErrResolution, byte(ack.Resolution), byte(own)))
	}
	batch := min(o.batch, ack.BatchSize)
	if batch < o.cfg.MinBatchSize {
		return codec.Open{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %d", ErrBatchSize, batch))
	}
	if ack.Patch > o.cfg.Patch {
		return codec.Open{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: %d", ErrPatch, ack.Patch))
	}
	if ack.QoS && ack.HasQoSLink {
		return codec.Open{}, closeErr(codec.CloseGeneric, ErrQoSConflict)
	}
	res := codec.Resolution(ack.Resolution.SNBits() | ack.Resolution.RIDBits()<<2)
	mask := codec.SNMask(res.SNBits())
	sn, err := randomSN(rnd, mask)
	if err != nil {
		return codec.Open{}, closeErr(codec.CloseGeneric, err)
	}
	o.est = Established{
		ZID:          ack.ZID,
		WhatAmI:      ack.WhatAmI,
		BatchSize:    batch,
		Resolution:   res,
		SNMask:       mask,
		QoS:          o.cfg.QoS && offersQoS(ack),
		Patch:        ack.Patch,
		OwnLease:     o.cfg.Lease,
		OwnInitialSN: sn,
	}
	o.step = stepOpenAck
	return codec.Open{
		Lease:     o.cfg.Lease,
		InitialSN: sn,
		Cookie:    append([]byte{}, ack.Cookie...),
	}, nil
}

// HandleOpenAck checks the OpenAck and returns the session parameters.
func (o *Opener) HandleOpenAck(ack *codec.Open) (Established, error) {
	if o.step != stepOpenAck {
		return Established{}, fmt.Errorf("%w: OpenAck before InitAck or twice", ErrState)
	}
	if !ack.Ack {
		return Established{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: OpenSyn instead of OpenAck", ErrUnexpectedMessage))
	}
	if ack.Lease <= 0 {
		return Established{}, closeErr(codec.CloseInvalid, ErrLease)
	}
	if ack.InitialSN > o.est.SNMask {
		return Established{}, closeErr(codec.CloseInvalid, fmt.Errorf("%w: initial SN %d, mask %#x", ErrSN, ack.InitialSN, o.est.SNMask))
	}
	if o.est.ZID == o.cfg.ZID {
		return Established{}, closeErr(codec.CloseConnectionToSelf, ErrConnectionToSelf)
	}
	o.est.PeerLease = ack.Lease
	o.est.PeerInitialSN = ack.InitialSN
	o.step = stepDone
	return o.est, nil
}

// ExpectInit returns the Init in m, a *PeerClosedError if m is a Close,
// or a *CloseError (INVALID) for anything else.
func ExpectInit(m *codec.TransportMessage) (*codec.Init, error) {
	if m.ID == codec.MidInit {
		return &m.Init, nil
	}
	return nil, unexpected(m, "Init")
}

// ExpectOpen returns the Open in m, a *PeerClosedError if m is a Close,
// or a *CloseError (INVALID) for anything else.
func ExpectOpen(m *codec.TransportMessage) (*codec.Open, error) {
	if m.ID == codec.MidOpen {
		return &m.Open, nil
	}
	return nil, unexpected(m, "Open")
}

func unexpected(m *codec.TransportMessage, want string) error {
	if m.ID == codec.MidClose {
		return &PeerClosedError{Reason: m.Close.Reason, Session: m.Close.Session}
	}
	return closeErr(codec.CloseInvalid, fmt.Errorf("%w: transport id %#x instead of %s", ErrUnexpectedMessage, m.ID, want))
}

// minResolution takes the smaller of each field (spec 5.4.1); the
// reserved bits 7..4 are dropped.
func minResolution(a, b codec.Resolution) codec.Resolution {
	return codec.Resolution(min(a.SNBits(), b.SNBits()) | min(a.RIDBits(), b.RIDBits())<<2)
}

// offersQoS reports whether an Init offers priority channels: QoS, or
// QoSLink with a tag other than "no QoS" (spec 5.4.3). Link restrictions
// are not implemented; the session then answers plain QoS.
func offersQoS(m *codec.Init) bool {
	return m.QoS || m.HasQoSLink && m.QoSLink&7 != 0
}

// randomSN draws an initial SN in [0, mask] (spec 5.6).
func randomSN(rnd io.Reader, mask uint32) (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return 0, fmt.Errorf("%w: %w", ErrRandom, err)
	}
	return binary.LittleEndian.Uint32(b[:]) & mask, nil
}
