package op

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Sink encodes rows and emits them to a topic, partitioned by the encoded
// key with Kafka's default partitioner, so other Kafka clients and ksqlDB
// would place the same key in the same partition. A windowed key is
// partitioned by its key alone, without the window bounds, as Kafka
// Streams' WindowedStreamPartitioner does for ksqlDB's windowed sinks: all
// windows of a key share a partition. A row whose encoding fails goes to
// the processing log.
type Sink struct {
	Topic      string
	Partitions int32
	KeySer     format.Serializer
	ValSer     format.Serializer
	// Window, if set, appends window bounds to the encoded key (windowed
	// sinks).
	Window func(dst []byte, w *value.Window) []byte
	// Headers copies the row's headers onto the output record.
	Headers bool
	// Time, if set, takes the record's timestamp from the output row, for
	// a sink declared WITH (TIMESTAMP=...).
	Time func(row *value.Row) (int64, error)

	keyBuf []byte
}

// Process implements Op.
func (s *Sink) Process(tc *stream.TaskContext, row *value.Row) error {
	var key []byte
	var err error
	part := row.Partition % max(s.Partitions, 1)
	if len(row.Key) > 0 && !row.NullKey {
		key, err = s.KeySer.Serialize(s.keyBuf[:0], row.Key)
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "serialize key", Err: fmt.Errorf("Error serializing message to topic: %s. %w", s.Topic, err)})
			return nil
		}
		if key != nil {
			part = logstore.Partition(key, s.Partitions)
		}
		if s.Window != nil && row.Window != nil {
			key = s.Window(key, row.Window)
		}
		// The emitted record outlives this call, so it needs its own copy;
		// an empty key (a KAFKA STRING '') stays empty, not null.
		if key != nil {
			key = append(make([]byte, 0, len(key)), key...)
		}
	}
	var val []byte
	if row.Val != nil {
		val, err = s.ValSer.Serialize(nil, row.Val)
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "serialize value", Err: fmt.Errorf("Error serializing message to topic: %s. %w", s.Topic, err)})
			return nil
		}
		if val == nil {
			val = []byte{}
		}
	}
	ts := row.Time
	if s.Time != nil && row.Val != nil {
		if ts, err = s.Time(row); err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "timestamp", Err: err})
			return nil
		}
	}
	rec := logstore.Record{Key: key, Value: val, Timestamp: ts, Partition: part}
	if s.Headers && len(row.Headers) > 0 {
		rec.Headers = make([]logstore.Header, len(row.Headers))
		for i, h := range row.Headers {
			rec.Headers[i] = logstore.Header{Key: h.Key, Value: h.Value}
		}
	}
	tc.Emit(s.Topic, rec)
	return nil
}
