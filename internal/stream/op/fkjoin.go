package op

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// FKJoin is the left side of a foreign-key table-table join, as Kafka
// Streams' KTable foreign-key join (KIP-213): it runs in the tasks of the
// left table's partitions, and the result is keyed by the left row's key.
// On each left change it subscribes the row to the right row its foreign
// key names, in that row's partition (FKRight, fkwire.go), and it joins
// the responses that come back. A response made for a left value since
// replaced carries that value's hash and is dropped, so the result
// follows the latest left row whatever the interleaving of the topics.
//
// Store keeps, by left key, the left row and whether the key's last
// result was a joined row (not a tombstone). That bit lets an INNER join
// withdraw a result whose withdrawal arrived for an older value: the
// right side answers every subscription (noneResponse when it has no row),
// and the answer for the latest value then settles the key.
type FKJoin struct {
	Type       plan.JoinType
	FK         Eval
	LeftWidth  int
	RightWidth int
	Store      state.ReadWriter
	// SubscriptionTopic is the internal topic of the subscriptions, which
	// Partition places as the right table's rows are placed.
	SubscriptionTopic string
	Partition         FKPartitioner
	Next              Op

	// Scratch buffers: a store copies what it is given.
	lkBuf, encBuf, valBuf, keyBuf []byte
}

// leftEntry is a left key's state.
type leftEntry struct {
	// joined says the key's last result was a joined row.
	joined  bool
	present bool
	vals    []value.Value
	// enc is vals encoded (value.AppendValues), which the hash covers.
	enc []byte
	ts  int64
}

func (e *leftEntry) hash() valueHash {
	if !e.present {
		return valueHash{}
	}
	return hashValues(e.enc)
}

func keyBytes(key []value.Value) []byte { return appendKeyBytes(nil, key) }

func appendKeyBytes(b []byte, key []value.Value) []byte {
	for _, k := range key {
		b = value.AppendKey(b, k)
	}
	return b
}

// Left store values: a flags byte (fkJoined, fkPresent), then for a
// present row its encoded values and a varint timestamp.
const (
	fkJoined  = 1
	fkPresent = 2
)

func (j *FKJoin) load(lk []byte) (leftEntry, error) {
	var e leftEntry
	b, err := j.Store.Get(lk)
	if errors.Is(err, state.ErrNotFound) {
		return e, nil
	}
	if err != nil {
		return e, err
	}
	if len(b) == 0 {
		return e, errors.New("corrupt foreign-key join state")
	}
	e.joined = b[0]&fkJoined != 0
	if b[0]&fkPresent == 0 {
		return e, nil
	}
	vals, rest, err := value.DecodeValues(b[1:], nil)
	if err != nil {
		return e, err
	}
	ts, n := binary.Varint(rest)
	if n <= 0 {
		return e, errors.New("corrupt foreign-key join state")
	}
	// Get returned a copy, which enc may keep.
	e.present, e.vals, e.ts = true, vals, ts
	e.enc = b[1 : len(b)-len(rest)]
	return e, nil
}

// save stores e, or forgets the key when it has neither a row nor a
// standing result.
func (j *FKJoin) save(lk []byte, e *leftEntry) error {
	if !e.present && !e.joined {
		return j.Store.Delete(lk)
	}
	var flags byte
	if e.joined {
		flags |= fkJoined
	}
	b := append(j.valBuf[:0], flags)
	if e.present {
		b[0] |= fkPresent
		b = append(b, e.enc...)
		b = binary.AppendVarint(b, e.ts)
	}
	j.valBuf = b
	return j.Store.Put(lk, b)
}

// foreignKey evaluates the foreign key of a left row; NULL, or an error,
// means the row references nothing. An error goes to the processing log
// when tc is set (for the row just received, not for its stored
// predecessor, whose error was logged when it arrived).
func (j *FKJoin) foreignKey(tc *stream.TaskContext, row *value.Row, vals []value.Value) (value.Value, []byte, bool) {
	v, err := j.FK(&value.Row{Key: row.Key, Val: vals})
	if err != nil {
		if tc != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "foreign key", Err: err})
		}
		return value.Null, nil, false
	}
	if v.IsNull() {
		return value.Null, nil, false
	}
	return v, value.AppendKey(nil, v), true
}

