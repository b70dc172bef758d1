package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// WindowOptions configure a WindowStore.
type WindowOptions struct {
	SegmentOptions
	// RetainDuplicates keeps every value put for the same key and window
	// start instead of overwriting, as the windows of a stream-stream join
	// need. Each put gets a sequence number; deletes are ignored.
	RetainDuplicates bool
	// CacheBytes bounds the in-memory index that answers single-key
	// fetches of the segments a store retaining duplicates wrote (see
	// windowcache.go). Zero means DefaultWindowCacheBytes; negative
	// disables it. A read-only window store has none.
	CacheBytes int64
}

// WindowStore keeps values by (key, window start), with Kafka Streams'
// WindowStore semantics: fetches are inclusive of both time bounds, stream
// time is the largest window start put, and windows that start at or before
// stream time minus retention are dropped on put and invisible to fetches.
//
// A WindowStore is a thin layer over one store view and caches the store's
// stream time (and, when it retains duplicates, indexes the segments it
// writes; see windowcache.go), so every write to the store must go through
// the same WindowStore. Over a batch view it lives as long as the batch: it notices
// when the batch drops uncommitted writes (Epocher) and reloads. It is
// cheap to build (the metadata is read lazily) and not safe for concurrent
// use.
type WindowStore struct {
	seg   segmented
	dups  bool
	cache windowCache
}

// NewWindowStore returns a window store over r. If r is also a Writer (a
// batch view, or a Store), the window store accepts writes; otherwise, as
// over a snapshot, writes fail with ErrReadOnly.
func NewWindowStore(r Reader, opts WindowOptions) (*WindowStore, error) {
	seg, err := newSegmented(r, opts.SegmentOptions)
	if err != nil {
		return nil, err
	}
	limit := opts.CacheBytes
	if limit == 0 {
		limit = DefaultWindowCacheBytes
	}
	if seg.w == nil || !opts.RetainDuplicates {
		limit = 0
	}
	s := &WindowStore{seg: seg, dups: opts.RetainDuplicates, cache: newWindowCache(limit)}
	s.seg.onLoad = func() {
		// Only the segments after stream time's are known to be empty.
		from := int64(math.MinInt64)
		if s.seg.streamTime != noTime {
			from = s.seg.segment(s.seg.streamTime) + 1
		}
		s.cache.reset(from)
	}
	s.seg.onExpire = s.cache.expire
	return s, nil
}

// recordKey encodes a record's key into the store's key buffer, valid
// until the next call: writers copy keys, and Get does not keep them.
func (s *WindowStore) recordKey(key []byte, start int64, seq uint64, withSeq bool) []byte {
	k := appendTime(append(s.seg.keyBuf[:0], tagData), s.seg.segment(start))
	k = appendKey(k, key)
	k = appendTime(k, start)
	if withSeq {
		k = binary.BigEndian.AppendUint64(k, seq)
	}
	s.seg.keyBuf = k
	return k
}

// Put stores value for key in the window starting at start. A nil value
// deletes the window (and is ignored when duplicates are retained). A window
// that has already expired is not written, and Put returns an error wrapping
// ErrExpired.
func (s *WindowStore) Put(key []byte, start int64, value []byte) error {
	if value == nil && s.dups {
		return nil
	}
	if err := s.seg.observe(start, s.dups); err != nil {
		return err
	}
	k := s.recordKey(key, start, s.seg.seq, s.dups)
	if value == nil {
		return s.seg.w.Delete(k)
	}
	if err := s.seg.w.Put(k, value); err != nil {
		// The write may or may not have reached the view: stop trusting
		// the index until the batch drops its writes and the metadata
		// reloads.
		s.cache.reset(math.MaxInt64)
		return err
	}
	if s.dups {
		s.cache.put(s.seg.segment(start), key, start, s.seg.seq, value)
	}
	return nil
}

// Get returns the value of key in the window starting at start (the first
// one, when duplicates are retained), or an error wrapping ErrNotFound.
func (s *WindowStore) Get(key []byte, start int64) ([]byte, error) {
	if !s.dups {
		if _, _, _, ok, err := s.seg.span(start, start); err != nil || !ok {
			if err == nil {
				err = ErrNotFound
			}
			return nil, err
		}
		return s.seg.r.Get(s.recordKey(key, start, 0, false))
	}
	it, err := s.Fetch(key, start, start)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if it.Next() {
		return bytes.Clone(it.Value()), nil
	}
	if err := it.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNotFound
}

