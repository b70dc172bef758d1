package op

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Source decodes records of one input into rows and forwards them. Key
// and value decoding failures go to the processing log and the record is
// skipped; the query goes on.
type Source struct {
	Topic  string
	KeyDe  format.Deserializer
	ValDe  format.Deserializer
	KeyLen int // number of key columns
	// Headers, if set, fills header columns from record headers after the
	// value columns are decoded.
	Headers func(row *value.Row, hs []logstore.Header)
	// Time, if set, computes ROWTIME from the row (TIMESTAMP property).
	Time func(row *value.Row) (int64, error)
	// Windowed decodes a windowed key: Window splits the key bytes into the
	// inner key and the window bounds.
	Window func(key []byte) ([]byte, *value.Window, error)
	// Table marks a table source: a null value is a tombstone, not a
	// malformed record.
	Table bool
	Next  Op

	row value.Row
}

// Process decodes rec and forwards it.
func (s *Source) Process(tc *stream.TaskContext, rec *logstore.Record) error {
	row := &s.row
	*row = value.Row{Key: row.Key[:0], Time: rec.Timestamp, Partition: rec.Partition, Offset: rec.Offset}
	keyBytes := rec.Key
	if s.Window != nil && keyBytes != nil {
		inner, w, err := s.Window(keyBytes)
		if err != nil {
			tc.ProcessingError(rec.Offset, &RecordError{Stage: "deserialize key", Err: err})
			return nil
		}
		keyBytes, row.Window = inner, w
	}
	if s.KeyLen > 0 {
		k, err := s.KeyDe.Deserialize(keyBytes, row.Key)
		if err != nil {
			tc.ProcessingError(rec.Offset, &RecordError{Stage: "deserialize key", Err: fmt.Errorf("Failed to deserialize key from topic: %s. %w", s.Topic, err)})
			return nil
		}
		if k == nil {
			k = make([]value.Value, s.KeyLen)
			row.NullKey = true
		}
		row.Key = k
	}
	if s.Table && (rec.Key == nil || allNull(row.Key)) {
		// A table row needs a key: Kafka Streams' KTable source drops
		// records without one.
		return nil
	}
	if rec.Value == nil {
		// A null value is a tombstone for a table; a stream passes it on
		// as a row with no value, which projections keep null.
		row.Val = nil
	} else {
		v, err := s.ValDe.Deserialize(rec.Value, nil)
		if err != nil {
			tc.ProcessingError(rec.Offset, &RecordError{Stage: "deserialize value", Err: fmt.Errorf("Failed to deserialize value from topic: %s. %w", s.Topic, err)})
			return nil
		}
		if v == nil && s.Table {
			row.Val = nil
		} else {
			if v == nil {
				v = []value.Value{}
			}
			row.Val = v
		}
	}
	if s.Headers != nil && row.Val != nil {
		hs := make([]value.Header, len(rec.Headers))
		for i, h := range rec.Headers {
			hs[i] = value.Header{Key: h.Key, Value: h.Value}
		}
		row.Headers = hs
		s.Headers(row, rec.Headers)
	}
	if s.Time != nil && row.Val != nil {
		ts, err := s.Time(row)
		if err != nil {
			tc.ProcessingError(rec.Offset, &RecordError{Stage: "timestamp", Err: err})
			return nil
		}
		row.Time = ts
	}
	return s.Next.Process(tc, row)
}

// allNull reports a key whose every column is NULL.
func allNull(vs []value.Value) bool {
	for _, v := range vs {
		if !v.IsNull() {
			return false
		}
	}
	return true
}
