package embedded

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/sluicedb/sluice/internal/logstore"
)

// partition is one directory of segments.
//
// Readers never take a lock: they load end, then the segment list and the
// segments' visible sizes, all atomics. The committer stores sizes before
// end, so whatever end a reader sees, the bytes of every record below it
// are visible.
type partition struct {
	topic *topic
	id    int32
	dir   string

	// wmu serialises changes to the segment list: the committer appending
	// rolled segments, and the cleaner removing or replacing closed ones.
	wmu  sync.Mutex
	segs atomic.Pointer[[]*segment]

	start atomic.Int64
	end   atomic.Int64
	// notify is closed and replaced on every commit that moves end, which
	// wakes long-polling readers without any polling.
	notify atomic.Pointer[chan struct{}]
	// hint remembers where the last fetch stopped, so a sequential reader
	// skips the index lookup.
	hint atomic.Pointer[readHint]

	// wact and wnext are the segment and offset the next write goes to.
	// They run ahead of the visible state while written commits wait for
	// the journal, and belong to the Log's commit lock.
	wact  *segment
	wnext int64

	// cleanedTo is one past the base of the last closed segment the last
	// compaction covered; only the cleaner goroutine touches it.
	cleanedTo int64
	// tombstonesLeft says the last compaction kept tombstones that a later
	// pass must remove once they age past the delete retention.
	tombstonesLeft bool
}

type readHint struct {
	seg    *segment
	offset int64
	pos    int64
}

func newPartition(t *topic, id int32, dir string, segs []*segment, end int64) *partition {
	p := &partition{topic: t, id: id, dir: dir}
	p.segs.Store(&segs)
	p.start.Store(segs[0].base)
	p.end.Store(end)
	p.wact, p.wnext = segs[len(segs)-1], end
	ch := make(chan struct{})
	p.notify.Store(&ch)
	return p
}

func (p *partition) segments() []*segment { return *p.segs.Load() }

// wake releases every reader waiting on the partition.
func (p *partition) wake() {
	ch := make(chan struct{})
	old := p.notify.Swap(&ch)
	close(*old)
}

// releaseAll drops the partition's references when it is closed or deleted.
func (p *partition) releaseAll() {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	segs := p.segments()
	for _, s := range segs {
		s.closeWriter()
		s.release()
	}
	p.wact = nil
	empty := []*segment{}
	p.segs.Store(&empty)
}

// pendingRecords is a transaction's buffered records for one partition,
// already encoded; the commit stamps their offsets.
type pendingRecords struct {
	buf    []byte
	starts []int
	ts     []int64
}

func (r *pendingRecords) record(i int) []byte {
	end := len(r.buf)
	if i+1 < len(r.starts) {
		end = r.starts[i+1]
	}
	return r.buf[r.starts[i]:end]
}

// pendingAppend is a partition's share of a commit between writing the
// records and publishing them. Later commits may write past it before it is
// published, so it keeps the state each segment had at the end of this
// write, and publishing exposes exactly that.
type pendingAppend struct {
	p     *partition
	first int64
	n     int

	// Writer state before the write, for rollback.
	active       *segment
	oldSize      int64
	oldMaxTs     int64
	oldEntries   int
	oldLastEntry int64
	rolled       []*segment

	// Visible state after the write: active, then rolled.
	after []segState
}

type segState struct {
	s       *segment
	size    int64
	maxTs   int64
	entries []indexEntry
}

// files lists the files a durable commit must fsync: the segments written
// and the indexes of segments this write closed (an index is otherwise
// left to recovery to check).
func (pa *pendingAppend) files() []*os.File {
	fs := []*os.File{pa.active.f}
	if len(pa.rolled) > 0 {
		fs = append(fs, pa.active.w.idx)
	}
	for i, s := range pa.rolled {
		fs = append(fs, s.f)
		if i < len(pa.rolled)-1 {
			fs = append(fs, s.w.idx)
		}
	}
	return fs
}

