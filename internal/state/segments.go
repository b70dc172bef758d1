package state

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Window and session stores keep their records in time segments, as Kafka
// Streams' segmented stores do: each record lives in the segment of its
// timestamp (window start, or session end), and inside a segment records
// sort by record key, then time. A lookup of one key costs one seek per live
// segment, a time-range scan touches only the segments it overlaps, and
// expiry deletes whole segments with one range delete instead of finding
// records one by one.
//
// Layout of the store's keys:
//
//	0x00 'm'                    metadata: stream time, next sequence number
//	0x01 segment key time...    records
const (
	tagMeta = 0x00
	tagData = 0x01

	// DefaultMinSegmentInterval is the smallest default segment interval,
	// Kafka Streams' 60 seconds.
	DefaultMinSegmentInterval = 60_000
)

var metaKey = []byte{tagMeta, 'm'}

// noTime marks a segmented store that has not seen a record yet.
const noTime = math.MinInt64

// SegmentOptions configure the retention of a window or session store.
type SegmentOptions struct {
	// Retention is how long, in milliseconds of stream time, a window (by
	// its start) or a session (by its end) is kept. Required.
	Retention int64
	// SegmentInterval is the width of a segment in milliseconds. Zero means
	// max(Retention/2, DefaultMinSegmentInterval), Kafka Streams' default.
	SegmentInterval int64
}

// EnsureDefaults fills in zero fields.
func (o *SegmentOptions) EnsureDefaults() {
	if o.SegmentInterval == 0 {
		o.SegmentInterval = max(o.Retention/2, DefaultMinSegmentInterval)
	}
}

// Validate reports options that cannot work.
func (o SegmentOptions) Validate() error {
	if o.Retention <= 0 {
		return fmt.Errorf("state: retention must be positive, got %d", o.Retention)
	}
	if o.SegmentInterval <= 0 {
		return fmt.Errorf("state: segment interval must be positive, got %d", o.SegmentInterval)
	}
	return nil
}

// segmented is the machinery window and session stores share: metadata,
// stream time, expiry and segment-bounded scans.
type segmented struct {
	r    Reader
	w    Writer // nil when read-only
	opts SegmentOptions

	loaded     bool
	ep         Epocher // nil unless r is a batch view
	epoch      uint64  // ep's epoch when the metadata was loaded
	streamTime int64   // the largest record time put; noTime if none
	seq        uint64  // next sequence number for duplicate-retaining stores
	cleaned    int64   // segments below this are known to be deleted

	// onLoad, if set, is called whenever the metadata is (re)loaded, and
	// onExpire whenever segments before live are deleted, so a layer
	// indexing the store's records follows.
	onLoad   func()
	onExpire func(live int64)

	metaBuf [16]byte
	keyBuf  []byte // record keys being written
}

func newSegmented(r Reader, opts SegmentOptions) (segmented, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return segmented{}, err
	}
	w, _ := r.(Writer)
	ep, _ := r.(Epocher)
	return segmented{r: r, w: w, ep: ep, opts: opts, streamTime: noTime, cleaned: math.MinInt64}, nil
}

func (s *segmented) load() error {
	if s.loaded && s.ep != nil && s.ep.Epoch() != s.epoch {
		// The batch dropped writes this cache may reflect.
		s.loaded, s.streamTime, s.seq, s.cleaned = false, noTime, 0, math.MinInt64
	}
	if s.loaded {
		return nil
	}
	if s.ep != nil {
		s.epoch = s.ep.Epoch()
	}
	v, err := s.r.Get(metaKey)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return fmt.Errorf("state: read segment metadata: %w", err)
	case len(v) != 16:
		return fmt.Errorf("%w: metadata of %d bytes", errBadKey, len(v))
	default:
		s.streamTime = int64(binary.BigEndian.Uint64(v))
		s.seq = binary.BigEndian.Uint64(v[8:])
	}
	s.loaded = true
	if s.onLoad != nil {
		s.onLoad()
	}
	return nil
}

func (s *segmented) saveMeta() error {
	// Writers copy what they keep, so one buffer serves every write.
	v := s.metaBuf[:]
	binary.BigEndian.PutUint64(v, uint64(s.streamTime))
	binary.BigEndian.PutUint64(v[8:], s.seq)
	if err := s.w.Put(metaKey, v); err != nil {
		return fmt.Errorf("state: write segment metadata: %w", err)
	}
	return nil
}

// minLive returns the smallest record time that has not expired.
func (s *segmented) minLive() int64 {
	if s.streamTime == noTime {
		return math.MinInt64
	}
	if s.streamTime < math.MinInt64+s.opts.Retention {
		return math.MinInt64
	}
	return s.streamTime - s.opts.Retention + 1
}

func (s *segmented) segment(t int64) int64 { return floorDiv(t, s.opts.SegmentInterval) }

// observe admits a write of a record at time t: it rejects expired records,
// advances stream time and deletes the segments that fell out of retention.
// The metadata is written only when it changed, so a batch of records in one
// window costs one metadata write, not one per record.
func (s *segmented) observe(t int64, bumpSeq bool) error {
	if s.w == nil {
		return ErrReadOnly
	}
	if err := s.load(); err != nil {
		return err
	}
	if t < s.minLive() {
		return fmt.Errorf("%w: time %d is before %d (stream time %d, retention %d)",
			ErrExpired, t, s.minLive(), s.streamTime, s.opts.Retention)
	}
	dirty := bumpSeq
	if bumpSeq {
		s.seq++
	}
	if t > s.streamTime {
		s.streamTime = t
		dirty = true
		if err := s.expire(); err != nil {
			return err
		}
	}
	if dirty {
		return s.saveMeta()
	}
	return nil
}

