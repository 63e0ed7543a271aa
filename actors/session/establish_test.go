package session

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"zero zid", func(c *Config) { c.ZID = codec.ZenohID{} }, false},
		{"bad whatami", func(c *Config) { c.WhatAmI = 3 }, false},
		{"batch below min", func(c *Config) { c.BatchSize = 63 }, false},
		{"min below floor", func(c *Config) { c.MinBatchSize, c.BatchSize = 16, 16 }, false},
		{"pico batch", func(c *Config) { c.BatchSize = 2048 }, true},
		{"64-bit sn", func(c *Config) { c.Resolution = 0x0b }, false},
		{"64-bit rid", func(c *Config) { c.Resolution = 0x0e }, false},
		{"reserved bits", func(c *Config) { c.Resolution = 0x1a }, false},
		{"8-bit sn", func(c *Config) { c.Resolution = 0x08 }, true},
		{"zero lease", func(c *Config) { c.Lease = 0 }, false},
		{"patch 2", func(c *Config) { c.Patch = 2 }, false},
		{"patch 0", func(c *Config) { c.Patch = 0 }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := coreConfig(t, 1)
			tt.edit(&c)
			err := c.validate()
			if (err == nil) != tt.ok {
				t.Fatalf("validate = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v is not ErrConfig", err)
			}
		})
	}
	t.Run("acceptor secret", func(t *testing.T) {
		c := coreConfig(t, 1)
		c.CookieSecret = c.CookieSecret[:31]
		if _, err := NewAcceptor(c); !errors.Is(err, ErrConfig) {
			t.Fatalf("NewAcceptor = %v", err)
		}
		c = coreConfig(t, 1)
		c.CookieTTL = 0
		if _, err := NewAcceptor(c); !errors.Is(err, ErrConfig) {
			t.Fatalf("NewAcceptor = %v", err)
		}
	})
	t.Run("opener small mtu", func(t *testing.T) {
		if _, err := NewOpener(coreConfig(t, 1), LinkInfo{MTU: 40}); !errors.Is(err, ErrConfig) {
			t.Fatalf("NewOpener = %v", err)
		}
	})
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		name       string
		oedit      func(*Config)
		aedit      func(*Config)
		link       LinkInfo
		batch      uint16
		res        codec.Resolution
		qos        bool
		patch      uint64
		initAckHdr byte
	}{
		{"rust defaults", nil, nil, coreLink, 65535, 0x0a, true, 1, 0x81 | 0x20},
		{"opener pico batch", func(c *Config) { c.BatchSize = 2048; c.QoS = false }, nil, coreLink, 2048, 0x0a, false, 1, 0xe1},
		{"acceptor small batch", nil, func(c *Config) { c.BatchSize = 4096 }, coreLink, 4096, 0x0a, true, 1, 0xe1},
		{"udp mtu", nil, nil, LinkInfo{MTU: 65487, Local: "udp/a", Remote: "udp/b"}, 65487, 0x0a, true, 1, 0xe1},
		{"resolution min", func(c *Config) { c.Resolution = 0x06 }, func(c *Config) { c.Resolution = 0x09 }, coreLink, 65535, 0x05, true, 1, 0xe1},
		{"acceptor no qos", nil, func(c *Config) { c.QoS = false }, coreLink, 65535, 0x0a, false, 1, 0xa1},
		{"patch 0", func(c *Config) { c.Patch = 0 }, nil, coreLink, 65535, 0x0a, true, 0, 0xa1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oc, ac := coreConfig(t, 1), coreConfig(t, 2)
			if tt.oedit != nil {
				tt.oedit(&oc)
			}
			if tt.aedit != nil {
				tt.aedit(&ac)
			}
			oest, aest := coreHandshake(t, oc, ac, tt.link)
			if oest.ZID != ac.ZID || aest.ZID != oc.ZID {
				t.Fatalf("ZIDs: opener sees %v, acceptor sees %v", oest.ZID, aest.ZID)
			}
			if oest.WhatAmI != ac.WhatAmI || aest.WhatAmI != oc.WhatAmI {
				t.Fatalf("roles: %v %v", oest.WhatAmI, aest.WhatAmI)
			}
			if got := coreMirror(oest, aest.ZID); got != aest {
				t.Fatalf("not mirrored:\nopener   %+v\nacceptor %+v", oest, aest)
			}
			if oest.BatchSize != tt.batch || oest.Resolution != tt.res || oest.QoS != tt.qos || oest.Patch != tt.patch {
				t.Fatalf("agreed %+v; want batch %d res %#x qos %v patch %d", oest, tt.batch, tt.res, tt.qos, tt.patch)
			}
			if oest.SNMask != codec.SNMask(tt.res.SNBits()) || oest.OwnInitialSN > oest.SNMask || oest.PeerInitialSN > oest.SNMask {
				t.Fatalf("SNs %+v", oest)
			}
			if oest.PeerLease != 10*time.Second || oest.OwnLease != 10*time.Second {
				t.Fatalf("leases %+v", oest)
			}
			// The InitAck header: S exactly when the agreed values differ
			// from the defaults, Z when there are extensions.
			acc, _ := NewAcceptor(ac)
			op, _ := NewOpener(oc, tt.link)
			syn := op.InitSyn()
			ack, _, err := acc.HandleInitSyn(coreT0, coreRand(2), tt.link, &syn)
			if err != nil {
				t.Fatal(err)
			}
			if b := codec.AppendInit(nil, &ack); b[0] != tt.initAckHdr {
				t.Fatalf("InitAck header %#x, want %#x (%x)", b[0], tt.initAckHdr, b)
			}
		})
	}
}

