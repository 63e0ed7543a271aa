package router

import (
	"fmt"
	"slices"
	"time"

	"github.com/gozenoh/zenoh/actors/session"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Entity kinds, indexes of the per-kind tables.
const (
	kindSub = iota
	kindQabl
	kindTok
	nKinds
)

var (
	kindDecl   = [nKinds]byte{codec.DeclSubscriber, codec.DeclQueryable, codec.DeclToken}
	kindUndecl = [nKinds]byte{codec.UndeclSubscriber, codec.UndeclQueryable, codec.UndeclToken}
	kindOpt    = [nKinds]byte{codec.InterestSubscribers, codec.InterestQueryables, codec.InterestTokens}
)

// Out is a message the actor must send on face Face. Its byte slices are
// owned by the tables' output (never aliases of a Handle input) and are
// not modified afterwards.
type Out struct {
	Face FaceID
	Msg  codec.NetworkMessage
}

// entity is a subscriber, queryable or token a face declared.
type entity struct {
	key      string
	complete bool
	distance uint16
	sub      Subscriber // a local face's subscriber: its handler
}

// keyEntry is the value of the per-kind key trees: who declared the key.
type keyEntry struct {
	ents map[FaceID][]*entity
}

// told records one declaration we sent to a face, so that its
// undeclaration reuses the id and a change of queryable info re-declares.
type told struct {
	id       uint32
	complete bool
	distance uint16
}

// interest is a Future interest a face registered.
type interest struct {
	id         uint32
	options    byte
	restricted bool
	key        string
	// wire names key toward the face in aggregate answers: the face's own
	// id with M=0 when it named the key by an id of its own, else the full
	// string (network.md §9.2, pico's write filter).
	wire codec.WireExpr
	agg  [kindTok]*told // aggregate declaration per kind (S, Q), nil = none
}

func (in *interest) aggregate(kind int) bool {
	return kind != kindTok && in.options&codec.InterestAggregate != 0
}

func (in *interest) matches(kind int, key string) bool {
	return in.options&kindOpt[kind] != 0 && (!in.restricted || keyexpr.Intersects(in.key, key))
}

// FaceInfo describes the node at the other end of a face.
type FaceInfo struct {
	WhatAmI codec.WhatAmI
	ZID     codec.ZenohID
	// Local marks an in-process session of this node's API.
	Local bool
	// Echo makes a local face receive its own publications (a Session's
	// subscribers get its own Puts, as zenoh's do).
	Echo bool
	// Out is the outbox of a remote face's session, where its Pushes go.
	Out *session.Outbox
}

// face is the state of one session.
type face struct {
	id        FaceID
	whatami   codec.WhatAmI
	zid       codec.ZenohID
	local     bool
	echo      bool
	out       *session.Outbox
	remoteIDs map[uint16]string // key-expression ids the face declared to us
	ents      [nKinds]map[uint32]*entity
	interests map[uint32]*interest
	told      [nKinds]map[string]*told
	nextDecl  uint32 // last entity id we used in a declaration to the face
	nextReq   uint32 // last request id we used toward the face
	ndecl     int    // key-expression ids + entities + interests

	// upstream: we sent the face our interest in everything;
	// upstreamDone: its DeclareFinal came back (the current state is in).
	upstream, upstreamDone bool

	mesh   *meshState                 // router faces in router mode
	pseudo *codec.ZenohID             // the origin, for pseudo faces
	rkeys  [nKinds]map[string]*entity // pseudo faces: entities by key
}

func newFace(id FaceID, info FaceInfo) *face {
	f := &face{id: id, whatami: info.WhatAmI, zid: info.ZID, local: info.Local, echo: info.Echo, out: info.Out,
		remoteIDs: map[uint16]string{}, interests: map[uint32]*interest{}}
	for k := range nKinds {
		f.ents[k] = map[uint32]*entity{}
		f.told[k] = map[string]*told{}
	}
	return f
}

func (f *face) allocDeclID() uint32 {
	f.nextDecl++
	if f.nextDecl == 0 {
		f.nextDecl = 1
	}
	return f.nextDecl
}

// upstreamInterest is the id of the interest a client or peer sends to a
// router it connects to.
const upstreamInterest = 1

// Tables is the routing-table core of a node: faces, their declarations
// and interests, the Push routes and the pending queries. It is not safe
// for concurrent use; one actor owns it.
type Tables struct {
	cfg     Config
	faces   map[FaceID]*face
	idx     [nKinds]keyexpr.Tree[*keyEntry]
	pending map[pendingKey]*pending

	// The last snapshot, and what changed since: the subscriber index,
	// the views of some faces, the mesh.
	snap      *Snapshot
	subsDirty bool
	dirty     map[FaceID]struct{}
	meshDirty bool
	caches    map[FaceID]*RouteCache // RoutePush's, per source face

	// Router mesh (router mode): the link-state graph, the mesh face of
	// each neighbour router, and the pseudo face of each origin router.
	net        *graph
	meshFaces  map[codec.ZenohID]FaceID
	pseudo     map[codec.ZenohID]*face
	nextPseudo FaceID
}

// New returns empty tables, or ErrInvalidConfig.
func New(cfg Config) (*Tables, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Tables{cfg: cfg, faces: map[FaceID]*face{}, caches: map[FaceID]*RouteCache{},
		pending:   map[pendingKey]*pending{},
		meshFaces: map[codec.ZenohID]FaceID{}, pseudo: map[codec.ZenohID]*face{}}
	if t.router() {
		sn := cfg.LinkStateSN
		if sn == 0 {
			sn = 1
		}
		t.net = newGraph(cfg.ZID, sn, cfg.MaxMeshNodes)
	}
	return t, nil
}

// router reports whether the node routes between all faces (router mode).
func (t *Tables) router() bool { return t.cfg.Mode == codec.Router }

// counts reports whether an entity of face src is announced to face d:
// never its own (unless own), and outside router mode only local entities
// toward remote faces.
func (t *Tables) counts(src FaceID, d *face, own bool) bool {
	if src == d.id && !own {
		return false
	}
	if t.router() || d.local {
		// A router announces everything; a local session of a peer or
		// client learns what it asks for through its interests.
		return true
	}
	s := t.faces[src]
	return s != nil && s.local
}

// OpenFace adds a face. local marks an in-process session of this node's
// API. In peer mode a remote peer face gets the initial push of the local
// declarations (network.md §10.1: Declare(I=1, 0) each, then DeclareFinal);
// in peer and client modes other remote faces get them with I=0.
func (t *Tables) OpenFace(id FaceID, info FaceInfo) ([]Out, error) {
	if _, ok := t.faces[id]; ok {
		return nil, fmt.Errorf("%w: %d", ErrFaceExists, id)
	}
	whatami, local := info.WhatAmI, info.Local
	f := newFace(id, info)
	t.faces[id] = f
	t.markDirty(id)
	if t.isMesh(whatami, local) {
		return t.openMesh(nil, f), nil
	}
	if t.router() || local {
		return nil, nil
	}
	initial := t.cfg.Mode == codec.Peer && whatami == codec.Peer
	var out []Out
	if whatami == codec.Router {
		// A client, or a peer attached to a router, learns the entities
		// behind the router through one interest in everything (§9.2);
		// its publishers and queriers then send only where they match.
		f.upstream = true
		out = append(out, Out{Face: id, Msg: codec.NetworkMessage{ID: codec.MidInterest, Interest: codec.Interest{
			ID: upstreamInterest, Mode: codec.InterestCurrentFuture, QoS: declQoS,
			Options: codec.InterestSubscribers | codec.InterestQueryables | codec.InterestTokens}}})
	}
	for k := range nKinds {
		var keys []string
		for _, s := range t.sortedFaces() {
			if s.local {
				for _, e := range s.ents[k] {
					keys = append(keys, e.key)
				}
			}
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		for _, key := range keys {
			has, c, d := t.othersHave(k, key, f, false)
			if !has {
				continue
			}
			tl := &told{id: f.allocDeclID(), complete: c, distance: d}
			f.told[k][key] = tl
			out = append(out, declOut(id, initial, 0, declBody(k, tl, fullWire(key))))
		}
	}
	if initial {
		out = append(out, finalOut(id, 0))
	}
	return out, nil
}

// CloseFace removes a face: everything it declared is withdrawn toward the
// faces that were told, queries it was answering are finalized toward
// their queriers, and queries it asked are dropped.
func (t *Tables) CloseFace(id FaceID, now time.Time) []Out {
	f := t.faces[id]
	if f == nil {
		return nil
	}
	if f.pseudo != nil {
		return nil
	}
	delete(t.faces, id)
	delete(t.caches, id)
	t.markDirty(id)
	var out []Out
	if f.mesh != nil {
		out = t.closeMesh(out, f)
	}
	for k := range nKinds {
		var keys []string
		for _, e := range f.ents[k] {
			t.unindex(k, id, e)
			keys = append(keys, e.key)
		}
		slices.Sort(keys)
		for _, key := range slices.Compact(keys) {
			out = t.propagate(out, k, key, id)
		}
	}
	return t.closeQueries(out, id)
}

// sortedFaces returns the faces in id order, for deterministic output.
func (t *Tables) sortedFaces() []*face {
	fs := make([]*face, 0, len(t.faces))
	for _, f := range t.faces {
		fs = append(fs, f)
	}
	slices.SortFunc(fs, func(a, b *face) int { return int(int64(a.id) - int64(b.id)) })
	return fs
}

// Handle processes one message received on face from. Push goes through
// RoutePush instead. The returned messages are to be sent even when err is
// non-nil (e.g. the ResponseFinal answering a Request with an unknown key);
// err is for the actor to log and perhaps close the face with.
func (t *Tables) Handle(from FaceID, m *codec.NetworkMessage, now time.Time) ([]Out, error) {
	f := t.faces[from]
	if f == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownFace, from)
	}
	switch m.ID {
	case codec.MidDeclare:
		return t.handleDeclare(f, &m.Declare)
	case codec.MidInterest:
		return t.handleInterest(f, &m.Interest)
	case codec.MidRequest:
		return t.handleRequest(f, &m.Request, now)
	case codec.MidResponse:
		return t.handleResponse(f, &m.Response)
	case codec.MidResponseFinal:
		return t.handleResponseFinal(f, &m.ResponseFinal), nil
	case codec.MidOAM:
		return t.handleOAM(f, &m.OAM)
	}
	return nil, fmt.Errorf("%w: id %#x", ErrUnexpectedMessage, m.ID)
}

