package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// The transaction journal is what makes a commit atomic. A commit first
// appends its records to the partitions' segments (invisible, since readers
// stop at each partition's committed end), then appends one journal entry
// naming every partition's new end and every group offset it sets. The
// entry is the commit point: on recovery the journal is replayed, and any
// segment bytes past a partition's journaled end are truncated, so a crash
// between the two steps leaves no trace of the transaction.
//
// Entries use the same frame as records (u32 length, u32 CRC32C, body); a
// torn or damaged entry ends the replay, and the journal is cut there. When
// the journal outgrows Options.JournalSnapshotBytes, the whole state is
// written to a snapshot (atomically, by rename) and the journal restarts
// empty; entries carry a sequence number so that a crash between the two
// leaves no entry applied twice.
const (
	journalFile  = "journal.log"
	snapshotFile = "journal.snapshot"

	entryCommit   = 1
	entrySnapshot = 2
)

// partKey names a partition across topic re-creation: a topic deleted and
// created again gets a new id, so old journal entries no longer apply.
type partKey struct {
	topic string
	id    uint64
	part  int32
}

type groupKey struct {
	group string
	topic string
	part  int32
}

type groupOffset struct {
	topicID uint64
	offset  int64
}

// journalEntry is one commit, or (in a snapshot) the whole state.
type journalEntry struct {
	kind   byte
	seq    uint64
	ends   map[partKey]int64
	groups map[groupKey]groupOffset
}

