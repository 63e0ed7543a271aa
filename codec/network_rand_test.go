package codec

import (
	"math/rand/v2"

	"github.com/gozenoh/zenoh/hlc"
)

// Random values for round-trip tests of network and data messages. They
// are built the way the decoder produces values: empty byte fields are nil,
// absent optional fields are zero, and only what the wire can carry is set.

// randExtsExcept returns up to three M=0 extensions whose 7-bit keys the
// message does not define (known lists the keys it does). Unlike
// randUnknownExts it also picks ids that known extensions use with
// another encoding, which must still be treated as unknown.
func randExtsExcept(rng *rand.Rand, known ...byte) []Extension {
	n := rng.IntN(4)
	if rng.IntN(2) == 0 {
		n = 0
	}
	if n == 0 {
		return nil
	}
	exts := make([]Extension, 0, n)
	for len(exts) < n {
		enc := byte(rng.IntN(3)) << 5
		key := enc | byte(rng.IntN(16))
		skip := false
		for _, k := range known {
			if k == key {
				skip = true
			}
		}
		if skip {
			continue
		}
		e := Extension{Key: key}
		switch enc {
		case extEncZ64:
			e.Value = randUint(rng, 64)
		case extEncZBuf:
			e.Body = randBytes(rng, 20)
		}
		exts = append(exts, e)
	}
	return exts
}

func randTimestamp(rng *rand.Rand) hlc.Timestamp {
	if rng.IntN(3) != 0 {
		return hlc.Timestamp{}
	}
	return hlc.Timestamp{Time: hlc.NTP64(randUint(rng, 64)), ID: randZID(rng)}
}

func randQoS(rng *rand.Rand) QoS {
	if rng.IntN(2) == 0 {
		return DefaultQoS
	}
	return QoS(rng.UintN(256))
}

func randNodeID(rng *rand.Rand) uint16 {
	if rng.IntN(3) != 0 {
		return 0
	}
	return uint16(randUint(rng, 16))
}

// randSuffix returns a key-expression-like suffix (or nil), sometimes
// long enough to need a multi-byte length.
func randSuffix(rng *rand.Rand) []byte {
	switch rng.IntN(4) {
	case 0:
		return nil
	case 1:
		b := make([]byte, 100+rng.IntN(300))
		for i := range b {
			b[i] = 'a' + byte(rng.IntN(26))
		}
		return b
	}
	keys := []string{"demo/example", "/**", "a/b/c", "group1/**", "@adv/x", "x"}
	return []byte(keys[rng.IntN(len(keys))])
}

func randWireExpr(rng *rand.Rand) WireExpr {
	we := WireExpr{Suffix: randSuffix(rng), Mapping: rng.IntN(2) == 0}
	if rng.IntN(2) == 0 {
		we.Scope = uint16(randUint(rng, 16))
	}
	return we
}

func randEncoding(rng *rand.Rand) Encoding {
	if rng.IntN(2) == 0 {
		return Encoding{}
	}
	return Encoding{ID: uint16(randUint(rng, 16)), Schema: randBytes(rng, 255)}
}

func randSourceInfo(rng *rand.Rand) SourceInfo {
	if rng.IntN(3) != 0 {
		return SourceInfo{}
	}
	return SourceInfo{ID: EntityGlobalID{ZID: randZID(rng), EID: uint32(randUint(rng, 32))},
		SN: uint32(randUint(rng, 32))}
}

// randPayload is usually short, sometimes empty, sometimes large.
func randPayload(rng *rand.Rand) []byte {
	if rng.IntN(10) == 0 {
		return randBytes(rng, 3000)
	}
	return randBytes(rng, 40)
}

func randData(rng *rand.Rand) Data {
	d := Data{Kind: MidPut, Timestamp: randTimestamp(rng), SourceInfo: randSourceInfo(rng)}
	if rng.IntN(4) == 0 {
		d.Kind = MidDel
		d.Exts = randExtsExcept(rng, extDataSourceInfo, extDelAttachment)
	} else {
		d.Encoding = randEncoding(rng)
		d.Payload = randPayload(rng)
		d.Exts = randExtsExcept(rng, extDataSourceInfo, extPutAttachment)
	}
	if rng.IntN(3) == 0 {
		d.Attachment = randBytes(rng, 200)
	}
	return d
}

