package keyexpr

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
)

func collect[V any](visit func(string, func(string, V) bool), q string) []string {
	var got []string
	visit(q, func(ke string, _ V) bool {
		got = append(got, ke)
		return true
	})
	slices.Sort(got)
	return got
}

func TestTreeBasic(t *testing.T) {
	var tr Tree[int]
	if tr.Len() != 0 {
		t.Fatal("zero Tree not empty")
	}
	tr.Intersecting("a", func(string, int) bool { t.Fatal("match in empty tree"); return false })
	tr.Including("a", func(string, int) bool { t.Fatal("match in empty tree"); return false })
	if _, ok := tr.Remove("a"); ok {
		t.Fatal("Remove in empty tree")
	}

	exprs := []string{"a/b", "a/*", "a/**", "**", "a/b$*", "@a/b", "a", "a/@b", "*/b", "a/b/c"}
	for i, e := range exprs {
		if err := tr.Insert(e, i); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Insert("a/**/*", 0); !errors.Is(err, ErrSingleStarAfterDoubleStar) {
		t.Fatalf("Insert of a non-canonical expression: %v", err)
	}
	if tr.Len() != len(exprs) {
		t.Fatalf("Len = %d, want %d", tr.Len(), len(exprs))
	}
	if err := tr.Insert("a/b", 100); err != nil {
		t.Fatal(err)
	}
	if v, ok := tr.Get("a/b"); !ok || v != 100 || tr.Len() != len(exprs) {
		t.Fatalf("after replacing: Get = %v, %v; Len = %d", v, ok, tr.Len())
	}
	if _, ok := tr.Get("a/b/d"); ok {
		t.Fatal("Get of an absent expression")
	}

	tests := []struct {
		q           string
		inter, incl []string
	}{
		{"a/b", []string{"**", "*/b", "a/*", "a/**", "a/b", "a/b$*"}, []string{"**", "*/b", "a/*", "a/**", "a/b", "a/b$*"}},
		{"a", []string{"**", "a", "a/**"}, []string{"**", "a", "a/**"}},
		{"a/@b", []string{"a/@b"}, []string{"a/@b"}},
		{"@a/b", []string{"@a/b"}, []string{"@a/b"}},
		{"a/*", []string{"**", "*/b", "a/*", "a/**", "a/b", "a/b$*"}, []string{"**", "a/*", "a/**"}},
		{"a/**", []string{"**", "*/b", "a", "a/*", "a/**", "a/b", "a/b$*", "a/b/c"}, []string{"**", "a/**"}},
		{"**", []string{"**", "*/b", "a", "a/*", "a/**", "a/b", "a/b$*", "a/b/c"}, []string{"**"}},
		{"**/@b", []string{"a/@b"}, nil},
		{"x/y/z", []string{"**"}, []string{"**"}},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got := collect(tr.Intersecting, tc.q); !slices.Equal(got, tc.inter) {
				t.Errorf("Intersecting = %q, want %q", got, tc.inter)
			}
			if got := collect(tr.Including, tc.q); !slices.Equal(got, tc.incl) {
				t.Errorf("Including = %q, want %q", got, tc.incl)
			}
		})
	}

	// Early stop.
	calls := 0
	tr.Intersecting("a/b", func(string, int) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("Intersecting went on after fn returned false: %d calls", calls)
	}
	calls = 0
	tr.Intersecting("a/**", func(string, int) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("Intersecting(**) went on after fn returned false: %d calls", calls)
	}

	// Removing everything prunes every node.
	for _, e := range exprs {
		if _, ok := tr.Remove(e); !ok {
			t.Fatalf("Remove(%q) failed", e)
		}
		if _, ok := tr.Remove(e); ok {
			t.Fatalf("second Remove(%q) succeeded", e)
		}
	}
	if tr.Len() != 0 || !tr.root.empty() {
		t.Fatalf("after removing all: Len = %d, root empty = %v", tr.Len(), tr.root.empty())
	}
}

