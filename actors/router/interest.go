package router

import (
	"fmt"
	"slices"

	"github.com/gozenoh/zenoh/codec"
)

// handleInterest answers an Interest of face f (network.md §9.2): the
// current state with I=1 for Current modes, registration for Future
// modes (router mode only: in peer and client modes every remote face is
// told about local entities anyway), and DeclareFinal for every non-Final
// interest. Current-only interests for subscribers or queryables, which
// Rust ignores, are answered like the others.
func (t *Tables) handleInterest(f *face, m *codec.Interest) ([]Out, error) {
	if m.Mode == codec.InterestFinal {
		if _, ok := f.interests[m.ID]; ok {
			delete(f.interests, m.ID)
			f.ndecl--
		}
		return nil, nil
	}
	if f.mesh != nil {
		// Routers learn each other's declarations through the mesh.
		return []Out{finalOut(f.id, m.ID)}, nil
	}
	current := m.Mode == codec.InterestCurrent || m.Mode == codec.InterestCurrentFuture
	// Routers register every Future interest; peers and clients those of
	// their local sessions (liveliness subscribers), since remote faces
	// are told about local entities anyway.
	register := (t.router() || f.local) && (m.Mode == codec.InterestFuture || m.Mode == codec.InterestCurrentFuture)
	if register {
		if _, ok := f.interests[m.ID]; ok {
			return nil, fmt.Errorf("%w: %d on face %d", ErrInterestInUse, m.ID, f.id)
		}
		if f.ndecl >= t.cfg.MaxDeclarationsPerFace {
			return nil, fmt.Errorf("%w: face %d", ErrTooManyDeclarations, f.id)
		}
	}
	in := &interest{id: m.ID, options: m.Options, restricted: m.Restricted}
	if m.Restricted {
		key, err := t.resolve(f, &m.WireExpr)
		if err != nil {
			return nil, err
		}
		in.key = key
		in.wire = fullWire(key)
		if m.WireExpr.Mapping && m.WireExpr.Scope != 0 {
			in.wire = codec.WireExpr{Scope: m.WireExpr.Scope, Suffix: slices.Clone(m.WireExpr.Suffix)}
		}
	}
	var out []Out
	if current {
		out = t.currentState(out, f, in, register)
	}
	if register {
		f.interests[m.ID] = in
		f.ndecl++
	}
	return append(out, finalOut(f.id, m.ID)), nil
}

// currentState appends the I=1 declarations answering in. Tokens include
// f's own (liveliness get, §9.6). When the interest is also Future the ids
// are recorded so that later undeclarations reuse them; Current-only
// answers carry id 0.
func (t *Tables) currentState(out []Out, f *face, in *interest, future bool) []Out {
	for kind := range nKinds {
		if in.options&kindOpt[kind] == 0 {
			continue
		}
		if in.aggregate(kind) {
			has, c, dist := t.aggState(kind, in, f)
			if !has {
				continue
			}
			tl := &told{complete: c, distance: dist}
			if future {
				tl.id = f.allocDeclID()
				in.agg[kind] = tl
			}
			out = append(out, declOut(f.id, true, in.id, declBody(kind, tl, in.wire)))
			continue
		}
		var keys []string
		fn := func(k string, _ *keyEntry) bool { keys = append(keys, k); return true }
		if in.restricted {
			t.idx[kind].Intersecting(in.key, fn)
		} else {
			t.idx[kind].Range(fn)
		}
		slices.Sort(keys)
		own := kind == kindTok
		for _, key := range keys {
			has, c, dist := t.othersHave(kind, key, f, own)
			if !has {
				continue
			}
			tl := &told{complete: c, distance: dist}
			if future {
				if others, _, _ := t.othersHave(kind, key, f, false); others {
					if old := f.told[kind][key]; old != nil {
						tl.id = old.id
					} else {
						tl.id = f.allocDeclID()
						f.told[kind][key] = tl
					}
				}
			}
			out = append(out, declOut(f.id, true, in.id, declBody(kind, tl, fullWire(key))))
		}
	}
	return out
}
