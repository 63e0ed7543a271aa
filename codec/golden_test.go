package codec

import (
	"bytes"
	"testing"

	"github.com/gozenoh/zenoh/internal/vectors"
)

// reencodeBatch decodes a batch message by message and encodes each value
// again. It also returns the fragments it met, for reassembly.
func reencodeBatch(t *testing.T, batch []byte) ([]byte, []Fragment, int) {
	t.Helper()
	var out []byte
	var frags []Fragment
	var tm TransportMessage
	var nm NetworkMessage
	count := 0
	br := NewBatchReader(batch)
	for br.Next(&tm) {
		count++
		if tm.ID != MidFrame {
			if tm.ID == MidFragment {
				frags = append(frags, tm.Fragment)
			}
			out = AppendTransport(out, &tm)
			continue
		}
		out = AppendFrameHeader(out, &tm.Frame)
		for br.NextNetwork(&nm) {
			count++
			out = AppendNetwork(out, &nm)
		}
	}
	if err := br.Err(); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if br.Offset() != len(batch) {
		t.Fatalf("decode stopped at %d of %d bytes", br.Offset(), len(batch))
	}
	return out, frags, count
}

// goldenExceptions lists batches our encoder legitimately writes
// differently, with the reason. Empty today: every captured batch
// re-encodes byte for byte.
var goldenExceptions = map[string]string{}

func TestGoldenVectors(t *testing.T) {
	vecs := vectors.Load(t)
	type chanKey struct {
		file, dir string
	}
	pending := map[chanKey][]byte{}
	reassembled := 0
	msgs := 0
	for _, v := range vecs {
		got, frags, n := reencodeBatch(t, v.Data)
		msgs += n
		if !bytes.Equal(got, v.Data) {
			if why, ok := goldenExceptions[v.Where()]; ok {
				t.Logf("%s: re-encoding differs, expected: %s", v.Where(), why)
			} else {
				t.Errorf("%s: re-encoding differs\n got  %x\n want %x", v.Where(), got, v.Data)
			}
		}
		// Reassemble fragment runs per file and direction and decode the
		// message they carry: it must re-encode to the same bytes too.
		k := chanKey{v.File, v.Dir}
		for _, f := range frags {
			if f.First {
				pending[k] = pending[k][:0]
			}
			pending[k] = append(pending[k], f.Payload...)
			if f.More {
				continue
			}
			whole := pending[k]
			delete(pending, k)
			var nm NetworkMessage
			n, err := DecodeNetwork(whole, &nm)
			if err != nil || n != len(whole) {
				t.Fatalf("%s: reassembled %d bytes: n=%d err=%v", v.Where(), len(whole), n, err)
			}
			if re := AppendNetwork(nil, &nm); !bytes.Equal(re, whole) {
				t.Errorf("%s: reassembled message re-encodes differently", v.Where())
			}
			reassembled++
		}
	}
	if reassembled == 0 {
		t.Error("no fragmented message found in the vectors")
	}
	t.Logf("%d batches, %d messages, %d reassembled messages", len(vecs), msgs, reassembled)
}

// TestGoldenStreamOneByte frames each file's batches of one direction as a
// TCP stream and feeds it to the StreamFramer one byte at a time.
func TestGoldenStreamOneByte(t *testing.T) {
	vecs := vectors.Load(t)
	streams := map[string][]byte{}
	want := map[string][][]byte{}
	for _, v := range vecs {
		k := v.File + " " + v.Dir
		streams[k] = append(streams[k], byte(len(v.Data)), byte(len(v.Data)>>8))
		streams[k] = append(streams[k], v.Data...)
		want[k] = append(want[k], v.Data)
	}
	for k, s := range streams {
		for _, step := range []int{1, 2, 3, 7, 1500, len(s)} {
			f := NewStreamFramer(65535)
			var got [][]byte
			for off := 0; off < len(s); off += step {
				end := min(off+step, len(s))
				err := f.Feed(s[off:end], func(b []byte) error {
					got = append(got, bytes.Clone(b))
					return nil
				})
				if err != nil {
					t.Fatalf("%s step %d: %v", k, step, err)
				}
			}
			if f.Pending() != 0 || len(got) != len(want[k]) {
				t.Fatalf("%s step %d: %d batches, %d pending; want %d", k, step, len(got), f.Pending(), len(want[k]))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[k][i]) {
					t.Fatalf("%s step %d: batch %d differs", k, step, i)
				}
			}
		}
	}
}
