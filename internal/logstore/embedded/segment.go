package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
)

// A segment is one <base>.log file of a partition and its sparse
// <base>.index. Closed segments are immutable; compaction replaces them
// whole. The active (last) segment grows under the Log's commit lock, and
// readers see only its first visible bytes, which cover committed records.
//
// Readers hold a reference (tryAcquire/release) while they read, so that
// retention, compaction or topic deletion can drop a segment from the
// partition at any time: its file is closed when the last reader lets go.
// Unlinking a file that is still open is fine on the platforms Sluice
// supports, so removal does not wait for readers.
type segment struct {
	base int64
	dir  string
	f    *os.File

	// refs counts the partition's own reference plus one per reader.
	refs atomic.Int32
	// visible is the number of bytes readers may read.
	visible atomic.Int64
	// maxTs is the largest timestamp among visible records (MinInt64 when
	// there are none); OffsetForTime skips segments below the target.
	maxTs atomic.Int64
	// index holds the visible sparse index entries.
	index atomic.Pointer[[]indexEntry]
	// written is the Unix time in ms of the last write; compaction keeps
	// tombstones until it is older than the delete retention.
	written atomic.Int64

	// w is set while the segment is the active one; it is only touched
	// under the Log's commit lock.
	w *segWriter
}

// segWriter is the append state of the active segment. It runs ahead of
// the visible state until the commit that wrote it publishes.
type segWriter struct {
	idx       *os.File
	size      int64
	maxTs     int64
	entries   []indexEntry
	lastEntry int64 // position of the last index entry (0 if none)
}

// indexEntry maps an offset to the file position of its record. prefixMax
// is the largest timestamp of the records before it in the segment, which
// lets a time lookup start at the last entry whose prefix is still below
// the target.
type indexEntry struct {
	offset    int64
	pos       int64
	prefixMax int64
}

const indexEntrySize = 16

func segmentName(base int64) string { return fmt.Sprintf("%020d", base) }

func (s *segment) logPath() string   { return filepath.Join(s.dir, segmentName(s.base)+".log") }
func (s *segment) indexPath() string { return filepath.Join(s.dir, segmentName(s.base)+".index") }

// createSegment starts an empty active segment.
func createSegment(dir string, base int64, nowMs int64) (*segment, error) {
	s := &segment{base: base, dir: dir}
	f, err := os.OpenFile(s.logPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embedded: create segment: %w", err)
	}
	idx, err := os.OpenFile(s.indexPath(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		f.Close()
		os.Remove(s.logPath())
		return nil, fmt.Errorf("embedded: create index: %w", err)
	}
	s.f = f
	s.w = &segWriter{idx: idx, maxTs: math.MinInt64}
	s.init(0, math.MinInt64, nil, nowMs)
	return s, nil
}

func (s *segment) init(visible, maxTs int64, entries []indexEntry, writtenMs int64) {
	s.refs.Store(1)
	s.visible.Store(visible)
	s.maxTs.Store(maxTs)
	s.index.Store(&entries)
	s.written.Store(writtenMs)
}

// tryAcquire takes a reader reference; it fails once the segment has been
// dropped and closed.
func (s *segment) tryAcquire() bool {
	for {
		n := s.refs.Load()
		if n <= 0 {
			return false
		}
		if s.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// release drops a reference and closes the log file with the last one.
// The active segment's index file belongs to the writer, which closes it
// (closeWriter) under the commit lock.
func (s *segment) release() {
	if s.refs.Add(-1) == 0 {
		s.f.Close()
	}
}

// closeWriter ends the segment's active life when the partition rolls.
func (s *segment) closeWriter() {
	if s.w != nil {
		s.w.idx.Close()
		s.w = nil
	}
}

// removeFiles unlinks the segment's files. Readers holding the segment
// keep reading the unlinked file until they release it.
func (s *segment) removeFiles() error {
	err1 := os.Remove(s.logPath())
	err2 := os.Remove(s.indexPath())
	if errors.Is(err2, os.ErrNotExist) {
		err2 = nil
	}
	return errors.Join(err1, err2)
}

// seekPos returns the position to start scanning for offset.
func (s *segment) seekPos(offset int64) int64 {
	entries := *s.index.Load()
	i := sort.Search(len(entries), func(i int) bool { return entries[i].offset > offset })
	if i == 0 {
		return 0
	}
	return entries[i-1].pos
}

// seekTime returns the position to start scanning for the first record
// with a timestamp >= ts: every record before it is older than ts.
func (s *segment) seekTime(ts int64) int64 {
	entries := *s.index.Load()
	i := sort.Search(len(entries), func(i int) bool { return entries[i].prefixMax >= ts })
	if i == 0 {
		return 0
	}
	return entries[i-1].pos
}

func encodeIndexEntry(buf []byte, base int64, e indexEntry) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(e.offset-base))
	buf = binary.LittleEndian.AppendUint32(buf, uint32(e.pos))
	return binary.LittleEndian.AppendUint64(buf, uint64(e.prefixMax))
}

// readIndex loads an index file, keeping the longest prefix of entries
// that are increasing and inside the segment's size.
func readIndex(path string, base, size int64) ([]indexEntry, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("embedded: read index: %w", err)
	}
	entries := make([]indexEntry, 0, len(b)/indexEntrySize)
	prev := indexEntry{offset: base - 1, prefixMax: math.MinInt64}
	for len(b) >= indexEntrySize {
		e := indexEntry{
			offset:    base + int64(binary.LittleEndian.Uint32(b)),
			pos:       int64(binary.LittleEndian.Uint32(b[4:])),
			prefixMax: int64(binary.LittleEndian.Uint64(b[8:])),
		}
		if e.offset <= prev.offset || e.pos <= prev.pos || e.pos >= size || e.prefixMax < prev.prefixMax {
			break
		}
		entries = append(entries, e)
		prev = e
		b = b[indexEntrySize:]
	}
	return entries, nil
}

