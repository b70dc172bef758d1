package op

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// A queryable table (a CTAS result or a CREATE SOURCE TABLE) is read by
// pull queries from a Pebble store. An unwindowed GROUP BY result, the hot
// path, is read from its aggregate store with the HAVING filter and the
// projection applied at read time (aggview.go), as ksqlDB's
// KsMaterialization does, so the aggregation writes nothing more for it.
// Every other table is materialized from its own topic: a sub-topology
// reads the topic and keeps the latest record per key in a store
// (stream.Materialize).
//
// Why the topic for the rest, rather than ksqlDB's per-kind transforms of
// the operators' stores: the topic holds exactly the table's rows for
// every kind of table (windowed and session aggregates, EMIT FINAL, joins,
// projections, source tables), so one store layout and one read path
// serve them all, with the rows a scan of the topic gives. A store
// partition is a topic partition, so a key's partition is what the sink's
// partitioner (murmur2 over the serialized key) says, which routing a pull
// query to the key's owner needs. It costs no changelog writes, since the
// topic is the changelog, and no value decoding for CTAS results, which
// Sluice serialized itself: one fetch and one Pebble write per output row,
// in a separate task.
//
// Store keys are the key columns in value's order-preserving encoding,
// then the window start and end (big-endian, sign flipped), so a key's
// windows are contiguous and ordered by start, and key ranges are byte
// ranges. Store values keep the record as it was: its key bytes, timestamp
// and value bytes, so the read path decodes it with the table's own source
// operator and pull queries see what a scan of the topic shows.

// MaterializedStore names a table's materialization store.
const MaterializedStore = "Materialized"

// Materializable reports whether a table can be materialized: header
// columns are read from record headers, which the store does not keep.
func Materializable(src *catalog.Source) bool {
	if src.Kind != catalog.Table {
		return false
	}
	for _, c := range src.Schema.Columns {
		if c.Namespace == catalog.Header {
			return false
		}
	}
	return true
}

// MaterializeSub returns the sub-topology materializing table src. With
// validate, values are decoded as they arrive and a record whose value
// does not decode is skipped, as the table's source operator skips it;
// CTAS results skip this, since Sluice wrote them.
func MaterializeSub(src *catalog.Source, env Env, validate bool) stream.SubSpec {
	return stream.SubSpec{
		Inputs: []stream.Input{{Topic: src.Topic, Materialize: &stream.Materialize{
			Store: MaterializedStore,
			NewEncoder: func(ctx context.Context) (stream.Encoder, error) {
				s, err := newSource(ctx, src, env)
				if err != nil {
					return nil, err
				}
				return (&encoder{src: s, validate: validate}).encode, nil
			},
		}}},
		NewProcessor: func(*stream.TaskContext) (stream.Processor, error) { return nopProcessor{}, nil },
	}
}

// nopProcessor is the processor of a materializing sub-topology: the
// runtime writes the store, and nothing flows on.
type nopProcessor struct{}

func (nopProcessor) Process(*stream.TaskContext, int, *logstore.Record) error { return nil }
func (nopProcessor) Close() error                                             { return nil }

// encoder maps a table topic's records to store entries.
type encoder struct {
	src      *Source
	validate bool
	keys     []value.Value
	key, val []byte
}

func (e *encoder) encode(rec *logstore.Record) ([]byte, []byte, bool) {
	keys, w, ok := e.src.decodeKey(rec, e.keys[:0])
	if !ok {
		return nil, nil, false
	}
	e.keys = keys
	e.key = AppendStoreKey(e.key[:0], keys, w)
	if rec.Value == nil {
		return e.key, nil, true
	}
	if e.validate {
		v, err := e.src.ValDe.Deserialize(rec.Value, nil)
		if err != nil {
			return nil, nil, false
		}
		if v == nil {
			return e.key, nil, true
		}
	}
	e.val = appendStored(e.val[:0], rec)
	return e.key, e.val, true
}

// decodeKey decodes a record's key and window as Process does; ok is
// false for a key a table drops (null, or undecodable).
func (s *Source) decodeKey(rec *logstore.Record, into []value.Value) ([]value.Value, *value.Window, bool) {
	if rec.Key == nil {
		return nil, nil, false
	}
	keyBytes := rec.Key
	var w *value.Window
	if s.Window != nil {
		inner, win, err := s.Window(keyBytes)
		if err != nil {
			return nil, nil, false
		}
		keyBytes, w = inner, win
	}
	if s.KeyLen == 0 {
		return into, w, true
	}
	k, err := s.KeyDe.Deserialize(keyBytes, into)
	if err != nil || k == nil || allNull(k) {
		return nil, nil, false
	}
	return k, w, true
}

// AppendStoreKey appends the store key of a table row with key columns
// key and window w (nil for an unwindowed table).
func AppendStoreKey(dst []byte, key []value.Value, w *value.Window) []byte {
	for _, k := range key {
		dst = value.AppendKey(dst, k)
	}
	if w != nil {
		dst = AppendWindowTime(dst, w.Start)
		dst = AppendWindowTime(dst, w.End)
	}
	return dst
}

// AppendWindowTime appends a window bound so that byte order is numeric
// order.
func AppendWindowTime(dst []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t)^(1<<63))
}

func appendStored(dst []byte, rec *logstore.Record) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(rec.Key)))
	dst = append(dst, rec.Key...)
	dst = binary.AppendVarint(dst, rec.Timestamp)
	return append(dst, rec.Value...)
}

var errCorruptStored = errors.New("corrupt materialized row")

// StoredRecord returns the record a store value was made from. The
// record's slices alias val.
func StoredRecord(val []byte) (logstore.Record, error) {
	n, k := binary.Uvarint(val)
	if k <= 0 || uint64(len(val)-k) < n {
		return logstore.Record{}, errCorruptStored
	}
	key := val[k : k+int(n)]
	rest := val[k+int(n):]
	ts, k := binary.Varint(rest)
	if k <= 0 {
		return logstore.Record{}, errCorruptStored
	}
	v := rest[k:]
	if v == nil {
		v = []byte{}
	}
	return logstore.Record{Key: key, Value: v, Timestamp: ts}, nil
}

// StoredRow decodes a store value through a table's source operator,
// which forwards the row to its Next.
func StoredRow(tc *stream.TaskContext, s *Source, val []byte) error {
	rec, err := StoredRecord(val)
	if err != nil {
		return fmt.Errorf("table %s: %w", s.Topic, err)
	}
	return s.Process(tc, &rec)
}