func (e *journalEntry) encode(buf []byte) []byte {
	start := len(buf)
	buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0, e.kind)
	buf = binary.AppendUvarint(buf, e.seq)
	buf = binary.AppendUvarint(buf, uint64(len(e.ends)))
	// Sorted, so that equal states encode to equal bytes.
	parts := make([]partKey, 0, len(e.ends))
	for k := range e.ends {
		parts = append(parts, k)
	}
	sort.Slice(parts, func(i, j int) bool {
		a, b := parts[i], parts[j]
		if a.topic != b.topic {
			return a.topic < b.topic
		}
		return a.part < b.part
	})
	for _, k := range parts {
		buf = appendString(buf, k.topic)
		buf = binary.AppendUvarint(buf, k.id)
		buf = binary.AppendUvarint(buf, uint64(k.part))
		buf = binary.AppendVarint(buf, e.ends[k])
	}
	buf = binary.AppendUvarint(buf, uint64(len(e.groups)))
	for k, v := range e.groups {
		buf = appendString(buf, k.group)
		buf = appendString(buf, k.topic)
		buf = binary.AppendUvarint(buf, uint64(k.part))
		buf = binary.AppendUvarint(buf, v.topicID)
		buf = binary.AppendVarint(buf, v.offset)
	}
	binary.LittleEndian.PutUint32(buf[start:], uint32(len(buf)-start-frameSize))
	binary.LittleEndian.PutUint32(buf[start+4:], crc32.Checksum(buf[start+frameSize:], castagnoli))
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// decodeEntry parses the entry at the start of b and returns its size.
func decodeEntry(b []byte) (*journalEntry, int, error) {
	n := frameLen(b)
	if n < frameSize+2 || n > len(b) {
		return nil, 0, errCorrupt
	}
	body := b[frameSize:n]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, errCorrupt
	}
	d := decoder{b: body[1:]}
	e := &journalEntry{kind: body[0], ends: map[partKey]int64{}, groups: map[groupKey]groupOffset{}}
	e.seq = d.uvarint()
	for i, np := 0, d.uvarint(); uint64(i) < np && d.err == nil; i++ {
		k := partKey{topic: d.string(), id: d.uvarint(), part: int32(d.uvarint())}
		e.ends[k] = d.varint()
	}
	for i, ng := 0, d.uvarint(); uint64(i) < ng && d.err == nil; i++ {
		k := groupKey{group: d.string(), topic: d.string(), part: int32(d.uvarint())}
		e.groups[k] = groupOffset{topicID: d.uvarint(), offset: d.varint()}
	}
	if d.err != nil {
		return nil, 0, d.err
	}
	return e, n, nil
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil || n > uint64(len(d.b)) {
		d.err = errCorrupt
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// journal is the open journal file; it is used under the commit lock.
type journal struct {
	dir  string
	f    *os.File
	size int64
	seq  uint64
	buf  []byte
}

// recoveredState is what replay yields.
type recoveredState struct {
	seq    uint64
	ends   map[partKey]int64
	groups map[groupKey]groupOffset
}

// openJournal replays the snapshot and the journal, cuts a torn tail and
// leaves the journal open for appending. Replay also stops, and cuts, at
// the first entry that accept rejects.
func openJournal(dir string, logf func(msg string, args ...any), accept func(*journalEntry) bool) (*journal, *recoveredState, error) {
	st := &recoveredState{ends: map[partKey]int64{}, groups: map[groupKey]groupOffset{}}
	snap, err := os.ReadFile(filepath.Join(dir, snapshotFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("embedded: read journal snapshot: %w", err)
	default:
		e, _, err := decodeEntry(snap)
		if err != nil || e.kind != entrySnapshot {
			// The snapshot is written to a temporary file and renamed, so
			// it is whole unless the disk damaged it.
			return nil, nil, fmt.Errorf("embedded: journal snapshot is damaged: %w", errCorrupt)
		}
		st.seq, st.ends, st.groups = e.seq, e.ends, e.groups
	}

	path := filepath.Join(dir, journalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded: open journal: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("embedded: read journal: %w", err)
	}
	var good int
	for good < len(b) {
		e, n, err := decodeEntry(b[good:])
		if err != nil || e.kind != entryCommit {
			logf("embedded: journal has a torn or damaged tail; ignoring it", "at", good, "bytes", len(b)-good)
			break
		}
		if e.seq <= st.seq {
			good += n
			continue // already in the snapshot
		}
		if !accept(e) {
			logf("embedded: a journaled commit reaches past the data on disk, which the OS must have lost; it and later commits are dropped",
				"seq", e.seq, "at", good)
			break
		}
		good += n
		st.seq = e.seq
		for k, v := range e.ends {
			st.ends[k] = v
		}
		for k, v := range e.groups {
			st.groups[k] = v
		}
	}
	if good < len(b) {
		if err := f.Truncate(int64(good)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("embedded: cut journal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("embedded: sync journal: %w", err)
		}
	}
	return &journal{dir: dir, f: f, size: int64(good), seq: st.seq}, st, nil
}

// append writes commit entries in one write, numbering them. On a failed
// write it cuts the journal back, so no torn entry is left for later
// entries to hide behind.
func (j *journal) append(entries []journalEntry) error {
	j.buf = j.buf[:0]
	seq := j.seq
	for i := range entries {
		seq++
		entries[i].seq = seq
		j.buf = entries[i].encode(j.buf)
	}
	if _, err := j.f.WriteAt(j.buf, j.size); err != nil {
		if terr := j.f.Truncate(j.size); terr != nil {
			err = errors.Join(err, terr)
		}
		return fmt.Errorf("embedded: write journal: %w", err)
	}
	j.size += int64(len(j.buf))
	j.seq = seq
	return nil
}

// snapshot replaces the journal by a snapshot of st.
func (j *journal) snapshot(ends map[partKey]int64, groups map[groupKey]groupOffset) error {
	e := journalEntry{kind: entrySnapshot, seq: j.seq, ends: ends, groups: groups}
	if err := writeFileAtomic(filepath.Join(j.dir, snapshotFile), e.encode(nil)); err != nil {
		return fmt.Errorf("embedded: write journal snapshot: %w", err)
	}
	tmp := filepath.Join(j.dir, journalFile+".tmp")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("embedded: restart journal: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(j.dir, journalFile)); err != nil {
		f.Close()
		return fmt.Errorf("embedded: restart journal: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	j.f.Close()
	j.f, j.size = f, 0
	return nil
}

// writeFileAtomic writes a file so that a crash leaves either the old or
// the new content, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("embedded: sync directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("embedded: sync directory %s: %w", dir, err)
	}
	return nil
}
