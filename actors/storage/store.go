package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
	"github.com/gozenoh/zenoh/keyexpr"
)

// Event is one sample stored or to store: the latest value (Put) or a
// tombstone (Del) of a key.
type Event struct {
	Key      string        // a concrete key expression (no wildcards)
	TS       hlc.Timestamp // never zero in the store
	Kind     byte          // codec.MidPut or codec.MidDel
	Payload  []byte        // Put only
	Encoding codec.Encoding
}

// Options configures a Store. The zero values of TombstoneTTL and
// SliceWidth mean their defaults.
type Options struct {
	// Dir is the badger directory; ignored when InMemory.
	Dir string
	// InMemory runs badger in its in-memory mode (volume "memory"):
	// nothing survives Close.
	InMemory bool
	// TombstoneTTL is how long deletes are kept (default 24h). Longer
	// protects better against late, older puts resurrecting a key; the
	// cost is one record and one index entry per deleted key.
	TombstoneTTL time.Duration
	// SliceWidth is the width of the time slices of the event index
	// (default 1s); the aligner fingerprints slices. It must stay the same
	// across restarts of one directory.
	SliceWidth time.Duration
	// Logger receives badger's logs; nil discards them.
	Logger *slog.Logger
	// MetaCache is how many keys' latest timestamps Apply keeps in
	// memory to avoid reading them back (default 65536, about 100 B
	// each plus the key).
	MetaCache int
}

const (
	// DefaultTombstoneTTL is Options.TombstoneTTL's default.
	DefaultTombstoneTTL = 24 * time.Hour
	// DefaultSliceWidth is Options.SliceWidth's default.
	DefaultSliceWidth = time.Second
	// DefaultMetaCache is Options.MetaCache's default.
	DefaultMetaCache = 1 << 16
)

// validate checks o and fills in defaults.
func (o *Options) validate() error {
	switch {
	case !o.InMemory && o.Dir == "":
		return fmt.Errorf("%w: no directory", ErrOptions)
	case o.TombstoneTTL < 0:
		return fmt.Errorf("%w: negative TombstoneTTL %v", ErrOptions, o.TombstoneTTL)
	case o.SliceWidth < 0:
		return fmt.Errorf("%w: negative SliceWidth %v", ErrOptions, o.SliceWidth)
	}
	if o.TombstoneTTL == 0 {
		o.TombstoneTTL = DefaultTombstoneTTL
	}
	if o.SliceWidth == 0 {
		o.SliceWidth = DefaultSliceWidth
	}
	if o.MetaCache <= 0 {
		o.MetaCache = DefaultMetaCache
	}
	if hlc.NTP64FromDuration(o.SliceWidth) == 0 {
		return fmt.Errorf("%w: SliceWidth %v below the NTP64 resolution", ErrOptions, o.SliceWidth)
	}
	return nil
}

// Store is the badger layer of a storage: the latest event of every key,
// and the time-slice index of those events (see the package doc for the
// layout). Reads (Query, Latest, Slice) may run concurrently with
// anything; writes (Apply, PurgeTombstones) are serialised by the Store,
// as each reads what it replaces. The storage actor owns its Store.
type Store struct {
	db     *badger.DB
	ttl    time.Duration
	width  hlc.NTP64
	logger *slog.Logger
	// metas caches the timestamp and kind of recently written keys, so
	// that Apply need not read them back; guarded by mu.
	metas *simplelru.LRU[string, meta]

	mu sync.Mutex // serialises writers; guards the fields below
	// purgedTo is the time below which PurgeTombstones has removed every
	// tombstone, and minTomb the oldest tombstone time written since, so
	// a purge scans the index only from min(purgedTo, minTomb).
	purgedTo hlc.NTP64
	minTomb  hlc.NTP64
	closed   bool
}

