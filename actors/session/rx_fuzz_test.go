package session

import (
	"errors"
	"testing"

	"github.com/gozenoh/zenoh/codec"
)

// Small caps so the fuzzer reaches them.
const (
	fuzzMaxMessage  = 4096
	fuzzMaxBuffered = 6000
)

// FuzzRX runs random sequences of Frames and Fragments through an RX.
// data[0] picks the session (bit 0 QoS, bit 1 patch, bits 2..3 the SN
// resolution); then each operation is: kind, flags, SN (2 bytes),
// payload length, payload. Kind 2 feeds the operation's bytes as a whole
// batch through codec.BatchReader instead. Nothing may panic, errors are
// *CloseError, and memory stays within the caps.
func FuzzRX(f *testing.F) {
	f.Add([]byte{0x02, // patch, no QoS
		0, 0x01, 0, 0, 0, // reliable Frame SN 0
		1, 0x06, 1, 0, 3, 'a', 'b', 'c', // Fragment R=0 M First SN 1
		1, 0x00, 2, 0, 2, 'd', 'e', // Fragment R=0 SN 2
		0, 0x01, 3, 0, 0}) // reliable Frame SN 3
	f.Add([]byte{0x03, 1, 0x27, 0, 0, 200, 3, 0x21, 1, 0, 0})
	f.Add([]byte{0x0a, 2, 0, 0, 0, 9, 0xc6, 0x01, 0x02, 0x5d, 0x01, 0x01, 0x03, 'x', 'y'})
	f.Add([]byte{0x00, 1, 0x0e, 0xff, 0xff, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		est := coreEst(65535, data[0]&1 != 0, uint64(data[0]>>1&1), 0, 0)
		code := min(data[0]>>2&3, 2)
		est.Resolution = codec.Resolution(code | 2<<2)
		est.SNMask = codec.SNMask(code)
		est.PeerInitialSN = uint32(data[0]>>4) & est.SNMask
		rx, err := NewRX(est, RXConfig{MaxMessage: fuzzMaxMessage, MaxBuffered: fuzzMaxBuffered})
		if err != nil {
			t.Fatal(err)
		}
		var br codec.BatchReader
		var tm codec.TransportMessage
		big := make([]byte, 3000)
		feedFrag := func(fr *codec.Fragment) {
			msg, _, err := rx.Fragment(fr)
			checkRXErr(t, err)
			if msg != nil && (len(msg) == 0 || len(msg) > fuzzMaxMessage) {
				t.Fatalf("message of %d bytes", len(msg))
			}
		}
		data = data[1:]
		for len(data) >= 5 {
			kind, flags := data[0]%3, data[1]
			sn := uint32(data[2]) | uint32(data[3])<<8
			if flags&0x80 != 0 {
				sn |= 0xffff0000 // beyond every mask
			}
			n := min(int(data[4]), len(data)-5)
			payload := data[5 : 5+n]
			data = data[5+n:]
			prio := codec.Priority(flags >> 4 & 7)
			switch kind {
			case 0:
				_, err := rx.Frame(&codec.Frame{Reliable: flags&1 != 0, SN: sn, Priority: prio})
				checkRXErr(t, err)
			case 1:
				fr := codec.Fragment{Reliable: flags&1 != 0, More: flags&2 != 0, First: flags&4 != 0, Drop: flags&8 != 0, SN: sn, Priority: prio, Payload: payload}
				if n == 255 {
					fr.Payload = big // large fragments reach the caps quickly
				}
				feedFrag(&fr)
			case 2:
				br.Reset(payload)
				for br.Next(&tm) {
					switch tm.ID {
					case codec.MidFrame:
						_, err := rx.Frame(&tm.Frame)
						checkRXErr(t, err)
					case codec.MidFragment:
						feedFrag(&tm.Fragment)
					}
				}
			}
			held := 0
			for i := range rx.ch {
				c := cap(rx.ch[i].buf)
				if c > fuzzMaxMessage {
					t.Fatalf("channel %d buffer of %d bytes", i, c)
				}
				held += c
			}
			if held != rx.Buffered() || held > fuzzMaxBuffered {
				t.Fatalf("held %d, accounted %d, cap %d", held, rx.Buffered(), fuzzMaxBuffered)
			}
		}
	})
}

func checkRXErr(t *testing.T, err error) {
	t.Helper()
	var ce *CloseError
	if err != nil && (!errors.As(err, &ce) || ce.Reason != codec.CloseInvalid) {
		t.Fatalf("error %v", err)
	}
}
