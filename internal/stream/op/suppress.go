package op

import (
	"encoding/binary"

	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// forward sends a result downstream, or, under EMIT FINAL, buffers it in
// the suppression store until its window closes.
func (a *Aggregate) forward(tc *stream.TaskContext, row *value.Row) error {
	if !a.Final || row.Window == nil {
		return a.Next.Process(tc, row)
	}
	k := binary.BigEndian.AppendUint64(nil, uint64(row.Window.End)^(1<<63))
	k = append(k, a.keyBuf...)
	k = binary.BigEndian.AppendUint64(k, uint64(row.Window.Start)^(1<<63))
	if row.Val == nil {
		return a.Suppress.Delete(k)
	}
	v := value.AppendValues(nil, row.Key)
	v = value.AppendValues(v, row.Val)
	v = binary.AppendVarint(v, row.Time)
	v = binary.AppendVarint(v, row.Window.Start)
	v = binary.AppendVarint(v, row.Window.End)
	return a.Suppress.Put(k, v)
}

// flushClosed emits buffered results whose window end plus grace is at or
// before stream time, oldest window end first, as Kafka Streams'
// suppress(untilWindowCloses) does.
func (a *Aggregate) flushClosed(tc *stream.TaskContext) error {
	if !a.Final {
		return nil
	}
	limit := a.streamTime - a.Window.Grace
	it, err := a.Suppress.NewIter(state.IterOptions{})
	if err != nil {
		return err
	}
	var done [][]byte
	var rows []value.Row
	for it.Next() {
		k := it.Key()
		end := int64(binary.BigEndian.Uint64(k) ^ (1 << 63))
		if end > limit {
			break
		}
		b := it.Value()
		key, rest, err := value.DecodeValues(b, nil)
		if err != nil {
			it.Close()
			return err
		}
		val, rest, err := value.DecodeValues(rest, nil)
		if err != nil {
			it.Close()
			return err
		}
		ts, n := binary.Varint(rest)
		rest = rest[n:]
		ws, n := binary.Varint(rest)
		rest = rest[n:]
		we, _ := binary.Varint(rest)
		rows = append(rows, value.Row{Key: key, Val: val, Time: ts, Window: &value.Window{Start: ws, End: we}})
		done = append(done, append([]byte(nil), k...))
	}
	if err := it.Close(); err != nil {
		return err
	}
	for i := range rows {
		if err := a.Suppress.Delete(done[i]); err != nil {
			return err
		}
		if err := a.Next.Process(tc, &rows[i]); err != nil {
			return err
		}
	}
	return nil
}