// resolve returns the key expression a WireExpr received from f denotes
// (network.md §1.2): plain concatenation of the declared prefix and the
// suffix, then validation. The result never aliases the input.
func (t *Tables) resolve(f *face, we *codec.WireExpr) (string, error) {
	return resolveKey(f.remoteIDs, f.id, we)
}

// resolveKey resolves we against the key-expression ids keys that face id
// declared.
func resolveKey(keys map[uint16]string, id FaceID, we *codec.WireExpr) (string, error) {
	var s string
	switch {
	case we.Scope == 0:
		s = string(we.Suffix)
	case we.Mapping:
		p, ok := keys[we.Scope]
		if !ok {
			return "", fmt.Errorf("%w: %d on face %d", ErrUnknownScope, we.Scope, id)
		}
		s = p + string(we.Suffix)
	default: // we never declare ids of our own to faces
		return "", fmt.Errorf("%w: %d (receiver side) on face %d", ErrUnknownScope, we.Scope, id)
	}
	if err := keyexpr.Validate(s); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	return s, nil
}

func fullWire(key string) codec.WireExpr {
	return codec.WireExpr{Suffix: []byte(key), Mapping: true}
}

// declQoS is the QoS of the declarations and interests the router sends:
// data priority, Block, as zenoh sends them: a full queue toward a slow
// reader must hold them back, never drop them.
var declQoS = codec.NewQoS(codec.PriorityData, true, false)