// listSegments returns the base offsets of the .log files in dir.
func listSegments(dir string) ([]int64, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: list segments: %w", err)
	}
	var bases []int64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok {
			continue
		}
		base, err := strconv.ParseInt(name, 10, 64)
		if err != nil || base < 0 {
			continue
		}
		bases = append(bases, base)
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	return bases, nil
}

// segReader scans records of one file between two positions, reading in
// chunks. With reuse set the chunk buffer is recycled, so returned bytes are
// valid only until the next call; without it every chunk is fresh and the
// returned records may be kept (Fetch hands them to callers).
type segReader struct {
	f       *os.File
	limit   int64
	fileOff int64 // file position of buf[0]
	buf     []byte
	bpos, n int
	chunk   int
	reuse   bool
}

func newSegReader(f *os.File, pos, limit int64, chunk int, reuse bool) *segReader {
	return &segReader{f: f, limit: limit, fileOff: pos, chunk: chunk, reuse: reuse}
}

// pos is the file position of the next record.
func (r *segReader) pos() int64 { return r.fileOff + int64(r.bpos) }

// next returns the next record, io.EOF at the limit, or errCorrupt when the
// bytes before the limit are not a valid record.
func (r *segReader) next() ([]byte, recordHead, error) {
	for {
		cur := r.pos()
		if cur >= r.limit {
			return nil, recordHead{}, io.EOF
		}
		avail := r.buf[r.bpos:r.n]
		need := frameLen(avail)
		if need > 0 && need <= len(avail) {
			h, err := peekRecord(avail[:need])
			if err != nil {
				return nil, h, err
			}
			r.bpos += need
			return avail[:need], h, nil
		}
		if int64(need) > r.limit-cur {
			return nil, recordHead{}, errCorrupt
		}
		if err := r.fill(need); err != nil {
			return nil, recordHead{}, err
		}
	}
}

func (r *segReader) fill(need int) error {
	cur := r.pos()
	rem := r.n - r.bpos
	size := max(r.chunk, need, frameSize)
	if int64(size) > r.limit-cur {
		size = int(r.limit - cur)
	}
	if size <= rem {
		return errCorrupt
	}
	var nb []byte
	if r.reuse && cap(r.buf) >= size {
		nb = r.buf[:size]
		copy(nb, r.buf[r.bpos:r.n])
	} else {
		nb = make([]byte, size)
		copy(nb, r.buf[r.bpos:r.n])
	}
	m, err := r.f.ReadAt(nb[rem:], cur+int64(rem))
	if m == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return errCorrupt
		}
		return fmt.Errorf("embedded: read segment: %w", err)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("embedded: read segment: %w", err)
	}
	r.buf, r.fileOff, r.bpos, r.n = nb, cur, 0, rem+m
	if errors.Is(err, io.EOF) {
		// The file is shorter than the limit: whatever is missing is torn.
		r.limit = cur + int64(r.n)
	}
	return nil
}
