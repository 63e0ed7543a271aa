package codec

// LinkState option bits (spec/network.md section 3.7.1).
const (
	linkStateP = 0x01 // zid present
	linkStateW = 0x02 // whatami present
	linkStateL = 0x04 // locators present
	linkStateH = 0x08 // link weights present
	linkStateG = 0x10 // gateway
)

// LinkState describes one node of a router's (or gossiping peer's) graph:
// an entry of the LinkStateList carried by network OAM id 1
// (spec/network.md section 3.7.1). Unknown option bits are dropped.
type LinkState struct {
	PSID        uint64  // sender-local index of the node
	SN          uint64  // sequence number of the node's state
	ZID         ZenohID // zero = P absent
	WhatAmI     WhatAmI // 0 = W absent; otherwise Router, Peer or Client
	HasLocators bool    // L: the locator list is present (possibly empty)
	Locators    []string
	Links       []uint64 // neighbours, as psids of the sender
	// Weights is nil when H is absent; otherwise it has one weight per
	// link (0 = unset, meaning the default 100). The encoder writes exactly
	// len(Links) weights, padding with 0.
	Weights []uint16
	Gateway bool
}

// AppendLinkStateList appends the OAM body of a link-state message. It
// assumes locators of at most 255 bytes.
func AppendLinkStateList(dst []byte, l []LinkState) []byte {
	dst = AppendZint(dst, uint64(len(l)))
	for i := range l {
		s := &l[i]
		var o uint64
		if !s.ZID.IsZero() {
			o |= linkStateP
		}
		if s.WhatAmI != 0 {
			o |= linkStateW
		}
		hasLoc := s.HasLocators || len(s.Locators) > 0
		if hasLoc {
			o |= linkStateL
		}
		if s.Weights != nil {
			o |= linkStateH
		}
		if s.Gateway {
			o |= linkStateG
		}
		dst = AppendZint(dst, o)
		dst = AppendZint(dst, s.PSID)
		dst = AppendZint(dst, s.SN)
		if o&linkStateP != 0 {
			dst = AppendZint(dst, uint64(s.ZID.Len()))
			dst = s.ZID.AppendWire(dst)
		}
		if o&linkStateW != 0 {
			dst = append(dst, byte(s.WhatAmI))
		}
		if hasLoc {
			dst = AppendZint(dst, uint64(len(s.Locators)))
			for _, loc := range s.Locators {
				dst = AppendZint(dst, uint64(len(loc)))
				dst = append(dst, loc...)
			}
		}
		dst = AppendZint(dst, uint64(len(s.Links)))
		for _, link := range s.Links {
			dst = AppendZint(dst, link)
		}
		if s.Weights != nil {
			for j := range s.Links {
				var wt uint16
				if j < len(s.Weights) {
					wt = s.Weights[j]
				}
				dst = AppendZint(dst, uint64(wt))
			}
		}
	}
	return dst
}

// minLinkState is the smallest encoded LinkState: options, psid, sn and
// a link count of one byte each.
const minLinkState = 4

// DecodeLinkStateList decodes a whole OAM link-state body. Unlike the
// message decoders it allocates: the list, the link slices and the
// locator strings (copied). Each count is checked against the input left
// before anything is allocated for it.
func DecodeLinkStateList(body []byte) ([]LinkState, error) {
	r := reader{b: body, msg: "LinkStateList"}
	start := r.off
	n := r.zint()
	if r.err == nil && n > uint64(r.len()/minLinkState) {
		r.failf(start, ErrTruncated)
	}
	if r.err != nil {
		return nil, r.err
	}
	out := make([]LinkState, n)
	for i := range out {
		r.linkState(&out[i])
		if r.err != nil {
			return nil, r.err
		}
	}
	r.end()
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

func (r *reader) linkState(s *LinkState) {
	o := r.zint()
	s.PSID = r.zint()
	s.SN = r.zint()
	if o&linkStateP != 0 {
		s.ZID = r.zidBytes()
	}
	if o&linkStateW != 0 {
		w := WhatAmI(r.u8())
		if r.err == nil && !w.Valid() {
			r.failf(r.off-1, ErrInvalid)
		}
		s.WhatAmI = w
	}
	if o&linkStateL != 0 {
		s.HasLocators = true
		start := r.off
		n := r.zint()
		if r.err == nil && n > uint64(r.len()) { // each locator takes at least its length byte
			r.failf(start, ErrTruncated)
		}
		if r.err != nil {
			return
		}
		if n > 0 {
			s.Locators = make([]string, n)
			for i := range s.Locators {
				s.Locators[i] = string(r.bytes(0xff))
			}
		}
	}
	start := r.off
	n := r.zint()
	per := uint64(1)
	if o&linkStateH != 0 {
		per = 2 // a link and its weight
	}
	if r.err == nil && n > uint64(r.len())/per {
		r.failf(start, ErrTruncated)
	}
	if r.err != nil {
		return
	}
	if n > 0 {
		s.Links = make([]uint64, n)
		for i := range s.Links {
			s.Links[i] = r.zint()
		}
	}
	if o&linkStateH != 0 {
		s.Weights = make([]uint16, n)
		for i := range s.Weights {
			s.Weights[i] = r.z16()
		}
	}
	s.Gateway = o&linkStateG != 0
}
