package statetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
)

func testBatchReadsOwnWrites(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "rw")
	must(t, s.Put([]byte("a"), []byte("old")))
	must(t, s.Put([]byte("b"), []byte("old")))

	b := db.NewBatch()
	defer b.Close()
	v := b.Store(s)
	if !b.Empty() {
		t.Error("new batch is not empty")
	}
	must(t, v.Put([]byte("a"), []byte("new")))
	must(t, v.Delete([]byte("b")))
	must(t, v.Put([]byte("c"), []byte("new")))
	if b.Empty() {
		t.Error("batch with writes is empty")
	}

	checks := []struct {
		r    state.Reader
		key  string
		want string
	}{
		{v, "a", "new"}, {v, "b", "<not found>"}, {v, "c", "new"},
		{s, "a", "old"}, {s, "b", "old"}, {s, "c", "<not found>"},
	}
	for _, c := range checks {
		if got := getString(t, c.r, c.key); got != c.want {
			t.Errorf("before commit: %q = %q, want %q", c.key, got, c.want)
		}
	}
	if got := strings.Join(scan(t, v, state.IterOptions{}), " "); got != "a=new c=new" {
		t.Errorf("batch scan = %q", got)
	}
	// An iterator sees the batch as of its creation, and holds off the
	// commit until it is closed.
	it, err := v.NewIter(state.IterOptions{})
	must(t, err)
	must(t, v.Put([]byte("0"), []byte("later")))
	if it.Next(); string(it.Key()) != "a" {
		t.Errorf("iterator saw a write made after its creation: %q", it.Key())
	}
	if err := b.Commit(true); err == nil {
		t.Error("commit with an open iterator succeeded")
	}
	must(t, it.Close())
	must(t, v.Delete([]byte("0")))
	must(t, b.Commit(true))
	if !b.Empty() {
		t.Error("batch not empty after commit")
	}
	if got := strings.Join(scan(t, s, state.IterOptions{}), " "); got != "a=new c=new" {
		t.Errorf("after commit: %q", got)
	}

	// The batch is reusable after commit, and Discard drops writes.
	must(t, v.Put([]byte("d"), []byte("x")))
	if got := getString(t, v, "d"); got != "x" {
		t.Errorf("reused batch: d = %q", got)
	}
	must(t, b.Discard())
	if got := getString(t, v, "d"); got != "<not found>" {
		t.Errorf("after discard: d = %q", got)
	}
	must(t, b.Commit(false))
	if got := getString(t, s, "d"); got != "<not found>" {
		t.Errorf("discarded write committed: d = %q", got)
	}
}

// testBatchIteratorsSeeLaterWrites checks that each new iterator of a
// batch view sees everything written before its creation, through the batch
// or committed by other writers, however many iterators the view opened and
// closed before (a backend may reuse them).
func testBatchIteratorsSeeLaterWrites(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "later")
	b := db.NewBatch()
	defer b.Close()
	v := b.Store(s)
	steps := []struct {
		name  string
		write func()
		want  string
	}{
		{"empty", func() {}, ""},
		{"own put", func() { must(t, v.Put(bytesOf("b"), bytesOf("own"))) }, "b=own"},
		{"direct put", func() { must(t, s.Put(bytesOf("a"), bytesOf("direct"))) }, "a=direct b=own"},
		{"other batch", func() {
			o := db.NewBatch()
			defer o.Close()
			must(t, o.Store(s).Put(bytesOf("c"), bytesOf("other")))
			must(t, o.Commit(false))
		}, "a=direct b=own c=other"},
		{"own delete", func() { must(t, v.Delete(bytesOf("a"))) }, "b=own c=other"},
		{"commit", func() { must(t, b.Commit(false)) }, "b=own c=other"},
		{"direct delete range", func() { must(t, s.DeleteRange(nil, bytesOf("c"))) }, "c=other"},
		{"own put after commit", func() { must(t, v.Put(bytesOf("d"), bytesOf("own"))) }, "c=other d=own"},
		{"discard", func() { must(t, b.Discard()) }, "c=other"},
	}
	for _, st := range steps {
		st.write()
		for _, o := range []state.IterOptions{{}, {Reverse: true}, {Start: bytesOf("b")}} {
			got := scan(t, v, o)
			if o.Reverse {
				slices.Reverse(got)
			}
			want := st.want
			if o.Start != nil {
				want = strings.TrimPrefix(want, "a=direct ")
			}
			if g := strings.Join(got, " "); g != want {
				t.Errorf("after %s, scan %+v = %q, want %q", st.name, o, g, want)
			}
		}
		// Point reads agree with the scan.
		var got []string
		for _, k := range []string{"a", "b", "c", "d"} {
			if v := getString(t, v, k); v != "<not found>" {
				got = append(got, k+"="+v)
			}
		}
		if g := strings.Join(got, " "); g != st.want {
			t.Errorf("after %s, gets = %q, want %q", st.name, g, st.want)
		}
	}
}

