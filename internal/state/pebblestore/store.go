package pebblestore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sluicedb/sluice/internal/state"
)

// Store is a handle on one store: its name and key prefix.
type Store struct {
	db      *DB
	name    string
	id      uint32
	prefix  []byte // tagData + id
	end     []byte // first key after the prefix
	dropped atomic.Bool
	// gen counts committed writes to the store, so a batch view knows
	// when the Pebble iterator it keeps for reuse no longer sees the
	// committed data.
	gen atomic.Uint64
}

var _ state.Store = (*Store)(nil)

func newStore(db *DB, name string, id uint32) *Store {
	p := binary.BigEndian.AppendUint32([]byte{tagData}, id)
	e := binary.BigEndian.AppendUint32([]byte{tagData}, id+1)
	if id == ^uint32(0) {
		e = []byte{tagData + 1}
	}
	return &Store{db: db, name: name, id: id, prefix: p, end: e}
}

// Name returns the store's name.
func (s *Store) Name() string { return s.name }

// enter admits a direct call on the store: the DB must be open and the
// store not dropped. The caller must call db.mu.RUnlock when it returns nil.
func (s *Store) enter() error {
	s.db.mu.RLock()
	if s.db.closed {
		s.db.mu.RUnlock()
		return state.ErrClosed
	}
	if s.dropped.Load() {
		s.db.mu.RUnlock()
		return fmt.Errorf("pebblestore: store %q: %w", s.name, state.ErrStoreDropped)
	}
	return nil
}

// Get returns a copy of the committed value of key.
func (s *Store) Get(key []byte) ([]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.db.mu.RUnlock()
	return get(s.db.pdb, s, s.key(nil, key))
}

// Put writes key directly, unsynced.
func (s *Store) Put(key, value []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.db.mu.RUnlock()
	defer s.gen.Add(1)
	return s.wrap("put", s.db.pdb.Set(s.key(nil, key), value, pebble.NoSync))
}

// Delete removes key directly, unsynced.
func (s *Store) Delete(key []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.db.mu.RUnlock()
	defer s.gen.Add(1)
	return s.wrap("delete", s.db.pdb.Delete(s.key(nil, key), pebble.NoSync))
}

// DeleteRange removes [start, end) directly, unsynced.
func (s *Store) DeleteRange(start, end []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.db.mu.RUnlock()
	lo, hi := s.bounds(start, end)
	if bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	defer s.gen.Add(1)
	return s.wrap("delete range", s.db.pdb.DeleteRange(lo, hi, pebble.NoSync))
}

// NewIter iterates the committed data. The iterator sees a point-in-time
// view: later writes are not visible to it.
func (s *Store) NewIter(opts state.IterOptions) (state.Iterator, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.db.mu.RUnlock()
	return newIter(s.db, s.db.pdb, s, opts, nil)
}

// ApproximateSize returns the store's flushed bytes on disk.
func (s *Store) ApproximateSize() (uint64, error) {
	if err := s.enter(); err != nil {
		return 0, err
	}
	defer s.db.mu.RUnlock()
	n, err := s.db.pdb.EstimateDiskUsage(s.prefix, s.end)
	return n, s.wrap("size", err)
}

func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pebblestore: %s in store %q: %w", op, s.name, err)
}

// key appends the store's prefix and k to dst.
func (s *Store) key(dst, k []byte) []byte {
	dst = append(dst[:0], s.prefix...)
	return append(dst, k...)
}

// bounds maps a store range [start, end), nil meaning open, to Pebble keys.
func (s *Store) bounds(start, end []byte) (lo, hi []byte) {
	lo, hi = s.prefix, s.end
	if start != nil {
		lo = s.key(nil, start)
	}
	if end != nil {
		hi = s.key(nil, end)
	}
	return lo, hi
}

func get(r pebble.Reader, s *Store, key []byte) ([]byte, error) {
	v, closer, err := r.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, state.ErrNotFound
	}
	if err != nil {
		return nil, s.wrap("get", err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	return out, s.wrap("get", closer.Close())
}

// iter adapts a Pebble iterator to state.Iterator: it strips the store
// prefix and turns the first Next into First or Last.
type iter struct {
	db      *DB
	owner   *atomic.Int64
	it      *pebble.Iterator
	strip   int
	reverse bool
	started bool
	closed  bool
	// keep, if set, takes the Pebble iterator back on Close for reuse and
	// reports whether it did; otherwise Close closes it. gen is the
	// store's generation the Pebble iterator was opened at.
	keep func(it *pebble.Iterator, gen uint64) bool
	gen  uint64
}

// iterBounds maps iterator options on s to Pebble bounds.
func iterBounds(s *Store, o state.IterOptions) (lo, hi []byte) {
	lo, hi = s.bounds(o.Start, o.End)
	if o.Prefix != nil {
		plo := s.key(nil, o.Prefix)
		if bytes.Compare(plo, lo) > 0 {
			lo = plo
		}
		phi := prefixEnd(plo)
		if bytes.Compare(phi, hi) < 0 {
			hi = phi
		}
	}
	if bytes.Compare(lo, hi) > 0 {
		hi = lo
	}
	return lo, hi
}

// newIter opens an iterator over s in r. If owner is non-nil (a batch's
// iterator), owner counts it, so the batch is not reset under it.
func newIter(db *DB, r pebble.Reader, s *Store, o state.IterOptions, owner *atomic.Int64) (state.Iterator, error) {
	lo, hi := iterBounds(s, o)
	pit, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, s.wrap("iterate", err)
	}
	db.open.Add(1)
	if owner != nil {
		owner.Add(1)
	}
	return &iter{db: db, owner: owner, it: pit, strip: len(s.prefix), reverse: o.Reverse}, nil
}

func (i *iter) Next() bool {
	if i.closed {
		return false
	}
	if !i.started {
		i.started = true
		if i.reverse {
			return i.it.Last()
		}
		return i.it.First()
	}
	if i.reverse {
		return i.it.Prev()
	}
	return i.it.Next()
}

func (i *iter) Key() []byte {
	if i.closed || !i.it.Valid() {
		return nil
	}
	return i.it.Key()[i.strip:]
}

func (i *iter) Value() []byte {
	if i.closed || !i.it.Valid() {
		return nil
	}
	return i.it.Value()
}

func (i *iter) Err() error {
	if i.closed {
		return nil
	}
	return i.it.Error()
}

func (i *iter) Close() error {
	if i.closed {
		return nil
	}
	i.closed = true
	if i.owner != nil {
		i.owner.Add(-1)
	}
	if i.keep != nil && i.it.Error() == nil && i.keep(i.it, i.gen) {
		// Still counted in db.open: the batch closes it.
		return nil
	}
	i.db.open.Add(-1)
	if err := i.it.Close(); err != nil {
		return fmt.Errorf("pebblestore: iterator: %w", err)
	}
	return nil
}

// prefixEnd returns the first key after every key with prefix p. Store
// prefixes never end in 0xFF bytes only, so a bound always exists here.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