// TestAcceptorPico feeds the InitSyn and OpenSyn zenoh-pico sends
// (spec/transport.md 10.1, 10.3) to the acceptor.
func TestAcceptorPico(t *testing.T) {
	synBytes, _ := hex.DecodeString("c109f2d7666be9306b00d94c7b38dc9587d0db0a00082701")
	var m codec.TransportMessage
	if _, err := codec.DecodeTransport(synBytes, &m); err != nil {
		t.Fatal(err)
	}
	cfg := coreConfig(t, 2)
	cfg.WhatAmI = codec.Router
	acc, err := NewAcceptor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	syn, err := ExpectInit(&m)
	if err != nil {
		t.Fatal(err)
	}
	ack, nonce, err := acc.HandleInitSyn(coreT0, coreRand(3), coreLink, syn)
	if err != nil {
		t.Fatal(err)
	}
	b := codec.AppendInit(nil, &ack)
	// e1 09 f0 <zid 2 bytes: ZID len 2 → flags 0x10> ...
	want := append([]byte{0xe1, 0x09, 0x10, 0x02, 0xaa, 0x0a, 0x00, 0x08, cookieLen}, ack.Cookie...)
	want = append(want, 0x27, 0x01)
	if !bytes.Equal(b, want) {
		t.Fatalf("InitAck\n got %x\nwant %x", b, want)
	}
	// pico answers with lease 10 s, initial SN 0 and our cookie.
	osyn := append([]byte{0x42, 0x0a, 0x00, cookieLen}, ack.Cookie...)
	if _, err := codec.DecodeTransport(osyn, &m); err != nil {
		t.Fatal(err)
	}
	open, err := ExpectOpen(&m)
	if err != nil {
		t.Fatal(err)
	}
	est, oack, err := acc.HandleOpenSyn(coreT0.Add(time.Second), coreLink, nonce, open, coreRand(4))
	if err != nil {
		t.Fatal(err)
	}
	if est.BatchSize != 2048 || est.QoS || est.Patch != 1 || est.PeerInitialSN != 0 || est.WhatAmI != codec.Client {
		t.Fatalf("established %+v", est)
	}
	if b := codec.AppendOpen(nil, &oack); b[0] != 0x62 || b[1] != 0x0a {
		t.Fatalf("OpenAck %x", b)
	}
}

