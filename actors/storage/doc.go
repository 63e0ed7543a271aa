// Package storage keeps the latest value of every key of a key expression
// in badger, and answers queries on it: zenoh's storage manager with a
// badger (or badger in-memory) volume.
//
// The package has two layers. Store (store.go) is the plain, synchronous
// badger layer: it applies batches of events last-writer-wins by HLC
// timestamp, answers queries, and keeps the time-slice index the aligner
// fingerprints. The storage actor (storage.go) subscribes to the key
// expression, declares a complete queryable, and calls Store once per
// mailbox batch, so that each actor message batch is one badger
// WriteBatch.
//
// # Semantics
//
// Every stored key holds one event: its latest Put, or a tombstone when
// its latest event is a Del. Apply compares an incoming event with what is
// stored for its key by hlc.Timestamp.Compare (time, then ZenohId): only
// a strictly newer event replaces the stored one, so an older or equal
// event (a duplicate) is dropped. A tombstone keeps its timestamp for
// Options.TombstoneTTL (24 h by default), so that a late put older than
// the delete cannot bring the key back; PurgeTombstones removes the
// tombstones older than that. A Del that is already older than the TTL
// when it is applied deletes what it beats but leaves no tombstone (it
// would be purged at once).
//
// # Key layout
//
// One badger DB holds four key spaces, told apart by their first two
// bytes:
//
//	v/<key>                   → value record of the key (one per key)
//	t/<slice>/<key>           → index entry of the key's event
//	f/<slice>                 → fingerprint of the slice (8 bytes, big-endian)
//	m/total                   → fingerprint of every event (8 bytes)
//	m/layout                  → layout version (1) and slice width (8 bytes)
//
// <key> is the concrete key expression as text. Value keys sort by key,
// so a query whose key expression starts with literal chunks ("a/b/**")
// iterates only the v/a/b range. <slice> is the start of the time slice of
// the event's timestamp, as an 8-byte big-endian NTP64: the timestamp's
// time rounded down to a multiple of Options.SliceWidth (1 s by default).
// The events of one slice are thus one prefix scan, and slices sort by
// time, which is what the aligner needs to fingerprint an interval and
// what PurgeTombstones uses to find old tombstones without reading the
// values. Each key has exactly one index entry, the one of its stored
// event: when an event replaces another, the write batch that stores it
// also deletes the old entry (unless both fall in the same slice, where
// the entry is overwritten).
//
// # Fingerprints
//
// An event's fingerprint is xxhash64 of its key, a zero byte, its time
// (8 bytes, big-endian), its ZenohId (wire bytes) and its kind
// (Fingerprint). A slice's fingerprint is the XOR of the fingerprints of
// the events indexed in it, and m/total the XOR of all of them. Apply and
// PurgeTombstones keep both up to date in the write batch that changes
// the events, with two XORs per replaced event (out of the old slice, into
// the new one), so the aligner reads an interval's fingerprint from a few
// f/ records without touching the events. A slice without events has no
// f/ record. Open rebuilds the t/ and f/ spaces from the value records
// when m/layout is missing (a store written before fingerprints) or
// records another slice width.
//
// # Record encoding
//
// A value record (version 1) is:
//
//	byte    version (1)
//	byte    kind (codec.MidPut or codec.MidDel)
//	8 bytes timestamp time, NTP64 big-endian
//	byte    n, the length of the ZenohId (1..16)
//	n bytes ZenohId, its wire (little-endian, canonical) bytes
//	uvarint encoding id (at most 65535)
//	uvarint schema length (at most 255), then the schema
//	rest    payload (empty for a tombstone)
//
// An index entry (version 1) is the first four fields of a record: the
// version, kind and timestamp. A record or entry that does not decode,
// for any reason, is an ErrCorrupt error; decoding never panics.
package storage
