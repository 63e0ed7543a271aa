package codec

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// FuzzNetwork: no input panics the decoder, and whatever decodes
// re-encodes to bytes that decode, in full, to the same value.
func FuzzNetwork(f *testing.F) {
	for _, c := range specCases() {
		f.Add(netHexMust(c.hex))
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 50 {
		m := randNetwork(rng)
		f.Add(AppendNetwork(nil, &m))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m NetworkMessage
		n, err := DecodeNetwork(data, &m)
		if err != nil {
			if n != 0 {
				t.Fatalf("n = %d with error %v", n, err)
			}
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		enc := AppendNetwork(nil, &m)
		var again NetworkMessage
		n2, err := DecodeNetwork(enc, &again)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v\nvalue %+v", enc, err, netOnly(&m))
		}
		if n2 != len(enc) {
			t.Fatalf("re-encoded message uses %d of %d bytes", n2, len(enc))
		}
		if a, b := netOnly(&m), netOnly(&again); !reflect.DeepEqual(a, b) {
			t.Fatalf("value changed through re-encoding\n first  %+v\n second %+v", a, b)
		}
		// The re-encoding is canonical: encoding it again changes nothing.
		if enc2 := AppendNetwork(nil, &again); string(enc2) != string(enc) {
			t.Fatalf("encoding not stable\n %x\n %x", enc, enc2)
		}
	})
}

// FuzzLinkState: the same property for the OAM link-state body.
func FuzzLinkState(f *testing.F) {
	f.Add(netHexMust("01 07 00 01 10 303132333435363738393a3b3c3d3e3f 01 01 12 7463702f3132372e302e302e313a37343437 01 01"))
	rng := rand.New(rand.NewPCG(2, 2))
	for range 20 {
		f.Add(AppendLinkStateList(nil, randLinkStateList(rng)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := DecodeLinkStateList(data)
		if err != nil {
			return
		}
		enc := AppendLinkStateList(nil, l)
		l2, err := DecodeLinkStateList(enc)
		if err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", enc, err)
		}
		if !reflect.DeepEqual(l, l2) {
			t.Fatalf("value changed through re-encoding\n first  %+v\n second %+v", l, l2)
		}
	})
}