func testBatchCheckpoints(t *testing.T, open Opener) {
	dir := t.TempDir()
	db := open(t, dir)
	s1 := mustStore(t, db, "ck1")
	s2 := mustStore(t, db, "ck2")
	if _, ok := db.Checkpoint("ck1"); ok {
		t.Error("new store has a checkpoint")
	}
	if _, ok := db.Checkpoint("nope"); ok {
		t.Error("unknown store has a checkpoint")
	}
	b := db.NewBatch()
	must(t, b.Store(s1).Put([]byte("k"), []byte("1")))
	must(t, b.Store(s2).Put([]byte("k"), []byte("1")))
	must(t, b.SetCheckpoint(s1, 10))
	must(t, b.SetCheckpoint(s2, 20))
	if _, ok := db.Checkpoint("ck1"); ok {
		t.Error("checkpoint visible before commit")
	}
	must(t, b.Commit(true))

	// A checkpoint alone is a valid batch (a task that read records but
	// changed no state still advances).
	must(t, b.SetCheckpoint(s1, 11))
	if b.Empty() {
		t.Error("batch with a checkpoint is empty")
	}
	must(t, b.Commit(true))
	// An uncommitted batch leaves nothing behind.
	must(t, b.Store(s2).Put([]byte("k"), []byte("lost")))
	must(t, b.SetCheckpoint(s2, 99))
	must(t, b.Close())
	must(t, db.Close())

	db = open(t, dir)
	defer func() { must(t, db.Close()) }()
	for _, c := range []struct {
		name string
		want int64
	}{{"ck1", 11}, {"ck2", 20}} {
		off, ok := db.Checkpoint(c.name)
		if !ok || off != c.want {
			t.Errorf("after reopen: checkpoint %s = %d, %v; want %d", c.name, off, ok, c.want)
		}
	}
	s2 = mustStore(t, db, "ck2")
	if got := getString(t, s2, "k"); got != "1" {
		t.Errorf("after reopen: ck2/k = %q", got)
	}
	infos, err := db.Stores()
	must(t, err)
	if len(infos) != 2 || !infos[0].HasCheckpoint || infos[0].Checkpoint != 11 || infos[1].Checkpoint != 20 {
		t.Errorf("Stores() = %+v", infos)
	}
}