func declOut(to FaceID, hasI bool, iid uint32, body codec.Declaration) Out {
	return Out{Face: to, Msg: codec.NetworkMessage{ID: codec.MidDeclare, Declare: codec.Declare{
		HasInterestID: hasI, InterestID: iid, QoS: declQoS, Body: body}}}
}

func finalOut(to FaceID, iid uint32) Out {
	return declOut(to, true, iid, codec.Declaration{Kind: codec.DeclFinal})
}

func declBody(kind int, tl *told, we codec.WireExpr) codec.Declaration {
	b := codec.Declaration{Kind: kindDecl[kind], ID: tl.id, WireExpr: we}
	if kind == kindQabl {
		b.Complete, b.Distance = tl.complete, tl.distance
	}
	return b
}

func undeclBody(kind int, id uint32, we codec.WireExpr) codec.Declaration {
	return codec.Declaration{Kind: kindUndecl[kind], ID: id, WireExpr: we, HasWireExprExt: true}
}

// UpstreamReady reports whether every face this node sent its interest
// in everything to (client, or peer attached to a router) has answered
// it with its current state, and there are at least min such faces.
func (t *Tables) UpstreamReady(min int) bool {
	n := 0
	for _, f := range t.faces {
		if f.upstream {
			if !f.upstreamDone {
				return false
			}
			n++
		}
	}
	return n >= min
}
