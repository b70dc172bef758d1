package op

import (
	"bytes"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Repartition topics are internal: Sluice writes and reads them itself,
// so rows travel in value's compact self-describing encoding, partitioned
// by the encoded key. An undo row carries a header. An undo followed by a
// new row for the same key travels as one record whose oldHeader holds the
// previous value, so the aggregation applies both and emits once, as Kafka
// Streams does when a table update keeps its group.

const (
	undoHeader = "sluice.undo"
	oldHeader  = "sluice.old"
)

// RepartitionSink writes rows to an internal topic.
type RepartitionSink struct {
	Topic      string
	Partitions int32

	// pending is an undo record waiting for the row that follows it.
	pending *logstore.Record
}

// Process implements Op.
func (s *RepartitionSink) Process(tc *stream.TaskContext, row *value.Row) error {
	key := value.AppendValues(nil, row.Key)
	var val []byte
	if row.Val != nil {
		val = value.AppendValues(nil, row.Val)
	}
	rec := logstore.Record{Key: key, Value: val, Timestamp: row.Time, Partition: logstore.Partition(key, s.Partitions)}
	if row.Undo {
		s.flush(tc)
		rec.Headers = []logstore.Header{{Key: undoHeader, Value: []byte{1}}}
		s.pending = &rec
		return nil
	}
	if p := s.pending; p != nil {
		s.pending = nil
		if val != nil && bytes.Equal(p.Key, key) {
			rec.Headers = []logstore.Header{{Key: oldHeader, Value: p.Value}}
			tc.Emit(s.Topic, rec)
			return nil
		}
		tc.Emit(s.Topic, *p)
		if val == nil {
			// The update's new row left the group (a delete or a row the
			// filter turned away): only the undo matters downstream.
			return nil
		}
	}
	if val == nil && hasNull(row.Key) {
		// A tombstone for a NULL key deletes nothing.
		return nil
	}
	tc.Emit(s.Topic, rec)
	return nil
}

func (s *RepartitionSink) flush(tc *stream.TaskContext) {
	if s.pending != nil {
		tc.Emit(s.Topic, *s.pending)
		s.pending = nil
	}
}

// ChangeProcessor applies a table update that stays in its group as one
// step: subtract old, add new, emit once.
type ChangeProcessor interface {
	ProcessChange(tc *stream.TaskContext, old, new *value.Row) error
}

// RepartitionSource reads rows back from an internal topic.
type RepartitionSource struct {
	Next Op
	row  value.Row
}

// Process implements stream.Processor's per-input step.
func (s *RepartitionSource) Process(tc *stream.TaskContext, rec *logstore.Record) error {
	row := &s.row
	*row = value.Row{Time: rec.Timestamp, Partition: rec.Partition, Offset: rec.Offset}
	k, _, err := value.DecodeValues(rec.Key, nil)
	if err != nil {
		return fmt.Errorf("repartition topic %s: key at %d: %w", tc.Input.Topic, rec.Offset, err)
	}
	row.Key = k
	if rec.Value != nil {
		v, _, err := value.DecodeValues(rec.Value, nil)
		if err != nil {
			return fmt.Errorf("repartition topic %s: value at %d: %w", tc.Input.Topic, rec.Offset, err)
		}
		if v == nil {
			v = []value.Value{}
		}
		row.Val = v
	}
	var old []byte
	for _, h := range rec.Headers {
		switch h.Key {
		case undoHeader:
			row.Undo = true
		case oldHeader:
			old = h.Value
		}
	}
	if old == nil {
		return s.Next.Process(tc, row)
	}
	prev, _, err := value.DecodeValues(old, nil)
	if err != nil {
		return fmt.Errorf("repartition topic %s: old value at %d: %w", tc.Input.Topic, rec.Offset, err)
	}
	if prev == nil {
		prev = []value.Value{}
	}
	undo := *row
	undo.Key = append([]value.Value(nil), row.Key...)
	undo.Val, undo.Undo = prev, true
	if cp, ok := s.Next.(ChangeProcessor); ok {
		return cp.ProcessChange(tc, &undo, row)
	}
	if err := s.Next.Process(tc, &undo); err != nil {
		return err
	}
	return s.Next.Process(tc, row)
}