func testSnapshot(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	s := mustStore(t, db, "snap")
	b := db.NewBatch()
	defer b.Close()
	must(t, b.Store(s).Put([]byte("a"), []byte("1")))
	must(t, b.SetCheckpoint(s, 1))
	must(t, b.Commit(false))

	snap, err := db.NewSnapshot()
	must(t, err)
	must(t, b.Store(s).Put([]byte("a"), []byte("2")))
	must(t, b.Store(s).Put([]byte("b"), []byte("2")))
	must(t, b.SetCheckpoint(s, 2))
	must(t, b.Commit(false))

	r := snap.Store(s)
	if got := strings.Join(scan(t, r, state.IterOptions{}), " "); got != "a=1" {
		t.Errorf("snapshot scan = %q", got)
	}
	if got := getString(t, r, "b"); got != "<not found>" {
		t.Errorf("snapshot sees later write: %q", got)
	}
	off, ok, err := snap.Checkpoint("snap")
	must(t, err)
	if !ok || off != 1 {
		t.Errorf("snapshot checkpoint = %d, %v", off, ok)
	}
	if _, ok, err := snap.Checkpoint("nope"); err != nil || ok {
		t.Errorf("snapshot checkpoint of unknown store: %v, %v", ok, err)
	}
	if got := getString(t, s, "a"); got != "2" {
		t.Errorf("store after commit: %q", got)
	}
	must(t, snap.Close())
	if _, err := r.Get([]byte("a")); !errors.Is(err, state.ErrClosed) {
		t.Errorf("read of closed snapshot: %v", err)
	}
}

