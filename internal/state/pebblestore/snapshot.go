package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/sluicedb/sluice/internal/state"
)

// Snapshot is a Pebble snapshot: every store as of one instant.
type Snapshot struct {
	db     *DB
	snap   *pebble.Snapshot
	closed atomic.Bool
}

var _ state.Snapshot = (*Snapshot)(nil)

// NewSnapshot returns a consistent view of all stores. The caller must
// Close it; an open snapshot pins old data and keeps the DB from closing.
func (db *DB) NewSnapshot() (state.Snapshot, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, state.ErrClosed
	}
	db.open.Add(1)
	return &Snapshot{db: db, snap: db.pdb.NewSnapshot()}, nil
}

// Store returns a read-only view of s as of the snapshot. A store dropped
// after the snapshot was taken still reads as it was.
func (sn *Snapshot) Store(s state.Store) state.Reader {
	ps, ok := s.(*Store)
	if !ok || ps.db != sn.db {
		return foreignView{}
	}
	return snapView{sn: sn, s: ps}
}

// Checkpoint returns the checkpoint of the named store as of the snapshot.
func (sn *Snapshot) Checkpoint(name string) (int64, bool, error) {
	if sn.closed.Load() {
		return 0, false, state.ErrClosed
	}
	v, closer, err := sn.snap.Get(nameKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pebblestore: snapshot checkpoint %q: %w", name, err)
	}
	id := binary.BigEndian.Uint32(v)
	if err := closer.Close(); err != nil {
		return 0, false, fmt.Errorf("pebblestore: snapshot checkpoint %q: %w", name, err)
	}
	v, closer, err = sn.snap.Get(ckptKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("pebblestore: snapshot checkpoint %q: %w", name, err)
	}
	off := int64(binary.BigEndian.Uint64(v))
	return off, true, closer.Close()
}

// Close releases the snapshot.
func (sn *Snapshot) Close() error {
	if sn.closed.Swap(true) {
		return nil
	}
	sn.db.open.Add(-1)
	if err := sn.snap.Close(); err != nil {
		return fmt.Errorf("pebblestore: close snapshot: %w", err)
	}
	return nil
}

type snapView struct {
	sn *Snapshot
	s  *Store
}

func (v snapView) Get(key []byte) ([]byte, error) {
	if v.sn.closed.Load() {
		return nil, state.ErrClosed
	}
	return get(v.sn.snap, v.s, v.s.key(nil, key))
}

func (v snapView) NewIter(o state.IterOptions) (state.Iterator, error) {
	if v.sn.closed.Load() {
		return nil, state.ErrClosed
	}
	return newIter(v.sn.db, v.sn.snap, v.s, o, nil)
}
