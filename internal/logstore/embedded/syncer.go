package embedded

import (
	"context"
	"errors"
	"os"
	"time"
)

// runSyncer flushes files written under SyncInterval.
func (l *Log) runSyncer(ctx context.Context) {
	tick := time.NewTicker(l.opts.SyncInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.syncDirty()
		}
	}
}

func (l *Log) markDirty(f *os.File) {
	l.dirtyMu.Lock()
	l.dirty[f] = struct{}{}
	l.dirtyMu.Unlock()
}

// syncDirty flushes segments before the journal, so that a synced journal
// entry points at synced data. A file closed since (a rolled or deleted
// segment, a restarted journal) is skipped.
func (l *Log) syncDirty() {
	l.dirtyMu.Lock()
	files := l.dirty
	l.dirty = map[*os.File]struct{}{}
	l.dirtyMu.Unlock()
	var journalFiles []*os.File
	l.lockSync()
	jf := l.jr.f
	l.unlockSync()
	for f := range files {
		if f == jf {
			journalFiles = append(journalFiles, f)
			continue
		}
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			l.lg.Warn("embedded: background sync failed", "file", f.Name(), "err", err)
		}
	}
	for _, f := range journalFiles {
		if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
			l.lg.Warn("embedded: background journal sync failed", "err", err)
		}
	}
}
