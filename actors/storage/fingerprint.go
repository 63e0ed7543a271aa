package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cespare/xxhash/v2"
	badger "github.com/dgraph-io/badger/v4"

	"github.com/gozenoh/zenoh/codec"
	"github.com/gozenoh/zenoh/hlc"
)

// Fingerprint returns the fingerprint of an event: xxhash64 of its key, a
// zero byte, its time (8 bytes, big-endian), its ZenohId (wire bytes) and
// its kind. The fingerprint of a set of events is the XOR of theirs, so
// it does not depend on order and follows a replacement with two XORs.
func Fingerprint(key string, ts hlc.Timestamp, kind byte) uint64 {
	var buf [96]byte
	b := buf[:0]
	if len(key)+27 > len(buf) {
		b = make([]byte, 0, len(key)+27)
	}
	b = append(b, key...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, uint64(ts.Time))
	b = ts.ID.AppendWire(b)
	b = append(b, kind)
	return xxhash.Sum64(b)
}

const (
	fpPrefix  = "f/" // f/<slice start> → XOR of the slice's event fingerprints
	totalKey  = "m/total"
	layoutKey = "m/layout"
	// layoutVersion is the version of the key layout (v/, t/, f/, m/).
	layoutVersion = 1
)

// fpDelta accumulates, per slice start, the XOR to apply to the slice's
// fingerprint.
type fpDelta map[hlc.NTP64]uint64

func (s *Store) flip(d fpDelta, key string, ts hlc.Timestamp, kind byte) {
	d[s.SliceStart(ts.Time)] ^= Fingerprint(key, ts, kind)
}

func (s *Store) fpKey(start hlc.NTP64) []byte {
	k := make([]byte, 0, len(fpPrefix)+8)
	return binary.BigEndian.AppendUint64(append(k, fpPrefix...), uint64(start))
}

// writeFingerprints adds to wb the fingerprints of the slices in d and
// the total, updated from what txn reads.
func (s *Store) writeFingerprints(txn *badger.Txn, wb *badger.WriteBatch, d fpDelta) error {
	var all uint64 // XOR of every change: the total's
	changed := false
	for start, x := range d {
		if x == 0 {
			continue
		}
		changed = true
		all ^= x
		if err := s.xorU64(txn, wb, s.fpKey(start), x); err != nil {
			return err
		}
	}
	if !changed {
		return nil
	}
	return s.xorU64(txn, wb, []byte(totalKey), all)
}

// xorU64 writes into wb the 8-byte value of k, as txn reads it, XOR x;
// a value that becomes 0 is deleted.
func (s *Store) xorU64(txn *badger.Txn, wb *badger.WriteBatch, k []byte, x uint64) error {
	cur, err := readU64(txn, k)
	if err != nil {
		return err
	}
	if cur ^= x; cur == 0 {
		err = wb.Delete(k)
	} else {
		err = wb.Set(k, binary.BigEndian.AppendUint64(nil, cur))
	}
	if err != nil {
		return fmt.Errorf("storage: write batch: %w", err)
	}
	return nil
}

// readU64 reads an 8-byte big-endian value; a missing key reads 0.
func readU64(txn *badger.Txn, k []byte) (uint64, error) {
	item, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: get %q: %w", k, err)
	}
	return itemU64(item)
}

// itemU64 decodes an item's 8-byte big-endian value.
func itemU64(item *badger.Item) (uint64, error) {
	var v uint64
	err := item.Value(func(b []byte) error {
		if len(b) != 8 {
			return fmt.Errorf("%w: %q holds %d bytes", ErrCorrupt, item.Key(), len(b))
		}
		v = binary.BigEndian.Uint64(b)
		return nil
	})
	return v, err
}

