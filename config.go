package zenoh

import (
	"github.com/gozenoh/zenoh/actors/aligner"

	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/gozenoh/zenoh/actors/link"
	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Mode is a node's role: router, peer or client.
type Mode = codec.WhatAmI

// Node roles.
const (
	ModeRouter = codec.Router
	ModePeer   = codec.Peer
	ModeClient = codec.Client
)

// Config configures a Session, with zenoh's configuration keys in
// comments. DefaultConfig returns zenoh's defaults; ParseConfig and
// LoadConfig read zenoh's JSON5 configuration format.
type Config struct {
	// Mode is the node's role (mode). Default: peer, as zenoh's.
	Mode Mode
	// ID is the node's ZenohId as hex (id); empty picks a random one.
	ID string
	// Connect lists endpoints to connect to (connect.endpoints).
	Connect []string
	// Listen lists endpoints to listen on (listen.endpoints).
	Listen []string
	// MulticastScouting answers and sends Scouts on 224.0.0.224:7446
	// (scouting.multicast.enabled). Default true.
	MulticastScouting bool
	// Timestamping stamps routed Puts with the node's HLC
	// (timestamping.enabled); nil means zenoh's default: on for routers.
	Timestamping *bool
	// QueryTimeout is the default timeout of queries
	// (queries_default_timeout, milliseconds in JSON5). Default 10 s.
	QueryTimeout time.Duration
	// Storages are the storages of the node
	// (plugins.storage_manager.storages.NAME).
	Storages map[string]StorageConfig
	// DataDir holds the badger storages, one directory per storage name;
	// empty means ./zenoh-data.
	DataDir string
	// Logger receives the node's logs; nil discards them.
	Logger *slog.Logger
}

// StorageConfig configures one storage
// (plugins.storage_manager.storages.NAME).
type StorageConfig struct {
	// KeyExpr is the key expression the storage subscribes to and answers
	// queries on (key_expr).
	KeyExpr string
	// Volume is "memory" or "badger" (volume, or volume.id); empty means
	// memory.
	Volume string
	// Replication, if set, runs an aligner that keeps the storage
	// consistent with the other storages on the same KeyExpr
	// (replication).
	Replication *ReplicationConfig
}

// ReplicationConfig configures a storage's anti-entropy with its replicas
// (plugins.storage_manager.storages.NAME.replication). Every replica of a
// key expression must use the same Interval, SubIntervals, Hot and Warm.
type ReplicationConfig struct {
	// Interval is how often digests are published, and the width of
	// the time intervals they fingerprint (interval, in seconds).
	Interval time.Duration
	// SubIntervals cut each interval (sub_intervals).
	SubIntervals int
	// Hot and Warm are the number of intervals in the Hot and Warm eras
	// (hot, warm).
	Hot, Warm int
	// PropagationDelay is how long a sample may take to reach every
	// replica (propagation_delay, in milliseconds).
	PropagationDelay time.Duration
}

// DefaultReplication returns zenoh's defaults: 10 s intervals of 5
// sub-intervals, 6 hot and 30 warm intervals, 250 ms propagation delay.
func DefaultReplication() ReplicationConfig {
	return ReplicationConfig{Interval: 10 * time.Second, SubIntervals: 5, Hot: 6, Warm: 30,
		PropagationDelay: 250 * time.Millisecond}
}

// DefaultConfig returns zenoh's defaults: a peer with multicast
// scouting, timestamping as zenoh decides it for the mode, 10 s queries.
func DefaultConfig() Config {
	return Config{Mode: ModePeer, MulticastScouting: true, QueryTimeout: 10 * time.Second}
}

// validate checks c, naming the zenoh key of the first invalid value.
func (c *Config) validate() error {
	if !c.Mode.Valid() {
		return fmt.Errorf("zenoh: config mode: %d is not router, peer or client", c.Mode)
	}
	for _, s := range c.Connect {
		if _, err := link.ParseEndpoint(s); err != nil {
			return fmt.Errorf("zenoh: config connect.endpoints: %w", err)
		}
	}
	for _, s := range c.Listen {
		if _, err := link.ParseEndpoint(s); err != nil {
			return fmt.Errorf("zenoh: config listen.endpoints: %w", err)
		}
	}
	if c.ID != "" {
		if _, err := hlc.ParseID(c.ID); err != nil {
			return fmt.Errorf("zenoh: config id: %w", err)
		}
	}
	if c.QueryTimeout < 0 {
		return fmt.Errorf("zenoh: config queries_default_timeout: negative")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Storages)) {
		s := c.Storages[name]
		if err := keyexpr.Validate(s.KeyExpr); err != nil {
			return fmt.Errorf("zenoh: config plugins.storage_manager.storages.%s.key_expr: %w", keyName(name), err)
		}
		switch s.Volume {
		case "", "memory", "badger":
		default:
			return fmt.Errorf("zenoh: config plugins.storage_manager.storages.%s.volume: %q is not memory or badger", keyName(name), s.Volume)
		}
		if s.Replication != nil {
			p := alignerParams(s.Replication)
			if err := p.Validate(); err != nil {
				return fmt.Errorf("zenoh: config plugins.storage_manager.storages.%s.replication: %w", keyName(name), err)
			}
		}
	}
	return nil
}

// alignerParams turns a replication configuration into the aligner's.
func alignerParams(r *ReplicationConfig) aligner.Params {
	p := aligner.DefaultParams()
	p.Interval, p.SubIntervals, p.Hot, p.Warm, p.PropagationDelay = r.Interval, r.SubIntervals, r.Hot, r.Warm, r.PropagationDelay
	return p
}

// keyName quotes a configuration name for an error unless it is a plain
// identifier, so that messages stay on one line and unambiguous.
func keyName(s string) string {
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return strconv.Quote(s)
		}
	}
	if s == "" {
		return `""`
	}
	return s
}