// TestOpenerPicoListener answers our InitSyn with what a pico peer
// listener sends (spec/transport.md 10.2 b): empty cookie, batch 2048.
func TestOpenerPicoListener(t *testing.T) {
	op, err := NewOpener(coreConfig(t, 1), coreLink)
	if err != nil {
		t.Fatal(err)
	}
	syn := op.InitSyn()
	if b := codec.AppendInit(nil, &syn); b[0] != 0x81 {
		t.Fatalf("InitSyn %x: want no S block and extensions", b)
	}
	ackBytes, _ := hex.DecodeString("e109f128c24aea92aeeb196c89d8e0a8ecde290a0008002701")
	var m codec.TransportMessage
	if _, err := codec.DecodeTransport(ackBytes, &m); err != nil {
		t.Fatal(err)
	}
	ack, _ := ExpectInit(&m)
	osyn, err := op.HandleInitAck(ack, coreRand(5))
	if err != nil {
		t.Fatal(err)
	}
	if osyn.Cookie == nil || len(osyn.Cookie) != 0 || osyn.Lease != 10*time.Second {
		t.Fatalf("OpenSyn %+v", osyn)
	}
	if _, err := codec.DecodeTransport([]byte{0x62, 0x0a, 0x00}, &m); err != nil {
		t.Fatal(err)
	}
	oa, _ := ExpectOpen(&m)
	est, err := op.HandleOpenAck(oa)
	if err != nil {
		t.Fatal(err)
	}
	if est.BatchSize != 2048 || est.QoS || est.Patch != 1 || est.PeerInitialSN != 0 || est.WhatAmI != codec.Peer {
		t.Fatalf("established %+v", est)
	}
}

func TestCookieEcho(t *testing.T) {
	op, _ := NewOpener(coreConfig(t, 1), coreLink)
	op.InitSyn()
	cookie := []byte{1, 2, 3}
	ack := codec.Init{Ack: true, Version: 9, WhatAmI: codec.Router, ZID: coreZID(t, 9), Resolution: 0x0a, BatchSize: 65535, Cookie: cookie}
	osyn, err := op.HandleInitAck(&ack, coreRand(1))
	if err != nil {
		t.Fatal(err)
	}
	cookie[0] = 9 // the read buffer is reused
	if !bytes.Equal(osyn.Cookie, []byte{1, 2, 3}) {
		t.Fatalf("cookie %x aliases the InitAck", osyn.Cookie)
	}
}

