// Package state owns the contract of Sluice's state stores: the key-value
// stores that stream tasks keep their aggregates, materialized tables, join
// windows and suppression buffers in, and the window and session stores built
// on top of them. Backends implement DB and pass the conformance suite in
// state/statetest; the Pebble backend lives in state/pebblestore.
//
// The model is Kafka Streams': a store is a cache of its changelog. A task
// commits its outputs, changelog records and source offsets in one log
// transaction, then applies its state writes in one Batch together with a
// checkpoint per store (the changelog offset the state now reflects). After a
// crash the task replays the changelog from the checkpoint. So the contract
// that matters most is that a Batch is all-or-nothing, data and checkpoints
// alike.
//
// Keys and values are opaque bytes. The engine encodes typed keys
// order-preservingly before they reach this package, so byte order is the
// order range scans return.
package state

import "errors"

// Errors returned by every backend. Compare them with errors.Is; backends
// wrap them with context.
var (
	// ErrNotFound is returned by Get when the key has no value.
	ErrNotFound = errors.New("state: not found")
	// ErrClosed is returned by any call on a closed DB, batch or snapshot.
	ErrClosed = errors.New("state: closed")
	// ErrUnknownStore is returned when a store name does not exist.
	ErrUnknownStore = errors.New("state: unknown store")
	// ErrStoreDropped is returned by calls through a handle of a dropped
	// store, and by a Batch commit that wrote to one.
	ErrStoreDropped = errors.New("state: store dropped")
	// ErrInvalidName is returned for an empty or oversized store name.
	ErrInvalidName = errors.New("state: invalid store name")
	// ErrForeignStore is returned when a store handle of one DB is used
	// with a batch or snapshot of another.
	ErrForeignStore = errors.New("state: store belongs to another DB")
	// ErrReadOnly is returned by writes through a read-only view, such as a
	// window store opened on a snapshot.
	ErrReadOnly = errors.New("state: read-only")
	// ErrExpired is returned by window and session store writes whose window
	// is older than stream time minus retention; the write is dropped, as
	// Kafka Streams drops it. Callers usually count it and move on.
	ErrExpired = errors.New("state: window expired")
)

// MaxNameLen bounds store names; names are stored once, in metadata, so the
// bound only keeps listings sane.
const MaxNameLen = 1024

// Reader reads one store.
type Reader interface {
	// Get returns a copy of the value of key, or an error wrapping
	// ErrNotFound.
	Get(key []byte) ([]byte, error)
	// NewIter returns an iterator over the store's keys in the range the
	// options give. The caller must Close it.
	NewIter(opts IterOptions) (Iterator, error)
}

