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

// Batch is an indexed Pebble batch: reads through its views merge its own
// writes over the committed data, and Commit applies everything, checkpoints
// included, as one Pebble batch.
type Batch struct {
	db     *DB
	b      *pebble.Batch
	views  map[*Store]*batchView
	ckpts  map[*Store]int64
	closed bool
	// iters counts the open iterators reading the batch: Pebble's batch
	// memory must not be reset or released under them.
	iters atomic.Int64
	// epoch counts the times uncommitted writes were dropped.
	epoch uint64
}

var _ state.Batch = (*Batch)(nil)

// NewBatch returns an empty batch. The caller must Close it. On a closed
// DB the batch fails every call with state.ErrClosed.
func (db *DB) NewBatch() state.Batch {
	b := &Batch{
		db:    db,
		views: make(map[*Store]*batchView),
		ckpts: make(map[*Store]int64),
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		b.closed = true
		return b
	}
	db.open.Add(1)
	b.b = db.pdb.NewIndexedBatch()
	return b
}

// Store returns the batch's view of s. A handle from another DB yields a
// view whose every call fails with state.ErrForeignStore.
func (b *Batch) Store(s state.Store) state.ReadWriter {
	ps, ok := s.(*Store)
	if !ok || ps.db != b.db {
		return foreignView{}
	}
	v, ok := b.views[ps]
	if !ok {
		v = &batchView{b: b, s: ps}
		v.keep = v.keepIter
		v.cache.limit = b.db.opts.ViewCacheBytes
		v.cache.gen = ps.gen.Load()
		b.views[ps] = v
	}
	return v
}

// SetCheckpoint records the changelog offset s reflects once b commits.
func (b *Batch) SetCheckpoint(s state.Store, offset int64) error {
	if b.closed {
		return state.ErrClosed
	}
	ps, ok := s.(*Store)
	if !ok || ps.db != b.db {
		return state.ErrForeignStore
	}
	if ps.dropped.Load() {
		return fmt.Errorf("pebblestore: checkpoint %q: %w", ps.name, state.ErrStoreDropped)
	}
	b.ckpts[ps] = offset
	return nil
}

// Empty reports whether the batch holds no writes and no checkpoints.
func (b *Batch) Empty() bool { return b.closed || (b.b.Empty() && len(b.ckpts) == 0) }

// Commit applies the batch's writes and checkpoints atomically. Whether it
// succeeds or fails, the batch is empty afterwards; on failure nothing was
// applied, and the task restores from the last committed checkpoint.
func (b *Batch) Commit(sync bool) error {
	if b.closed {
		return state.ErrClosed
	}
	if n := b.iters.Load(); n > 0 {
		return fmt.Errorf("pebblestore: commit with %d open iterators on the batch", n)
	}
	// A kept iterator sees neither what the commit applies nor the reset
	// batch; it must not outlive the batch's data either.
	b.closeSpares()
	err := b.commit(sync)
	b.reset(err != nil)
	return err
}

func (b *Batch) commit(sync bool) error {
	if b.Empty() {
		return nil
	}
	// The shared lock keeps DropStore out between the dropped check and
	// the apply, so a commit never writes under a dropped store's prefix.
	b.db.mu.RLock()
	defer b.db.mu.RUnlock()
	for s, v := range b.views {
		if v.written && s.dropped.Load() {
			return fmt.Errorf("pebblestore: commit: store %q: %w", s.name, state.ErrStoreDropped)
		}
	}
	var val [8]byte
	for s, off := range b.ckpts {
		if s.dropped.Load() {
			return fmt.Errorf("pebblestore: commit: store %q: %w", s.name, state.ErrStoreDropped)
		}
		binary.BigEndian.PutUint64(val[:], uint64(off))
		if err := b.b.Set(ckptKey(s.id), val[:], nil); err != nil {
			return fmt.Errorf("pebblestore: commit: checkpoint %q: %w", s.name, err)
		}
	}
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := b.b.Commit(wo); err != nil {
		return fmt.Errorf("pebblestore: commit: %w", err)
	}
	for s, v := range b.views {
		if v.written {
			// The view's cache holds what this commit wrote; it stays
			// valid unless another writer committed meanwhile.
			if n := s.gen.Add(1); v.cache.gen == n-1 {
				v.cache.gen = n
			}
		}
	}
	b.db.ckMu.Lock()
	for s, off := range b.ckpts {
		b.db.checkpoints[s.id] = off
	}
	b.db.ckMu.Unlock()
	return nil
}

// Discard drops the uncommitted writes; views stay valid.
func (b *Batch) Discard() error {
	if b.closed {
		return state.ErrClosed
	}
	if n := b.iters.Load(); n > 0 {
		return fmt.Errorf("pebblestore: discard with %d open iterators on the batch", n)
	}
	b.closeSpares()
	b.reset(true)
	return nil
}

// reset empties the batch for reuse. Dropping writes that were never
// committed starts a new epoch, so that layers caching what they wrote
// (window and session stores) reload from the store.
func (b *Batch) reset(dropped bool) {
	b.b.Reset()
	clear(b.ckpts)
	for _, v := range b.views {
		v.written = false
		if dropped {
			v.cache.clear()
		}
	}
	if dropped {
		b.epoch++
	}
}

// Epoch implements state.Epocher for the batch's views.
func (v *batchView) Epoch() uint64 { return v.b.epoch }

// Close releases the batch without committing it.
func (b *Batch) Close() error {
	if b.closed {
		return nil
	}
	if n := b.iters.Load(); n > 0 {
		return fmt.Errorf("pebblestore: close with %d open iterators on the batch", n)
	}
	b.closeSpares()
	b.closed = true
	b.db.open.Add(-1)
	if err := b.b.Close(); err != nil {
		return fmt.Errorf("pebblestore: close batch: %w", err)
	}
	return nil
}

