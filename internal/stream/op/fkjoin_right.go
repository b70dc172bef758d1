package op

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// FKRight is the right side of a foreign-key join. It runs in the tasks
// of the right table's partitions, which also read the subscription
// topic, partitioned alike. Right keeps the right rows by key; Subs keeps
// the subscriptions by foreign key then left key, so a right change finds
// the left rows that reference it with one prefix scan, as Kafka Streams'
// subscription store does. Every answer goes to the response topic, to
// the left partition the subscription came from.
type FKRight struct {
	Subs          state.ReadWriter
	Right         state.ReadWriter
	ResponseTopic string

	// Scratch buffers: a store copies what it is given.
	keyBuf, valBuf []byte
}

// appendSubPrefix appends the subscription store's prefix of a foreign
// key: its length, so that one key's prefix never covers another key.
func appendSubPrefix(dst, fk []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(fk))), fk...)
}

// Subscription store values: the left partition, the hash, then the left
// key (value.AppendValues).
func appendSubValue(dst []byte, s *subscription) []byte {
	dst = binary.AppendUvarint(dst, uint64(s.partition))
	dst = appendHash(dst, s.hash)
	return append(dst, s.leftKey...)
}

func decodeSubValue(b []byte) (subscription, error) {
	var s subscription
	p, n := binary.Uvarint(b)
	if n <= 0 {
		return s, errors.New("corrupt subscription state")
	}
	s.partition = int32(p)
	var err error
	if s.hash, s.leftKey, err = readHash(b[n:]); err != nil {
		return s, fmt.Errorf("corrupt subscription state: %w", err)
	}
	return s, nil
}

// Right store values: a varint timestamp, then the right row's values
// (value.AppendValues), which a response carries as they are.
func (j *FKRight) getRight(fk []byte) ([]byte, int64, bool, error) {
	b, err := j.Right.Get(fk)
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	ts, n := binary.Varint(b)
	if n <= 0 {
		return nil, 0, false, errors.New("corrupt foreign-key join state")
	}
	return b[n:], ts, true, nil
}

func (j *FKRight) respond(tc *stream.TaskContext, s *subscription, kind byte, right []byte, ts int64) {
	r := response{hash: s.hash, kind: kind, right: right}
	tc.Emit(j.ResponseTopic, logstore.Record{
		Key:       append([]byte(nil), s.leftKey...),
		Value:     r.append(nil),
		Timestamp: ts,
		Partition: s.partition,
	})
}

// ProcessSubscription handles a record of the subscription topic.
func (j *FKRight) ProcessSubscription(tc *stream.TaskContext, rec *logstore.Record) error {
	s, err := decodeSubscription(rec.Value)
	if err != nil {
		return fmt.Errorf("fk join: %s at %d: %w", tc.Input.Topic, rec.Offset, err)
	}
	left, _, err := value.DecodeValues(s.leftKey, nil)
	if err != nil {
		return fmt.Errorf("fk join: %s at %d: left key: %w", tc.Input.Topic, rec.Offset, err)
	}
	fk := rec.Key
	sk := appendKeyBytes(appendSubPrefix(j.keyBuf[:0], fk), left)
	j.keyBuf = sk
	switch s.instr {
	case deleteNoPropagate, deleteAndPropagate:
		err = j.Subs.Delete(sk)
	default:
		j.valBuf = appendSubValue(j.valBuf[:0], &s)
		err = j.Subs.Put(sk, j.valBuf)
	}
	if err != nil {
		return fmt.Errorf("fk join: subscription of %v: %w", left, err)
	}
	right, rts, found, err := j.getRight(fk)
	if err != nil {
		return fmt.Errorf("fk join: right row of %v: %w", left, err)
	}
	ts := rec.Timestamp
	if found {
		ts = max(ts, rts)
	}
	switch s.instr {
	case deleteAndPropagate:
		j.respond(tc, &s, noRight, nil, ts)
	case propagateNullIfNoFKVal, propagateOnlyIfFKValAvailable:
		switch {
		case found:
			j.respond(tc, &s, withRight, right, ts)
		case s.instr == propagateNullIfNoFKVal:
			j.respond(tc, &s, noRight, nil, ts)
		default:
			j.respond(tc, &s, noneResponse, nil, ts)
		}
	}
	return nil
}

// Process handles a change of the right table: every subscriber of the
// key gets the new row (or its absence).
func (j *FKRight) Process(tc *stream.TaskContext, row *value.Row) error {
	if len(row.Key) == 0 || hasNull(row.Key) {
		return nil
	}
	j.keyBuf = appendKeyBytes(j.keyBuf[:0], row.Key)
	fk := j.keyBuf
	var right []byte
	kind := byte(noRight)
	if row.Val == nil {
		_, _, found, err := j.getRight(fk)
		if err != nil {
			return fmt.Errorf("fk join: right key %v: %w", row.Key, err)
		}
		if !found {
			return nil
		}
		err = j.Right.Delete(fk)
		if err != nil {
			return fmt.Errorf("fk join: right key %v: %w", row.Key, err)
		}
	} else {
		kind = withRight
		b := binary.AppendVarint(j.valBuf[:0], row.Time)
		n := len(b)
		b = value.AppendValues(b, row.Val)
		j.valBuf, right = b, b[n:]
		if err := j.Right.Put(fk, b); err != nil {
			return fmt.Errorf("fk join: right key %v: %w", row.Key, err)
		}
	}
	it, err := j.Subs.NewIter(state.IterOptions{Prefix: appendSubPrefix(nil, fk)})
	if err != nil {
		return fmt.Errorf("fk join: subscribers of %v: %w", row.Key, err)
	}
	for it.Next() {
		s, err := decodeSubValue(it.Value())
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("fk join: subscribers of %v: %w", row.Key, err)
		}
		j.respond(tc, &s, kind, right, row.Time)
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("fk join: subscribers of %v: %w", row.Key, err)
	}
	return nil
}

// FKSubscriptions feeds a foreign-key join's subscription topic to its
// right side.
type FKSubscriptions struct{ Join *FKRight }

// Process implements the per-input step of a multi-input processor.
func (r FKSubscriptions) Process(tc *stream.TaskContext, rec *logstore.Record) error {
	return r.Join.ProcessSubscription(tc, rec)
}
