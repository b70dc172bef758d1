package embedded

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// runCleaner applies retention and compaction every
// RetentionCheckInterval until ctx ends.
func (l *Log) runCleaner(ctx context.Context) {
	tick := time.NewTicker(l.opts.RetentionCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.clean(ctx)
		}
	}
}

// clean runs one retention and compaction pass over every partition.
func (l *Log) clean(ctx context.Context) {
	l.mu.RLock()
	var parts []*partition
	for _, t := range l.topics {
		parts = append(parts, t.parts...)
	}
	l.mu.RUnlock()
	now := l.opts.now()
	for _, p := range parts {
		if ctx.Err() != nil {
			return
		}
		l.applyRetention(p, now)
		if p.topic.compact {
			if err := l.compact(ctx, p, now); err != nil && ctx.Err() == nil && !p.topic.isGone() {
				l.lg.Warn("embedded: compaction failed", "topic", p.topic.name, "partition", p.id, "err", err)
			}
		}
	}
}

// applyRetention deletes whole closed segments, oldest first, that are
// past the topic's retention time (by their largest timestamp, as Kafka)
// or that the partition can lose while staying above retention bytes.
func (l *Log) applyRetention(p *partition, now time.Time) {
	t := p.topic
	if t.retentionTime <= 0 && t.retentionBytes <= 0 {
		return
	}
	p.wmu.Lock()
	segs := p.segments()
	if len(segs) < 2 || t.isGone() {
		p.wmu.Unlock()
		return
	}
	var total int64
	for _, s := range segs {
		total += s.visible.Load()
	}
	horizon := now.Add(-t.retentionTime).UnixMilli()
	drop := 0
	for drop < len(segs)-1 {
		s := segs[drop]
		ts := s.maxTs.Load()
		if ts == math.MinInt64 {
			ts = s.written.Load()
		}
		byTime := t.retentionTime > 0 && ts < horizon
		bySize := t.retentionBytes > 0 && total-s.visible.Load() >= t.retentionBytes
		if !byTime && !bySize {
			break
		}
		total -= s.visible.Load()
		drop++
	}
	if drop == 0 {
		p.wmu.Unlock()
		return
	}
	kept := append([]*segment(nil), segs[drop:]...)
	p.segs.Store(&kept)
	p.start.Store(kept[0].base)
	p.wmu.Unlock()
	for _, s := range segs[:drop] {
		if err := s.removeFiles(); err != nil {
			l.lg.Warn("embedded: could not remove expired segment", "topic", t.name, "partition", p.id, "segment", s.base, "err", err)
		}
		s.release()
	}
	l.lg.Info("embedded: retention deleted segments", "topic", t.name, "partition", p.id, "segments", drop, "start", kept[0].base)
}