// SliceFingerprints calls fn, in increasing order of start, with the
// fingerprint of every slice whose start is in [from, to) (to == 0: no
// upper bound) and that holds events, until fn returns false. It reads
// one small record per slice, never the events.
func (s *Store) SliceFingerprints(from, to hlc.NTP64, fn func(start hlc.NTP64, fp uint64) bool) error {
	if to == 0 {
		to = math.MaxUint64
	}
	prefix := []byte(fpPrefix)
	return s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Seek(s.fpKey(from)); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			k := item.Key()
			if len(k) != len(fpPrefix)+8 {
				return fmt.Errorf("%w: fingerprint key %q", ErrCorrupt, k)
			}
			start := hlc.NTP64(binary.BigEndian.Uint64(k[len(fpPrefix):]))
			if start >= to {
				return nil
			}
			fp, err := itemU64(item)
			if err != nil {
				return err
			}
			if fp != 0 && !fn(start, fp) {
				return nil
			}
		}
		return nil
	})
}

// TotalFingerprint returns the XOR of the fingerprints of every stored
// event (tombstones included).
func (s *Store) TotalFingerprint() (uint64, error) {
	var total uint64
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		total, err = readU64(txn, []byte(totalKey))
		return err
	})
	return total, err
}

// Values calls fn with the stored event (tombstones included) of each of
// keys that has one, in the order of keys, until fn returns false. fn owns
// the events.
func (s *Store) Values(keys []string, fn func(Event) bool) error {
	return s.db.View(func(txn *badger.Txn) error {
		for _, k := range keys {
			ev, ok, err := latest(txn, k)
			if err != nil {
				return err
			}
			if ok && !fn(ev) {
				return nil
			}
		}
		return nil
	})
}

// checkLayout makes the index and the fingerprints agree with the store's
// slice width: a new store records its layout; a store written with
// another width, or before fingerprints existed, has both rebuilt from
// its value records.
func (s *Store) checkLayout() error {
	var layout []byte
	var hasValues bool
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get([]byte(layoutKey))
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			if layout, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(valuePrefix)})
		defer it.Close()
		it.Rewind()
		hasValues = it.Valid()
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: reading the layout: %w", err)
	}
	want := s.layoutRecord()
	switch {
	case string(layout) == string(want):
		return nil
	case layout == nil && !hasValues:
		return s.db.Update(func(txn *badger.Txn) error { return txn.Set([]byte(layoutKey), want) })
	}
	return s.rebuild()
}

func (s *Store) layoutRecord() []byte {
	return binary.BigEndian.AppendUint64([]byte{layoutVersion}, uint64(s.width))
}

// rebuild drops the time index and the fingerprints and writes them again
// from the value records, then records the layout.
func (s *Store) rebuild() error {
	if err := s.db.DropPrefix([]byte(indexPrefix), []byte(fpPrefix), []byte(totalKey)); err != nil {
		return fmt.Errorf("storage: rebuilding the index: %w", err)
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	d := fpDelta{}
	n := 0
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(valuePrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 100})
		defer it.Close()
		for it.Rewind(); it.ValidForPrefix(prefix); it.Next() {
			item := it.Item()
			key := string(item.Key()[len(valuePrefix):])
			kind, ts, err := itemEntry(item)
			if err != nil {
				return fmt.Errorf("%w (key %q)", err, key)
			}
			if err := wb.Set(s.indexKey(nil, key, ts.Time), appendEntry(nil, kind, ts)); err != nil {
				return err
			}
			if kind == codec.MidDel {
				s.minTomb = min(s.minTomb, ts.Time)
			}
			s.flip(d, key, ts, kind)
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: rebuilding the index: %w", err)
	}
	if err := s.db.View(func(txn *badger.Txn) error {
		return s.writeFingerprints(txn, wb, d)
	}); err != nil {
		return fmt.Errorf("storage: rebuilding the index: %w", err)
	}
	if err := wb.Set([]byte(layoutKey), s.layoutRecord()); err != nil {
		return fmt.Errorf("storage: rebuilding the index: %w", err)
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("storage: rebuilding the index: %w", err)
	}
	if s.logger != nil {
		s.logger.Info("storage: time index and fingerprints rebuilt", "keys", n)
	}
	return nil
}