// TestTreeDifferential compares Intersecting and Including with the
// pairwise relations over 10,000 stored expressions, before and after
// removing a random half of them.
func TestTreeDifferential(t *testing.T) {
	r := newRand(4)
	const stored = 10000
	queries := 300
	if testing.Short() {
		queries = 30
	}
	var tr Tree[string]
	want := make(map[string]string)
	for len(want) < stored {
		var e string
		switch r.IntN(3) {
		case 0:
			e = genKey(r, 6)
		default:
			e = genExpr(r, 6)
		}
		if err := tr.Insert(e, "v"+e); err != nil {
			t.Fatal(err)
		}
		want[e] = "v" + e
	}
	check := func(phase string) {
		t.Helper()
		if tr.Len() != len(want) {
			t.Fatalf("%s: Len = %d, want %d", phase, tr.Len(), len(want))
		}
		keys := slices.Sorted(maps.Keys(want))
		var ranged []string
		tr.Range(func(ke, v string) bool {
			if v != "v"+ke {
				t.Fatalf("%s: Range gave %q → %q", phase, ke, v)
			}
			ranged = append(ranged, ke)
			return true
		})
		slices.Sort(ranged)
		if !slices.Equal(ranged, keys) {
			t.Fatalf("%s: Range disagrees with the stored set", phase)
		}
		hits := 0
		for range queries {
			var q string
			switch r.IntN(3) {
			case 0:
				q = genKey(r, 6)
			case 1:
				q = genExpr(r, 5)
			default:
				// prefix/**, served by a subtree walk.
				var err error
				if q, err = Join(genKey(r, 3), "**"); r.IntN(2) == 0 {
					q, err = Join(genExpr(r, 3), "**")
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			var inter, incl []string
			for _, k := range keys {
				if Intersects(k, q) {
					inter = append(inter, k)
				}
				if Includes(k, q) {
					incl = append(incl, k)
				}
			}
			got := collect(tr.Intersecting, q)
			if !slices.Equal(got, inter) {
				t.Fatalf("%s: Intersecting(%q):\n got %q\nwant %q", phase, q, got, inter)
			}
			got = collect(tr.Including, q)
			if !slices.Equal(got, incl) {
				t.Fatalf("%s: Including(%q):\n got %q\nwant %q", phase, q, got, incl)
			}
			hits += len(inter)
		}
		t.Logf("%s: %d expressions, %d queries, %d matches", phase, len(keys), queries, hits)
	}
	check("full")
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if r.IntN(2) == 0 {
			continue
		}
		v, ok := tr.Remove(k)
		if !ok || v != want[k] {
			t.Fatalf("Remove(%q) = %q, %v", k, v, ok)
		}
		if _, ok := tr.Get(k); ok {
			t.Fatalf("Get(%q) after Remove", k)
		}
		delete(want, k)
	}
	check("half")
	for k, v := range want {
		if got, ok := tr.Get(k); !ok || got != v {
			t.Fatalf("Get(%q) = %q, %v", k, got, ok)
		}
	}
}

// fleet fills a Tree with n expressions shaped like a robot fleet's: 90%
// concrete keys, 8% with `*` or `**`, 0.3% with `$*` (about 30 of them,
// all children of one node, which lookups scan).
func fleet(n int) *Tree[int] {
	var tr Tree[int]
	r := newRand(5)
	for i := 0; tr.Len() < n; i++ {
		robot, sensor := r.IntN(1000), r.IntN(10)
		var e string
		switch x := r.IntN(1000); {
		case x < 900:
			e = fmt.Sprintf("fleet/robot%d/sensor%d/temp", robot, sensor)
		case x < 940:
			e = fmt.Sprintf("fleet/robot%d/*/temp", robot)
		case x < 960:
			e = fmt.Sprintf("fleet/robot%d/**", robot)
		case x < 980:
			e = fmt.Sprintf("fleet/*/sensor%d/temp", sensor)
		case x < 983:
			e = fmt.Sprintf("fleet/robot%d$*/sensor%d/*", robot, sensor)
		default:
			e = fmt.Sprintf("fleet/**/sensor%d/**", sensor)
		}
		if err := tr.Insert(e, i); err != nil {
			panic(err)
		}
	}
	return &tr
}

func TestTreeNoAllocs(t *testing.T) {
	tr := fleet(10000)
	count := 0
	fn := func(string, int) bool { count++; return true }
	for _, q := range []string{"fleet/robot42/sensor7/temp", "fleet/robot42/sensor7/hum", "fleet/robot4242/sensor7/temp"} {
		if n := testing.AllocsPerRun(100, func() { tr.Intersecting(q, fn) }); n != 0 {
			t.Errorf("Intersecting(%q): %v allocs", q, n)
		}
		if n := testing.AllocsPerRun(100, func() { tr.Including(q, fn) }); n != 0 {
			t.Errorf("Including(%q): %v allocs", q, n)
		}
	}
}

func BenchmarkTreeIntersecting(b *testing.B) {
	tr := fleet(10000)
	for _, q := range []string{
		"fleet/robot42/sensor7/temp",
		"fleet/robot42/sensor7/hum",
		"fleet/robot42/*/temp",
		"fleet/*/sensor7/temp",
		"fleet/robot42/**",
	} {
		n := 0
		tr.Intersecting(q, func(string, int) bool { n++; return true })
		b.Run(fmt.Sprintf("%s(%d)", q, n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tr.Intersecting(q, func(string, int) bool { return true })
			}
		})
	}
}

func BenchmarkTreeIncluding(b *testing.B) {
	tr := fleet(10000)
	q := "fleet/robot42/sensor7/temp"
	b.ReportAllocs()
	for b.Loop() {
		tr.Including(q, func(string, int) bool { return true })
	}
}

func BenchmarkTreeInsertRemove(b *testing.B) {
	tr := fleet(10000)
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.Insert("fleet/robot4242/sensor7/temp", 1)
		tr.Remove("fleet/robot4242/sensor7/temp")
	}
}
