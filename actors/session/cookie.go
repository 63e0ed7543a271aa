package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// The acceptor keeps no table of pending handshakes: the InitAck cookie
// carries the negotiated state, sealed with the node's secret, and comes
// back in the OpenSyn (spec/transport.md 5.5). The cookie is not
// encrypted (nothing in it is secret: the opener sent or will learn every
// field), only authenticated.
//
// Layout, 55 bytes:
//
//	0      version (cookieVersion)
//	1      opener WhatAmI (bitmask)
//	2..17  opener ZenohId, 16 bytes little-endian
//	18     agreed resolution byte
//	19..20 agreed batch size, little-endian
//	21     flags: bit 0 = QoS
//	22     agreed patch level
//	23..30 expiry, Unix nanoseconds, little-endian
//	31..38 nonce, little-endian
//	39..54 HMAC-SHA256 truncated to 16 bytes over bytes 0..38, then the
//	       link's local and remote addresses, each preceded by its length
//	       as 4 little-endian bytes
const (
	cookieVersion = 1
	cookieBodyLen = 39
	cookieMACLen  = 16
	cookieLen     = cookieBodyLen + cookieMACLen
)

// cookieLabel separates our MAC from any other use of the same secret.
const cookieLabel = "gozenoh/session/cookie/v1"

// cookieState is what the acceptor negotiated at InitSyn.
type cookieState struct {
	WhatAmI    codec.WhatAmI
	ZID        codec.ZenohID
	Resolution codec.Resolution
	BatchSize  uint16
	QoS        bool
	Patch      uint8
	Expiry     int64 // Unix nanoseconds
	Nonce      uint64
}

// sealCookie returns the cookie for st on link.
func sealCookie(secret []byte, st *cookieState, link LinkInfo) []byte {
	c := make([]byte, cookieBodyLen, cookieLen)
	c[0] = cookieVersion
	c[1] = byte(st.WhatAmI)
	zid := st.ZID.Array()
	copy(c[2:18], zid[:])
	c[18] = byte(st.Resolution)
	binary.LittleEndian.PutUint16(c[19:], st.BatchSize)
	if st.QoS {
		c[21] = 1
	}
	c[22] = st.Patch
	binary.LittleEndian.PutUint64(c[23:], uint64(st.Expiry))
	binary.LittleEndian.PutUint64(c[31:], st.Nonce)
	return append(c, cookieMAC(secret, c, link)...)
}

// cookieMAC authenticates a cookie body together with the link's
// addresses, so a cookie is worthless on another connection.
func cookieMAC(secret, body []byte, link LinkInfo) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(cookieLabel))
	m.Write(body)
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(link.Local)))
	m.Write(n[:])
	m.Write([]byte(link.Local))
	binary.LittleEndian.PutUint32(n[:], uint32(len(link.Remote)))
	m.Write(n[:])
	m.Write([]byte(link.Remote))
	return m.Sum(nil)[:cookieMACLen]
}

// openCookie checks c's MAC for link and its expiry at now, and returns
// the state it carries. Every failure wraps ErrCookie.
func openCookie(secret, c []byte, link LinkInfo, now time.Time) (cookieState, error) {
	var st cookieState
	if len(c) != cookieLen {
		return st, fmt.Errorf("%w: length %d", ErrCookie, len(c))
	}
	body, mac := c[:cookieBodyLen], c[cookieBodyLen:]
	if !hmac.Equal(mac, cookieMAC(secret, body, link)) {
		return st, fmt.Errorf("%w: bad MAC", ErrCookie)
	}
	// The MAC holds, so we wrote these bytes; check them anyway, a
	// cookie from an older format would otherwise be misread.
	if body[0] != cookieVersion {
		return st, fmt.Errorf("%w: version %d", ErrCookie, body[0])
	}
	st.WhatAmI = codec.WhatAmI(body[1])
	zid, err := hlc.IDFromBytes(body[2:18])
	if err != nil || !st.WhatAmI.Valid() {
		return st, fmt.Errorf("%w: bad contents", ErrCookie)
	}
	st.ZID = zid
	st.Resolution = codec.Resolution(body[18])
	st.BatchSize = binary.LittleEndian.Uint16(body[19:])
	st.QoS = body[21]&1 != 0
	st.Patch = body[22]
	st.Expiry = int64(binary.LittleEndian.Uint64(body[23:]))
	st.Nonce = binary.LittleEndian.Uint64(body[31:])
	if now.UnixNano() > st.Expiry {
		return st, fmt.Errorf("%w: expired", ErrCookie)
	}
	return st, nil
}