// testConcurrentSnapshots has a writer commit batches that keep two stores
// equal while readers check, through snapshots, that they never see one
// store ahead of the other: what a pull query over a join needs.
func testConcurrentSnapshots(t *testing.T, open Opener) {
	db, _ := openDB(t, open)
	a, b := mustStore(t, db, "csa"), mustStore(t, db, "csb")
	const commits = 300
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	wg.Add(1)
	go func() {
		defer wg.Done()
		bt := db.NewBatch()
		defer bt.Close()
		for i := range commits {
			v := fmt.Appendf(nil, "%d", i)
			for _, s := range []state.Store{a, b} {
				if err := bt.Store(s).Put([]byte("k"), v); err != nil {
					errs <- err
					return
				}
				if err := bt.SetCheckpoint(s, int64(i)); err != nil {
					errs <- err
					return
				}
			}
			if err := bt.Commit(false); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range commits {
				snap, err := db.NewSnapshot()
				if err != nil {
					errs <- err
					return
				}
				va, ea := snap.Store(a).Get([]byte("k"))
				vb, eb := snap.Store(b).Get([]byte("k"))
				ca, _, _ := snap.Checkpoint("csa")
				cb, _, _ := snap.Checkpoint("csb")
				_ = snap.Close()
				if !errors.Is(ea, eb) && (ea != nil || eb != nil) {
					errs <- fmt.Errorf("snapshot saw one store only: %v, %v", ea, eb)
					return
				}
				if string(va) != string(vb) || ca != cb {
					errs <- fmt.Errorf("snapshot saw %q/%d and %q/%d", va, ca, vb, cb)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testLifecycle(t *testing.T, open Opener) {
	dir := t.TempDir()
	db := open(t, dir)
	for _, name := range []string{"", strings.Repeat("x", state.MaxNameLen+1)} {
		if _, err := db.Store(name); !errors.Is(err, state.ErrInvalidName) {
			t.Errorf("Store(%.10q): %v, want ErrInvalidName", name, err)
		}
	}
	names := []string{"zeta", "alpha", "mid", "alpha-2"}
	for _, n := range names {
		s := mustStore(t, db, n)
		must(t, s.Put([]byte("k"), []byte(n)))
	}
	again := mustStore(t, db, "mid")
	if got := getString(t, again, "k"); got != "mid" {
		t.Errorf("reopened handle reads %q", got)
	}
	if err := db.DropStore("nope"); !errors.Is(err, state.ErrUnknownStore) {
		t.Errorf("drop unknown: %v", err)
	}

	// A batch holding writes to a store that is dropped before commit
	// must fail as a whole.
	mid := mustStore(t, db, "mid")
	zeta := mustStore(t, db, "zeta")
	b := db.NewBatch()
	must(t, b.Store(mid).Put([]byte("k2"), []byte("v")))
	must(t, b.Store(zeta).Put([]byte("k2"), []byte("v")))
	must(t, db.DropStore("mid"))
	if err := b.Commit(true); !errors.Is(err, state.ErrStoreDropped) {
		t.Errorf("commit to dropped store: %v", err)
	}
	must(t, b.Close())
	if got := getString(t, zeta, "k2"); got != "<not found>" {
		t.Errorf("failed commit applied partially: zeta/k2 = %q", got)
	}
	if _, err := mid.Get([]byte("k")); !errors.Is(err, state.ErrStoreDropped) {
		t.Errorf("dropped handle: %v", err)
	}
	if err := mid.Put([]byte("k"), nil); !errors.Is(err, state.ErrStoreDropped) {
		t.Errorf("dropped handle put: %v", err)
	}
	fresh := mustStore(t, db, "mid")
	if got := strings.Join(scan(t, fresh, state.IterOptions{}), " "); got != "" {
		t.Errorf("recreated store is not empty: %q", got)
	}
	must(t, fresh.Put([]byte("k"), []byte("fresh")))

	listNames := func(db state.DB) []string {
		infos, err := db.Stores()
		must(t, err)
		var out []string
		for _, i := range infos {
			out = append(out, i.Name)
		}
		return out
	}
	want := []string{"alpha", "alpha-2", "mid", "zeta"}
	if got := listNames(db); !slices.Equal(got, want) {
		t.Errorf("Stores() = %v, want %v", got, want)
	}
	// Dropping by prefix takes a terminated query's stores at once.
	for _, n := range []string{"q7/a/0", "q7/a/1", "q7/b/0", "q70/a/0"} {
		s := mustStore(t, db, n)
		must(t, s.Put([]byte("k"), []byte("v")))
	}
	n, err := db.DropStores("q7/")
	if err != nil || n != 3 {
		t.Errorf("DropStores(q7/) = %d, %v; want 3", n, err)
	}
	if n, err := db.DropStores("nothing/"); err != nil || n != 0 {
		t.Errorf("DropStores(nothing/) = %d, %v", n, err)
	}
	n, err = db.DropStores("q70/")
	if err != nil || n != 1 {
		t.Errorf("DropStores(q70/) = %d, %v; want 1", n, err)
	}
	if got := listNames(db); !slices.Equal(got, want) {
		t.Errorf("after DropStores: Stores() = %v, want %v", got, want)
	}
	must(t, db.Close())

	db = open(t, dir)
	defer func() { must(t, db.Close()) }()
	if got := listNames(db); !slices.Equal(got, want) {
		t.Errorf("after reopen: Stores() = %v, want %v", got, want)
	}
	for _, n := range want {
		exp := n
		if n == "mid" {
			exp = "fresh"
		}
		if got := getString(t, mustStore(t, db, n), "k"); got != exp {
			t.Errorf("after reopen: %s/k = %q, want %q", n, got, exp)
		}
	}
}

func testClose(t *testing.T, open Opener) {
	db := open(t, t.TempDir())
	s := mustStore(t, db, "c")
	must(t, s.Put([]byte("a"), []byte("1")))
	it, err := s.NewIter(state.IterOptions{})
	must(t, err)
	if err := db.Close(); err == nil {
		t.Fatal("Close succeeded with an open iterator")
	}
	// The DB is still usable after the refused Close.
	if got := getString(t, s, "a"); got != "1" {
		t.Errorf("after refused close: %q", got)
	}
	must(t, it.Close())
	b := db.NewBatch()
	if err := db.Close(); err == nil {
		t.Fatal("Close succeeded with an open batch")
	}
	must(t, b.Close())
	must(t, db.Close())
	if _, err := s.Get([]byte("a")); !errors.Is(err, state.ErrClosed) {
		t.Errorf("Get after close: %v", err)
	}
	if _, err := db.Store("c"); !errors.Is(err, state.ErrClosed) {
		t.Errorf("Store after close: %v", err)
	}
	if err := db.Close(); !errors.Is(err, state.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
}
