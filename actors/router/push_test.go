package router

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// naiveRoute recomputes a Push route over every subscriber of every face,
// without the tree or the cache.
func naiveRoute(tb *Tables, from FaceID, key string) []FaceID {
	var fs []FaceID
	src := tb.faces[from]
	for id, f := range tb.faces {
		if id == from || (!tb.router() && !src.local && !f.local) {
			continue
		}
		for _, e := range f.ents[kindSub] {
			if keyexpr.Intersects(e.key, key) {
				fs = append(fs, id)
				break
			}
		}
	}
	slices.Sort(fs)
	return fs
}

// The route cache is invalidated exactly when it must: random
// declarations, undeclarations, key-expression rebinding, face churn and
// pushes, compared with a naive recomputation.
func TestRouteCacheDifferential(t *testing.T) {
	for _, mode := range []codec.WhatAmI{codec.Router, codec.Peer} {
		t.Run(mode.String(), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(mode)))
			cfg := DefaultConfig()
			cfg.Mode = mode
			cfg.RouteCacheSize = 16
			tb, _ := New(cfg)
			subKeys := []string{"a/b", "a/*", "a/**", "**", "b/c", "a/b/c", "*/c", "b/$*x"}
			pubKeys := []string{"a/b", "a/c", "b/c", "a/b/c", "b/yx", "z"}
			const nFaces = 5
			for id := FaceID(1); id <= nFaces; id++ {
				open(t, tb, id, codec.Client, id == 1)
			}
			for i := range 20000 {
				f := FaceID(r.IntN(nFaces) + 1)
				switch op := r.IntN(10); {
				case op < 2:
					tb.Handle(f, entMsg(codec.DeclSubscriber, uint32(r.IntN(4)), str(subKeys[r.IntN(len(subKeys))])), t0)
				case op < 4:
					tb.Handle(f, entMsg(codec.UndeclSubscriber, uint32(r.IntN(4)), codec.WireExpr{}), t0)
				case op < 5:
					id := uint16(r.IntN(2) + 1)
					if r.IntN(2) == 0 {
						tb.Handle(f, keMsg(id, pubKeys[r.IntN(len(pubKeys))][:1]), t0)
					} else {
						tb.Handle(f, declMsg(codec.Declaration{Kind: codec.UndeclKeyExpr, ID: uint32(id)}), t0)
					}
				case op < 6 && r.IntN(20) == 0:
					tb.CloseFace(f, t0)
					open(t, tb, f, codec.Client, f == 1)
				default:
					pk := pubKeys[r.IntN(len(pubKeys))]
					we := str(pk)
					if r.IntN(2) == 0 {
						we = codec.WireExpr{Scope: uint16(r.IntN(2) + 1), Suffix: []byte(pk[1:]), Mapping: true}
					}
					dests, err := tb.RoutePush(f, &codec.Push{WireExpr: we})
					key, rerr := tb.resolve(tb.faces[f], &we)
					if (err == nil) != (rerr == nil) {
						t.Fatalf("step %d: err %v vs %v", i, err, rerr)
					}
					if err != nil {
						continue
					}
					var got []FaceID
					for _, d := range dests {
						got = append(got, d.Face)
						if string(d.WireExpr.Suffix) != key {
							t.Fatalf("step %d: wire %q want %q", i, d.WireExpr.Suffix, key)
						}
					}
					if want := naiveRoute(tb, f, key); !slices.Equal(got, want) {
						t.Fatalf("step %d: push %q from %d: got %v want %v", i, key, f, got, want)
					}
				}
			}
		})
	}
}

func benchTables(tb testing.TB, nSubs int) *Tables {
	t := newTables(tb, codec.Router)
	for id := FaceID(1); id <= 101; id++ {
		open(tb, t, id, codec.Client, false)
	}
	for i := range nSubs {
		f := FaceID(i%100 + 2)
		key := fmt.Sprintf("demo/%d/sensor/%d", i%50, i)
		if i%10 == 0 {
			key = fmt.Sprintf("demo/%d/**", i%50)
		}
		handle(tb, t, f, entMsg(codec.DeclSubscriber, uint32(i), str(key)))
	}
	handle(tb, t, 1, keMsg(1, "demo/7/sensor/1007"))
	return t
}

func TestRoutePushNoAllocs(t *testing.T) {
	tb := benchTables(t, 3000)
	p := &codec.Push{WireExpr: codec.WireExpr{Scope: 1, Mapping: true}}
	p2 := &codec.Push{WireExpr: str("demo/7/sensor/1007")}
	if d, err := tb.RoutePush(1, p); err != nil || len(d) == 0 {
		t.Fatal(d, err)
	}
	tb.RoutePush(1, p2)
	allocs := testing.AllocsPerRun(1000, func() {
		tb.RoutePush(1, p)
		tb.RoutePush(1, p2)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per cache hit", allocs)
	}
}

func BenchmarkRoutePush(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			tb := benchTables(b, n)
			p := &codec.Push{WireExpr: str("demo/7/sensor/1007")}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tb.RoutePush(1, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("miss", func(b *testing.B) {
		// A one-route cache fed two keys in turn recomputes every route.
		tb := benchTables(b, 5000)
		s := tb.Snapshot()
		c := NewRouteCache(1)
		ps := [2]*codec.Push{{WireExpr: str("demo/7/sensor/1007")}, {WireExpr: str("demo/8/sensor/1008")}}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if _, _, err := c.Route(s, 1, ps[i&1]); err != nil {
				b.Fatal(err)
			}
		}
	})
}