// write appends recs after the last written record, rolling segments as
// needed, without making anything visible. The caller holds the commit
// lock.
func (p *partition) write(recs *pendingRecords, segBytes, indexInterval, nowMs int64) (*pendingAppend, error) {
	act := p.wact
	if act == nil {
		return nil, fmt.Errorf("embedded: partition %s/%d: %w", p.topic.name, p.id, logstore.ErrUnknownTopic)
	}
	pa := &pendingAppend{
		p: p, first: p.wnext, n: len(recs.starts),
		active: act, oldSize: act.w.size, oldMaxTs: act.w.maxTs,
		oldEntries: len(act.w.entries), oldLastEntry: act.w.lastEntry,
	}
	cur := act
	runStart := 0
	idxStart := len(cur.w.entries)
	flush := func(runEnd int) error {
		w := cur.w
		if runEnd > runStart {
			if _, err := cur.f.WriteAt(recs.buf[runStart:runEnd], w.size); err != nil {
				return fmt.Errorf("embedded: write segment: %w", err)
			}
			w.size += int64(runEnd - runStart)
		}
		if len(w.entries) > idxStart {
			var b []byte
			for _, e := range w.entries[idxStart:] {
				b = encodeIndexEntry(b, cur.base, e)
			}
			if _, err := w.idx.WriteAt(b, int64(idxStart)*indexEntrySize); err != nil {
				return fmt.Errorf("embedded: write index: %w", err)
			}
		}
		pa.after = append(pa.after, segState{s: cur, size: w.size, maxTs: w.maxTs, entries: w.entries})
		return nil
	}
	for i := range recs.starts {
		rec := recs.record(i)
		off := pa.first + int64(i)
		sealRecord(rec, off)
		pos := cur.w.size + int64(recs.starts[i]-runStart)
		if pos > 0 && pos+int64(len(rec)) > segBytes {
			if err := flush(recs.starts[i]); err != nil {
				return pa, err
			}
			next, err := createSegment(p.dir, off, nowMs)
			if err != nil {
				return pa, err
			}
			pa.rolled = append(pa.rolled, next)
			cur, runStart, idxStart, pos = next, recs.starts[i], 0, 0
		}
		w := cur.w
		if pos > 0 && pos-w.lastEntry >= indexInterval {
			w.entries = append(w.entries, indexEntry{offset: off, pos: pos, prefixMax: w.maxTs})
			w.lastEntry = pos
		}
		w.maxTs = max(w.maxTs, recs.ts[i])
	}
	if err := flush(len(recs.buf)); err != nil {
		return pa, err
	}
	p.wact = cur
	p.wnext = pa.first + int64(pa.n)
	return pa, nil
}

// rollback undoes a write that will not be published. Only the latest
// write of a partition can be rolled back.
func (pa *pendingAppend) rollback() error {
	var errs []error
	for _, s := range pa.rolled {
		s.closeWriter()
		s.release()
		errs = append(errs, s.removeFiles())
	}
	a, w := pa.active, pa.active.w
	w.size, w.maxTs, w.entries, w.lastEntry = pa.oldSize, pa.oldMaxTs, w.entries[:pa.oldEntries], pa.oldLastEntry
	errs = append(errs, a.f.Truncate(pa.oldSize), w.idx.Truncate(int64(pa.oldEntries)*indexEntrySize))
	pa.p.wact, pa.p.wnext = a, pa.first
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("embedded: roll back partition %s/%d: %w", pa.p.topic.name, pa.p.id, err)
	}
	return nil
}

// publish makes a durable append visible to readers. Appends of one
// partition are published in the order they were written.
func (pa *pendingAppend) publish(nowMs int64) {
	p := pa.p
	for _, st := range pa.after {
		s := st.s
		entries := st.entries
		s.index.Store(&entries)
		s.maxTs.Store(st.maxTs)
		s.visible.Store(st.size)
		s.written.Store(nowMs)
	}
	if len(pa.rolled) > 0 {
		// The segments this append rolled away from are closed for good:
		// later writes go to the last one. Their index files belong to no
		// writer any more, so closing them here races with nothing.
		pa.active.closeWriter()
		for _, s := range pa.rolled[:len(pa.rolled)-1] {
			s.closeWriter()
		}
		p.wmu.Lock()
		old := p.segments()
		segs := make([]*segment, 0, len(old)+len(pa.rolled))
		segs = append(append(segs, old...), pa.rolled...)
		p.segs.Store(&segs)
		p.wmu.Unlock()
	}
	p.end.Store(pa.first + int64(pa.n))
	p.wake()
}

// findSegment returns the index of the segment holding offset.
func findSegment(segs []*segment, offset int64) int {
	return sort.Search(len(segs), func(i int) bool { return segs[i].base > offset }) - 1
}

