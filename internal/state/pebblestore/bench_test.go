package pebblestore_test

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

const benchValueSize = 100

func benchDB(b *testing.B) *pebblestore.DB {
	b.Helper()
	db, err := pebblestore.Open(b.TempDir(), pebblestore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := db.Close(); err != nil {
			b.Error(err)
		}
	})
	return db
}

func benchKey(i uint64) []byte {
	// Keys as the engine produces them: a short type tag and a big-endian
	// number, so order-preserving.
	return binary.BigEndian.AppendUint64([]byte{'k'}, i)
}

// load writes n keys in batches of 1000 and flushes. Values are random
// bytes, so the size figures are what incompressible state costs.
func load(b *testing.B, db *pebblestore.DB, s state.Store, n int) {
	b.Helper()
	val := make([]byte, benchValueSize)
	rng := rand.NewChaCha8([32]byte{})
	bt := db.NewBatch()
	defer bt.Close()
	v := bt.Store(s)
	for i := range n {
		_, _ = rng.Read(val)
		if err := v.Put(benchKey(uint64(i)), val); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 999 {
			if err := bt.Commit(false); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := bt.Commit(false); err != nil {
		b.Fatal(err)
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
}

func mustStore(b *testing.B, db *pebblestore.DB, name string) state.Store {
	s, err := db.Store(name)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkBatchPut is a task's write path: puts into a batch, committed
// unsynced every 1000 records.
func BenchmarkBatchPut(b *testing.B) {
	db := benchDB(b)
	s := mustStore(b, db, "put")
	bt := db.NewBatch()
	defer bt.Close()
	v := bt.Store(s)
	val := make([]byte, benchValueSize)
	b.SetBytes(benchValueSize + 9)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := v.Put(benchKey(rand.Uint64()), val); err != nil {
			b.Fatal(err)
		}
		i++
		if i%1000 == 0 {
			if err := bt.SetCheckpoint(s, int64(i)); err != nil {
				b.Fatal(err)
			}
			if err := bt.Commit(false); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkGet reads random committed keys of a 100k-key store.
func BenchmarkGet(b *testing.B) {
	const n = 100_000
	db := benchDB(b)
	s := mustStore(b, db, "get")
	load(b, db, s, n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(benchKey(rand.Uint64N(n))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatchGet reads through a batch holding 1000 uncommitted writes,
// half of the reads hitting them: the read-modify-write of an aggregate.
func BenchmarkBatchGet(b *testing.B) {
	const n = 100_000
	db := benchDB(b)
	s := mustStore(b, db, "bget")
	load(b, db, s, n)
	bt := db.NewBatch()
	defer bt.Close()
	v := bt.Store(s)
	val := make([]byte, benchValueSize)
	for i := range 1000 {
		if err := v.Put(benchKey(uint64(i)), val); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		k := rand.Uint64N(2000)
		if k >= 1000 {
			k = rand.Uint64N(n)
		}
		if _, err := v.Get(benchKey(k)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan iterates 1000 consecutive keys from a random start.
func BenchmarkScan(b *testing.B) {
	const n, span = 100_000, 1000
	for _, reverse := range []bool{false, true} {
		b.Run(fmt.Sprintf("reverse=%v", reverse), func(b *testing.B) {
			db := benchDB(b)
			s := mustStore(b, db, "scan")
			load(b, db, s, n)
			b.SetBytes(span * (benchValueSize + 9))
			b.ReportAllocs()
			for b.Loop() {
				start := rand.Uint64N(n - span)
				it, err := s.NewIter(state.IterOptions{Start: benchKey(start), End: benchKey(start + span), Reverse: reverse})
				if err != nil {
					b.Fatal(err)
				}
				c := 0
				for it.Next() {
					c++
				}
				if err := it.Close(); err != nil || c != span {
					b.Fatalf("scanned %d, err %v", c, err)
				}
			}
			b.ReportMetric(float64(span*b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// BenchmarkBatchCommit measures the latency of committing one task batch of
// 100 writes across two stores plus their checkpoints.
func BenchmarkBatchCommit(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) {
			db := benchDB(b)
			s1, s2 := mustStore(b, db, "c1"), mustStore(b, db, "c2")
			bt := db.NewBatch()
			defer bt.Close()
			v1, v2 := bt.Store(s1), bt.Store(s2)
			val := make([]byte, benchValueSize)
			off := int64(0)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for range 50 {
					if err := v1.Put(benchKey(rand.Uint64()), val); err != nil {
						b.Fatal(err)
					}
					if err := v2.Put(benchKey(rand.Uint64()), val); err != nil {
						b.Fatal(err)
					}
				}
				off += 100
				if err := errorsJoin(bt.SetCheckpoint(s1, off), bt.SetCheckpoint(s2, off)); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := bt.Commit(sync); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkWindowPut is a tumbling-window aggregate's write: 1000 keys,
// stream time advancing by one millisecond per record, one-hour retention.
func BenchmarkWindowPut(b *testing.B) {
	db := benchDB(b)
	s := mustStore(b, db, "win")
	bt := db.NewBatch()
	defer bt.Close()
	ws, err := state.NewWindowStore(bt.Store(s), state.WindowOptions{SegmentOptions: state.SegmentOptions{Retention: 3_600_000}})
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, benchValueSize)
	ts := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		ts++
		start := ts - ts%60_000
		if err := ws.Put(benchKey(uint64(ts%1000)), start, val); err != nil {
			b.Fatal(err)
		}
		if ts%1000 == 0 {
			if err := bt.Commit(false); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkStateSize reports the on-disk footprint of a store of 1M
// random 100-byte values with 9-byte keys.
func BenchmarkStateSize(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		db := benchDB(b)
		s := mustStore(b, db, "size")
		load(b, db, s, n)
		size, err := s.ApproximateSize()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(size)/n, "disk-bytes/key")
		b.ReportMetric(float64(size)/(1<<20), "store-MiB")
		b.ReportMetric(float64(db.DiskUsage())/(1<<20), "db-MiB")
	}
}

// BenchmarkWindowFetch fetches one key's last hour of one-minute windows
// from a store of 1000 keys × 120 windows, as a windowed pull query does.
func BenchmarkWindowFetch(b *testing.B) {
	db := benchDB(b)
	s := mustStore(b, db, "winf")
	bt := db.NewBatch()
	defer bt.Close()
	opts := state.WindowOptions{SegmentOptions: state.SegmentOptions{Retention: 2 * 3_600_000}}
	ws, err := state.NewWindowStore(bt.Store(s), opts)
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, benchValueSize)
	for w := range int64(120) {
		for k := range uint64(1000) {
			if err := ws.Put(benchKey(k), w*60_000, val); err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Commit(false); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Flush(); err != nil {
		b.Fatal(err)
	}
	ro, err := state.NewWindowStore(s, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		it, err := ro.Fetch(benchKey(rand.Uint64N(1000)), 60*60_000, 120*60_000)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for it.Next() {
			n++
		}
		if err := it.Close(); err != nil || n != 60 {
			b.Fatalf("fetched %d windows, err %v", n, err)
		}
	}
}

// BenchmarkSessionMerge is one record of a session-windowed aggregate:
// find the sessions it joins, remove them, put the merged one.
func BenchmarkSessionMerge(b *testing.B) {
	db := benchDB(b)
	s := mustStore(b, db, "sess")
	bt := db.NewBatch()
	defer bt.Close()
	ss, err := state.NewSessionStore(bt.Store(s), state.SegmentOptions{Retention: 3_600_000})
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, benchValueSize)
	ts := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		ts += 7
		key := benchKey(uint64(ts % 1000))
		start, end, merged, err := ss.Mergeable(key, ts, 5_000)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range merged {
			if err := ss.Remove(m.Key, m.Start, m.End); err != nil {
				b.Fatal(err)
			}
		}
		if err := ss.Put(key, start, end, val); err != nil {
			b.Fatal(err)
		}
		if ts%7000 == 0 {
			if err := bt.Commit(false); err != nil {
				b.Fatal(err)
			}
		}
	}
}
