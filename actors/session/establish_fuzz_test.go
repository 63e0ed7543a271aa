package session

import (
	"errors"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// splitFuzz cuts data into two messages at the offset its first two
// bytes give.
func splitFuzz(data []byte) (a, b []byte) {
	if len(data) < 2 {
		return data, nil
	}
	n := int(data[0]) | int(data[1])<<8
	data = data[2:]
	n %= len(data) + 1
	return data[:n], data[n:]
}

func joinFuzz(a, b []byte) []byte {
	out := []byte{byte(len(a)), byte(len(a) >> 8)}
	return append(append(out, a...), b...)
}

// checkHandshakeErr requires every failure to say how to close.
func checkHandshakeErr(t *testing.T, err error) {
	t.Helper()
	var ce *CloseError
	var pc *PeerClosedError
	if !errors.As(err, &ce) && !errors.As(err, &pc) {
		t.Fatalf("error without a Close reason: %v", err)
	}
}

// checkEstablished checks what a data phase relies on.
func checkEstablished(t *testing.T, est Established, own codec.ZenohID) {
	t.Helper()
	if est.BatchSize < 64 || est.SNMask == 0 || est.PeerInitialSN > est.SNMask || est.OwnInitialSN > est.SNMask ||
		est.PeerLease <= 0 || est.ZID == own || est.ZID.IsZero() || !est.WhatAmI.Valid() || est.Patch > 1 ||
		est.Resolution.SNBits() > 2 || est.Resolution.RIDBits() > 2 {
		t.Fatalf("established %+v", est)
	}
	if _, err := NewRX(est, DefaultRXConfig()); err != nil {
		t.Fatal(err)
	}
	if _, err := NewTX(est, true, DefaultTXConfig()); err != nil {
		t.Fatal(err)
	}
}

// FuzzAcceptor decodes an InitSyn and an OpenSyn from random bytes and
// feeds them to an Acceptor. mode bit 0 swaps in the genuine cookie (to
// get past it), bit 1 another nonce. Nothing may panic; failures carry a
// Close reason; a success gives a usable Established.
func FuzzAcceptor(f *testing.F) {
	seedOpener := func(cfg Config) {
		op, _ := NewOpener(cfg, coreLink)
		syn := op.InitSyn()
		open := codec.Open{Lease: 10 * time.Second, InitialSN: 5, Cookie: make([]byte, cookieLen)}
		f.Add(joinFuzz(codec.AppendInit(nil, &syn), codec.AppendOpen(nil, &open)), byte(1))
	}
	seedOpener(coreConfig(f, 1))
	pico := coreConfig(f, 1)
	pico.BatchSize, pico.QoS = 2048, false
	seedOpener(pico)
	f.Add(joinFuzz([]byte{0xc1, 0x09, 0xf2, 0xd7, 0x66, 0x6b, 0xe9, 0x30, 0x6b, 0x00, 0xd9, 0x4c, 0x7b, 0x38, 0xdc, 0x95, 0x87, 0xd0, 0xdb, 0x0a, 0x00, 0x08, 0x27, 0x01}, []byte{0x42, 0x0a, 0x00, 0x00}), byte(1))
	f.Add(joinFuzz([]byte{0x23, 0x05}, nil), byte(0))
	f.Add(joinFuzz([]byte{0x81, 0x08, 0x00, 0x01}, []byte{0x04}), byte(3))

	cfg := coreConfig(f, 2)
	acc, err := NewAcceptor(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte) {
		a, b := splitFuzz(data)
		var m codec.TransportMessage
		if _, err := codec.DecodeTransport(a, &m); err != nil {
			return
		}
		syn, err := ExpectInit(&m)
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		ack, nonce, err := acc.HandleInitSyn(coreT0, coreRand(uint64(len(data))), coreLink, syn)
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		if ack.BatchSize < cfg.MinBatchSize || !ack.Ack || len(ack.Cookie) != cookieLen {
			t.Fatalf("InitAck %+v", ack)
		}
		if _, err := codec.DecodeTransport(b, &m); err != nil {
			return
		}
		open, err := ExpectOpen(&m)
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		if mode&1 != 0 {
			open.Cookie = ack.Cookie
		}
		if mode&2 != 0 {
			nonce++
		}
		est, oack, err := acc.HandleOpenSyn(coreT0.Add(time.Second), coreLink, nonce, open, coreRand(3))
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		if mode&2 != 0 || !oack.Ack {
			t.Fatalf("accepted with nonce off by one (mode %d) or bad ack %+v", mode, oack)
		}
		checkEstablished(t, est, cfg.ZID)
	})
}

// FuzzOpener feeds an Opener an InitAck and an OpenAck decoded from
// random bytes.
func FuzzOpener(f *testing.F) {
	f.Add(joinFuzz(
		[]byte{0xe1, 0x09, 0xf1, 0x28, 0xc2, 0x4a, 0xea, 0x92, 0xae, 0xeb, 0x19, 0x6c, 0x89, 0xd8, 0xe0, 0xa8, 0xec, 0xde, 0x29, 0x0a, 0x00, 0x08, 0x00, 0x27, 0x01},
		[]byte{0x62, 0x0a, 0x00}))
	f.Add(joinFuzz([]byte{0xa1, 0x09, 0x00, 0x07, 0x01, 0x05}, []byte{0x22, 0x88, 0x27, 0xff, 0xff, 0xff, 0x7f}))
	f.Add(joinFuzz([]byte{0x03, 0x02}, nil))
	cfg := coreConfig(f, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, b := splitFuzz(data)
		op, err := NewOpener(cfg, coreLink)
		if err != nil {
			t.Fatal(err)
		}
		op.InitSyn()
		var m codec.TransportMessage
		if _, err := codec.DecodeTransport(a, &m); err != nil {
			return
		}
		ack, err := ExpectInit(&m)
		if err == nil {
			_, err = op.HandleInitAck(ack, coreRand(1))
		}
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		if _, err := codec.DecodeTransport(b, &m); err != nil {
			return
		}
		oa, err := ExpectOpen(&m)
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		est, err := op.HandleOpenAck(oa)
		if err != nil {
			checkHandshakeErr(t, err)
			return
		}
		checkEstablished(t, est, cfg.ZID)
	})
}
