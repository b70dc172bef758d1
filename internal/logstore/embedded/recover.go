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
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		// A power loss right after the topic was created can lose a
		// partition directory whose parent rename survived.
		lg.Warn("embedded: partition directory is missing; recreating it")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, 0, fmt.Errorf("embedded: recreate partition directory: %w", err)
		}
	}
	if err := finishCompaction(dir); err != nil {
		return nil, 0, err
	}
	bases, err := listSegments(dir)
	if err != nil {
		return nil, 0, err
	}
	// Segments that start past the committed end hold only uncommitted
	// records (a segment is created for the record it starts with). One
	// that starts at the end is kept, cut to nothing, as the active one.
	for len(bases) > 0 && bases[len(bases)-1] > end {
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
	sc, err := scanSegment(f, s.indexPath(), base, fi.Size(), limit)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if sc.torn {
		lg.Warn("embedded: segment has a torn or damaged tail; cutting it", "segment", base, "at", sc.size, "bytes", fi.Size()-sc.size)
	}
	if sc.size < fi.Size() {
		if err := f.Truncate(sc.size); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("embedded: cut segment tail: %w", err)
		}
	}
	if !active {
		s.f = f
		s.init(sc.size, sc.maxTs, sc.entries, fi.ModTime().UnixMilli())
		return s, sc.next, nil
	}
	idx, err := os.OpenFile(s.indexPath(), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("embedded: open index: %w", err)
	}
	if err := idx.Truncate(int64(len(sc.entries)) * indexEntrySize); err != nil {
		f.Close()
		idx.Close()
		return nil, 0, fmt.Errorf("embedded: cut index: %w", err)
	}
	s.f = f
	w := &segWriter{idx: idx, size: sc.size, maxTs: sc.maxTs, entries: sc.entries}
	if len(sc.entries) > 0 {
		w.lastEntry = sc.entries[len(sc.entries)-1].pos
	}
	s.w = w
	s.init(sc.size, sc.maxTs, sc.entries, fi.ModTime().UnixMilli())
	return s, sc.next, nil
}

// segmentScan is what a segment holds below a limit.
type segmentScan struct {
	entries []indexEntry // index entries that check out
	size    int64        // bytes of whole records below the limit
	next    int64        // offset after the last such record
	maxTs   int64
	torn    bool // the scan stopped at bytes that are not a record
}

// scanSegment reads a segment's index and scans its tail, from the last
// index entry that points at the record it names (an entry written just
// before a crash may point at torn bytes), without changing anything.
func scanSegment(f *os.File, indexPath string, base, size, limit int64) (segmentScan, error) {
	entries, err := readIndex(indexPath, base, size)
	if err != nil {
		return segmentScan{}, err
	}
	for len(entries) > 0 && entries[len(entries)-1].offset >= limit {
		entries = entries[:len(entries)-1]
	}
	var (
		pos   int64
		maxTs = int64(math.MinInt64)
	)
	buf := make([]byte, 0, 64<<10)
	for len(entries) > 0 {
		e := entries[len(entries)-1]
		r := newSegReader(f, e.pos, size, 64<<10, true)
		r.buf = buf
		_, h, err := r.next()
		buf = r.buf
		if err == nil && h.offset == e.offset {
			pos, maxTs = e.pos, e.prefixMax
			break
		}
		entries = entries[:len(entries)-1]
	}
	sc := segmentScan{entries: entries, size: size, next: base, maxTs: maxTs}
	r := newSegReader(f, pos, size, 64<<10, true)
	r.buf = buf
	for {
		at := r.pos()
		_, h, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil || h.offset >= limit || h.offset < sc.next {
			sc.size = at
			sc.torn = err != nil
			break
		}
		sc.next = h.offset + 1
		sc.maxTs = max(sc.maxTs, h.timestamp)
	}
	return sc, nil
}

// diskEnd returns the offset after the last whole record of a partition's
// last segment: how far the data on disk reaches, committed or not. Journal
// replay stops at the first commit that reaches past it, so a commit whose
// records the OS lost (Sync=never, power loss) vanishes from every
// partition rather than from some.
func diskEnd(dir string) (int64, error) {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err := finishCompaction(dir); err != nil {
		return 0, err
	}
	bases, err := listSegments(dir)
	if err != nil || len(bases) == 0 {
		return 0, err
	}
	s := &segment{base: bases[len(bases)-1], dir: dir}
	f, err := os.Open(s.logPath())
	if err != nil {
		return 0, fmt.Errorf("embedded: open segment: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("embedded: stat segment: %w", err)
	}
	sc, err := scanSegment(f, s.indexPath(), s.base, fi.Size(), math.MaxInt64)
	if err != nil {
		return 0, err
	}
	return sc.next, nil
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