func randQuery(rng *rand.Rand) Query {
	q := Query{SourceInfo: randSourceInfo(rng), Exts: randExtsExcept(rng, extDataSourceInfo, extQueryBody, extQueryAttachment)}
	if rng.IntN(2) == 0 {
		q.HasConsolidation = true
		q.Consolidation = uint8(rng.IntN(5))
	}
	if rng.IntN(2) == 0 {
		q.Parameters = randBytes(rng, 30)
	}
	if rng.IntN(3) == 0 {
		q.HasBody = true
		q.BodyEncoding = randEncoding(rng)
		q.BodyPayload = randPayload(rng)
	}
	if rng.IntN(3) == 0 {
		q.Attachment = randBytes(rng, 30)
	}
	return q
}

func randReply(rng *rand.Rand) Reply {
	p := Reply{Body: randData(rng), Exts: randExtsExcept(rng)}
	if rng.IntN(4) == 0 {
		p.HasConsolidation = true
		p.Consolidation = uint8(rng.UintN(256))
	}
	return p
}

func randErr(rng *rand.Rand) Err {
	return Err{Encoding: randEncoding(rng), SourceInfo: randSourceInfo(rng), Payload: randPayload(rng),
		Exts: randExtsExcept(rng, extDataSourceInfo)}
}

func randPush(rng *rand.Rand) Push {
	return Push{WireExpr: randWireExpr(rng), QoS: randQoS(rng), Timestamp: randTimestamp(rng),
		NodeID: randNodeID(rng), Body: randData(rng),
		Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp, extNetNodeID)}
}

func randRequest(rng *rand.Rand) Request {
	q := Request{ID: uint32(randUint(rng, 32)), WireExpr: randWireExpr(rng), QoS: randQoS(rng),
		Timestamp: randTimestamp(rng), Target: Target(rng.IntN(3)), NodeID: randNodeID(rng),
		Query: randQuery(rng),
		Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp, extNetNodeID, extReqTarget,
			extReqBudget, extReqTimeout)}
	if rng.IntN(2) == 0 {
		q.Budget = uint32(randUint(rng, 32))
	}
	if rng.IntN(2) == 0 {
		q.Timeout = randUint(rng, 64)
	}
	return q
}

func randResponse(rng *rand.Rand) Response {
	p := Response{RequestID: uint32(randUint(rng, 32)), WireExpr: randWireExpr(rng), QoS: randQoS(rng),
		Timestamp: randTimestamp(rng),
		Exts:      randExtsExcept(rng, extNetQoS, extNetTimestamp, extRespResponderID)}
	if rng.IntN(2) == 0 {
		p.ResponderID = EntityGlobalID{ZID: randZID(rng), EID: uint32(randUint(rng, 32))}
	}
	if rng.IntN(3) == 0 {
		p.IsErr = true
		p.Err = randErr(rng)
	} else {
		p.Reply = randReply(rng)
	}
	return p
}

func randResponseFinal(rng *rand.Rand) ResponseFinal {
	return ResponseFinal{RequestID: uint32(randUint(rng, 32)), QoS: randQoS(rng), Timestamp: randTimestamp(rng),
		Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp)}
}

func randInterest(rng *rand.Rand) Interest {
	it := Interest{ID: uint32(randUint(rng, 32)), Mode: InterestMode(rng.IntN(4)), QoS: randQoS(rng),
		Timestamp: randTimestamp(rng), NodeID: randNodeID(rng),
		Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp, extNetNodeID)}
	if it.Mode != InterestFinal {
		it.Options = byte(rng.UintN(256)) & interestOptionsMask
		if rng.IntN(2) == 0 {
			it.Restricted = true
			it.WireExpr = randWireExpr(rng)
		}
	}
	return it
}