// closeSpares closes the Pebble iterators the views keep for reuse.
func (b *Batch) closeSpares() {
	for _, v := range b.views {
		v.dropSpare()
	}
}

// batchView reads and writes one store inside a batch. It reuses one key
// buffer: Pebble copies keys into the batch, so the buffer is free again as
// soon as a call returns.
//
// It also keeps the Pebble iterator of its last closed iterator: opening a
// Pebble iterator loads every level's files and index blocks, which cost a
// stream-stream join most of its CPU when every probe opened one per time
// segment. Repositioning a kept one with SetOptions refreshes its view of
// the batch and keeps what it has loaded. It is valid until the batch
// commits, discards or closes, or another writer commits to the store.
type batchView struct {
	b       *Batch
	s       *Store
	buf     []byte
	written bool

	spare    *pebble.Iterator
	spareGen uint64 // s.gen when spare was opened
	keep     func(*pebble.Iterator, uint64) bool

	cache viewCache
}

func (v *batchView) dropSpare() {
	if v.spare == nil {
		return
	}
	// A kept iterator had no error when kept, and closing it only releases
	// memory; its error, if any, was already reported.
	_ = v.spare.Close()
	v.spare = nil
	v.b.db.open.Add(-1)
}

// keepIter takes back a closed iterator's Pebble iterator for reuse.
func (v *batchView) keepIter(pit *pebble.Iterator, gen uint64) bool {
	if v.spare != nil || v.b.closed || v.s.gen.Load() != gen {
		return false
	}
	v.spare, v.spareGen = pit, gen
	return true
}

func (v *batchView) check() error {
	if v.b.closed {
		return state.ErrClosed
	}
	if v.s.dropped.Load() {
		return fmt.Errorf("pebblestore: store %q: %w", v.s.name, state.ErrStoreDropped)
	}
	return nil
}

func (v *batchView) Get(key []byte) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	cached := v.cache.valid(v.s.gen.Load())
	if cached {
		if val, present, known := v.cache.get(key); known {
			if !present {
				return nil, state.ErrNotFound
			}
			return append(make([]byte, 0, len(val)), val...), nil
		}
	}
	v.buf = v.s.key(v.buf, key)
	val, err := get(v.b.b, v.s, v.buf)
	if cached {
		switch {
		case err == nil:
			v.cache.set(key, val, true)
		case errors.Is(err, state.ErrNotFound):
			v.cache.set(key, nil, false)
		}
	}
	return val, err
}

// maxBatchBytes keeps a batch well under Pebble's 4 GiB limit, at which
// Pebble panics rather than returning an error.
const maxBatchBytes = 3 << 30

func (v *batchView) Put(key, value []byte) error {
	if err := v.check(); err != nil {
		return err
	}
	if v.b.b.Len()+len(key)+len(value) > maxBatchBytes {
		return fmt.Errorf("pebblestore: put in store %q: batch over %d bytes; commit more often", v.s.name, maxBatchBytes)
	}
	v.buf = v.s.key(v.buf, key)
	v.written = true
	if err := v.b.b.Set(v.buf, value, nil); err != nil {
		v.cache.clear()
		return v.s.wrap("put", err)
	}
	if v.cache.valid(v.s.gen.Load()) {
		v.cache.update(key, value, true)
	}
	return nil
}

func (v *batchView) Delete(key []byte) error {
	if err := v.check(); err != nil {
		return err
	}
	v.buf = v.s.key(v.buf, key)
	v.written = true
	if err := v.b.b.Delete(v.buf, nil); err != nil {
		v.cache.clear()
		return v.s.wrap("delete", err)
	}
	if v.cache.valid(v.s.gen.Load()) {
		v.cache.update(key, nil, false)
	}
	return nil
}

func (v *batchView) DeleteRange(start, end []byte) error {
	if err := v.check(); err != nil {
		return err
	}
	lo, hi := v.s.bounds(start, end)
	if bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	v.written = true
	v.cache.clear()
	return v.s.wrap("delete range", v.b.b.DeleteRange(lo, hi, nil))
}

func (v *batchView) NewIter(o state.IterOptions) (state.Iterator, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	lo, hi := iterBounds(v.s, o)
	opts := pebble.IterOptions{LowerBound: lo, UpperBound: hi}
	if v.spare != nil && v.s.gen.Load() != v.spareGen {
		v.dropSpare()
	}
	pit, gen := v.spare, v.spareGen
	if pit != nil {
		v.spare = nil
		pit.SetOptions(&opts)
	} else {
		gen = v.s.gen.Load()
		var err error
		if pit, err = v.b.b.NewIter(&opts); err != nil {
			return nil, v.s.wrap("iterate", err)
		}
		v.b.db.open.Add(1)
	}
	v.b.iters.Add(1)
	return &iter{db: v.b.db, owner: &v.b.iters, it: pit, strip: len(v.s.prefix), reverse: o.Reverse, keep: v.keep, gen: gen}, nil
}

// foreignView fails every call: it stands for a store handle that does not
// belong to the batch's or snapshot's DB.
type foreignView struct{}

func (foreignView) Get([]byte) ([]byte, error)    { return nil, state.ErrForeignStore }
func (foreignView) Put(_, _ []byte) error         { return state.ErrForeignStore }
func (foreignView) Delete([]byte) error           { return state.ErrForeignStore }
func (foreignView) DeleteRange(_, _ []byte) error { return state.ErrForeignStore }
func (foreignView) NewIter(state.IterOptions) (state.Iterator, error) {
	return nil, state.ErrForeignStore
}