// Open opens (creating it if needed) the badger DB of o.
func Open(o Options) (*Store, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	var bo badger.Options
	if o.InMemory {
		bo = badger.DefaultOptions("").WithInMemory(true)
	} else {
		bo = badger.DefaultOptions(o.Dir)
	}
	// A nil *slogAdapter in the interface would not be nil to badger.
	var lg badger.Logger
	if o.Logger != nil {
		lg = slogAdapter{o.Logger}
	}
	bo = bo.WithLogger(lg).
		WithNumVersionsToKeep(1).
		// Writers are serialised by Store.mu, and the batches read
		// nothing: conflict tracking would be pure cost.
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		// Badger's defaults (five 64 MiB memtables, a 256 MiB block
		// cache) suit a database server; a node runs storages beside
		// its routing, so each gets a smaller, still bounded share.
		WithMemTableSize(16 << 20).
		WithNumMemtables(3).
		WithBlockCacheSize(32 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("storage: open badger: %w", err)
	}
	s := &Store{
		db:      db,
		ttl:     o.TombstoneTTL,
		width:   hlc.NTP64FromDuration(o.SliceWidth),
		logger:  o.Logger,
		minTomb: math.MaxUint64,
	}
	s.metas, _ = simplelru.NewLRU[string, meta](o.MetaCache, nil)
	if err := s.checkLayout(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the badger DB. Calls after the first return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// pending is the state of one key within an Apply call.
type pending struct {
	prev    meta   // the event stored before the call, if had
	had     bool   // an event was stored before the call
	cur     *Event // the winning event of the call so far; nil if none beat prev
	changed bool
}

// meta is what Apply needs to know of a stored event.
type meta struct {
	ts   hlc.Timestamp
	kind byte
}

// Apply stores evs last writer wins, in one badger WriteBatch, and reports
// for each event whether it was applied. An event whose timestamp is
// older than or equal to the stored one of its key (put or tombstone) is
// not applied. Events are applied in order, so a later event of the same
// key competes with the earlier one. A Del stores a tombstone, unless its
// timestamp is older than now - TombstoneTTL: then it only deletes what
// it beats. An invalid event (ErrInvalidEvent) fails the whole call
// before anything is written; on error, applied is nil. Apply copies what
// it keeps: evs may be reused after it returns.
func (s *Store) Apply(evs []Event, now time.Time) (applied []bool, err error) {
	for i := range evs {
		if err := validEvent(&evs[i]); err != nil {
			return nil, fmt.Errorf("%w (event %d)", err, i)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	applied = make([]bool, len(evs))
	index := make(map[string]int, len(evs)) // key → position in state
	state := make([]pending, 0, len(evs))
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	for i := range evs {
		ev := &evs[i]
		j, ok := index[ev.Key]
		if !ok {
			j = len(state)
			state = append(state, pending{})
			index[ev.Key] = j
			m, found, err := s.storedMeta(txn, ev.Key)
			if err != nil {
				return nil, err
			}
			state[j].prev, state[j].had = m, found
		}
		p := &state[j]
		switch {
		case p.cur != nil && ev.TS.Compare(p.cur.TS) <= 0:
			continue
		case p.cur == nil && p.had && ev.TS.Compare(p.prev.ts) <= 0:
			continue
		}
		p.cur, p.changed = ev, true
		applied[i] = true
	}
	// A failed write leaves the cache in doubt: forget it.
	defer func() {
		if err != nil {
			s.metas.Purge()
		}
	}()
	horizon := hlc.NTP64FromTime(now.Add(-s.ttl))
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	minTomb := s.minTomb
	// The batch keeps the keys and values it is given until Flush: carve
	// them out of one arena, never reused.
	// Sized for the batch (two index keys, a value key, an entry and a
	// record per event, at most), so a batch of one sample does not
	// hold a large arena.
	need := 0
	for j := range state {
		if ev := state[j].cur; state[j].changed {
			need += 3*(len(indexPrefix)+9+len(ev.Key)) + 2*(11+maxIDLen) + 6 + len(ev.Encoding.Schema) + len(ev.Payload)
		}
	}
	arena := make([]byte, 0, min(need, 1<<20))
	carve := func(b []byte) []byte {
		if cap(arena)-len(arena) < len(b) {
			arena = make([]byte, 0, max(64<<10, len(b)))
		}
		n := len(arena)
		arena = append(arena, b...)
		return arena[n:len(arena):len(arena)]
	}
	var scratch []byte
	delta := fpDelta{}
	for j := range state {
		p := &state[j]
		if !p.changed {
			continue
		}
		ev := p.cur
		same := false
		if p.had {
			s.flip(delta, ev.Key, p.prev.ts, p.prev.kind)
			same = s.SliceStart(p.prev.ts.Time) == s.SliceStart(ev.TS.Time)
		}
		scratch = s.indexKey(scratch[:0], ev.Key, ev.TS.Time)
		ik := carve(scratch)
		if p.had && !same {
			if err := wb.Delete(carve(s.indexKey(scratch[:0], ev.Key, p.prev.ts.Time))); err != nil {
				return nil, fmt.Errorf("storage: write batch: %w", err)
			}
		}
		scratch = append(append(scratch[:0], valuePrefix...), ev.Key...)
		vk := carve(scratch)
		if ev.Kind == codec.MidDel && ev.TS.Time < horizon {
			// An expired delete: remove the key, keep no tombstone.
			if err := wb.Delete(vk); err != nil {
				return nil, fmt.Errorf("storage: write batch: %w", err)
			}
			if same {
				if err := wb.Delete(ik); err != nil {
					return nil, fmt.Errorf("storage: write batch: %w", err)
				}
			}
			continue
		}
		if ev.Kind == codec.MidDel {
			minTomb = min(minTomb, ev.TS.Time)
		}
		s.flip(delta, ev.Key, ev.TS, ev.Kind)
		if err := wb.Set(vk, carve(appendRecord(scratch[:0], ev))); err != nil {
			return nil, fmt.Errorf("storage: write batch: %w", err)
		}
		if err := wb.Set(ik, carve(appendEntry(scratch[:0], ev.Kind, ev.TS))); err != nil {
			return nil, fmt.Errorf("storage: write batch: %w", err)
		}
	}
	if err := s.writeFingerprints(txn, wb, delta); err != nil {
		return nil, err
	}
	if err := wb.Flush(); err != nil {
		return nil, fmt.Errorf("storage: write batch: %w", err)
	}
	s.minTomb = minTomb
	for j := range state {
		if p := &state[j]; p.changed {
			if p.cur.Kind == codec.MidDel && p.cur.TS.Time < horizon {
				s.metas.Remove(p.cur.Key)
			} else {
				s.metas.Add(p.cur.Key, meta{ts: p.cur.TS, kind: p.cur.Kind})
			}
		}
	}
	return applied, nil
}

// storedMeta returns the timestamp and kind of the event stored for key,
// from the cache or else from badger (reading the record's head only).
func (s *Store) storedMeta(txn *badger.Txn, key string) (meta, bool, error) {
	if m, ok := s.metas.Get(key); ok {
		return m, true, nil
	}
	item, err := txn.Get(valueKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return meta{}, false, nil
	}
	if err != nil {
		return meta{}, false, fmt.Errorf("storage: get %q: %w", key, err)
	}
	var m meta
	m.kind, m.ts, err = itemEntry(item)
	if err != nil {
		return meta{}, false, fmt.Errorf("%w (key %q)", err, key)
	}
	return m, true, nil
}

func validEvent(ev *Event) error {
	switch {
	case ev.Key == "":
		return fmt.Errorf("%w: empty key", ErrInvalidEvent)
	case keyexpr.IsWild(ev.Key):
		return fmt.Errorf("%w: wild key %q", ErrInvalidEvent, ev.Key)
	case ev.TS.IsZero() || ev.TS.ID.IsZero():
		return fmt.Errorf("%w: key %q: zero timestamp", ErrInvalidEvent, ev.Key)
	case ev.Kind != codec.MidPut && ev.Kind != codec.MidDel:
		return fmt.Errorf("%w: key %q: kind %#x", ErrInvalidEvent, ev.Key, ev.Kind)
	case len(ev.Encoding.Schema) > maxSchema:
		return fmt.Errorf("%w: key %q: schema of %d bytes", ErrInvalidEvent, ev.Key, len(ev.Encoding.Schema))
	}
	return nil
}

// Latest returns the stored event of key, tombstones included.
func (s *Store) Latest(key string) (Event, bool, error) {
	var ev Event
	var ok bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		ev, ok, err = latest(txn, key)
		return err
	})
	return ev, ok, err
}

func latest(txn *badger.Txn, key string) (Event, bool, error) {
	item, err := txn.Get(valueKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Event{}, false, nil
	}
	if err != nil {
		return Event{}, false, fmt.Errorf("storage: get %q: %w", key, err)
	}
	ev, err := itemEvent(item)
	if err != nil {
		return Event{}, false, err
	}
	return ev, true, nil
}

// itemEvent decodes the value record of a v/ item into a fresh Event
// (which aliases one fresh copy of the value).
func itemEvent(item *badger.Item) (Event, error) {
	key := string(item.Key()[len(valuePrefix):])
	val, err := item.ValueCopy(nil)
	if err != nil {
		return Event{}, fmt.Errorf("storage: read %q: %w", key, err)
	}
	ev, err := decodeRecord(val)
	if err != nil {
		return Event{}, fmt.Errorf("%w (key %q)", err, key)
	}
	ev.Key = key
	return ev, nil
}

// Query calls fn, in key order, with every stored Put (not tombstones)
// whose key intersects keyExpr and whose time is within [from, to] (to ==
// 0 means no upper bound), until fn returns false. fn owns the events it
// gets. When keyExpr starts with literal chunks, only the range of keys
// under them is read; a concrete keyExpr is one lookup.
func (s *Store) Query(keyExpr string, from, to hlc.NTP64, fn func(Event) bool) error {
	if to == 0 {
		to = math.MaxUint64
	}
	keep := func(ev *Event) bool {
		return ev.Kind == codec.MidPut && from <= ev.TS.Time && ev.TS.Time <= to
	}
	if !keyexpr.IsWild(keyExpr) {
		ev, ok, err := s.Latest(keyExpr)
		if err != nil || !ok || !keep(&ev) {
			return err
		}
		fn(ev)
		return nil
	}
	prefix := valueKey(literalPrefix(keyExpr))
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			if !keyexpr.Intersects(keyExpr, string(item.Key()[len(valuePrefix):])) {
				continue
			}
			ev, err := itemEvent(item)
			if err != nil {
				return err
			}
			if keep(&ev) && !fn(ev) {
				return nil
			}
		}
		return nil
	})
}