func TestAcceptorInitSynErrors(t *testing.T) {
	base := func(t *testing.T) codec.Init {
		op, _ := NewOpener(coreConfig(t, 1), coreLink)
		return op.InitSyn()
	}
	tests := []struct {
		name   string
		edit   func(*codec.Init)
		link   LinkInfo
		reason int
		err    error
	}{
		{"ack", func(m *codec.Init) { m.Ack = true }, coreLink, int(codec.CloseInvalid), ErrUnexpectedMessage},
		{"version 8", func(m *codec.Init) { m.Version = 8 }, coreLink, int(codec.CloseInvalid), ErrVersion},
		{"zero zid", func(m *codec.Init) { m.ZID = codec.ZenohID{} }, coreLink, int(codec.CloseInvalid), ErrZID},
		{"qos and qoslink", func(m *codec.Init) { m.HasQoSLink, m.QoSLink = true, 1 }, coreLink, int(codec.CloseGeneric), ErrQoSConflict},
		{"batch 63", func(m *codec.Init) { m.BatchSize = 63 }, coreLink, int(codec.CloseInvalid), ErrBatchSize},
		{"batch 0", func(m *codec.Init) { m.BatchSize = 0 }, coreLink, int(codec.CloseInvalid), ErrBatchSize},
		{"small mtu", func(*codec.Init) {}, LinkInfo{MTU: 50}, int(codec.CloseInvalid), ErrBatchSize},
	}
	acc, _ := NewAcceptor(coreConfig(t, 2))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			syn := base(t)
			tt.edit(&syn)
			_, _, err := acc.HandleInitSyn(coreT0, coreRand(1), tt.link, &syn)
			if !errors.Is(err, tt.err) || coreReason(err) != tt.reason {
				t.Fatalf("err = %v (reason %d), want %v reason %d", err, coreReason(err), tt.err, tt.reason)
			}
		})
	}
	t.Run("randomness", func(t *testing.T) {
		syn := base(t)
		_, _, err := acc.HandleInitSyn(coreT0, bytes.NewReader(nil), coreLink, &syn)
		if !errors.Is(err, ErrRandom) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("qoslink", func(t *testing.T) {
		for _, v := range []uint64{0, 1, 0x0a} {
			syn := base(t)
			syn.QoS, syn.HasQoSLink, syn.QoSLink = false, true, v
			ack, _, err := acc.HandleInitSyn(coreT0, coreRand(1), coreLink, &syn)
			if err != nil || ack.QoS != (v != 0) || ack.HasQoSLink {
				t.Fatalf("QoSLink %#x: qos %v, err %v", v, ack.QoS, err)
			}
		}
	})
}

func TestAcceptorOpenSynErrors(t *testing.T) {
	cfg := coreConfig(t, 2)
	acc, _ := NewAcceptor(cfg)
	self := coreConfig(t, 2) // an opener with the acceptor's own ZID
	tests := []struct {
		name   string
		opener Config
		edit   func(o *codec.Open, link *LinkInfo, nonce *uint64, now *time.Time)
		reason byte
		err    error
	}{
		{"ok", coreConfig(t, 1), func(*codec.Open, *LinkInfo, *uint64, *time.Time) {}, 0xff, nil},
		{"ack", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Ack = true }, codec.CloseInvalid, ErrUnexpectedMessage},
		{"forged mac", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Cookie[len(o.Cookie)-1] ^= 1 }, codec.CloseInvalid, ErrCookie},
		{"altered state", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Cookie[20] ^= 1 }, codec.CloseInvalid, ErrCookie},
		{"short cookie", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Cookie = o.Cookie[:10] }, codec.CloseInvalid, ErrCookie},
		{"empty cookie", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Cookie = nil }, codec.CloseInvalid, ErrCookie},
		{"expired", coreConfig(t, 1), func(_ *codec.Open, _ *LinkInfo, _ *uint64, now *time.Time) { *now = now.Add(11 * time.Second) }, codec.CloseInvalid, ErrCookie},
		{"other link", coreConfig(t, 1), func(_ *codec.Open, l *LinkInfo, _ *uint64, _ *time.Time) { l.Remote = "tcp/127.0.0.1:50001" }, codec.CloseInvalid, ErrCookie},
		{"other nonce", coreConfig(t, 1), func(_ *codec.Open, _ *LinkInfo, n *uint64, _ *time.Time) { *n++ }, codec.CloseInvalid, ErrCookie},
		{"zero lease", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.Lease = 0 }, codec.CloseInvalid, ErrLease},
		{"sn above mask", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.InitialSN = 0x10000000 }, codec.CloseInvalid, ErrSN},
		{"sn at mask", coreConfig(t, 1), func(o *codec.Open, _ *LinkInfo, _ *uint64, _ *time.Time) { o.InitialSN = 0x0fffffff }, 0xff, nil},
		{"self", self, func(*codec.Open, *LinkInfo, *uint64, *time.Time) {}, codec.CloseConnectionToSelf, ErrConnectionToSelf},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op, _ := NewOpener(tt.opener, coreLink)
			syn := op.InitSyn()
			ack, nonce, err := acc.HandleInitSyn(coreT0, coreRand(1), coreLink, &syn)
			if err != nil {
				t.Fatal(err)
			}
			osyn, err := op.HandleInitAck(&ack, coreRand(2))
			if err != nil {
				t.Fatal(err)
			}
			link, now := coreLink, coreT0.Add(time.Second)
			tt.edit(&osyn, &link, &nonce, &now)
			_, oack, err := acc.HandleOpenSyn(now, link, nonce, &osyn, coreRand(3))
			if tt.err == nil {
				if err != nil || !oack.Ack || oack.Lease != cfg.Lease {
					t.Fatalf("err = %v, ack %+v", err, oack)
				}
				return
			}
			if !errors.Is(err, tt.err) || coreReason(err) != int(tt.reason) {
				t.Fatalf("err = %v, want %v with reason %d", err, tt.err, tt.reason)
			}
		})
	}
	t.Run("replay on a new connection", func(t *testing.T) {
		op, _ := NewOpener(coreConfig(t, 1), coreLink)
		syn := op.InitSyn()
		ack, nonce1, _ := acc.HandleInitSyn(coreT0, coreRand(1), coreLink, &syn)
		osyn, _ := op.HandleInitAck(&ack, coreRand(2))
		// A second connection from the same addresses got another nonce.
		_, nonce2, _ := acc.HandleInitSyn(coreT0, coreRand(7), coreLink, &syn)
		if nonce1 == nonce2 {
			t.Fatal("same nonce twice")
		}
		if _, _, err := acc.HandleOpenSyn(coreT0, coreLink, nonce2, &osyn, coreRand(3)); !errors.Is(err, ErrCookie) {
			t.Fatalf("replayed cookie: %v", err)
		}
	})
	t.Run("other secret", func(t *testing.T) {
		c := coreConfig(t, 2)
		c.CookieSecret = bytes.Repeat([]byte{1}, 32)
		other, _ := NewAcceptor(c)
		op, _ := NewOpener(coreConfig(t, 1), coreLink)
		syn := op.InitSyn()
		ack, nonce, _ := other.HandleInitSyn(coreT0, coreRand(1), coreLink, &syn)
		osyn, _ := op.HandleInitAck(&ack, coreRand(2))
		if _, _, err := acc.HandleOpenSyn(coreT0, coreLink, nonce, &osyn, coreRand(3)); !errors.Is(err, ErrCookie) {
			t.Fatalf("cookie of another node: %v", err)
		}
	})
}

