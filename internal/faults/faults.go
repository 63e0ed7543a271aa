// Package faults lets fault-injection tests reach the actors behind a
// zenoh.Session (its actor system, node, and storage supervisor) without
// widening the public API: Open registers each session here, Close
// removes it. Nothing else reads the registry.
package faults

import (
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/gozenoh/zenoh/actors"
)

// Target is what a test may kill or inspect in one session's node.
type Target struct {
	Sys  *actor.ActorSystem
	Node *actors.Node
	// Storages is the storage supervisor, nil without storages: it
	// answers storage.ListRunning.
	Storages *actor.PID
}

var registry sync.Map // session → Target

// Register records the actors of a session.
func Register(session any, t Target) { registry.Store(session, t) }

// Unregister forgets a session.
func Unregister(session any) { registry.Delete(session) }

// Lookup returns the actors of a session.
func Lookup(session any) (Target, bool) {
	v, ok := registry.Load(session)
	if !ok {
		return Target{}, false
	}
	return v.(Target), true
}
