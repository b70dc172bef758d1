package pebblestore

import (
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Options configure a DB. The zero value is usable: EnsureDefaults fills in
// every zero field.
type Options struct {
	// Logger receives Pebble's messages and the store's own. Default: a
	// logger that discards everything.
	Logger *slog.Logger

	// CacheSize is the block cache in bytes, shared by every store of the
	// server. Default: 64 MiB.
	CacheSize int64

	// MemTableSize is the size of one memtable in bytes. Streaming state
	// is write-heavy, so this is larger than Pebble's 4 MiB. Default: 32 MiB.
	// Must be under 4 GiB.
	MemTableSize uint64

	// MaxOpenFiles bounds the open sstables. Default: 1000.
	MaxOpenFiles int

	// ViewCacheBytes bounds the cache of point reads each store view of a
	// batch keeps (see viewcache.go), so one per store of a running task.
	// Default: 4 MiB; negative disables it.
	ViewCacheBytes int64

	// InMemory keeps everything in memory (Pebble's in-memory filesystem);
	// the directory is ignored. For tests and ephemeral servers.
	InMemory bool

	// FS, if set, is the filesystem Pebble uses instead of the operating
	// system's. Tests pass a vfs.MemFS to reopen an in-memory DB, or a
	// crashable one to simulate power loss. Ignored when InMemory is set.
	FS vfs.FS

	// ReadOnly opens an existing DB without writing to it, for inspection
	// tools. Store fails for a missing store; writes fail.
	ReadOnly bool
}

// EnsureDefaults fills in zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.CacheSize == 0 {
		o.CacheSize = 64 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 32 << 20
	}
	if o.MaxOpenFiles == 0 {
		o.MaxOpenFiles = 1000
	}
	if o.ViewCacheBytes == 0 {
		o.ViewCacheBytes = 4 << 20
	}
}

// Validate reports settings that cannot work. Call it after EnsureDefaults.
func (o *Options) Validate() error {
	switch {
	case o.Logger == nil:
		return fmt.Errorf("pebblestore: options: nil logger")
	case o.CacheSize < 0:
		return fmt.Errorf("pebblestore: options: cache size %d is negative", o.CacheSize)
	case o.MemTableSize < 1<<20 || o.MemTableSize >= 4<<30:
		return fmt.Errorf("pebblestore: options: memtable size %d outside [1 MiB, 4 GiB)", o.MemTableSize)
	case o.MaxOpenFiles < 16:
		return fmt.Errorf("pebblestore: options: max open files %d is below 16", o.MaxOpenFiles)
	case o.InMemory && o.ReadOnly:
		return fmt.Errorf("pebblestore: options: an in-memory DB cannot be read-only")
	}
	return nil
}

// pebbleLogger routes Pebble's printf-style logging into slog.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Info(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf must not return: Pebble calls it on invariant violations it cannot
// recover from, such as corruption of its own files. It exits the process,
// as Pebble's default logger does, after logging through slog.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble", "fatal", true)
	os.Exit(1)
}

// eventListener reports the Pebble events an operator must see: stalls
// and slow disks explain latency spikes in every query of the server, and
// background errors may mean lost durability. Flushes and compactions are
// routine and are not logged.
func eventListener(l *slog.Logger, stalls *atomic.Int64) *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) {
			l.Error("pebble background error", "err", err)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			l.Warn("state disk slow", "info", info.String())
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			stalls.Add(1)
			l.Warn("state write stall", "reason", info.Reason)
		},
		WriteStallEnd: func() {
			l.Info("state write stall ended")
		},
	}
}
