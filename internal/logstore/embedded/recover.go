package embedded

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// recoverPartition opens a partition directory after a clean shutdown or a
// crash. end is the partition's committed end from the journal: everything
// at or past it was never committed and is cut away, so a torn or
// uncommitted tail is never read as data.
func recoverPartition(t *topic, id int32, dir string, end int64, opts *Options) (*partition, int64, error) {
	lg := opts.Logger.With("topic", t.name, "partition", id)
	if err := finishCompaction(dir); err != nil {
		return nil, 0, err
	}
	bases, err := listSegments(dir)
	if err != nil {
		return nil, 0, err
	}
	// Segments that start at or past the committed end hold only
	// uncommitted records (a segment is created for the record it starts
	// with).
	for len(bases) > 0 && bases[len(bases)-1] >= end {
		b := bases[len(bases)-1]
		s := &segment{base: b, dir: dir}
		if err := s.removeFiles(); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, 0, fmt.Errorf("embedded: remove uncommitted segment: %w", err)
		}
		bases = bases[:len(bases)-1]
	}
	nowMs := opts.now().UnixMilli()
	var segs []*segment
	fail := func(err error) (*partition, int64, error) {
		for _, s := range segs {
			s.closeWriter()
			s.release()
		}
		return nil, 0, err
	}
	for i, b := range bases {
		last := i == len(bases)-1
		limit := int64(math.MaxInt64)
		if last {
			limit = end
		}
		s, next, err := openSegment(dir, b, limit, last, lg)
		if err != nil {
			return fail(err)
		}
		segs = append(segs, s)
		if last && next < end {
			// Only possible when the OS lost writes that the journal
			// says were committed: Sync=never or interval, or a disk that
			// lies about fsync.
			lg.Warn("embedded: committed records are missing; the partition resumes at the last record on disk",
				"journal_end", end, "disk_end", next)
			end = next
		}
	}
	if len(segs) == 0 {
		if end > 0 {
			lg.Warn("embedded: partition has no segments; starting an empty one at the committed end", "end", end)
		}
		s, err := createSegment(dir, end, nowMs)
		if err != nil {
			return fail(err)
		}
		segs = append(segs, s)
	}
	return newPartition(t, id, dir, segs, end), end, nil
}

// openSegment opens one segment, checks its index and its tail, and cuts
// records at or past limit (the committed end) and any torn bytes. It
// returns the offset after the last record kept (base when empty).
func openSegment(dir string, base, limit int64, active bool, lg *slog.Logger) (*segment, int64, error) {
	s := &segment{base: base, dir: dir}
	f, err := os.OpenFile(s.logPath(), os.O_RDWR, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("embedded: open segment: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("embedded: stat segment: %w", err)
	}
	size := fi.Size()
	entries, err := readIndex(s.indexPath(), base, size)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	for len(entries) > 0 && entries[len(entries)-1].offset >= limit {
		entries = entries[:len(entries)-1]
	}
	// Scan from the last index entry that points at the record it names;
	// an entry written just before a crash may point at torn bytes.
	var (
		pos   int64
		maxTs = int64(math.MinInt64)
		next  = base
	)
	buf := make([]byte, 0, 64<<10)
	for {
		if len(entries) > 0 {
			e := entries[len(entries)-1]
			pos, maxTs = e.pos, e.prefixMax
			r := newSegReader(f, pos, size, 64<<10, true)
			r.buf = buf
			_, h, err := r.next()
			buf = r.buf
			if err != nil || h.offset != e.offset {
				entries = entries[:len(entries)-1]
				continue
			}
		} else {
			pos, maxTs = 0, math.MinInt64
		}
		break
	}
	r := newSegReader(f, pos, size, 64<<10, true)
	r.buf = buf
	cut := size
	for {
		at := r.pos()
		_, h, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil || h.offset >= limit || h.offset < next {
			cut = at
			if err != nil {
				lg.Warn("embedded: segment has a torn or damaged tail; cutting it", "segment", base, "at", at, "bytes", size-at)
			}
			break
		}
		next = h.offset + 1
		maxTs = max(maxTs, h.timestamp)
	}
	if cut < size {
		if err := f.Truncate(cut); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("embedded: cut segment tail: %w", err)
		}
		size = cut
	}
	if !active {
		s.f = f
		s.init(size, maxTs, entries, fi.ModTime().UnixMilli())
		return s, next, nil
	}
	idx, err := os.OpenFile(s.indexPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("embedded: open index: %w", err)
	}
	if err := idx.Truncate(int64(len(entries)) * indexEntrySize); err != nil {
		f.Close()
		idx.Close()
		return nil, 0, fmt.Errorf("embedded: cut index: %w", err)
	}
	s.f = f
	w := &segWriter{idx: idx, size: size, maxTs: maxTs, entries: entries}
	if len(entries) > 0 {
		w.lastEntry = entries[len(entries)-1].pos
	}
	s.w = w
	s.init(size, maxTs, entries, fi.ModTime().UnixMilli())
	return s, next, nil
}

// Compaction writes <base>.log.cleaned and <base>.index.cleaned, then
// renames the log over the old one, then the index. finishCompaction
// completes or discards a rewrite that a crash interrupted: while the new
// log is still beside the old one the old pair is intact, so the rewrite is
// dropped; once the log was renamed, the new index belongs with it.
func finishCompaction(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("embedded: list partition: %w", err)
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	for name := range names {
		switch {
		case strings.HasSuffix(name, ".log.cleaned"):
			base := strings.TrimSuffix(name, ".log.cleaned")
			os.Remove(filepath.Join(dir, name))
			os.Remove(filepath.Join(dir, base+".index.cleaned"))
		case strings.HasSuffix(name, ".index.cleaned"):
			base := strings.TrimSuffix(name, ".index.cleaned")
			if names[base+".log.cleaned"] {
				continue
			}
			if err := os.Rename(filepath.Join(dir, name), filepath.Join(dir, base+".index")); err != nil {
				return fmt.Errorf("embedded: finish compaction: %w", err)
			}
		case strings.HasSuffix(name, ".tmp"):
			os.Remove(filepath.Join(dir, name))
		}
	}
	return nil
}
