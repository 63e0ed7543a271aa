package codec

import (
	"math/rand/v2"
	"time"

	"github.com/gozenoh/zenoh/hlc"
)

// Random values for round-trip tests of transport and scouting messages.
// Empty byte fields are nil, as decoders produce them.

func randBytes(rng *rand.Rand, max int) []byte {
	n := rng.IntN(max + 1)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

func randZID(rng *rand.Rand) ZenohID {
	var b [16]byte
	n := 1 + rng.IntN(16)
	for i := 0; i < n; i++ {
		b[i] = byte(rng.UintN(256))
	}
	b[0] |= 1 // never zero
	id, err := hlc.IDFromBytes(b[:n])
	if err != nil {
		panic(err)
	}
	return id
}

// randUint returns values spread over every zint length up to bits.
func randUint(rng *rand.Rand, bits int) uint64 {
	v := rng.Uint64()
	if bits < 64 {
		v &= 1<<bits - 1
	}
	return v >> rng.IntN(bits+1)
}

func randRole(rng *rand.Rand) WhatAmI { return []WhatAmI{Router, Peer, Client}[rng.IntN(3)] }

// randUnknownExts returns extensions no message defines: M=0 ids 8..15.
func randUnknownExts(rng *rand.Rand) []Extension {
	n := rng.IntN(3)
	if n == 0 {
		return nil
	}
	exts := make([]Extension, n)
	for i := range exts {
		id := byte(8 + rng.IntN(8))
		switch rng.IntN(3) {
		case 0:
			exts[i] = Extension{Key: id}
		case 1:
			exts[i] = Extension{Key: id | extEncZ64, Value: randUint(rng, 64)}
		default:
			exts[i] = Extension{Key: id | extEncZBuf, Body: randBytes(rng, 20)}
		}
	}
	return exts
}

func randLease(rng *rand.Rand) time.Duration {
	if rng.IntN(2) == 0 {
		return time.Duration(rng.IntN(3600)) * time.Second
	}
	return time.Duration(rng.IntN(1000000)) * time.Millisecond
}

func randTransport(rng *rand.Rand) TransportMessage {
	var m TransportMessage
	switch rng.IntN(8) {
	case 0:
		m.ID = MidInit
		m.Init = Init{Ack: rng.IntN(2) == 0, Version: byte(rng.UintN(256)), WhatAmI: randRole(rng),
			ZID: randZID(rng), SizeBlock: rng.IntN(2) == 0, Resolution: Resolution(rng.UintN(256)),
			BatchSize: uint16(rng.UintN(65536)), QoS: rng.IntN(2) == 0, LowLatency: rng.IntN(4) == 0,
			Compression: rng.IntN(4) == 0, Patch: randUint(rng, 8), Exts: randUnknownExts(rng)}
		if !m.Init.SizeBlock && m.Init.Resolution == DefaultResolution && m.Init.BatchSize == DefaultBatchSize {
			m.Init.SizeBlock = false
		} else {
			m.Init.SizeBlock = true // the decoder reports S whenever it was written
		}
		if m.Init.Ack {
			m.Init.Cookie = randBytes(rng, 40)
		}
		if rng.IntN(3) == 0 {
			m.Init.HasQoSLink, m.Init.QoSLink = true, randUint(rng, 64)
		}
	case 1:
		m.ID = MidOpen
		m.Open = Open{Ack: rng.IntN(2) == 0, Lease: randLease(rng), InitialSN: uint32(randUint(rng, 32)),
			QoS: rng.IntN(3) == 0, LowLatency: rng.IntN(4) == 0, Compression: rng.IntN(4) == 0, Exts: randUnknownExts(rng)}
		if !m.Open.Ack {
			m.Open.Cookie = randBytes(rng, 64)
		}
	case 2:
		m.ID = MidClose
		m.Close = Close{Session: rng.IntN(2) == 0, Reason: byte(rng.UintN(8)), Exts: randUnknownExts(rng)}
	case 3:
		m.ID = MidKeepAlive
		m.KeepAlive = KeepAlive{Exts: randUnknownExts(rng)}
	case 4:
		m.ID = MidFragment
		m.Fragment = Fragment{Reliable: rng.IntN(2) == 0, More: rng.IntN(2) == 0, SN: uint32(randUint(rng, 32)),
			Priority: Priority(rng.IntN(8)), First: rng.IntN(2) == 0, Drop: rng.IntN(5) == 0,
			Exts: randUnknownExts(rng), Payload: randBytes(rng, 100)}
	case 5:
		m.ID = MidJoin
		m.Join = Join{Version: 9, WhatAmI: randRole(rng), ZID: randZID(rng), SizeBlock: true,
			Resolution: Resolution(rng.UintN(256)), BatchSize: uint16(rng.UintN(65536)),
			Lease: randLease(rng), Patch: randUint(rng, 4), Exts: randUnknownExts(rng)}
		if m.Join.Resolution == DefaultResolution && m.Join.BatchSize == DefaultJoinBatchSize && rng.IntN(2) == 0 {
			m.Join.SizeBlock = false
		}
		if rng.IntN(2) == 0 {
			m.Join.HasQoS = true
			for i := range m.Join.QoSNext {
				m.Join.QoSNext[i] = SNPair{uint32(randUint(rng, 32)), uint32(randUint(rng, 32))}
			}
		} else {
			m.Join.Next = SNPair{uint32(randUint(rng, 28)), uint32(randUint(rng, 28))}
		}
	case 6:
		m.ID = MidTransportOAM
		m.OAM = TransportOAM{ID: uint16(rng.UintN(65536)), Enc: OAMEncoding(rng.IntN(3)),
			Priority: Priority(rng.IntN(8)), Exts: randUnknownExts(rng)}
		switch m.OAM.Enc {
		case OAMZ64:
			m.OAM.Value = randUint(rng, 64)
		case OAMZBuf:
			m.OAM.Body = randBytes(rng, 30)
		}
	default:
		m.ID = MidFrame
		m.Frame = Frame{Reliable: rng.IntN(2) == 0, SN: uint32(randUint(rng, 32)),
			Priority: Priority(rng.IntN(8)), Exts: randUnknownExts(rng)}
	}
	return m
}

func randScouting(rng *rand.Rand) ScoutingMessage {
	if rng.IntN(2) == 0 {
		s := Scout{Version: 9, What: WhatAmI(rng.UintN(8)), Exts: randUnknownExts(rng)}
		if rng.IntN(2) == 0 {
			s.ZID = randZID(rng)
		}
		return ScoutingMessage{ID: MidScout, Scout: s}
	}
	h := Hello{Version: 9, WhatAmI: randRole(rng), ZID: randZID(rng), Exts: randUnknownExts(rng)}
	for i := rng.IntN(4); i > 0; i-- {
		h.Locators = append(h.Locators, "tcp/127.0.0.1:"+string(rune('0'+rng.IntN(10)))+"447")
	}
	return ScoutingMessage{ID: MidHello, Hello: h}
}
