// Package aligner is the anti-entropy of storages: replicas of the same
// key expression that missed samples (a partition, a restart, a late
// join) find what differs between them and fetch it, by comparing
// fingerprints rather than contents. Its ideas follow the replication of
// zenoh's storage manager; its wire format is its own.
//
// The package is pure logic: no goroutines, no I/O. The aligner actor
// publishes the local digest every Params.Interval, and for each remote
// digest that differs runs an Align, sending its requests to the remote
// replica, which answers them with Answer. Both sides read the storage
// through Source, which *storage.Store implements.
//
// # Keys
//
// The aligner of a storage on key expression K in the node with ZenohId
// Z publishes its digest (a Digest message as the payload of a Put) on
//
//	@-digest/Z/H
//
// and answers alignment requests (the request as the query's payload,
// the reply as the payload of one Put reply) on the queryable
//
//	@-align/Z/H
//
// where H is xxhash64 of K as 16 lowercase hex digits. The first chunks
// are verbatim (they start with @), so no user wildcard, not even **,
// matches them. Each aligner subscribes to @-digest/*/H, ignores its own
// digest, and runs at most one alignment per replica at a time; a
// digest that arrives meanwhile is dropped (the next one retries).
// Requests and replies use Block congestion control; a query that ends
// without a reply (the replica left, or the timeout passed) abandons the
// alignment. Fetched events are handed to the storage actor
// (storage.ApplyEvents), which applies them last writer wins, so the
// aligner never writes to the store itself.
//
// # Fingerprints
//
// The fingerprint of an event is a 64-bit hash of its key, timestamp and
// kind (put or delete), computed by the store. The fingerprint of a set
// of events is the XOR of theirs. XOR does not depend on order, is
// updated in O(1) when an event is added or replaced, and two replicas
// holding the same events hold the same fingerprints; two different sets
// collide with probability 2^-64. Payloads are not hashed: an event is
// identified by its timestamp, which is unique to it. A fingerprint of 0
// means "no event" (or, with that negligible probability, a set that
// cancels out).
//
// # Time division
//
// Time (NTP64, the time of an event's HLC timestamp) is divided into
// sub-intervals of width w, the store's time slice (Params.SliceWidth),
// and those into intervals of Params.SubIntervals sub-intervals. An
// event at time t falls in sub-interval s = t/w and interval
// s/SubIntervals. Each key is in exactly one sub-interval, the one of
// its latest event (put or tombstone).
//
// # Snapshot rule
//
// A digest built at time now covers the sub-intervals below its cut,
//
//	Cut = (now - PropagationDelay - MaxSkew) / w
//
// (saturating at 0): those that ended long enough ago that every sample
// stamped in them has reached every replica, even from a clock MaxSkew
// ahead. Later sub-intervals never enter a digest, so samples in flight
// are not mistaken for divergence. The replica receiving a digest builds
// its own at the same cut, so both cover the same events.
//
// # Eras
//
// With C = (Cut-1)/SubIntervals, the interval holding the last covered
// sub-interval, the intervals up to C are split into three eras (see
// Eras; arithmetic saturates at 0, and Cut 0 covers nothing):
//
//   - Hot: intervals (C-Hot, C]. The digest holds the fingerprint of each
//     of their sub-intervals below Cut: recent writes, the likeliest to
//     differ, are found without a round trip.
//   - Warm: intervals (C-Hot-Warm, C-Hot]. The digest holds the
//     fingerprint of each interval.
//   - Cold: every interval up to C-Hot-Warm. The digest holds one
//     fingerprint for all of them, computed as the total fingerprint of
//     the store XOR the fingerprints of every slice from the Warm era on
//     (those past the cut included), so building a digest reads only
//     slice fingerprints, from the Warm era on, and never events.
//
// Lists hold nonzero fingerprints only.
//
// # Alignment
//
// An alignment pulls: it fetches what the remote holds and the local
// store lacks or holds older; the remote does the converse when it gets
// the local digest. NewAlign builds the local digest at the remote's cut
// and compares (Diff). Then, where the remote fingerprint is nonzero and
// differs from the local one:
//
//  1. Cold: ReqIntervals over the Cold era gives the remote interval
//     fingerprints there; differing intervals join the Warm ones.
//  2. ReqSubs, for at most 256 intervals at a time, gives their
//     sub-interval fingerprints; differing sub-intervals join the Hot ones.
//  3. ReqEvents, for at most 64 sub-intervals at a time, gives their
//     events. Where the local fingerprint is 0 the local store holds
//     nothing, so the request asks for full events (WithValues), which are
//     applied as they come. Elsewhere it asks for metadata (key,
//     timestamp, kind); a key is needed when the local store lacks it or
//     holds it with an older timestamp.
//  4. ReqValues, for at most 1000 keys at a time, fetches the needed
//     events, which are applied.
//
// The caller applies fetched events last writer wins (storage.Store.Apply),
// so a stale or duplicate one does no harm. A reply longer than MaxItems
// entries or ReplyBudget bytes is cut short with its More flag set; the
// requester asks again from after its last entry (ReqIntervals from the
// next interval, ReqEvents with After set to the last key, ReqValues with
// the keys after the last one).
//
// # Wire format
//
// Every message is one byte of version (1), one byte of type (MsgKind),
// then its fields. Integers are uvarints (encoding/binary), except
// fingerprints and times, which are 8 bytes big-endian. A string is a
// uvarint length then its bytes. Conventions below:
//
//	indexes   count, then the indexes, strictly ascending: the first as
//	          is, each next one as (index - previous - 1)
//	fps       count, then per entry its index (as in indexes) and its
//	          fingerprint (8 bytes, nonzero)
//	ts        time (8 bytes) | ZenohId length (1 byte, 1..16) | ZenohId
//	          (its little-endian wire bytes, without high-order zeros)
//	meta      key (string, 1..MaxKey bytes, no wildcard) | ts (time not 0)
//	          | kind (1 byte: 0x01 put, 0x02 delete)
//	event     meta | encoding id (uvarint, at most 65535) | schema
//	          (string, at most 255 bytes) | payload (string, at most
//	          MaxPayload bytes, empty for a delete)
//	flags     1 byte; bits not listed must be 0
//
// The messages:
//
//	Digest        01 01 | sub width | sub-intervals | hot | warm | cut |
//	              cold (8 bytes) | warm fps | hot fps
//	ReqIntervals  01 02 | from | to            intervals [from, to), from <= to
//	ReqSubs       01 03 | intervals (indexes)
//	ReqEvents     01 04 | flags (bit 0: with values) | subs (indexes) |
//	              after (string, at most MaxKey bytes)
//	ReqValues     01 05 | count | keys (strings, strictly ascending)
//	RepFPs        01 06 | flags (bit 0: more) | fps
//	RepEvents     01 07 | flags (bit 0: more) | count | metas
//	RepValues     01 08 | flags (bit 0: more) | count | events
//
// In a Digest, sub-intervals, hot and warm are at most 2^32-1; sub width,
// sub-intervals and hot are not 0; cut*sub width is within the NTP64
// range; warm fingerprints are of Warm intervals and hot ones of Hot
// sub-intervals below the cut. A reply with more set is not empty. Lists
// hold at most MaxItems entries.
//
// A decoder refuses anything else with an error wrapping a sentinel
// (ErrVersion, ErrType, ErrMalformed, ErrLimit, ErrTrailing), never
// panics, bounds every count by the bytes left before allocating, and
// requires the message to fill its input. Every value has exactly one
// encoding.
package aligner
