package op

import (
	"encoding/binary"
	"errors"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Session stores key sessions as key ‖ end ‖ start, so one prefix scan
// finds a key's sessions in end order.

func sessionKey(key []byte, start, end int64) []byte {
	out := make([]byte, len(key), len(key)+16)
	copy(out, key)
	out = binary.BigEndian.AppendUint64(out, uint64(end)^(1<<63))
	return binary.BigEndian.AppendUint64(out, uint64(start)^(1<<63))
}

type sessionEntry struct {
	key   []byte
	start int64
	end   int64
	accs  []value.Value
	ts    int64
}

// session merges the row into the sessions of its key that lie within the
// gap, as Kafka Streams' session window aggregation does: overlapping
// sessions are merged and removed (downstream sees a tombstone for each),
// and the merged session is stored and forwarded.
func (a *Aggregate) session(tc *stream.TaskContext, row *value.Row) error {
	gap := a.Window.Size
	closeTime := a.streamTime - a.Window.Grace
	prefix := append([]byte(nil), a.keyBuf...)
	it, err := a.Store.NewIter(state.IterOptions{Prefix: prefix})
	if err != nil {
		return err
	}
	var overlapping []sessionEntry
	for it.Next() {
		k := it.Key()
		if len(k) != len(prefix)+16 {
			continue
		}
		end := int64(binary.BigEndian.Uint64(k[len(prefix):]) ^ (1 << 63))
		start := int64(binary.BigEndian.Uint64(k[len(prefix)+8:]) ^ (1 << 63))
		if end < row.Time-gap || start > row.Time+gap {
			continue
		}
		accs, ts, err := decodeStored(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		overlapping = append(overlapping, sessionEntry{key: append([]byte(nil), k...), start: start, end: end, accs: accs, ts: ts})
	}
	if err := it.Close(); err != nil {
		return err
	}
	start, end := row.Time, row.Time
	accs := make([]value.Value, len(a.Aggs))
	for i, ag := range a.Aggs {
		accs[i] = ag.Agg.Init()
	}
	ts := row.Time
	for _, s := range overlapping {
		start, end = min(start, s.start), max(end, s.end)
		ts = max(ts, s.ts)
		for i, ag := range a.Aggs {
			if ag.Agg.Merge == nil {
				return errors.New("aggregate function does not support session windows")
			}
			m, err := ag.Agg.Merge(accs[i], s.accs[i])
			if err != nil {
				tc.ProcessingError(row.Offset, &RecordError{Stage: "aggregate", Err: err})
				continue
			}
			accs[i] = m
		}
	}
	if end < closeTime {
		// The merged session ended before the grace period: late.
		return nil
	}
	for i, ag := range a.Aggs {
		a.args = a.args[:0]
		for _, e := range ag.Args {
			v, err := e(row)
			if err != nil {
				tc.ProcessingError(row.Offset, &RecordError{Stage: "aggregate", Err: err})
				v = value.Null
			}
			a.args = append(a.args, v)
		}
		if ag.Widen != nil {
			if err := ag.Widen(a.args); err != nil {
				tc.ProcessingError(row.Offset, &RecordError{Stage: "aggregate", Err: err})
				continue
			}
		}
		n, err := ag.Agg.Aggregate(accs[i], a.args)
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "aggregate", Err: err})
			continue
		}
		accs[i] = n
	}
	for _, s := range overlapping {
		if err := a.Store.Delete(s.key); err != nil {
			return err
		}
		if s.start == start && s.end == end {
			continue
		}
		tomb := value.Row{Key: row.Key, Time: s.ts, Partition: row.Partition, Offset: row.Offset, Window: &value.Window{Start: s.start, End: s.end}}
		if err := a.forward(tc, &tomb); err != nil {
			return err
		}
	}
	if err := a.Store.Put(sessionKey(a.keyBuf, start, end), encodeStored(accs, ts)); err != nil {
		return err
	}
	return a.emit(tc, row, accs, ts, &value.Window{Start: start, End: end})
}
