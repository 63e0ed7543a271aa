// Package vectors reads the zenoh-pico captures in ../shared/vectors (beside
// the repository root) for golden tests: one Batch per captured line, in
// file order. It is used by tests only.
package vectors

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Batch is one captured batch, without its stream length prefix.
type Batch struct {
	File string // base name of the capture file
	Line int    // line number in that file
	Dir  string // "C>S" (from the connecting process) or "S>C"
	Conn string // "[connN]" when the file has several connections, else ""
	Data []byte
}

// Where names the batch as file:line.
func (b Batch) Where() string { return b.File + ":" + strconv.Itoa(b.Line) }

// Dir finds ../shared/vectors beside the repository root (the folder that
// holds go.mod). Without it the test skips, except under CI=true, where it
// fails.
func Dir(t testing.TB) string {
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
			t.Fatal("vectors: no go.mod above the test directory")
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

// Available reports whether the vectors can be found, without failing or
// skipping (for seeding fuzz targets).
func Available() bool {
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			_, e = os.Stat(filepath.Join(dir, "..", "shared", "vectors"))
			return e == nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
	return false
}

// Load parses every capture file: '#' lines are comments, others are
// "DIR HEX  # annotation", where the annotation may name the connection.
func Load(t testing.TB) []Batch {
	t.Helper()
	dir := Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("vectors: no capture files in %s: %v", dir, err)
	}
	var out []Batch
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for line := 1; sc.Scan(); line++ {
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
			conn := ""
			if i := strings.Index(s, "[conn"); i >= 0 {
				if j := strings.IndexByte(s[i:], ']'); j > 0 {
					conn = s[i : i+j+1]
				}
			}
			out = append(out, Batch{File: filepath.Base(f), Line: line, Dir: fields[0], Conn: conn, Data: data})
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
