package router

import (
	"fmt"
	"time"

	"github.com/gozenoh/zenoh/codec"
)

// FaceID names a face: one session to a remote node, or one in-process
// (local) session of this node's API. The actor chooses the ids.
type FaceID uint32

// Config configures Tables.
type Config struct {
	// ZID is this node's ZenohId; it is the ResponderId of the timeout
	// errors Tick synthesises.
	ZID codec.ZenohID
	// Mode is this node's own mode: Router routes between all faces and
	// answers interests (network.md §9); Peer and Client propagate only the
	// declarations of local faces and never route remote to remote (§10).
	Mode codec.WhatAmI
	// QueryTimeout applies to Requests without a Timeout extension.
	QueryTimeout time.Duration
	// RouteCacheSize is the number of Push routes kept in the LRU cache.
	// Larger caches help with many distinct publication keys; each entry
	// costs its key and its destinations.
	RouteCacheSize int
	// MaxDeclarationsPerFace bounds the key-expression ids, entities and
	// interests one face may hold; beyond, declarations fail with
	// ErrTooManyDeclarations.
	MaxDeclarationsPerFace int
	// MaxPendingQueries bounds the forwarded requests awaiting their
	// ResponseFinal (one per destination face); beyond, queries are
	// answered with ResponseFinal at once and ErrTooManyQueries.
	MaxPendingQueries int
	// MaxMeshNodes bounds the routers of the mesh this router keeps track
	// of (router mode; 0 means 4096).
	MaxMeshNodes int
	// LinkStateSN is the first sequence number of this router's link
	// state (router mode). It must exceed what a previous incarnation with
	// the same ZID sent: InitialLinkStateSN derives one from the clock.
	// 0 means 1.
	LinkStateSN uint64
}

// DefaultConfig returns a router-mode configuration with the defaults of
// zenoh 1.9 where it has one.
func DefaultConfig() Config {
	return Config{
		Mode:                   codec.Router,
		QueryTimeout:           10 * time.Second,
		RouteCacheSize:         1 << 16,
		MaxDeclarationsPerFace: 10000,
		MaxPendingQueries:      65536,
	}
}

func (c *Config) validate() error {
	if c.MaxMeshNodes == 0 {
		c.MaxMeshNodes = 4096
	}
	switch {
	case !c.Mode.Valid():
		return fmt.Errorf("%w: mode %d", ErrInvalidConfig, c.Mode)
	case c.QueryTimeout <= 0:
		return fmt.Errorf("%w: QueryTimeout must be positive", ErrInvalidConfig)
	case c.RouteCacheSize <= 0:
		return fmt.Errorf("%w: RouteCacheSize must be positive", ErrInvalidConfig)
	case c.MaxDeclarationsPerFace <= 0:
		return fmt.Errorf("%w: MaxDeclarationsPerFace must be positive", ErrInvalidConfig)
	case c.MaxMeshNodes < 0 || c.MaxMeshNodes > 1<<16:
		return fmt.Errorf("%w: MaxMeshNodes must be in [1, 65536]", ErrInvalidConfig)
	case c.MaxPendingQueries <= 0:
		return fmt.Errorf("%w: MaxPendingQueries must be positive", ErrInvalidConfig)
	}
	return nil
}