// Writer writes one store.
type Writer interface {
	// Put sets key to value. A nil value is stored as an empty value; use
	// Delete to remove a key.
	Put(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
	// DeleteRange removes every key in [start, end). A nil start or end is
	// unbounded, so DeleteRange(nil, nil) clears the store.
	DeleteRange(start, end []byte) error
}

// ReadWriter reads and writes one store.
type ReadWriter interface {
	Reader
	Writer
}

// IterOptions selects the keys an iterator visits.
type IterOptions struct {
	// Start is the inclusive lower bound; nil is unbounded.
	Start []byte
	// End is the exclusive upper bound; nil is unbounded.
	End []byte
	// Prefix, if non-nil, restricts the iteration to keys with this prefix,
	// intersected with [Start, End).
	Prefix []byte
	// Reverse visits keys from the largest down.
	Reverse bool
}

// Iterator walks keys in order. The usual loop is
//
//	for it.Next() { use(it.Key(), it.Value()) }
//	if err := it.Err(); err != nil { ... }
//
// Key and Value are valid only until the next call to Next or Close; copy
// them to keep them. An iterator sees the data as of its creation: writes
// made afterwards, even through the same batch, are not visible to it.
// Iterators are not safe for concurrent use.
type Iterator interface {
	// Next advances to the next key (the first, on the first call) and
	// reports whether there is one.
	Next() bool
	Key() []byte
	Value() []byte
	// Err returns the error that stopped iteration, if any.
	Err() error
	// Close releases the iterator; it returns Err() if that is set.
	Close() error
}

// Store is a handle on one named store. Reads see committed data; direct
// writes through a Store are applied at once, without fsync and without a
// checkpoint, so tasks write through a Batch instead. A Store is safe for
// concurrent use.
type Store interface {
	ReadWriter
	// Name returns the store's name.
	Name() string
	// ApproximateSize returns the bytes the store takes on disk, from
	// flushed data only; data still in the memtable is not counted.
	ApproximateSize() (uint64, error)
}

// StoreInfo describes a store in a listing.
type StoreInfo struct {
	Name string
	// Checkpoint is the changelog offset the store reflects, if HasCheckpoint.
	Checkpoint    int64
	HasCheckpoint bool
	// ApproximateSize is the store's bytes on disk (flushed data only).
	ApproximateSize uint64
}

// Batch collects writes to several stores of one DB and the stores'
// checkpoints, and applies them atomically. Reads through a batch's store
// views see the batch's own uncommitted writes over the committed data, so a
// task can process a whole polled batch of records before one commit.
//
// After Commit the batch is empty and may be used again; views stay valid.
// Iterators opened through its views must be closed before Commit, Discard
// or Close, which refuse (changing nothing) while any is open. A batch is
// not safe for concurrent use: one task owns it.
type Batch interface {
	// Store returns a view of s inside the batch. Writes through it are
	// held until Commit; reads see them.
	Store(s Store) ReadWriter
	// SetCheckpoint records that, once this batch commits, s reflects its
	// changelog up to offset (the next offset to replay from is offset+1,
	// as in Kafka Streams' checkpoint files).
	SetCheckpoint(s Store, offset int64) error
	// Empty reports whether the batch holds no writes and no checkpoints.
	Empty() bool
	// Commit applies every write and checkpoint atomically. With sync, it
	// returns only once they are durable. Either way the batch is empty
	// afterwards; on error nothing was applied, and the task must restore
	// from the last committed checkpoint. A batch that wrote to a store
	// dropped meanwhile fails with ErrStoreDropped.
	Commit(sync bool) error
	// Discard drops the uncommitted writes and keeps the batch usable.
	Discard() error
	// Close releases the batch, discarding uncommitted writes.
	Close() error
}

// Epocher is implemented by batch views. The epoch changes whenever the
// batch drops writes that were never committed (Discard, or a failed
// Commit), so a layer that caches what it wrote, as WindowStore and
// SessionStore cache stream time, knows to reload.
type Epocher interface {
	Epoch() uint64
}

// Snapshot is a consistent, read-only view of every store as of its
// creation, for pull queries that must not see a task's commit half-applied
// across stores. It is safe for concurrent use; Close it when done.
type Snapshot interface {
	// Store returns a read-only view of s as of the snapshot.
	Store(s Store) Reader
	// Checkpoint returns the checkpoint of the named store as of the
	// snapshot.
	Checkpoint(name string) (offset int64, ok bool, err error)
	Close() error
}

// DB holds the state stores of one server. It is safe for concurrent use.
type DB interface {
	// Store creates the named store if it does not exist and returns a
	// handle on it. The store's key prefix is assigned once and survives
	// restarts.
	Store(name string) (Store, error)
	// DropStore deletes the named store, its data and its checkpoint.
	// Handles on it return ErrStoreDropped afterwards.
	DropStore(name string) error
	// DropStores drops every store whose name starts with prefix, in one
	// write, and returns how many it dropped: the cleanup of a terminated
	// query, whose stores share its id as a prefix.
	DropStores(prefix string) (int, error)
	// Stores lists the stores, sorted by name.
	Stores() ([]StoreInfo, error)
	// Checkpoint returns the committed checkpoint of the named store.
	Checkpoint(name string) (offset int64, ok bool)
	// NewBatch returns an empty batch. The caller must Close it.
	NewBatch() Batch
	// NewSnapshot returns a consistent view of all stores.
	NewSnapshot() (Snapshot, error)
	// Close closes the DB. Iterators, batches and snapshots must be closed
	// first; Close reports an error and leaves the DB open otherwise.
	Close() error
}
