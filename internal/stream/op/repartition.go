package op

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Repartition topics are internal: Sluice writes and reads them itself,
// so rows travel in value's compact self-describing encoding, partitioned
// by the encoded key. An undo row carries a header.

const undoHeader = "sluice.undo"

// RepartitionSink writes rows to an internal topic.
type RepartitionSink struct {
	Topic      string
	Partitions int32
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
		rec.Headers = []logstore.Header{{Key: undoHeader, Value: []byte{1}}}
	}
	tc.Emit(s.Topic, rec)
	return nil
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
	for _, h := range rec.Headers {
		if h.Key == undoHeader {
			row.Undo = true
		}
	}
	return s.Next.Process(tc, row)
}