// expire deletes every segment whose records are all older than minLive.
func (s *segmented) expire() error {
	live := s.segment(s.minLive())
	if live <= s.cleaned || s.minLive() == math.MinInt64 {
		return nil
	}
	end := appendTime([]byte{tagData}, live)
	if err := s.w.DeleteRange([]byte{tagData}, end); err != nil {
		return fmt.Errorf("state: expire segments before %d: %w", live, err)
	}
	s.cleaned = live
	if s.onExpire != nil {
		s.onExpire(live)
	}
	return nil
}

// span returns the range of live segments that can hold records with times
// in [from, to], clamping from to the retention; ok is false if none can.
func (s *segmented) span(from, to int64) (first, last int64, from2 int64, ok bool, err error) {
	if err := s.load(); err != nil {
		return 0, 0, 0, false, err
	}
	if s.streamTime == noTime {
		return 0, 0, 0, false, nil
	}
	from = max(from, s.minLive())
	to = min(to, s.streamTime)
	if from > to {
		return 0, 0, 0, false, nil
	}
	return s.segment(from), s.segment(to), from, true, nil
}

// segmentPrefix returns the key prefix of one segment.
func segmentPrefix(seg int64) []byte {
	return appendTime(append(make([]byte, 0, 32), tagData), seg)
}

// StreamTime returns the largest record time the store has seen, and false
// if it has seen none.
func (s *segmented) StreamTime() (int64, bool, error) {
	if err := s.load(); err != nil {
		return 0, false, err
	}
	return s.streamTime, s.streamTime != noTime, nil
}

// segIter concatenates per-segment iterators, opening each lazily so a scan
// that stops early does not pay for segments it never reaches. Segments
// that mem knows are read from memory instead: the iterator is then onMem,
// and row returns the current window.
type segIter struct {
	r       Reader
	next    int64 // next segment to open
	last    int64
	reverse bool
	cur     Iterator
	err     error
	done    bool

	// What to scan in each segment: with single, keyFrom's records from
	// timeFrom (the first time in the key) to timeTo if hasTimeTo, else to
	// the key's end; otherwise every key in [keyFrom, keyTo], nil bounds
	// open.
	single           bool
	keyFrom, keyTo   []byte
	timeFrom, timeTo int64
	hasTimeTo        bool

	// mem, if set, answers the segments it knows for memKey's windows in
	// [memFrom, memTo].
	mem            *windowCache
	memKey         []byte
	memFrom, memTo int64
	onMem          bool
	rows           []cachedWindow
	rowPos         int
	rowBuf         [4]cachedWindow
}

func (it *segIter) row() *cachedWindow { return &it.rows[it.rowPos] }

func (it *segIter) advance() bool {
	for !it.done && it.err == nil {
		if it.onMem {
			if it.reverse {
				it.rowPos--
			} else {
				it.rowPos++
			}
			if it.rowPos >= 0 && it.rowPos < len(it.rows) {
				return true
			}
			it.onMem, it.rows = false, nil
		}
		if it.cur != nil {
			if it.cur.Next() {
				return true
			}
			err := it.cur.Close()
			it.cur = nil
			if err != nil {
				it.err = err
				return false
			}
		}
		if (!it.reverse && it.next > it.last) || (it.reverse && it.next < it.last) {
			it.done = true
			return false
		}
		seg := it.next
		if it.reverse {
			it.next--
		} else {
			it.next++
		}
		if it.mem != nil {
			if rows, ok := it.mem.lookup(it.rowBuf[:0], seg, it.memKey, it.memFrom, it.memTo); ok {
				it.onMem, it.rows, it.rowPos = true, rows, -1
				if it.reverse {
					it.rowPos = len(rows)
				}
				continue
			}
		}
		o := it.bounds(seg)
		cur, err := it.r.NewIter(o)
		if err != nil {
			it.err = err
			return false
		}
		it.cur = cur
	}
	return false
}

// bounds returns the range to scan in one segment.
func (it *segIter) bounds(seg int64) IterOptions {
	p := segmentPrefix(seg)
	if it.single {
		k := appendKey(p, it.keyFrom)
		o := IterOptions{Start: appendTime(bytes.Clone(k), it.timeFrom), End: prefixEnd(k), Reverse: it.reverse}
		if it.hasTimeTo {
			o.End = prefixEnd(appendTime(k, it.timeTo))
		}
		return o
	}
	o := IterOptions{Start: p, End: prefixEnd(p), Reverse: it.reverse}
	if it.keyFrom != nil {
		o.Start = appendKey(bytes.Clone(p), it.keyFrom)
	}
	if it.keyTo != nil {
		o.End = prefixEnd(appendKey(bytes.Clone(p), it.keyTo))
	}
	return o
}

func (it *segIter) close() error {
	it.done, it.onMem, it.rows = true, false, nil
	if it.cur != nil {
		err := it.cur.Close()
		it.cur = nil
		if it.err == nil {
			it.err = err
		}
	}
	return it.err
}
