package pebblestore_test

import (
	"fmt"
	"os"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// A task's life with its state: read its own writes while it processes a
// polled batch of records, commit data and checkpoint together, and after a
// restart resume from the checkpoint.
func Example() {
	dir, _ := os.MkdirTemp("", "state-example")
	defer os.RemoveAll(dir)

	db, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	counts, _ := db.Store("query_1/counts/0")
	windows, _ := db.Store("query_1/windowed/0")

	// One batch per task, reused across commits.
	b := db.NewBatch()
	cv := b.Store(counts)
	ws, _ := state.NewWindowStore(b.Store(windows), state.WindowOptions{
		SegmentOptions: state.SegmentOptions{Retention: 3_600_000},
	})

	// Process changelog offsets 0..2: a per-key count and a per-minute one.
	for off, rec := range []struct {
		key string
		ts  int64
	}{{"alice", 1_000}, {"bob", 2_000}, {"alice", 61_000}} {
		n := 0
		if v, err := cv.Get([]byte(rec.key)); err == nil {
			n = int(v[0])
		}
		_ = cv.Put([]byte(rec.key), []byte{byte(n + 1)})
		start := rec.ts - rec.ts%60_000
		_ = ws.Put([]byte(rec.key), start, []byte{1})
		_ = b.SetCheckpoint(counts, int64(off))
		_ = b.SetCheckpoint(windows, int64(off))
	}
	if err := b.Commit(true); err != nil {
		fmt.Println(err)
		return
	}
	_ = b.Close()
	_ = db.Close()

	// After a restart the task replays its changelog from checkpoint + 1.
	db, _ = pebblestore.Open(dir, pebblestore.Options{})
	defer db.Close()
	off, _ := db.Checkpoint("query_1/counts/0")
	fmt.Println("resume changelog at", off+1)

	// A pull query reads a consistent snapshot.
	snap, _ := db.NewSnapshot()
	defer snap.Close()
	counts, _ = db.Store("query_1/counts/0")
	v, _ := snap.Store(counts).Get([]byte("alice"))
	fmt.Println("alice:", v[0])
	windows, _ = db.Store("query_1/windowed/0")
	sw, _ := state.NewWindowStore(snap.Store(windows), state.WindowOptions{
		SegmentOptions: state.SegmentOptions{Retention: 3_600_000},
	})
	it, _ := sw.Fetch([]byte("alice"), 0, 120_000)
	for it.Next() {
		fmt.Println("alice window starting", it.Start())
	}
	_ = it.Close()
	// Output:
	// resume changelog at 3
	// alice: 2
	// alice window starting 0
	// alice window starting 60000
}