func TestOpenerErrors(t *testing.T) {
	goodAck := func(t *testing.T) codec.Init {
		return codec.Init{Ack: true, Version: 9, WhatAmI: codec.Router, ZID: coreZID(t, 9), Resolution: 0x0a, BatchSize: 65535, Cookie: []byte{1}, QoS: true, Patch: 1}
	}
	initTests := []struct {
		name   string
		edit   func(*codec.Init)
		reason byte
		err    error
	}{
		{"syn", func(m *codec.Init) { m.Ack = false }, codec.CloseInvalid, ErrUnexpectedMessage},
		{"version", func(m *codec.Init) { m.Version = 10 }, codec.CloseInvalid, ErrVersion},
		{"zero zid", func(m *codec.Init) { m.ZID = codec.ZenohID{} }, codec.CloseInvalid, ErrZID},
		{"sn resolution larger", func(m *codec.Init) { m.Resolution = 0x0b }, codec.CloseInvalid, ErrResolution},
		{"rid resolution larger", func(m *codec.Init) { m.Resolution = 0x0e }, codec.CloseInvalid, ErrResolution},
		{"batch small", func(m *codec.Init) { m.BatchSize = 10 }, codec.CloseInvalid, ErrBatchSize},
		{"patch 2", func(m *codec.Init) { m.Patch = 2 }, codec.CloseInvalid, ErrPatch},
		{"qos and qoslink", func(m *codec.Init) { m.HasQoSLink = true }, codec.CloseGeneric, ErrQoSConflict},
	}
	for _, tt := range initTests {
		t.Run("InitAck/"+tt.name, func(t *testing.T) {
			op, _ := NewOpener(coreConfig(t, 1), coreLink)
			op.InitSyn()
			ack := goodAck(t)
			tt.edit(&ack)
			_, err := op.HandleInitAck(&ack, coreRand(1))
			if !errors.Is(err, tt.err) || coreReason(err) != int(tt.reason) {
				t.Fatalf("err = %v, want %v reason %d", err, tt.err, tt.reason)
			}
		})
	}
	t.Run("InitAck/smaller resolution adopted", func(t *testing.T) {
		op, _ := NewOpener(coreConfig(t, 1), coreLink)
		op.InitSyn()
		ack := goodAck(t)
		ack.Resolution = 0x30 | 0x04 // reserved bits are dropped
		if _, err := op.HandleInitAck(&ack, coreRand(1)); err != nil {
			t.Fatal(err)
		}
		if op.est.Resolution != 0x04 || op.est.SNMask != 0x7f || op.est.OwnInitialSN > 0x7f {
			t.Fatalf("%+v", op.est)
		}
	})
	openTests := []struct {
		name   string
		zid    byte
		edit   func(*codec.Open)
		reason byte
		err    error
	}{
		{"ok", 9, func(*codec.Open) {}, 0xff, nil},
		{"syn", 9, func(m *codec.Open) { m.Ack = false }, codec.CloseInvalid, ErrUnexpectedMessage},
		{"zero lease", 9, func(m *codec.Open) { m.Lease = 0 }, codec.CloseInvalid, ErrLease},
		{"sn above mask", 9, func(m *codec.Open) { m.InitialSN = 1 << 28 }, codec.CloseInvalid, ErrSN},
		{"self", 1, func(*codec.Open) {}, codec.CloseConnectionToSelf, ErrConnectionToSelf},
	}
	for _, tt := range openTests {
		t.Run("OpenAck/"+tt.name, func(t *testing.T) {
			op, _ := NewOpener(coreConfig(t, 1), coreLink)
			op.InitSyn()
			ack := goodAck(t)
			ack.ZID = coreZID(t, tt.zid, 0xaa)
			if _, err := op.HandleInitAck(&ack, coreRand(1)); err != nil {
				t.Fatal(err)
			}
			oa := codec.Open{Ack: true, Lease: 3 * time.Second, InitialSN: 77}
			tt.edit(&oa)
			est, err := op.HandleOpenAck(&oa)
			if tt.err == nil {
				if err != nil || est.PeerLease != 3*time.Second || est.PeerInitialSN != 77 {
					t.Fatalf("err %v est %+v", err, est)
				}
				return
			}
			if !errors.Is(err, tt.err) || coreReason(err) != int(tt.reason) {
				t.Fatalf("err = %v, want %v reason %d", err, tt.err, tt.reason)
			}
		})
	}
	t.Run("order", func(t *testing.T) {
		op, _ := NewOpener(coreConfig(t, 1), coreLink)
		ack := goodAck(t)
		if _, err := op.HandleInitAck(&ack, coreRand(1)); !errors.Is(err, ErrState) {
			t.Fatalf("InitAck before InitSyn: %v", err)
		}
		if _, err := op.HandleOpenAck(&codec.Open{Ack: true, Lease: time.Second}); !errors.Is(err, ErrState) {
			t.Fatalf("OpenAck before InitAck: %v", err)
		}
	})
}

