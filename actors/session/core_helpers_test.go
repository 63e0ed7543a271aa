package session

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// Helpers of the pure-core tests (establish, rx, tx, lease). Their names
// start with "core" to keep clear of the actor tests' helpers.

// coreT0 is the fake clock's origin.
var coreT0 = time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)

func coreZID(tb testing.TB, b ...byte) codec.ZenohID {
	tb.Helper()
	id, err := hlc.IDFromBytes(b)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// coreRand is a deterministic randomness source (an io.Reader too).
func coreRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return rand.NewChaCha8(s)
}

var coreSecret = bytes.Repeat([]byte{0x5a}, 32)

func coreConfig(tb testing.TB, zid byte) Config {
	tb.Helper()
	c := DefaultConfig()
	c.ZID = coreZID(tb, zid, 0xaa)
	c.CookieSecret = coreSecret
	return c
}

var coreLink = LinkInfo{MTU: 65535, Stream: true, Local: "tcp/127.0.0.1:7447", Remote: "tcp/127.0.0.1:50000"}

// coreWire encodes and decodes a transport message, as a link would.
func coreWire(tb testing.TB, m *codec.TransportMessage) *codec.TransportMessage {
	tb.Helper()
	b := codec.AppendTransport(nil, m)
	var out codec.TransportMessage
	n, err := codec.DecodeTransport(b, &out)
	if err != nil || n != len(b) {
		tb.Fatalf("decode %x: n=%d err=%v", b, n, err)
	}
	return &out
}

func coreInit(m codec.Init) *codec.TransportMessage {
	return &codec.TransportMessage{ID: codec.MidInit, Init: m}
}

func coreOpen(m codec.Open) *codec.TransportMessage {
	return &codec.TransportMessage{ID: codec.MidOpen, Open: m}
}

// coreHandshake runs a whole handshake over encoded messages and returns
// the opener's and the acceptor's outcome.
func coreHandshake(tb testing.TB, ocfg, acfg Config, link LinkInfo) (Established, Established) {
	tb.Helper()
	rnd := coreRand(1)
	op, err := NewOpener(ocfg, link)
	if err != nil {
		tb.Fatal(err)
	}
	acc, err := NewAcceptor(acfg)
	if err != nil {
		tb.Fatal(err)
	}
	syn, err := ExpectInit(coreWire(tb, coreInit(op.InitSyn())))
	if err != nil {
		tb.Fatal(err)
	}
	iack, nonce, err := acc.HandleInitSyn(coreT0, rnd, link, syn)
	if err != nil {
		tb.Fatal(err)
	}
	ack, err := ExpectInit(coreWire(tb, coreInit(iack)))
	if err != nil {
		tb.Fatal(err)
	}
	osyn, err := op.HandleInitAck(ack, rnd)
	if err != nil {
		tb.Fatal(err)
	}
	os, err := ExpectOpen(coreWire(tb, coreOpen(osyn)))
	if err != nil {
		tb.Fatal(err)
	}
	aest, oack, err := acc.HandleOpenSyn(coreT0.Add(time.Second), link, nonce, os, rnd)
	if err != nil {
		tb.Fatal(err)
	}
	oa, err := ExpectOpen(coreWire(tb, coreOpen(oack)))
	if err != nil {
		tb.Fatal(err)
	}
	oest, err := op.HandleOpenAck(oa)
	if err != nil {
		tb.Fatal(err)
	}
	return oest, aest
}

// coreMirror is the peer's view of est (same session, other direction).
func coreMirror(est Established, zid codec.ZenohID) Established {
	m := est
	m.ZID = zid
	m.PeerLease, m.OwnLease = est.OwnLease, est.PeerLease
	m.PeerInitialSN, m.OwnInitialSN = est.OwnInitialSN, est.PeerInitialSN
	return m
}

// coreEst is a session as a Rust peer would agree it.
func coreEst(batch uint16, qos bool, patch uint64, ownSN, peerSN uint32) Established {
	return Established{
		BatchSize:     batch,
		Resolution:    codec.DefaultResolution,
		SNMask:        codec.SNMask(codec.DefaultResolution.SNBits()),
		QoS:           qos,
		Patch:         patch,
		PeerLease:     10 * time.Second,
		OwnLease:      10 * time.Second,
		OwnInitialSN:  ownSN,
		PeerInitialSN: peerSN,
	}
}

// corePush is a Push of a Put with a payload of n bytes.
func corePush(n int, qos codec.QoS) *codec.NetworkMessage {
	return &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: codec.WireExpr{Suffix: []byte("demo/example/test")},
		QoS:      qos,
		Body:     codec.Data{Kind: codec.MidPut, Payload: make([]byte, n)},
	}}
}

// coreRandomMessage is one of several network messages, with a payload of
// about n bytes where the message has one.
func coreRandomMessage(r *rand.Rand, n int, qos codec.QoS) *codec.NetworkMessage {
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(r.Uint32())
	}
	we := codec.WireExpr{Scope: uint16(r.IntN(3)), Suffix: []byte("a/b")}
	switch r.IntN(4) {
	case 0:
		return &codec.NetworkMessage{ID: codec.MidRequest, Request: codec.Request{
			ID: r.Uint32(), WireExpr: we, QoS: qos,
			Query: codec.Query{Parameters: payload},
		}}
	case 1:
		return &codec.NetworkMessage{ID: codec.MidResponse, Response: codec.Response{
			RequestID: r.Uint32(), WireExpr: we, QoS: qos,
			Reply: codec.Reply{Body: codec.Data{Kind: codec.MidPut, Payload: payload}},
		}}
	case 2:
		if n < 16 {
			return &codec.NetworkMessage{ID: codec.MidResponseFinal, ResponseFinal: codec.ResponseFinal{RequestID: r.Uint32(), QoS: qos}}
		}
	}
	return &codec.NetworkMessage{ID: codec.MidPush, Push: codec.Push{
		WireExpr: we, QoS: qos, Body: codec.Data{Kind: codec.MidPut, Payload: payload},
	}}
}

// coreReason returns the reason of err's *CloseError, or -1.
func coreReason(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return int(ce.Reason)
	}
	return -1
}
