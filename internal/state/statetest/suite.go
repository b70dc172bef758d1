// Package statetest owns the conformance suite of the state store contract
// (package state). Every backend runs it:
//
//	func TestConformance(t *testing.T) {
//		statetest.Run(t, func(t *testing.T, dir string) state.DB { ... })
//	}
//
// The suite covers the key-value contract, batches (atomicity, reads of
// their own writes, checkpoints), snapshots, the store lifecycle, and the
// window and session stores built on top, so a new backend gets all of
// them checked at once.
package statetest

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
)

// Opener opens the backend's DB in dir. Called again with the same dir
// after the previous DB was closed, it must return the same data: the suite
// checks that stores and checkpoints survive a restart.
type Opener func(t *testing.T, dir string) state.DB

// Run runs the whole suite against the backend open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"KV", testKV},
		{"Iterate", testIterate},
		{"DeleteRange", testDeleteRange},
		{"BatchReadsOwnWrites", testBatchReadsOwnWrites},
		{"BatchIteratorsSeeLaterWrites", testBatchIteratorsSeeLaterWrites},
		{"BatchAtomicCheckpoints", testBatchCheckpoints},
		{"Snapshot", testSnapshot},
		{"ConcurrentSnapshots", testConcurrentSnapshots},
		{"Lifecycle", testLifecycle},
		{"Close", testClose},
		{"Window", testWindow},
		{"WindowExpiry", testWindowExpiry},
		{"WindowDuplicates", testWindowDuplicates},
		{"WindowRestart", testWindowRestart},
		{"WindowDiscard", testWindowDiscard},
		{"Session", testSession},
		{"SessionMerge", testSessionMerge},
		{"ChangelogRestore", testChangelogRestore},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// openDB opens a fresh DB in a temp dir and closes it at cleanup.
func openDB(t *testing.T, open Opener) (state.DB, string) {
	t.Helper()
	dir := t.TempDir()
	db := open(t, dir)
	t.Cleanup(func() {
		if err := db.Close(); err != nil && !errors.Is(err, state.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return db, dir
}

func mustStore(t *testing.T, db state.DB, name string) state.Store {
	t.Helper()
	s, err := db.Store(name)
	if err != nil {
		t.Fatalf("store %q: %v", name, err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// scan returns "k=v" for every key an iterator visits.
func scan(t *testing.T, r state.Reader, o state.IterOptions) []string {
	t.Helper()
	it, err := r.NewIter(o)
	must(t, err)
	var out []string
	for it.Next() {
		out = append(out, fmt.Sprintf("%s=%s", it.Key(), it.Value()))
	}
	must(t, it.Close())
	return out
}

func getString(t *testing.T, r state.Reader, key string) string {
	t.Helper()
	v, err := r.Get([]byte(key))
	if errors.Is(err, state.ErrNotFound) {
		return "<not found>"
	}
	must(t, err)
	return string(v)
}

// bytesOf is a readable shorthand for test keys.
func bytesOf(s string) []byte { return bytes.Clone([]byte(s)) }
