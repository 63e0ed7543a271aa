package codec

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// vectorBatch is one captured batch of ../shared/vectors.
type vectorBatch struct {
	file string
	line int
	dir  string // "C>S" or "S>C"
	data []byte
}

func (v vectorBatch) where() string { return v.file + ":" + strconv.Itoa(v.line) }

// vectorsDir finds ../shared/vectors beside the repository root. Without
// it the golden tests skip, except under CI=true where they fail.
func vectorsDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	v := filepath.Join(dir, "..", "shared", "vectors")
	if _, err := os.Stat(v); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("golden vectors missing at %s (CI=true): %v", v, err)
		}
		t.Skipf("golden vectors not found at %s; they ship in ../shared/vectors beside the repo", v)
	}
	return v
}

// loadVectors parses every vector file: '#' lines are comments, others are
// "DIR HEX  # annotation".
func loadVectors(t testing.TB) []vectorBatch {
	t.Helper()
	dir := vectorsDir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vector files in %s: %v", dir, err)
	}
	var out []vectorBatch
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		line := 0
		for sc.Scan() {
			line++
			s := strings.TrimSpace(sc.Text())
			if s == "" || s[0] == '#' {
				continue
			}
			fields := strings.Fields(s)
			if len(fields) < 2 || (fields[0] != "C>S" && fields[0] != "S>C") {
				t.Fatalf("%s:%d: unparsable vector line", filepath.Base(f), line)
			}
			data, err := hex.DecodeString(fields[1])
			if err != nil {
				t.Fatalf("%s:%d: %v", filepath.Base(f), line, err)
			}
			out = append(out, vectorBatch{file: filepath.Base(f), line: line, dir: fields[0], data: data})
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

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
	vecs := loadVectors(t)
	type chanKey struct {
		file, dir string
	}
	pending := map[chanKey][]byte{}
	reassembled := 0
	msgs := 0
	for _, v := range vecs {
		got, frags, n := reencodeBatch(t, v.data)
		msgs += n
		if !bytes.Equal(got, v.data) {
			if why, ok := goldenExceptions[v.where()]; ok {
				t.Logf("%s: re-encoding differs, expected: %s", v.where(), why)
			} else {
				t.Errorf("%s: re-encoding differs\n got  %x\n want %x", v.where(), got, v.data)
			}
		}
		// Reassemble fragment runs per file and direction and decode the
		// message they carry: it must re-encode to the same bytes too.
		k := chanKey{v.file, v.dir}
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
				t.Fatalf("%s: reassembled %d bytes: n=%d err=%v", v.where(), len(whole), n, err)
			}
			if re := AppendNetwork(nil, &nm); !bytes.Equal(re, whole) {
				t.Errorf("%s: reassembled message re-encodes differently", v.where())
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
	vecs := loadVectors(t)
	streams := map[string][]byte{}
	want := map[string][][]byte{}
	for _, v := range vecs {
		k := v.file + " " + v.dir
		streams[k] = append(streams[k], byte(len(v.data)), byte(len(v.data)>>8))
		streams[k] = append(streams[k], v.data...)
		want[k] = append(want[k], v.data)
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