// compact rewrites closed segments keeping the latest record per key.
// Offsets are kept, so readers see gaps. Tombstones go once their segment
// is older than the delete retention.
//
// A Record carries no "skip to" offset (a Kafka batch header does), so a
// reader positioned in a gap must find a record after it before the end:
// the active segment, never compacted, provides one whenever it is not
// empty. When it is empty (right after recovery cut an uncommitted roll),
// the last closed segment is left alone until records arrive.
func (l *Log) compact(ctx context.Context, p *partition, now time.Time) error {
	segs := p.segments()
	if len(segs) < 2 {
		return nil
	}
	for i, s := range segs {
		if !s.tryAcquire() {
			for _, s := range segs[:i] {
				s.release()
			}
			return nil
		}
	}
	defer func() {
		for _, s := range segs {
			s.release()
		}
	}()
	closed := segs[:len(segs)-1]
	if segs[len(segs)-1].visible.Load() == 0 {
		closed = closed[:len(closed)-1]
	}
	if len(closed) == 0 {
		return nil
	}
	closedEnd := closed[len(closed)-1].base + 1
	if closedEnd <= p.cleanedTo && !p.tombstonesLeft {
		return nil
	}
	end := p.end.Load()

	// Pass 1: the latest offset of every key, over all committed data.
	latest := map[string]int64{}
	var buf []byte
	for _, s := range segs {
		r := newSegReader(s.f, 0, s.visible.Load(), 256<<10, true)
		r.buf = buf
		for {
			rec, h, err := r.next()
			if err == io.EOF || (err == nil && h.offset >= end) {
				break
			}
			if err != nil {
				return fmt.Errorf("scan segment %d: %w", s.base, err)
			}
			key, _, err := keyOf(rec, h)
			if err != nil {
				return err
			}
			if key != nil {
				latest[string(key)] = h.offset
			}
		}
		buf = r.buf
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	// Pass 2: rewrite each closed segment that loses records.
	tombstonesLeft := false
	horizon := now.Add(-p.topic.deleteRetention).UnixMilli()
	for _, s := range closed {
		dropTombstones := s.written.Load() < horizon
		ns, kept, err := l.rewriteSegment(s, latest, dropTombstones)
		if err != nil {
			return fmt.Errorf("rewrite segment %d: %w", s.base, err)
		}
		tombstonesLeft = tombstonesLeft || kept
		if ns == nil {
			continue
		}
		p.wmu.Lock()
		cur := p.segments()
		swapped := false
		if !p.topic.isGone() {
			for i, c := range cur {
				if c == s {
					next := append([]*segment(nil), cur...)
					next[i] = ns
					p.segs.Store(&next)
					swapped = true
					break
				}
			}
		}
		p.wmu.Unlock()
		if swapped {
			s.release() // the partition's reference
		} else {
			ns.release()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	p.cleanedTo = closedEnd
	p.tombstonesLeft = tombstonesLeft
	return nil
}

// rewriteSegment copies the records of s that survive compaction into a
// new file, and installs it under the old name (see finishCompaction for
// the crash protocol). It returns nil when nothing would be removed, and
// whether tombstones were kept for later removal.
func (l *Log) rewriteSegment(s *segment, latest map[string]int64, dropTombstones bool) (*segment, bool, error) {
	size := s.visible.Load()
	r := newSegReader(s.f, 0, size, 256<<10, true)
	var (
		out            []byte
		entries        []indexEntry
		lastEntry      int64
		maxTs          = int64(math.MinInt64)
		tombstonesKept bool
	)
	emit := func(b []byte, h recordHead) {
		pos := int64(len(out))
		if pos > 0 && pos-lastEntry >= l.opts.IndexIntervalBytes {
			entries = append(entries, indexEntry{offset: h.offset, pos: pos, prefixMax: maxTs})
			lastEntry = pos
		}
		out = append(out, b...)
		maxTs = max(maxTs, h.timestamp)
	}
	for {
		b, h, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
		key, tomb, err := keyOf(b, h)
		if err != nil {
			return nil, false, err
		}
		if key != nil && (latest[string(key)] != h.offset || tomb && dropTombstones) {
			continue
		}
		if tomb {
			tombstonesKept = true
		}
		emit(b, h)
	}
	if int64(len(out)) == size {
		return nil, tombstonesKept, nil
	}
	logPath, idxPath := s.logPath()+".cleaned", s.indexPath()+".cleaned"
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, false, err
	}
	fail := func(err error) (*segment, bool, error) {
		f.Close()
		os.Remove(logPath)
		os.Remove(idxPath)
		return nil, false, err
	}
	var ib []byte
	for _, e := range entries {
		ib = encodeIndexEntry(ib, s.base, e)
	}
	if _, err := f.Write(out); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(idxPath, ib, 0o644); err != nil {
		return fail(err)
	}
	if l.opts.Sync != SyncNever {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
		if err := syncFile(idxPath); err != nil {
			return fail(err)
		}
	}
	// Keep the old write time: the tombstone horizon counts from it.
	written := time.UnixMilli(s.written.Load())
	os.Chtimes(logPath, written, written)
	if err := os.Rename(logPath, s.logPath()); err != nil {
		return fail(err)
	}
	if err := os.Rename(idxPath, s.indexPath()); err != nil {
		// The new log is in place; recovery installs the index.
		l.lg.Warn("embedded: compacted index not installed yet", "segment", s.base, "err", err)
	}
	if l.opts.Sync != SyncNever {
		if err := syncDir(s.dir); err != nil {
			l.lg.Warn("embedded: sync after compaction", "err", err)
		}
	}
	ns := &segment{base: s.base, dir: s.dir, f: f}
	ns.init(int64(len(out)), maxTs, entries, s.written.Load())
	return ns, tombstonesKept, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}
