package pebblestore_test

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    pebblestore.Options
		wantErr string
	}{
		{"defaults", pebblestore.Options{}, ""},
		{"negative cache", pebblestore.Options{CacheSize: -1}, "cache size"},
		{"tiny memtable", pebblestore.Options{MemTableSize: 1024}, "memtable size"},
		{"huge memtable", pebblestore.Options{MemTableSize: 4 << 30}, "memtable size"},
		{"few files", pebblestore.Options{MaxOpenFiles: 3}, "max open files"},
		{"in-memory read-only", pebblestore.Options{InMemory: true, ReadOnly: true}, "read-only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			o.EnsureDefaults()
			err := o.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				if o.Logger == nil || o.CacheSize != 64<<20 || o.MemTableSize != 32<<20 || o.MaxOpenFiles != 1000 {
					t.Errorf("defaults not applied: %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate() = %v, want an error about %s", err, tc.wantErr)
			}
			if _, err := pebblestore.Open(t.TempDir(), tc.opts); err == nil {
				t.Error("Open accepted invalid options")
			}
		})
	}
}

func TestInMemory(t *testing.T) {
	db, err := pebblestore.Open("", pebblestore.Options{InMemory: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.Store("m")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Errorf("Get = %q, %v", v, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	db, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := db.Store("ro")
	b := db.NewBatch()
	if err := errors.Join(b.Store(s).Put([]byte("k"), []byte("v")), b.SetCheckpoint(s, 3), b.Commit(true), b.Close(), db.Close()); err != nil {
		t.Fatal(err)
	}

	db, err = pebblestore.Open(dir, pebblestore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if off, ok := db.Checkpoint("ro"); !ok || off != 3 {
		t.Errorf("checkpoint = %d, %v", off, ok)
	}
	s, err = db.Store("ro")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get([]byte("k")); err != nil || string(v) != "v" {
		t.Errorf("Get = %q, %v", v, err)
	}
	if _, err := db.Store("new"); !errors.Is(err, state.ErrUnknownStore) {
		t.Errorf("creating a store read-only: %v", err)
	}
	if err := s.Put([]byte("k"), []byte("w")); err == nil {
		t.Error("write to a read-only DB succeeded")
	}
}

func TestForeignStore(t *testing.T) {
	open := func() *pebblestore.DB {
		db, err := pebblestore.Open("", pebblestore.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	}
	db1, db2 := open(), open()
	s2, err := db2.Store("x")
	if err != nil {
		t.Fatal(err)
	}
	b := db1.NewBatch()
	defer b.Close()
	if err := b.Store(s2).Put([]byte("k"), nil); !errors.Is(err, state.ErrForeignStore) {
		t.Errorf("put through a foreign handle: %v", err)
	}
	if err := b.SetCheckpoint(s2, 1); !errors.Is(err, state.ErrForeignStore) {
		t.Errorf("checkpoint of a foreign handle: %v", err)
	}
	snap, err := db1.NewSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	if _, err := snap.Store(s2).Get([]byte("k")); !errors.Is(err, state.ErrForeignStore) {
		t.Errorf("snapshot read through a foreign handle: %v", err)
	}
}

func TestMetrics(t *testing.T) {
	db, err := pebblestore.Open(t.TempDir(), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := db.Store("m")
	for i := range 100 {
		if err := s.Put([]byte{byte(i)}, make([]byte, 1000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	m := db.Metrics()
	if m.DiskUsageBytes == 0 || m.Flushes == 0 {
		t.Errorf("metrics after a flush: %+v", m)
	}
	if size, err := s.ApproximateSize(); err != nil || size == 0 {
		t.Errorf("store size after a flush: %d, %v", size, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if m := db.Metrics(); m != (pebblestore.Metrics{}) {
		t.Errorf("metrics of a closed DB: %+v", m)
	}
}