// literalPrefix returns the leading chunks of keyExpr that hold no
// wildcard (* ** $*), joined by '/' without a trailing '/': "a/b/*/c"
// gives "a/b". Every key that intersects keyExpr starts with it (a
// trailing ** may match zero chunks, so "a/**" matches "a" itself).
func literalPrefix(keyExpr string) string {
	end := 0
	for i := 0; i <= len(keyExpr); i++ {
		if i < len(keyExpr) && keyExpr[i] != '/' {
			continue
		}
		chunk := keyExpr[end:i]
		if end > 0 {
			chunk = keyExpr[end+1 : i]
		}
		if strings.IndexByte(chunk, '*') >= 0 {
			break
		}
		end = i
	}
	return keyExpr[:end]
}

// Slice calls fn with the events (key, timestamp, kind) whose timestamp
// falls in the slice that starts at start (rounded down to a multiple of
// SliceWidth), in key order, until fn returns false. It reads only the
// slice's index entries.
func (s *Store) Slice(start hlc.NTP64, fn func(key string, ts hlc.Timestamp, kind byte) bool) error {
	prefix := s.slicePrefix(start)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			key := string(item.Key()[len(prefix):])
			kind, ts, err := itemEntry(item)
			if err != nil {
				return fmt.Errorf("%w (index of key %q)", err, key)
			}
			if !fn(key, ts, kind) {
				return nil
			}
		}
		return nil
	})
}

