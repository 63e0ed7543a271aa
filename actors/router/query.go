package router

import (
	"fmt"
	"slices"
	"time"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// pendingKey names a forwarded request: the destination face and the
// request id we chose on it.
type pendingKey struct {
	dest FaceID
	rid  uint32
}

// query is a Request received from a face, forwarded to one or more faces.
type query struct {
	from FaceID
	rid  uint32
	qos  codec.QoS
	left int // forwarded copies still awaiting their ResponseFinal
}

type pending struct {
	q        *query
	deadline time.Time
}

func responseFinal(to FaceID, rid uint32, qos codec.QoS) Out {
	return Out{Face: to, Msg: codec.NetworkMessage{ID: codec.MidResponseFinal,
		ResponseFinal: codec.ResponseFinal{RequestID: rid, QoS: qos}}}
}

type candidate struct {
	face     FaceID
	complete bool // complete for this query
	distance uint16
}

// handleRequest routes a query (network.md §9.5).
func (t *Tables) handleRequest(f *face, r *codec.Request, now time.Time) ([]Out, error) {
	key, err := t.resolve(f, &r.WireExpr)
	if err != nil {
		return []Out{responseFinal(f.id, r.ID, r.QoS)}, err
	}
	byFace := map[FaceID]*candidate{}
	srcNode, srcOK := t.source(f, r.NodeID)
	var node uint16 // routing context toward mesh faces
	t.idx[kindQabl].Intersecting(key, func(_ string, ke *keyEntry) bool {
		for src, es := range ke.ents {
			if s := t.faces[src]; s.pseudo != nil {
				id, n, ok := t.meshHop(srcNode, *s.pseudo, f.id)
				if !srcOK || !ok {
					continue
				}
				src, node = id, n
			} else if src == f.id || !(t.router() || f.local || s.local) {
				continue
			}
			for _, e := range es {
				cf := e.complete && keyexpr.Includes(e.key, key)
				c := byFace[src]
				switch {
				case c == nil:
					byFace[src] = &candidate{face: src, complete: cf, distance: e.distance}
				case cf && !c.complete:
					c.complete, c.distance = true, e.distance
				case cf == c.complete && e.distance < c.distance:
					c.distance = e.distance
				}
			}
		}
		return true
	})
	cands := make([]*candidate, 0, len(byFace))
	for _, c := range byFace {
		cands = append(cands, c)
	}
	slices.SortFunc(cands, func(a, b *candidate) int {
		if a.distance != b.distance {
			return int(a.distance) - int(b.distance)
		}
		return int(int64(a.face) - int64(b.face))
	})
	var dests []FaceID
	switch r.Target {
	case codec.TargetBestMatching:
		for _, c := range cands {
			if c.complete {
				dests = []FaceID{c.face}
				break
			}
		}
		if dests == nil {
			for _, c := range cands {
				dests = append(dests, c.face)
			}
		}
	case codec.TargetAll:
		for _, c := range cands {
			dests = append(dests, c.face)
		}
	default: // AllComplete
		for _, c := range cands {
			if c.complete {
				dests = append(dests, c.face)
			}
		}
	}
	if len(dests) == 0 {
		return []Out{responseFinal(f.id, r.ID, r.QoS)}, nil
	}
	if len(t.pending)+len(dests) > t.cfg.MaxPendingQueries {
		return []Out{responseFinal(f.id, r.ID, r.QoS)},
			fmt.Errorf("%w: %d", ErrTooManyQueries, len(t.pending))
	}
	timeout := t.cfg.QueryTimeout
	if r.Timeout != 0 {
		timeout = time.Duration(r.Timeout) * time.Millisecond
	}
	q := &query{from: f.id, rid: r.ID, qos: r.QoS, left: len(dests)}
	out := make([]Out, 0, len(dests))
	for _, id := range dests {
		d := t.faces[id]
		rid := t.allocReqID(d)
		t.pending[pendingKey{id, rid}] = &pending{q: q, deadline: now.Add(timeout)}
		fwd := cloneRequest(r)
		fwd.ID = rid
		fwd.WireExpr = fullWire(key)
		fwd.NodeID = 0
		if d.mesh != nil {
			fwd.NodeID = node
		}
		out = append(out, Out{Face: id, Msg: codec.NetworkMessage{ID: codec.MidRequest, Request: fwd}})
	}
	return out, nil
}

// allocReqID returns the next request id on d not pending (from 1,
// wrapping, skipping 0).
func (t *Tables) allocReqID(d *face) uint32 {
	for {
		d.nextReq++
		if d.nextReq == 0 {
			continue
		}
		if _, busy := t.pending[pendingKey{d.id, d.nextReq}]; !busy {
			return d.nextReq
		}
	}
}

// handleResponse forwards a reply to its querier with the request id and
// QoS restored and the full key (§9.5 step 6). Replies to unknown ids are
// dropped.
func (t *Tables) handleResponse(d *face, r *codec.Response) ([]Out, error) {
	p := t.pending[pendingKey{d.id, r.RequestID}]
	if p == nil {
		return nil, nil
	}
	var we codec.WireExpr
	if r.WireExpr.Scope != 0 || len(r.WireExpr.Suffix) > 0 {
		key, err := t.resolve(d, &r.WireExpr)
		if err != nil {
			return nil, err
		}
		we = fullWire(key)
	}
	fwd := cloneResponse(r)
	fwd.RequestID = p.q.rid
	fwd.WireExpr = we
	fwd.QoS = p.q.qos
	return []Out{{Face: p.q.from, Msg: codec.NetworkMessage{ID: codec.MidResponse, Response: fwd}}}, nil
}

func (t *Tables) handleResponseFinal(d *face, r *codec.ResponseFinal) []Out {
	return t.finish(nil, pendingKey{d.id, r.RequestID})
}

// finish removes a pending entry and, if it was the query's last, sends
// the querier its ResponseFinal.
func (t *Tables) finish(out []Out, k pendingKey) []Out {
	p := t.pending[k]
	if p == nil {
		return out
	}
	delete(t.pending, k)
	p.q.left--
	if p.q.left == 0 && t.faces[p.q.from] != nil {
		out = append(out, responseFinal(p.q.from, p.q.rid, p.q.qos))
	}
	return out
}

// closeQueries finalizes the queries face id was answering and drops those
// it asked.
func (t *Tables) closeQueries(out []Out, id FaceID) []Out {
	for _, k := range t.sortedPending() {
		p := t.pending[k]
		switch {
		case p.q.from == id:
			delete(t.pending, k)
		case k.dest == id:
			out = t.finish(out, k)
		}
	}
	return out
}

// Tick expires pending queries whose deadline is not after now: the
// querier gets an Err "Timeout" reply (ResponderId: this node, eid 0;
// the answering node's zid is not known here), then ResponseFinal if it
// was the last pending copy (§9.5 step 8).
func (t *Tables) Tick(now time.Time) []Out {
	var out []Out
	for _, k := range t.sortedPending() {
		p := t.pending[k]
		if p.deadline.After(now) {
			continue
		}
		if t.faces[p.q.from] != nil {
			out = append(out, Out{Face: p.q.from, Msg: codec.NetworkMessage{ID: codec.MidResponse,
				Response: codec.Response{RequestID: p.q.rid, QoS: p.q.qos, IsErr: true,
					ResponderID: codec.EntityGlobalID{ZID: t.cfg.ZID},
					Err:         codec.Err{Payload: []byte("Timeout")}}}})
		}
		out = t.finish(out, k)
	}
	return out
}

// PendingQueries returns the number of forwarded requests awaiting their
// ResponseFinal.
func (t *Tables) PendingQueries() int { return len(t.pending) }

func (t *Tables) sortedPending() []pendingKey {
	ks := make([]pendingKey, 0, len(t.pending))
	for k := range t.pending {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b pendingKey) int {
		if a.dest != b.dest {
			return int(int64(a.dest) - int64(b.dest))
		}
		return int(int64(a.rid) - int64(b.rid))
	})
	return ks
}
