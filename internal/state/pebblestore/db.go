// Package pebblestore owns Sluice's Pebble backend for state stores: one
// Pebble instance per server, in which each named store is a key prefix.
// It implements state.DB and passes state/statetest.
//
// Pebble's key space is laid out as
//
//	0x00 'n' <name>        → store id (4 bytes, big-endian)
//	0x00 'c' <id>          → checkpoint (8 bytes, big-endian)
//	0x00 'i'               → next store id
//	0x01 <id> <key>        → a store's data
//
// A store's id is assigned once, when it is created, and never reused, so
// a store dropped and created again starts empty even while Pebble still
// holds the old data under a range tombstone. Checkpoints sit in the same
// Pebble key space as the data, so a batch applies both or neither.
//
// Lock order: DB.mu before DB.ckMu. A Batch, Snapshot or iterator keeps the
// DB from closing (DB.open counts them), so their reads take no lock.
package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluicedb/sluice/internal/state"
)

const (
	tagMeta = 0x00
	tagData = 0x01

	metaName = 'n'
	metaCkpt = 'c'
	metaNext = 'i'
)

var nextIDKey = []byte{tagMeta, metaNext}

// DB is a Pebble instance holding the state stores of one server.
type DB struct {
	pdb  *pebble.DB
	opts Options
	log  *slog.Logger
	dir  string

	// mu guards closed, stores and nextID. Reads and writes through a Store
	// hold it shared so Close and DropStore can wait them out.
	mu     sync.RWMutex
	closed bool
	stores map[string]*Store
	nextID uint32

	// ckMu guards checkpoints, the committed checkpoint per store id, kept
	// in memory so Checkpoint costs no read.
	ckMu        sync.Mutex
	checkpoints map[uint32]int64

	// open counts live batches, snapshots and iterators.
	open atomic.Int64
	// stalls counts Pebble's write stalls, for Metrics.
	stalls *atomic.Int64
}

var _ state.DB = (*DB)(nil)

// Open opens (creating if needed) the state DB in dir.
func Open(dir string, opts Options) (*DB, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheSize)
	defer cache.Unref()
	po := &pebble.Options{
		Cache:              cache,
		MemTableSize:       opts.MemTableSize,
		MaxOpenFiles:       opts.MaxOpenFiles,
		ReadOnly:           opts.ReadOnly,
		Logger:             pebbleLogger{opts.Logger},
		FormatMajorVersion: pebble.FormatNewest,
	}
	stalls := new(atomic.Int64)
	po.EventListener = eventListener(opts.Logger.With("component", "state"), stalls)
	switch {
	case opts.InMemory:
		po.FS = vfs.NewMem()
	case opts.FS != nil:
		po.FS = opts.FS
	}
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open %s: %w", dir, err)
	}
	db := &DB{
		pdb:         pdb,
		opts:        opts,
		log:         opts.Logger.With("component", "state"),
		dir:         dir,
		stores:      make(map[string]*Store),
		nextID:      1,
		checkpoints: make(map[uint32]int64),
		stalls:      stalls,
	}
	if err := db.loadMeta(); err != nil {
		return nil, errors.Join(err, pdb.Close())
	}
	db.log.Info("state opened", "dir", dir, "stores", len(db.stores))
	return db, nil
}

// loadMeta reads the store directory and checkpoints into memory.
func (db *DB) loadMeta() error {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{tagMeta}, UpperBound: []byte{tagData}})
	if err != nil {
		return fmt.Errorf("pebblestore: read metadata: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) < 2 {
			continue
		}
		switch k[1] {
		case metaName:
			if len(v) != 4 {
				return errors.Join(fmt.Errorf("pebblestore: store %q: bad id of %d bytes", k[2:], len(v)), it.Close())
			}
			name := string(k[2:])
			db.stores[name] = newStore(db, name, binary.BigEndian.Uint32(v))
		case metaCkpt:
			if len(k) != 6 || len(v) != 8 {
				return errors.Join(fmt.Errorf("pebblestore: bad checkpoint entry %x", k), it.Close())
			}
			db.checkpoints[binary.BigEndian.Uint32(k[2:])] = int64(binary.BigEndian.Uint64(v))
		case metaNext:
			if len(v) == 4 {
				db.nextID = binary.BigEndian.Uint32(v)
			}
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("pebblestore: read metadata: %w", err)
	}
	return nil
}

func nameKey(name string) []byte {
	return append([]byte{tagMeta, metaName}, name...)
}

func ckptKey(id uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{tagMeta, metaCkpt}, id)
}

func validName(name string) error {
	if name == "" || len(name) > state.MaxNameLen {
		return fmt.Errorf("%w: %q", state.ErrInvalidName, name)
	}
	return nil
}