// SliceStart returns the start of the time slice t falls in.
func (s *Store) SliceStart(t hlc.NTP64) hlc.NTP64 { return t - t%s.width }

// SliceWidth returns the width of the time slices as an NTP64 duration.
func (s *Store) SliceWidth() hlc.NTP64 { return s.width }

// PurgeTombstones removes the tombstones older than now - TombstoneTTL,
// and their index entries, in one WriteBatch, and returns how many. It
// finds them through the time index, starting from the oldest slice that
// may hold one, so it reads neither the values nor the recent entries.
func (s *Store) PurgeTombstones(now time.Time) (int, error) {
	horizon := hlc.NTP64FromTime(now.Add(-s.ttl))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	from := s.SliceStart(min(s.purgedTo, s.minTomb))
	if from >= horizon {
		return 0, nil
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	n := 0
	delta := fpDelta{}
	var purged []string
	err := s.db.View(func(txn *badger.Txn) error {
		seek := s.slicePrefix(from)
		prefix := []byte(indexPrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			k := item.Key()
			if len(k) < len(indexPrefix)+9 {
				return fmt.Errorf("%w: index key %q", ErrCorrupt, k)
			}
			if hlc.NTP64(binary.BigEndian.Uint64(k[len(indexPrefix):])) >= horizon {
				break
			}
			kind, ts, err := itemEntry(item)
			if err != nil {
				return fmt.Errorf("%w (index key %q)", err, k)
			}
			if kind != codec.MidDel || ts.Time >= horizon {
				continue
			}
			key := k[len(indexPrefix)+9:]
			s.flip(delta, string(key), ts, kind)
			purged = append(purged, string(key))
			if err := wb.Delete(item.KeyCopy(nil)); err != nil {
				return err
			}
			if err := wb.Delete(valueKey(string(key))); err != nil {
				return err
			}
			n++
		}
		return s.writeFingerprints(txn, wb, delta)
	})
	if err != nil {
		return 0, fmt.Errorf("storage: purge: %w", err)
	}
	if err := wb.Flush(); err != nil {
		s.metas.Purge() // in doubt
		return 0, fmt.Errorf("storage: purge: %w", err)
	}
	s.purgedTo = horizon
	s.minTomb = math.MaxUint64
	for _, k := range purged {
		s.metas.Remove(k)
	}
	return n, nil
}

const (
	valuePrefix = "v/"
	indexPrefix = "t/"
)

func valueKey(key string) []byte {
	k := make([]byte, 0, len(valuePrefix)+len(key))
	return append(append(k, valuePrefix...), key...)
}

// slicePrefix returns "t/<slice start>/" of the slice t falls in.
func (s *Store) slicePrefix(t hlc.NTP64) []byte {
	return s.appendSlicePrefix(make([]byte, 0, len(indexPrefix)+9), t)
}

func (s *Store) appendSlicePrefix(dst []byte, t hlc.NTP64) []byte {
	dst = append(dst, indexPrefix...)
	dst = binary.BigEndian.AppendUint64(dst, uint64(s.SliceStart(t)))
	return append(dst, '/')
}

// indexKey appends "t/<slice start>/<key>" of an event of key at time t
// to dst.
func (s *Store) indexKey(dst []byte, key string, t hlc.NTP64) []byte {
	return append(s.appendSlicePrefix(dst, t), key...)
}

const (
	recordVersion = 1
	maxSchema     = 255
	maxIDLen      = 16
)

// appendRecord appends the value record of ev to dst (layout in doc.go).
func appendRecord(dst []byte, ev *Event) []byte {
	dst = appendEntry(dst, ev.Kind, ev.TS)
	dst = binary.AppendUvarint(dst, uint64(ev.Encoding.ID))
	dst = binary.AppendUvarint(dst, uint64(len(ev.Encoding.Schema)))
	dst = append(dst, ev.Encoding.Schema...)
	if ev.Kind == codec.MidPut {
		dst = append(dst, ev.Payload...)
	}
	return dst
}

// appendEntry appends an index entry: version, kind and timestamp.
func appendEntry(dst []byte, kind byte, ts hlc.Timestamp) []byte {
	dst = append(dst, recordVersion, kind)
	dst = binary.BigEndian.AppendUint64(dst, uint64(ts.Time))
	dst = append(dst, byte(ts.ID.Len()))
	return ts.ID.AppendWire(dst)
}

// itemEntry decodes the index-entry prefix of an item's value (an index
// entry, or a value record's head), without copying it.
func itemEntry(item *badger.Item) (kind byte, ts hlc.Timestamp, err error) {
	err = item.Value(func(v []byte) error {
		kind, ts, err = decodeEntry(v)
		return err
	})
	return kind, ts, err
}

// decodeEntry decodes the index-entry prefix of src.
func decodeEntry(src []byte) (kind byte, ts hlc.Timestamp, err error) {
	kind, ts, _, err = decodeHead(src)
	return kind, ts, err
}

func decodeHead(src []byte) (kind byte, ts hlc.Timestamp, n int, err error) {
	if len(src) < 11 {
		return 0, ts, 0, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(src))
	}
	if src[0] != recordVersion {
		return 0, ts, 0, fmt.Errorf("%w: version %d", ErrCorrupt, src[0])
	}
	kind = src[1]
	if kind != codec.MidPut && kind != codec.MidDel {
		return 0, ts, 0, fmt.Errorf("%w: kind %#x", ErrCorrupt, kind)
	}
	ts.Time = hlc.NTP64(binary.BigEndian.Uint64(src[2:10]))
	idLen := int(src[10])
	if idLen == 0 || idLen > maxIDLen || len(src) < 11+idLen {
		return 0, ts, 0, fmt.Errorf("%w: id of %d bytes", ErrCorrupt, idLen)
	}
	ts.ID, err = hlc.IDFromBytes(src[11 : 11+idLen])
	if err != nil {
		return 0, ts, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return kind, ts, 11 + idLen, nil
}

// decodeRecord decodes a value record; the event aliases src. Key is left
// empty.
func decodeRecord(src []byte) (Event, error) {
	var ev Event
	kind, ts, n, err := decodeHead(src)
	if err != nil {
		return ev, err
	}
	ev.Kind, ev.TS = kind, ts
	id, m := binary.Uvarint(src[n:])
	if m <= 0 || id > math.MaxUint16 {
		return Event{}, fmt.Errorf("%w: encoding id at offset %d", ErrCorrupt, n)
	}
	n += m
	ev.Encoding.ID = uint16(id)
	sl, m := binary.Uvarint(src[n:])
	if m <= 0 || sl > maxSchema || uint64(len(src)-n-m) < sl {
		return Event{}, fmt.Errorf("%w: schema length at offset %d", ErrCorrupt, n)
	}
	n += m
	if sl > 0 {
		ev.Encoding.Schema = src[n : n+int(sl) : n+int(sl)]
		n += int(sl)
	}
	if kind == codec.MidDel {
		if n != len(src) {
			return Event{}, fmt.Errorf("%w: tombstone with %d payload bytes", ErrCorrupt, len(src)-n)
		}
		return ev, nil
	}
	ev.Payload = src[n:len(src):len(src)]
	return ev, nil
}

// slogAdapter routes badger's logs to a *slog.Logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if !a.l.Enabled(ctx, level) {
		return
	}
	a.l.Log(ctx, level, strings.TrimRight(fmt.Sprintf(format, args...), "\n"), "component", "badger")
}

func (a slogAdapter) Errorf(f string, v ...any)   { a.log(slog.LevelError, f, v) }
func (a slogAdapter) Warningf(f string, v ...any) { a.log(slog.LevelWarn, f, v) }
func (a slogAdapter) Infof(f string, v ...any)    { a.log(slog.LevelDebug, f, v) } // badger is chatty at info
func (a slogAdapter) Debugf(f string, v ...any)   { a.log(slog.LevelDebug, f, v) }
