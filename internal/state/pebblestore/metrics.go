package pebblestore

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/state"
)

// Flush writes the memtables to sstables, so that ApproximateSize counts
// everything. Benchmarks and size reports use it; the engine need not.
func (db *DB) Flush() error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return state.ErrClosed
	}
	if err := db.pdb.Flush(); err != nil {
		return fmt.Errorf("pebblestore: flush: %w", err)
	}
	return nil
}

// Metrics is a summary of the DB's health for /metrics: what explains the
// state's disk use and write latency.
type Metrics struct {
	DiskUsageBytes      uint64 // sstables, WAL and metadata on disk
	MemTableBytes       uint64 // data not yet flushed
	CompactionDebtBytes uint64 // bytes compactions must still rewrite
	ReadAmp             int    // sstables a point read may consult
	BlockCacheHits      int64
	BlockCacheMisses    int64
	Flushes             int64
	Compactions         int64
	WriteStalls         int64 // times writes were stopped for compactions
}

// Metrics returns current metrics; zero on a closed DB.
func (db *DB) Metrics() Metrics {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return Metrics{}
	}
	m := db.pdb.Metrics()
	return Metrics{
		DiskUsageBytes:      m.DiskSpaceUsage(),
		MemTableBytes:       m.MemTable.Size,
		CompactionDebtBytes: m.Compact.EstimatedDebt,
		ReadAmp:             m.ReadAmp(),
		BlockCacheHits:      m.BlockCache.Hits,
		BlockCacheMisses:    m.BlockCache.Misses,
		Flushes:             m.Flush.Count,
		Compactions:         m.Compact.Count,
		WriteStalls:         db.stalls.Load(),
	}
}

// DiskUsage returns the bytes the whole DB takes on disk: sstables, WAL and
// metadata files.
func (db *DB) DiskUsage() uint64 {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return 0
	}
	return db.pdb.Metrics().DiskSpaceUsage()
}
