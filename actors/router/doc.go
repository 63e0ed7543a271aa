// Package router routes a Zenoh node's traffic (spec/network.md §9 and
// §10). It has two halves.
//
// The control plane is the Tables (tables.go, declare.go, interest.go,
// query.go, mesh.go, linkstate.go): faces, their key-expression ids and
// declarations, interests, pending queries and the router mesh, in plain
// Go with no goroutines and no I/O; time is passed in. The router actor
// (router.go) owns one Tables: the session manager tells it of sessions
// opened and closed, faces hand it their control messages, and it sends
// what the Tables decide.
//
// The data plane (plane.go, snapshot.go, push.go, face.go, local.go)
// routes publications without the actor. Whenever the routes may change
// the actor publishes a Snapshot of what routing reads (faces, their
// key-expression ids, subscribers by key, the mesh's trees) through one
// atomic pointer on the node's Plane; declarations in a burst share one
// snapshot. A session's link reader walks each batch once and hands every
// network message to the session's remoteFace on its own goroutine: a
// Push is routed there against the snapshot, through a route cache of its
// own, and encoded into the outboxes of the sessions it goes to (those of
// one batch and route together) or delivered to local subscribers; any
// other message is handed to the actor in batches, and a Push that
// follows one waits until the actor has applied it, so that it is routed
// with the declarations before it in effect. Local faces (the API
// session, storages, aligners: Local) publish the same way on the
// publishing goroutine, and get the actor's messages for them on an actor
// of their own. A publication thus crosses no mailbox and at most one
// goroutine hand-off per node (the destination link's writer, and none
// when the link is quiet).
//
// # Usage of the Tables
//
//	t, err := router.New(router.DefaultConfig())
//	out, err := t.OpenFace(id, router.FaceInfo{WhatAmI: codec.Client, ZID: zid})
//	out, err = t.Handle(id, &msg, now)              // Declare, Interest, Request, Response, ResponseFinal
//	snap := t.Snapshot()                            // what the data plane routes with
//	dests, err := t.RoutePush(id, &msg.Push)        // the data plane's routing, on the tables' own cache
//	out = t.Tick(now)                               // query timeouts
//	out = t.CloseFace(id, now)
//
// Errors are for the actor to log (and perhaps to close the face with); a
// misbehaving face never corrupts the tables nor makes them panic. Out
// messages own their bytes: nothing in them aliases a Handle input, which
// the codec decodes in place.
//
// # Faces and modes
//
// A face is a session to a remote node, or a local in-process session of
// this node's API (OpenFace's local flag). In router mode every face's
// declarations are announced to the other faces that registered a
// matching Future interest (§9.1), one declaration per distinct key and
// destination with a router-chosen id, undeclared with the same id when the
// last declarer goes. Aggregate interests (pico's write filter, §9.2/§9.3)
// get one declaration per interest whose key is exactly the interest key,
// named by the client's own key-expression id with M=0 when the client
// named it so, else by the full string. Queryable info is merged (complete
// if any is, distance the minimum among the best completeness) and
// re-declared when it changes. Every declaration we send names its key in
// full (scope 0, M=1); we never declare key-expression ids of our own.
//
// In peer and client modes only local faces' declarations are announced,
// to every remote face without any interest; a remote peer face opened in
// peer mode first gets the initial push (Declare I=1 id 0 each, then
// DeclareFinal 0, §10.1). Remote faces never reach other remote faces
// (no routing between peers), neither for Push nor for queries. A client,
// or a peer, that opens a face to a router sends it one CurrentFuture
// interest in every subscriber, queryable and token, so that it learns
// what lies behind the router and its publications and queries go there
// only when they match (write-side filtering); on every reconnection it
// sends that interest and its local declarations again.
//
// # Router mesh
//
// In router mode a face to another router is a mesh face (mesh.go,
// linkstate.go). Mesh faces exchange link-state OAMs (§3.7.1): every
// router floods the whole graph it knows, each node with a sequence
// number (newer replaces older; a router restarted with the same ZenohId
// starts from the clock, and jumps past an older incarnation's number if
// it hears of one), and an edge counts only when both ends list it.
// Unreachable routers are forgotten with everything they declared. Every
// router computes, for each source router, the same shortest-path tree
// (hop counts, ties to the smaller ZenohId).
//
// Declarations do not use interests between routers: the entities of a
// router's own faces are declared along the tree rooted at that router,
// each Declare naming its origin with the NodeId extension (the origin's
// psid in the sender's numbering). A receiver keeps them on a pseudo face
// per origin router, so that its clients see them like any face's
// entities. A Push or Request from a client enters the mesh at its router
// and travels along the tree rooted there, carrying that router's psid,
// to the subtrees that hold a matching entity: nothing is delivered twice
// and nothing loops. When the graph changes, every router re-declares
// what each neighbour now needs. Link weights are not used; NodeId is
// never sent to clients or peers (§13 item 3).
//
// # Interests
//
// Current and CurrentFuture answer the current state with I=1 (tokens
// include the asking face's own, for liveliness gets, §9.6; Current-only
// answers carry id 0), Future and CurrentFuture register (router mode),
// and every non-Final interest gets its DeclareFinal. Current-only
// interests for subscribers or queryables, which Rust ignores, are
// answered like the others.
//
// # Push routes
//
// A route is computed from a Snapshot: the key resolved, the subscriber
// tree looked up, the destinations sorted by face. A RouteCache (one per
// reader, one per local face, one per publisher as a PubRoute) keeps
// routes in an LRU keyed by (scope, suffix, M, NodeId), each valid for
// the snapshot it was computed from: a new snapshot makes every cached
// route stale at once. A hit does not allocate.
//
// # Back pressure
//
// A publication under Block waits for room in a destination's outbox,
// which holds back its publisher (a link's reader: that session's peer;
// a local publisher's goroutine) and nobody else; a Drop one waits at
// most wait_before_drop. Control messages are never waited for: a full
// outbox parks them, and while a destination has more than 4 MiB parked
// the face whose messages went there is not acknowledged, so its reader
// stops handing over more.
//
// # Failure
//
// The router actor restarted after a panic starts with empty tables: it
// asks the session manager to close every session (peers reconnect and
// declare again) and re-opens the local faces with the declarations they
// remember. Face ids come from the Plane and are never reused, so a late
// message of an old face is ignored.
//
// # Queries
//
// A Request goes to the faces holding matching queryables, chosen by its
// target (§9.5), with a fresh request id per destination face; replies
// return with the querier's id, the full key and the querier's QoS, and
// the querier gets exactly one ResponseFinal, after the last destination's
// ResponseFinal, its face closing, or the timeout (Tick sends an Err
// "Timeout" reply first).
//
// # Bounds
//
// Config.MaxDeclarationsPerFace bounds each face's key-expression ids,
// entities and registered interests; Config.MaxPendingQueries bounds the
// forwarded requests; Config.RouteCacheSize bounds each route cache;
// Config.MaxMeshNodes bounds the routers of the mesh graph.
package router
