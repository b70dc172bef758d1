package pebblestore_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/state/statetest"
)

// TestConformanceMemFS runs the suite on Pebble's in-memory filesystem,
// the mode engine tests use, reopening the same MemFS per directory.
func TestConformanceMemFS(t *testing.T) {
	var mu sync.Mutex
	fss := map[string]*vfs.MemFS{}
	statetest.Run(t, func(t *testing.T, dir string) state.DB {
		mu.Lock()
		fs, ok := fss[dir]
		if !ok {
			fs = vfs.NewMem()
			fss[dir] = fs
		}
		mu.Unlock()
		o := testOptions()
		o.FS = fs
		db, err := pebblestore.Open(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestPowerLoss simulates losing the machine, not just the process: the
// filesystem keeps only what was synced, plus a random share of what was
// not. Every batch must still be all-or-nothing, and every synced commit
// must survive.
func TestPowerLoss(t *testing.T) {
	crashes := 12
	if testing.Short() {
		crashes = 4
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for c := range crashes {
		fs := vfs.NewCrashableMem()
		db, err := pebblestore.Open("db", pebblestore.Options{FS: fs, MemTableSize: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		stores := make([]state.Store, crashStores)
		for i := range stores {
			if stores[i], err = db.Store(crashStoreName(i)); err != nil {
				t.Fatal(err)
			}
		}
		b := db.NewBatch()
		lastSynced := int64(-1)
		iters := 1 + rng.IntN(60)
		for iter := range int64(iters) {
			for _, s := range stores {
				v := b.Store(s)
				if err := v.DeleteRange(nil, nil); err != nil {
					t.Fatal(err)
				}
				for k := range crashKeys {
					if err := v.Put(fmt.Appendf(nil, "k%03d", k), crashValueOf(iter)); err != nil {
						t.Fatal(err)
					}
				}
				if err := b.SetCheckpoint(s, iter); err != nil {
					t.Fatal(err)
				}
			}
			sync := rng.IntN(3) == 0
			if err := b.Commit(sync); err != nil {
				t.Fatal(err)
			}
			if sync {
				lastSynced = iter
			}
		}
		pct := []int{0, 30, 70, 100}[c%4]
		clone := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: pct, RNG: rand.New(rand.NewPCG(uint64(c), 7))})
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		db, err = pebblestore.Open("db", pebblestore.Options{FS: clone})
		if err != nil {
			t.Fatalf("crash %d: reopen: %v", c, err)
		}
		got := checkCrashDB(t, db)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if got < lastSynced {
			t.Fatalf("crash %d (%d%% unsynced kept): recovered iteration %d, but %d was synced", c, pct, got, lastSynced)
		}
		t.Logf("crash %d: %d commits, last synced %d, %d%% unsynced kept: recovered %d", c, iters, lastSynced, pct, got)
	}
}

// checkCrashDB checks that the crash-test stores are consistent and returns
// the iteration they reflect, or -1.
func checkCrashDB(t *testing.T, db *pebblestore.DB) int64 {
	t.Helper()
	var want int64 = -2
	for i := range crashStores {
		name := crashStoreName(i)
		off, ok := db.Checkpoint(name)
		if !ok {
			off = -1
		}
		if want == -2 {
			want = off
		} else if off != want {
			t.Fatalf("store %s checkpoint %d, another store's %d: a batch was torn", name, off, want)
		}
		s, err := db.Store(name)
		if err != nil {
			t.Fatal(err)
		}
		it, err := s.NewIter(state.IterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for it.Next() {
			n++
			if !bytes.Equal(it.Value(), crashValueOf(off)) {
				got, _, _ := bytes.Cut(it.Value(), []byte(":"))
				t.Errorf("store %s key %s holds iteration %s, checkpoint says %d", name, it.Key(), got, off)
			}
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		if off >= 0 && n != crashKeys {
			t.Errorf("store %s has %d keys at checkpoint %d, want %d", name, n, off, crashKeys)
		}
	}
	return want
}