// Process handles a change of the left table.
func (j *FKJoin) Process(tc *stream.TaskContext, row *value.Row) error {
	if len(row.Key) == 0 || hasNull(row.Key) {
		return nil
	}
	j.lkBuf = appendKeyBytes(j.lkBuf[:0], row.Key)
	lk := j.lkBuf
	old, err := j.load(lk)
	if err != nil {
		return fmt.Errorf("fk join: left key %v: %w", row.Key, err)
	}
	if !old.present && row.Val == nil {
		// Deleting an absent row changes nothing.
		return nil
	}
	var oldFK, newFK value.Value
	var oldFKb, newFKb []byte
	var oldOK, newOK bool
	if old.present {
		oldFK, oldFKb, oldOK = j.foreignKey(nil, row, old.vals)
	}
	cur := leftEntry{joined: old.joined}
	if row.Val != nil {
		cur.present, cur.vals, cur.ts = true, row.Val, row.Time
		j.encBuf = value.AppendValues(j.encBuf[:0], row.Val)
		cur.enc = j.encBuf
		newFK, newFKb, newOK = j.foreignKey(tc, row, row.Val)
	}
	if err := j.save(lk, &cur); err != nil {
		return fmt.Errorf("fk join: left key %v: %w", row.Key, err)
	}
	j.keyBuf = value.AppendValues(j.keyBuf[:0], row.Key)
	s := sender{j: j, tc: tc, row: row, hash: cur.hash(), key: j.keyBuf}
	changed := oldOK && (!newOK || !bytes.Equal(oldFKb, newFKb))
	if j.Type == plan.LeftJoin {
		// Every change of a LEFT join's row has a result, so every change
		// asks for an answer; a row without a foreign key answers itself.
		if changed {
			s.send(oldFK, deleteNoPropagate)
		}
		if newOK {
			s.send(newFK, propagateNullIfNoFKVal)
			return nil
		}
		return j.resolve(tc, row.Key, lk, &cur, noRight, nil, row)
	}
	switch {
	case !newOK:
		// The row is gone or references nothing: its result goes.
		if oldOK {
			s.send(oldFK, deleteAndPropagate)
		} else if cur.joined {
			// A result of an older value is standing and nothing would
			// withdraw it.
			return j.resolve(tc, row.Key, lk, &cur, noRight, nil, row)
		}
	case changed:
		s.send(oldFK, deleteNoPropagate)
		s.send(newFK, propagateNullIfNoFKVal)
	default:
		s.send(newFK, propagateOnlyIfFKValAvailable)
	}
	return nil
}

// sender emits the subscriptions of one left change.
type sender struct {
	j    *FKJoin
	tc   *stream.TaskContext
	row  *value.Row
	hash valueHash
	key  []byte
}

func (s *sender) send(fk value.Value, instr instruction) {
	p, err := s.j.Partition(fk)
	if err != nil {
		s.tc.ProcessingError(s.row.Offset, &RecordError{Stage: "foreign-key join", Err: fmt.Errorf("partition foreign key %s: %w", fk, err)})
		return
	}
	sub := subscription{instr: instr, partition: s.tc.Partition, hash: s.hash, leftKey: s.key}
	s.tc.Emit(s.j.SubscriptionTopic, logstore.Record{
		Key:       value.AppendKey(nil, fk),
		Value:     sub.append(nil),
		Timestamp: s.row.Time,
		Partition: p,
	})
}

// ProcessResponse handles a record of the response topic.
func (j *FKJoin) ProcessResponse(tc *stream.TaskContext, rec *logstore.Record) error {
	resp, err := decodeResponse(rec.Value)
	if err != nil {
		return fmt.Errorf("fk join: %s at %d: %w", tc.Input.Topic, rec.Offset, err)
	}
	key, _, err := value.DecodeValues(rec.Key, nil)
	if err != nil {
		return fmt.Errorf("fk join: %s at %d: key: %w", tc.Input.Topic, rec.Offset, err)
	}
	j.lkBuf = appendKeyBytes(j.lkBuf[:0], key)
	lk := j.lkBuf
	cur, err := j.load(lk)
	if err != nil {
		return fmt.Errorf("fk join: left key %v: %w", key, err)
	}
	if cur.hash() != resp.hash {
		// Made for a left value that has since changed: the responses to
		// the current value's subscription speak for the key.
		return nil
	}
	var right []value.Value
	if resp.kind == withRight {
		if right, _, err = value.DecodeValues(resp.right, nil); err != nil {
			return fmt.Errorf("fk join: %s at %d: right row: %w", tc.Input.Topic, rec.Offset, err)
		}
	}
	src := &value.Row{Time: rec.Timestamp, Partition: rec.Partition, Offset: rec.Offset}
	return j.resolve(tc, key, lk, &cur, resp.kind, right, src)
}

// resolve emits the key's result for the current left entry and the right
// row a response brought, as Kafka Streams' ResponseJoinProcessor does.
func (j *FKJoin) resolve(tc *stream.TaskContext, key []value.Value, lk []byte, cur *leftEntry, kind byte, right []value.Value, src *value.Row) error {
	out := &value.Row{Key: append([]value.Value(nil), key...), Time: src.Time, Partition: src.Partition, Offset: src.Offset}
	switch {
	case kind == noneResponse:
		if !cur.joined {
			return nil
		}
	case cur.present && (kind == withRight || j.Type == plan.LeftJoin):
		out.Val = make([]value.Value, j.LeftWidth+j.RightWidth)
		copy(out.Val, cur.vals)
		copy(out.Val[j.LeftWidth:], right)
	}
	if joined := out.Val != nil; joined != cur.joined {
		cur.joined = joined
		if err := j.save(lk, cur); err != nil {
			return fmt.Errorf("fk join: left key %v: %w", key, err)
		}
	}
	return j.Next.Process(tc, out)
}

// FKResponses feeds a foreign-key join's response topic to its left side.
type FKResponses struct{ Join *FKJoin }

// Process implements the per-input step of a multi-input processor.
func (r FKResponses) Process(tc *stream.TaskContext, rec *logstore.Record) error {
	return r.Join.ProcessResponse(tc, rec)
}