// Fetch iterates the windows of key that start in [from, to], in start
// order (and insertion order among duplicates).
func (s *WindowStore) Fetch(key []byte, from, to int64) (*WindowIterator, error) {
	return s.fetch(key, key, from, to, false, true)
}

// FetchBackward is Fetch in reverse order.
func (s *WindowStore) FetchBackward(key []byte, from, to int64) (*WindowIterator, error) {
	return s.fetch(key, key, from, to, true, true)
}

// FetchRange iterates the windows of keys in [keyFrom, keyTo] (nil bounds
// are open) that start in [from, to]. The order is by segment of the window
// start, then key, then start: exact time order only within one key.
func (s *WindowStore) FetchRange(keyFrom, keyTo []byte, from, to int64) (*WindowIterator, error) {
	return s.fetch(keyFrom, keyTo, from, to, false, false)
}

// FetchRangeBackward is FetchRange in reverse order.
func (s *WindowStore) FetchRangeBackward(keyFrom, keyTo []byte, from, to int64) (*WindowIterator, error) {
	return s.fetch(keyFrom, keyTo, from, to, true, false)
}

// FetchAll iterates every window that starts in [from, to], ordered as in
// FetchRange.
func (s *WindowStore) FetchAll(from, to int64) (*WindowIterator, error) {
	return s.fetch(nil, nil, from, to, false, false)
}

// FetchAllBackward is FetchAll in reverse order.
func (s *WindowStore) FetchAllBackward(from, to int64) (*WindowIterator, error) {
	return s.fetch(nil, nil, from, to, true, false)
}

// StreamTime returns the largest window start put, and false if none was.
func (s *WindowStore) StreamTime() (int64, bool, error) { return s.seg.StreamTime() }

func (s *WindowStore) fetch(keyFrom, keyTo []byte, from, to int64, reverse, single bool) (*WindowIterator, error) {
	first, last, from, ok, err := s.seg.span(from, to)
	if err != nil {
		return nil, fmt.Errorf("state: window fetch: %w", err)
	}
	it := &WindowIterator{from: from, to: to, dups: s.dups}
	if !ok {
		it.segs.done = true
		return it, nil
	}
	it.segs = segIter{r: s.seg.r, next: first, last: last, reverse: reverse,
		single: single, keyFrom: keyFrom, keyTo: keyTo, timeFrom: from, timeTo: to, hasTimeTo: true}
	if reverse {
		it.segs.next, it.segs.last = last, first
	}
	if single {
		it.segs.mem, it.segs.memKey, it.segs.memFrom, it.segs.memTo = &s.cache, keyFrom, from, to
	}
	return it, nil
}

// WindowIterator walks the windows a fetch selected. Key and Value are
// valid until the next call to Next.
type WindowIterator struct {
	segs     segIter
	from, to int64
	dups     bool
	key      []byte
	keyBuf   []byte // reused for keys that hold escape bytes
	start    int64
	err      error
}

// Next advances to the next window and reports whether there is one.
func (it *WindowIterator) Next() bool {
	for it.err == nil && it.segs.advance() {
		if it.segs.onMem {
			it.key, it.start = it.segs.memKey, it.segs.row().start
			return true
		}
		raw := it.segs.cur.Key()
		key, rest, err := decodeKeyInto(&it.keyBuf, raw[9:])
		if err != nil {
			it.err = err
			return false
		}
		start, rest, err := decodeTime(rest)
		if err != nil {
			it.err = err
			return false
		}
		if (it.dups && len(rest) != 8) || (!it.dups && len(rest) != 0) {
			it.err = fmt.Errorf("%w: %d trailing bytes", errBadKey, len(rest))
			return false
		}
		// A multi-key scan covers whole segments; drop the windows
		// outside the time range here.
		if start < it.from || start > it.to {
			continue
		}
		it.key, it.start = key, start
		return true
	}
	return false
}

// Key returns the record key of the current window.
func (it *WindowIterator) Key() []byte { return it.key }

// Start returns the start of the current window.
func (it *WindowIterator) Start() int64 { return it.start }

// Value returns the value of the current window.
func (it *WindowIterator) Value() []byte {
	if it.segs.onMem {
		return it.segs.row().value
	}
	return it.segs.cur.Value()
}

// Err returns the error that stopped the iteration, if any.
func (it *WindowIterator) Err() error { return errors.Join(it.err, it.segs.err) }

// Close releases the iterator and returns Err().
func (it *WindowIterator) Close() error {
	_ = it.segs.close()
	return it.Err()
}