// read returns committed records from offset up to end.
func (p *partition) read(offset, end int64, maxRecords, maxBytes int) ([]logstore.Record, error) {
	for attempt := 0; ; attempt++ {
		recs, retry, err := p.readOnce(offset, end, maxRecords, maxBytes)
		if !retry || attempt > 100 {
			return recs, err
		}
	}
}

// readOnce reports retry when the cleaner swapped a segment under it.
func (p *partition) readOnce(offset, end int64, maxRecords, maxBytes int) ([]logstore.Record, bool, error) {
	segs := p.segments()
	i := findSegment(segs, offset)
	if i < 0 {
		if len(segs) == 0 {
			return nil, false, fmt.Errorf("embedded: %s/%d: %w", p.topic.name, p.id, logstore.ErrUnknownTopic)
		}
		return nil, false, fmt.Errorf("embedded: %s/%d offset %d below start %d: %w", p.topic.name, p.id, offset, segs[0].base, logstore.ErrOffsetOutOfRange)
	}
	// Size reads to what the fetch may return (records average well under
	// 256 bytes in Sluice's topics); a larger record grows its read.
	chunk := min(maxBytes, maxRecords*256, 1<<20)
	chunk = max(chunk, 4<<10)
	out := make([]logstore.Record, 0, min(maxRecords, int(min(end-offset, 1<<20)), max(16, maxBytes/128)))
	bytes := 0
	next := offset
	for ; i < len(segs); i++ {
		s := segs[i]
		if !s.tryAcquire() {
			return nil, true, nil
		}
		pos := int64(-1)
		if h := p.hint.Load(); h != nil && h.seg == s && h.offset == next {
			pos = h.pos
		} else {
			pos = s.seekPos(next)
		}
		r := newSegReader(s.f, pos, s.visible.Load(), chunk, false)
		done := false
		var hintPos int64
		for {
			hintPos = r.pos()
			rec, h, err := r.next()
			if err == io.EOF {
				hintPos = r.pos()
				break
			}
			if err != nil {
				s.release()
				return nil, false, fmt.Errorf("embedded: %s/%d segment %d at %d: %w", p.topic.name, p.id, s.base, r.pos(), err)
			}
			if h.offset < next {
				continue
			}
			if h.offset >= end {
				done = true
				break
			}
			out = append(out, logstore.Record{Partition: p.id})
			if err := decodeRecord(rec, h, &out[len(out)-1]); err != nil {
				s.release()
				return nil, false, fmt.Errorf("embedded: %s/%d offset %d: %w", p.topic.name, p.id, h.offset, err)
			}
			next = h.offset + 1
			bytes += len(out[len(out)-1].Key) + len(out[len(out)-1].Value)
			if len(out) >= maxRecords || bytes >= maxBytes {
				hintPos = r.pos()
				done = true
				break
			}
		}
		p.hint.Store(&readHint{seg: s, offset: next, pos: hintPos})
		s.release()
		if done {
			break
		}
	}
	return out, false, nil
}

// offsetForTime scans for the first committed offset with a timestamp of
// at least ts.
func (p *partition) offsetForTime(ts int64) (int64, error) {
	for attempt := 0; ; attempt++ {
		off, retry, err := p.offsetForTimeOnce(ts)
		if !retry || attempt > 100 {
			return off, err
		}
	}
}

// offsetForTimeOnce reports retry when the cleaner swapped a segment
// under it.
func (p *partition) offsetForTimeOnce(ts int64) (int64, bool, error) {
	end := p.end.Load()
	var buf []byte
	for _, s := range p.segments() {
		if s.maxTs.Load() < ts {
			continue
		}
		if !s.tryAcquire() {
			return 0, true, nil
		}
		r := newSegReader(s.f, s.seekTime(ts), s.visible.Load(), 64<<10, true)
		r.buf = buf
		for {
			_, h, err := r.next()
			if err == io.EOF || (err == nil && h.offset >= end) {
				break
			}
			if err != nil {
				s.release()
				return 0, false, fmt.Errorf("embedded: %s/%d segment %d: %w", p.topic.name, p.id, s.base, err)
			}
			if h.timestamp >= ts {
				s.release()
				return h.offset, false, nil
			}
		}
		buf = r.buf
		s.release()
	}
	return end, false, nil
}
