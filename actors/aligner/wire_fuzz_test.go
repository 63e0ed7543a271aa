package aligner

import (
	"reflect"
	"testing"
)

// The fuzz targets check that the decoders never panic, and that what
// decodes re-encodes to bytes that decode to the same value. They are
// seeded with random valid messages (the golden ones are in
// testdata/fuzz).

func FuzzDecodeDigest(f *testing.F) {
	g := newGen(11)
	for range 20 {
		d := randDigest(g)
		f.Add(AppendDigest(nil, &d))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDigest(b)
		if err != nil {
			return
		}
		again, err := DecodeDigest(AppendDigest(nil, &d))
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", d, err)
		}
		if !reflect.DeepEqual(again, d) {
			t.Fatalf("decoded %+v, then %+v", d, again)
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	g := newGen(12)
	for range 20 {
		r := randRequest(g)
		f.Add(AppendRequest(nil, &r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		again, err := DecodeRequest(AppendRequest(nil, &r))
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", r, err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("decoded %+v, then %+v", r, again)
		}
	})
}

func FuzzDecodeReply(f *testing.F) {
	g := newGen(13)
	for range 20 {
		r := randReply(g)
		f.Add(AppendReply(nil, &r))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReply(b)
		if err != nil {
			return
		}
		again, err := DecodeReply(AppendReply(nil, &r))
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", r, err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Fatalf("decoded %+v, then %+v", r, again)
		}
	})
}
