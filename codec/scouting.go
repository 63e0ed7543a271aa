package codec

// Scouting message ids. They overlap transport ids: scouting messages
// travel alone in UDP datagrams, never in a session batch.
const (
	MidScout byte = 0x01
	MidHello byte = 0x02
)

const (
	flagScoutI       = 0x08 // Scout flags byte: ZenohId present
	flagHelloL       = 0x20 // Hello header: locators present
	maxHelloLocators = 4096
)

// Scout asks nodes whose role is in What (a bitmask of WhatAmI) to answer
// with a Hello, spec/transport.md 7.2.
type Scout struct {
	Version byte
	What    WhatAmI // bitmask: Router|Peer|Client
	ZID     ZenohID // zero: absent
	Exts    []Extension
}

// AppendScout appends a Scout.
func AppendScout(dst []byte, m *Scout) []byte {
	h := len(dst)
	dst = append(dst, MidScout, m.Version)
	if m.ZID.IsZero() {
		dst = append(dst, byte(m.What&7))
	} else {
		dst = appendZIDFlags(dst, m.ZID, flagScoutI|byte(m.What&7))
	}
	w := newExtWriter(h)
	return w.unknown(dst, m.Exts)
}

// Hello answers a Scout with the node's id, role and locators,
// spec/transport.md 7.3.
type Hello struct {
	Version  byte
	WhatAmI  WhatAmI
	ZID      ZenohID
	Locators []string // copied out of the input; L flag iff not empty
	Exts     []Extension
}

// AppendHello appends a Hello. Locators longer than 255 bytes cannot be
// carried and are the caller's error.
func AppendHello(dst []byte, m *Hello) []byte {
	h := len(dst)
	hdr := MidHello
	if len(m.Locators) > 0 {
		hdr |= flagHelloL
	}
	dst = append(dst, hdr, m.Version)
	dst = appendZIDFlags(dst, m.ZID, m.WhatAmI.index())
	if len(m.Locators) > 0 {
		dst = AppendZint(dst, uint64(len(m.Locators)))
		for _, l := range m.Locators {
			dst = AppendZint(dst, uint64(len(l)))
			dst = append(dst, l...)
		}
	}
	w := newExtWriter(h)
	return w.unknown(dst, m.Exts)
}

// ScoutingMessage is a decoded scouting datagram: ID says which field holds it.
type ScoutingMessage struct {
	ID    byte
	Scout Scout
	Hello Hello
}

// DecodeScouting decodes one scouting message, which must fill src (one
// datagram). Locators are copied; extension bodies alias src.
func DecodeScouting(src []byte, m *ScoutingMessage) error {
	r := reader{b: src, msg: "scouting"}
	h := r.u8()
	if r.err != nil {
		return r.err
	}
	m.ID = h & flagMidMask
	switch m.ID {
	case MidScout:
		r.scout(h, &m.Scout)
	case MidHello:
		r.hello(h, &m.Hello)
	default:
		r.failf(0, ErrUnknownMessage)
	}
	r.end()
	return r.err
}

func (r *reader) scout(h byte, m *Scout) {
	r.msg = "Scout"
	*m = Scout{Version: r.u8()}
	f := r.u8()
	m.What = WhatAmI(f & 7)
	if f&flagScoutI != 0 {
		m.ZID = r.zid(int(f>>4) + 1)
	}
	if h&flagZ != 0 {
		r.extChain(noKnownExt, &m.Exts)
	}
}

func (r *reader) hello(h byte, m *Hello) {
	r.msg = "Hello"
	*m = Hello{Version: r.u8()}
	f := r.u8()
	w, ok := whatAmIFromIndex(f)
	if !ok {
		r.failf(r.off-1, ErrInvalid)
	}
	m.WhatAmI = w
	m.ZID = r.zid(int(f>>4) + 1)
	if h&flagHelloL != 0 {
		start := r.off
		n := r.zint()
		// Each locator takes at least one byte: a count above what is
		// left cannot be honest, and must not size an allocation.
		if n > uint64(r.len()) || n > maxHelloLocators {
			r.failf(start, ErrOverflow)
			return
		}
		if n > 0 {
			m.Locators = make([]string, 0, n)
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			m.Locators = append(m.Locators, string(r.bytes(0xff)))
		}
	}
	if h&flagZ != 0 {
		r.extChain(noKnownExt, &m.Exts)
	}
}