func randDeclaration(rng *rand.Rand) Declaration {
	kinds := []byte{DeclKeyExpr, UndeclKeyExpr, DeclSubscriber, UndeclSubscriber, DeclQueryable,
		UndeclQueryable, DeclToken, UndeclToken, DeclFinal}
	b := Declaration{Kind: kinds[rng.IntN(len(kinds))]}
	switch b.Kind {
	case DeclKeyExpr:
		b.ID = uint32(randUint(rng, 16))
		b.WireExpr = randWireExpr(rng)
		b.WireExpr.Mapping = false // no M flag in DeclareKeyExpr
		b.Exts = randExtsExcept(rng)
	case UndeclKeyExpr:
		b.ID = uint32(randUint(rng, 16))
		b.Exts = randExtsExcept(rng)
	case DeclSubscriber, DeclToken:
		b.ID = uint32(randUint(rng, 32))
		b.WireExpr = randWireExpr(rng)
		b.Exts = randExtsExcept(rng)
	case DeclQueryable:
		b.ID = uint32(randUint(rng, 32))
		b.WireExpr = randWireExpr(rng)
		b.Complete = rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			b.Distance = uint16(randUint(rng, 16))
		}
		b.Exts = randExtsExcept(rng, extDeclQueryableInfo)
	case UndeclSubscriber, UndeclQueryable, UndeclToken:
		b.ID = uint32(randUint(rng, 32))
		if rng.IntN(2) == 0 {
			b.HasWireExprExt = true
			b.WireExpr = randWireExpr(rng)
		}
		b.Exts = randExtsExcept(rng) // 0x5f is mandatory, never generated here
	case DeclFinal:
		b.Exts = randExtsExcept(rng)
	}
	return b
}

func randDeclare(rng *rand.Rand) Declare {
	d := Declare{QoS: randQoS(rng), Timestamp: randTimestamp(rng), NodeID: randNodeID(rng),
		Body: randDeclaration(rng), Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp, extNetNodeID)}
	if rng.IntN(2) == 0 {
		d.HasInterestID = true
		d.InterestID = uint32(randUint(rng, 32))
	}
	return d
}

func randOAM(rng *rand.Rand) OAM {
	o := OAM{ID: uint16(randUint(rng, 16)), Enc: OAMEncoding(rng.IntN(3)), QoS: randQoS(rng),
		Timestamp: randTimestamp(rng), Exts: randExtsExcept(rng, extNetQoS, extNetTimestamp)}
	switch o.Enc {
	case OAMZ64:
		o.Value = randUint(rng, 64)
	case OAMZBuf:
		if rng.IntN(2) == 0 {
			o.Body = AppendLinkStateList(nil, randLinkStateList(rng))
		} else {
			o.Body = randBytes(rng, 100)
		}
	}
	return o
}

// randNetwork returns a random network message of any kind.
func randNetwork(rng *rand.Rand) NetworkMessage {
	var m NetworkMessage
	switch rng.IntN(7) {
	case 0:
		m.ID, m.Push = MidPush, randPush(rng)
	case 1:
		m.ID, m.Request = MidRequest, randRequest(rng)
	case 2:
		m.ID, m.Response = MidResponse, randResponse(rng)
	case 3:
		m.ID, m.ResponseFinal = MidResponseFinal, randResponseFinal(rng)
	case 4:
		m.ID, m.Interest = MidInterest, randInterest(rng)
	case 5:
		m.ID, m.Declare = MidDeclare, randDeclare(rng)
	default:
		m.ID, m.OAM = MidOAM, randOAM(rng)
	}
	return m
}

func randLinkState(rng *rand.Rand) LinkState {
	s := LinkState{PSID: randUint(rng, 64), SN: randUint(rng, 64), Gateway: rng.IntN(2) == 0}
	if rng.IntN(2) == 0 {
		s.ZID = randZID(rng)
	}
	if rng.IntN(2) == 0 {
		s.WhatAmI = randRole(rng)
	}
	if rng.IntN(2) == 0 {
		s.HasLocators = true
		for range rng.IntN(4) {
			s.Locators = append(s.Locators, "tcp/127.0.0.1:"+string(rune('0'+rng.IntN(10)))+"447")
		}
	}
	for range rng.IntN(5) {
		s.Links = append(s.Links, randUint(rng, 64))
	}
	if rng.IntN(2) == 0 {
		s.Weights = make([]uint16, len(s.Links))
		for i := range s.Weights {
			s.Weights[i] = uint16(randUint(rng, 16))
		}
	}
	return s
}

func randLinkStateList(rng *rand.Rand) []LinkState {
	l := make([]LinkState, rng.IntN(4))
	for i := range l {
		l[i] = randLinkState(rng)
	}
	return l
}
