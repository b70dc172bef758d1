package state

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
)

// A window store that retains duplicates (the windows of a stream-stream
// join) keeps an in-memory index of the segments it has written from their
// start, so that the single-key fetch the join makes for every record reads
// memory instead of seeking every level of the LSM once per segment. Writes
// still go to the store view, so the batch commits them with the task's
// outputs and offsets exactly as before; the index only answers reads, and
// only for segments it knows completely.
//
// Completeness needs no scan of the store: records are only put at or
// before stream time, so every segment after the one holding stream time is
// empty when the window store loads its metadata, and since every write
// goes through this window store (as its contract requires), the index
// holds all of such a segment's records. Segments at or before it, which a
// restart finds already written, are read from the store until they
// expire. When the index outgrows its budget it gives up its oldest
// segments, which are then read from the store too.
//
// Such a store never overwrites or deletes a window, so a segment is an
// append-only log of windows in pointer-free chunks, chained per key hash:
// the garbage collector does not scan it, and bytes once written never
// change, so a fetch's results stay valid while later puts append.

// DefaultWindowCacheBytes is a window store's default index budget: about
// what Kafka Streams gives a segmented RocksDB store in memtables.
const DefaultWindowCacheBytes = 64 << 20

const (
	chunkSize = 1 << 20
	// noRef ends a chain.
	noRef = math.MaxUint64
	// entryHeader is prev ref, start and seq.
	entryHeader = 24
)

// cachedWindow is one window a fetch found; value points into a chunk.
type cachedWindow struct {
	start int64
	seq   uint64
	value []byte
}

type cachedSegment struct {
	// heads maps a key's hash to its newest window's ref: chunk index in
	// the high 32 bits, offset in the low 32.
	heads   map[uint64]uint64
	chunks  [][]byte
	bytes   int64
	evicted bool
}

type windowCache struct {
	limit int64 // <= 0: disabled
	bytes int64
	// from is the first segment the index may know; a segment at or after
	// it without an entry in segs is empty.
	from int64
	segs map[int64]*cachedSegment
	seed maphash.Seed
}

func newWindowCache(limit int64) windowCache {
	c := windowCache{limit: limit, seed: maphash.MakeSeed()}
	c.reset(math.MaxInt64)
	return c
}

// reset forgets everything; segments from on are known empty.
func (c *windowCache) reset(from int64) {
	c.bytes, c.from, c.segs = 0, from, nil
	if c.limit <= 0 {
		c.from = math.MaxInt64
	}
}

// known reports whether the index knows segment seg completely, and
// returns its index (nil when it is empty).
func (c *windowCache) known(seg int64) (*cachedSegment, bool) {
	if seg < c.from {
		return nil, false
	}
	s := c.segs[seg]
	if s != nil && s.evicted {
		return nil, false
	}
	return s, true
}

// lookup appends to dst the windows of key in segment seg that start in
// [from, to], in (start, seq) order, and reports whether the index knows
// that segment completely.
func (c *windowCache) lookup(dst []cachedWindow, seg int64, key []byte, from, to int64) ([]cachedWindow, bool) {
	s, ok := c.known(seg)
	if !ok || s == nil {
		return dst, ok
	}
	ref, found := s.heads[maphash.Bytes(c.seed, key)]
	if !found {
		return dst, true
	}
	n := len(dst)
	for ref != noRef {
		b := s.chunks[ref>>32][uint32(ref):]
		prev := binary.LittleEndian.Uint64(b)
		start := int64(binary.LittleEndian.Uint64(b[8:]))
		seq := binary.LittleEndian.Uint64(b[16:])
		klen, m := binary.Uvarint(b[entryHeader:])
		vlen, m2 := binary.Uvarint(b[entryHeader+m:])
		k := b[entryHeader+m+m2:][:klen]
		if start >= from && start <= to && bytes.Equal(k, key) {
			v := b[entryHeader+m+m2+int(klen):][:vlen:vlen]
			dst = append(dst, cachedWindow{start: start, seq: seq, value: v})
		}
		ref = prev
	}
	// The chain runs newest first, so its reverse is seq order; late
	// records can still leave it out of start order.
	found2 := dst[n:]
	slices.Reverse(found2)
	slices.SortStableFunc(found2, func(a, b cachedWindow) int {
		switch {
		case a.start < b.start:
			return -1
		case a.start > b.start:
			return 1
		}
		return 0
	})
	return dst, true
}

// put appends a window to its segment's index, if the index follows the
// segment.
func (c *windowCache) put(seg int64, key []byte, start int64, seq uint64, value []byte) {
	if seg < c.from {
		return
	}
	s := c.segs[seg]
	if s == nil {
		if c.segs == nil {
			c.segs = make(map[int64]*cachedSegment)
		}
		s = &cachedSegment{heads: make(map[uint64]uint64)}
		c.segs[seg] = s
	}
	if s.evicted {
		return
	}
	size := entryHeader + 2*binary.MaxVarintLen64 + len(key) + len(value)
	last := len(s.chunks) - 1
	if last < 0 || cap(s.chunks[last])-len(s.chunks[last]) < size {
		s.chunks = append(s.chunks, make([]byte, 0, max(chunkSize, size)))
		last++
		c.bytes += int64(cap(s.chunks[last]))
		s.bytes += int64(cap(s.chunks[last]))
	}
	h := maphash.Bytes(c.seed, key)
	prev, ok := s.heads[h]
	if !ok {
		prev = noRef
		// A map slot, roughly.
		c.bytes += 24
		s.bytes += 24
	}
	chunk := s.chunks[last]
	ref := uint64(last)<<32 | uint64(len(chunk))
	chunk = binary.LittleEndian.AppendUint64(chunk, prev)
	chunk = binary.LittleEndian.AppendUint64(chunk, uint64(start))
	chunk = binary.LittleEndian.AppendUint64(chunk, seq)
	chunk = binary.AppendUvarint(chunk, uint64(len(key)))
	chunk = binary.AppendUvarint(chunk, uint64(len(value)))
	chunk = append(chunk, key...)
	chunk = append(chunk, value...)
	s.chunks[last] = chunk
	s.heads[h] = ref
	c.trim()
}

// expire drops the segments before live, which the store has deleted.
func (c *windowCache) expire(live int64) {
	for seg, s := range c.segs {
		if seg < live {
			c.bytes -= s.bytes
			delete(c.segs, seg)
		}
	}
}

// trim gives up the oldest segments until the index fits its budget. An
// evicted segment stays marked, so later writes to it are not indexed and
// reads of it go to the store.
func (c *windowCache) trim() {
	for c.bytes > c.limit {
		oldest, found := int64(math.MaxInt64), false
		for seg, s := range c.segs {
			if !s.evicted && seg <= oldest {
				oldest, found = seg, true
			}
		}
		if !found {
			return
		}
		s := c.segs[oldest]
		c.bytes -= s.bytes
		s.heads, s.chunks, s.bytes, s.evicted = nil, nil, 0, true
	}
}