// Store creates the named store if needed and returns its handle. Handles
// are shared: every call for a name returns the same one.
func (db *DB) Store(name string) (state.Store, error) {
	s, err := db.store(name)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (db *DB) store(name string) (*Store, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	db.mu.RLock()
	s, ok := db.stores[name]
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return nil, state.ErrClosed
	}
	if ok {
		return s, nil
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return nil, state.ErrClosed
	}
	if s, ok := db.stores[name]; ok {
		return s, nil
	}
	if db.opts.ReadOnly {
		return nil, fmt.Errorf("pebblestore: store %q: %w", name, state.ErrUnknownStore)
	}
	id := db.nextID
	if id == 0 {
		return nil, fmt.Errorf("pebblestore: store %q: store ids exhausted", name)
	}
	b := db.pdb.NewBatch()
	defer b.Close()
	idb := binary.BigEndian.AppendUint32(nil, id)
	next := binary.BigEndian.AppendUint32(nil, id+1)
	if err := errors.Join(b.Set(nameKey(name), idb, nil), b.Set(nextIDKey, next, nil)); err != nil {
		return nil, fmt.Errorf("pebblestore: create store %q: %w", name, err)
	}
	// Creation is synced: a store's id must never be handed out twice,
	// even if the process dies right after.
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("pebblestore: create store %q: %w", name, err)
	}
	db.nextID = id + 1
	s = newStore(db, name, id)
	db.stores[name] = s
	db.log.Info("state store created", "store", name, "id", id)
	return s, nil
}

// DropStore deletes the named store: a range tombstone over its data, and
// its name and checkpoint, in one synced write.
func (db *DB) DropStore(name string) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return state.ErrClosed
	}
	s, ok := db.stores[name]
	if !ok {
		return fmt.Errorf("pebblestore: drop %q: %w", name, state.ErrUnknownStore)
	}
	return db.drop([]*Store{s})
}

// DropStores drops every store whose name starts with prefix in one synced
// write.
func (db *DB) DropStores(prefix string) (int, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return 0, state.ErrClosed
	}
	var victims []*Store
	for name, s := range db.stores {
		if strings.HasPrefix(name, prefix) {
			victims = append(victims, s)
		}
	}
	if len(victims) == 0 {
		return 0, nil
	}
	return len(victims), db.drop(victims)
}

// drop deletes stores; db.mu must be held exclusively.
func (db *DB) drop(stores []*Store) error {
	b := db.pdb.NewBatch()
	defer b.Close()
	var err error
	for _, s := range stores {
		err = errors.Join(err,
			b.DeleteRange(s.prefix, s.end, nil),
			b.Delete(nameKey(s.name), nil),
			b.Delete(ckptKey(s.id), nil),
		)
	}
	if err == nil {
		err = b.Commit(pebble.Sync)
	}
	if err != nil {
		return fmt.Errorf("pebblestore: drop %q: %w", stores[0].name, err)
	}
	db.ckMu.Lock()
	defer db.ckMu.Unlock()
	for _, s := range stores {
		s.dropped.Store(true)
		delete(db.stores, s.name)
		delete(db.checkpoints, s.id)
		db.log.Info("state store dropped", "store", s.name, "id", s.id)
	}
	return nil
}

// Stores lists the stores by name, with checkpoints and sizes.
func (db *DB) Stores() ([]state.StoreInfo, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return nil, state.ErrClosed
	}
	out := make([]state.StoreInfo, 0, len(db.stores))
	for name, s := range db.stores {
		size, err := db.pdb.EstimateDiskUsage(s.prefix, s.end)
		if err != nil {
			return nil, fmt.Errorf("pebblestore: size of %q: %w", name, err)
		}
		info := state.StoreInfo{Name: name, ApproximateSize: size}
		info.Checkpoint, info.HasCheckpoint = db.checkpoint(s.id)
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b state.StoreInfo) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// Checkpoint returns the committed checkpoint of the named store.
func (db *DB) Checkpoint(name string) (int64, bool) {
	db.mu.RLock()
	s, ok := db.stores[name]
	db.mu.RUnlock()
	if !ok {
		return 0, false
	}
	return db.checkpoint(s.id)
}

func (db *DB) checkpoint(id uint32) (int64, bool) {
	db.ckMu.Lock()
	defer db.ckMu.Unlock()
	off, ok := db.checkpoints[id]
	return off, ok
}

// Close closes the DB. It fails, leaving the DB open, while batches,
// snapshots or iterators are open.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed {
		return state.ErrClosed
	}
	if n := db.open.Load(); n > 0 {
		return fmt.Errorf("pebblestore: close with %d open batches, snapshots or iterators", n)
	}
	db.closed = true
	if err := db.pdb.Close(); err != nil {
		return fmt.Errorf("pebblestore: close: %w", err)
	}
	db.log.Info("state closed", "dir", db.dir)
	return nil
}
