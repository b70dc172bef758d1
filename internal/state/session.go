package state

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Session is one session window of a key: the records of the key whose
// timestamps are within the inactivity gap of each other, from Start to End
// inclusive.
type Session struct {
	Key        []byte
	Start, End int64
	Value      []byte
}

// SessionStore keeps values by (key, session start, session end), with
// Kafka Streams' SessionStore semantics: stream time is the largest session
// end put, and sessions that end at or before stream time minus retention
// are dropped on put and invisible to reads. Records are segmented by
// session end, so finding the sessions a new record may merge with costs one
// seek per live segment.
//
// As with WindowStore, every write to the store must go through the same
// SessionStore, which follows its batch's epochs, is cheap to build and is
// not safe for concurrent use.
type SessionStore struct {
	seg segmented
}

// NewSessionStore returns a session store over r, writable if r is also a
// Writer.
func NewSessionStore(r Reader, opts SegmentOptions) (*SessionStore, error) {
	seg, err := newSegmented(r, opts)
	if err != nil {
		return nil, err
	}
	return &SessionStore{seg: seg}, nil
}

func (s *SessionStore) recordKey(key []byte, start, end int64) []byte {
	k := segmentPrefix(s.seg.segment(end))
	k = appendKey(k, key)
	k = appendTime(k, end)
	return appendTime(k, start)
}

// Put stores value for the session [start, end] of key; a nil value removes
// it. A session that has already expired is not written, and Put returns an
// error wrapping ErrExpired.
func (s *SessionStore) Put(key []byte, start, end int64, value []byte) error {
	if value == nil {
		return s.Remove(key, start, end)
	}
	if start > end {
		return fmt.Errorf("state: session start %d after end %d", start, end)
	}
	if err := s.seg.observe(end, false); err != nil {
		return err
	}
	return s.seg.w.Put(s.recordKey(key, start, end), value)
}

// Remove deletes the session [start, end] of key. Removing an expired or
// missing session is not an error, and does not advance stream time.
func (s *SessionStore) Remove(key []byte, start, end int64) error {
	if s.seg.w == nil {
		return ErrReadOnly
	}
	if err := s.seg.load(); err != nil {
		return err
	}
	if end < s.seg.minLive() {
		return nil
	}
	return s.seg.w.Delete(s.recordKey(key, start, end))
}

// Get returns the value of the session [start, end] of key, or an error
// wrapping ErrNotFound.
func (s *SessionStore) Get(key []byte, start, end int64) ([]byte, error) {
	if _, _, _, ok, err := s.seg.span(end, end); err != nil || !ok {
		if err == nil {
			err = ErrNotFound
		}
		return nil, err
	}
	return s.seg.r.Get(s.recordKey(key, start, end))
}

// FindSessions iterates the sessions of key that end at or after
// earliestEnd and start at or before latestStart, ordered by end, then
// start.
func (s *SessionStore) FindSessions(key []byte, earliestEnd, latestStart int64) (*SessionIterator, error) {
	return s.find(key, key, earliestEnd, latestStart, true)
}

// FindSessionsRange is FindSessions for the keys in [keyFrom, keyTo] (nil
// bounds are open), ordered by segment of the session end, then key, end
// and start.
func (s *SessionStore) FindSessionsRange(keyFrom, keyTo []byte, earliestEnd, latestStart int64) (*SessionIterator, error) {
	return s.find(keyFrom, keyTo, earliestEnd, latestStart, false)
}

// Fetch iterates every live session of key.
func (s *SessionStore) Fetch(key []byte) (*SessionIterator, error) {
	return s.FindSessions(key, math.MinInt64, math.MaxInt64)
}

// StreamTime returns the largest session end put, and false if none was.
func (s *SessionStore) StreamTime() (int64, bool, error) { return s.seg.StreamTime() }

func (s *SessionStore) find(keyFrom, keyTo []byte, earliestEnd, latestStart int64, single bool) (*SessionIterator, error) {
	first, last, earliestEnd, ok, err := s.seg.span(earliestEnd, math.MaxInt64)
	if err != nil {
		return nil, fmt.Errorf("state: find sessions: %w", err)
	}
	it := &SessionIterator{earliestEnd: earliestEnd, latestStart: latestStart}
	if !ok {
		it.segs.done = true
		return it, nil
	}
	it.segs = segIter{r: s.seg.r, next: first, last: last,
		single: single, keyFrom: keyFrom, keyTo: keyTo, timeFrom: earliestEnd}
	return it, nil
}

// Mergeable returns the sessions of key that a record at ts joins under
// the inactivity gap (those within gap of ts, as Kafka Streams' session
// aggregation finds them), and the bounds of the session they form with
// ts. The caller aggregates the values, removes the returned sessions and
// puts the merged one, all in the same batch. Values are copies.
func (s *SessionStore) Mergeable(key []byte, ts, gap int64) (start, end int64, sessions []Session, err error) {
	it, err := s.FindSessions(key, satSub(ts, gap), satAdd(ts, gap))
	if err != nil {
		return 0, 0, nil, err
	}
	for it.Next() {
		sess := it.Session()
		sess.Key = bytes.Clone(sess.Key)
		sess.Value = bytes.Clone(sess.Value)
		sessions = append(sessions, sess)
	}
	if err := it.Close(); err != nil {
		return 0, 0, nil, err
	}
	start, end = MergeBounds(ts, sessions)
	return start, end, sessions, nil
}

// MergeBounds returns the bounds of the session that a record at ts forms
// with the given sessions: the smallest start and largest end among them
// and ts.
func MergeBounds(ts int64, sessions []Session) (start, end int64) {
	start, end = ts, ts
	for _, s := range sessions {
		start = min(start, s.Start)
		end = max(end, s.End)
	}
	return start, end
}

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}

// SessionIterator walks the sessions a find selected. The session's Key and
// Value are valid until the next call to Next.
type SessionIterator struct {
	segs                     segIter
	earliestEnd, latestStart int64
	cur                      Session
	keyBuf                   []byte // reused for keys that hold escape bytes
	err                      error
}

// Next advances to the next session and reports whether there is one.
func (it *SessionIterator) Next() bool {
	for it.err == nil && it.segs.advance() {
		raw := it.segs.cur.Key()
		key, rest, err := decodeKeyInto(&it.keyBuf, raw[9:])
		if err == nil {
			it.cur.End, rest, err = decodeTime(rest)
		}
		if err == nil {
			it.cur.Start, rest, err = decodeTime(rest)
		}
		if err == nil && len(rest) != 0 {
			err = fmt.Errorf("%w: %d trailing bytes", errBadKey, len(rest))
		}
		if err != nil {
			it.err = err
			return false
		}
		if it.cur.End < it.earliestEnd || it.cur.Start > it.latestStart {
			continue
		}
		it.cur.Key = key
		it.cur.Value = it.segs.cur.Value()
		return true
	}
	return false
}

// Session returns the current session.
func (it *SessionIterator) Session() Session { return it.cur }

// Err returns the error that stopped the iteration, if any.
func (it *SessionIterator) Err() error { return errors.Join(it.err, it.segs.err) }

// Close releases the iterator and returns Err().
func (it *SessionIterator) Close() error {
	_ = it.segs.close()
	return it.Err()
}