func TestExpect(t *testing.T) {
	close := &codec.TransportMessage{ID: codec.MidClose, Close: codec.Close{Reason: codec.CloseMaxLinks, Session: true}}
	_, err := ExpectInit(close)
	var pc *PeerClosedError
	if !errors.As(err, &pc) || pc.Reason != codec.CloseMaxLinks || !pc.Session || !errors.Is(err, ErrClosedByPeer) {
		t.Fatalf("ExpectInit(Close) = %v", err)
	}
	if _, ok := CloseReason(err); ok {
		t.Fatal("a peer's Close must not be answered")
	}
	if err.Error() != "session: closed by peer: MAX_LINKS" {
		t.Fatalf("message %q", err)
	}
	ka := &codec.TransportMessage{ID: codec.MidKeepAlive}
	_, err = ExpectOpen(ka)
	if r, ok := CloseReason(err); !ok || r != codec.CloseInvalid || !errors.Is(err, ErrUnexpectedMessage) {
		t.Fatalf("ExpectOpen(KeepAlive) = %v", err)
	}
	_, err = ExpectOpen(&codec.TransportMessage{ID: codec.MidInit})
	if coreReason(err) != int(codec.CloseInvalid) {
		t.Fatalf("ExpectOpen(Init) = %v", err)
	}
	if r, ok := CloseReason(errors.New("x")); !ok || r != codec.CloseGeneric {
		t.Fatal("plain errors close with GENERIC")
	}
	if ReasonName(0x42) != "0x42" || ReasonName(codec.CloseConnectionToSelf) != "CONNECTION_TO_SELF" {
		t.Fatal("ReasonName")
	}
}
