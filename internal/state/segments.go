package state

import (
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
	return nil
}

func (s *segmented) saveMeta() error {
	var v [16]byte
	binary.BigEndian.PutUint64(v[:], uint64(s.streamTime))
	binary.BigEndian.PutUint64(v[8:], s.seq)
	if err := s.w.Put(metaKey, v[:]); err != nil {
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
// that stops early does not pay for segments it never reaches.
type segIter struct {
	r       Reader
	next    int64 // next segment to open
	last    int64
	reverse bool
	bounds  func(seg int64) IterOptions
	cur     Iterator
	err     error
	done    bool
}

func (it *segIter) advance() bool {
	for !it.done && it.err == nil {
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
		o := it.bounds(it.next)
		o.Reverse = it.reverse
		cur, err := it.r.NewIter(o)
		if err != nil {
			it.err = err
			return false
		}
		it.cur = cur
		if it.reverse {
			it.next--
		} else {
			it.next++
		}
	}
	return false
}

func (it *segIter) close() error {
	it.done = true
	if it.cur != nil {
		err := it.cur.Close()
		it.cur = nil
		if it.err == nil {
			it.err = err
		}
	}
	return it.err
}
