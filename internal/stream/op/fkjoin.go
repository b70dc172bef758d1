package op

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// FKJoin joins a table to another table on a foreign key: each left row's
// FK expression names a right row by its primary key, and the result is
// keyed by the left row's key, as Kafka Streams' foreign-key KTable join.
// Both sides arrive in their own keys, so neither is repartitioned. The
// left store keeps the left rows ('L' + key) and an index from foreign key
// to left keys ('I' + length-prefixed FK + key), so a right update finds
// the left rows that reference it.
type FKJoin struct {
	Type       plan.JoinType
	FK         Eval
	LeftWidth  int
	RightWidth int
	// LeftKeys is the number of key columns at the front of a left row's
	// columns: the result's key.
	LeftKeys int
	Left     state.ReadWriter
	Right    state.ReadWriter
	Next     Op
}

// LeftInput and RightInput are the operators feeding each side.
func (j *FKJoin) LeftInput() Op  { return Func(j.left) }
func (j *FKJoin) RightInput() Op { return Func(j.right) }

const (
	fkRowTag   = 'L'
	fkIndexTag = 'I'
)

func keyBytes(key []value.Value) []byte {
	var b []byte
	for _, k := range key {
		b = value.AppendKey(b, k)
	}
	return b
}

func fkIndexPrefix(fk []byte) []byte {
	b := binary.AppendUvarint([]byte{fkIndexTag}, uint64(len(fk)))
	return append(b, fk...)
}

func (j *FKJoin) foreignKey(row *value.Row) ([]byte, bool) {
	v, err := j.FK(row)
	if err != nil || v.IsNull() {
		return nil, false
	}
	return value.AppendKey(nil, v), true
}

func getSide(st state.ReadWriter, k []byte) ([]value.Value, int64, bool, error) {
	b, err := st.Get(k)
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	v, ts, err := decodeSide(b)
	if err != nil {
		return nil, 0, false, err
	}
	return v, ts, true, nil
}

func (j *FKJoin) result(key []value.Value, l, r []value.Value, ts int64, src *value.Row) *value.Row {
	val := make([]value.Value, j.LeftWidth+j.RightWidth)
	copy(val, l)
	copy(val[j.LeftWidth:], r)
	return &value.Row{Key: key, Val: val, Time: ts, Partition: src.Partition, Offset: src.Offset}
}

func (j *FKJoin) left(tc *stream.TaskContext, row *value.Row) error {
	if len(row.Key) == 0 || hasNull(row.Key) {
		return nil
	}
	lk := keyBytes(row.Key)
	rowKey := append([]byte{fkRowTag}, lk...)
	old, _, hadOld, err := getSide(j.Left, rowKey)
	if err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	if hadOld {
		if ofk, ok := j.foreignKey(&value.Row{Key: row.Key, Val: old}); ok {
			if err := j.Left.Delete(append(fkIndexPrefix(ofk), lk...)); err != nil {
				return fmt.Errorf("fk join: %w", err)
			}
		}
	}
	key := append([]value.Value(nil), row.Key...)
	if row.Val == nil {
		if err := j.Left.Delete(rowKey); err != nil {
			return fmt.Errorf("fk join: %w", err)
		}
		if !hadOld {
			return nil
		}
		return j.Next.Process(tc, &value.Row{Key: key, Time: row.Time, Partition: row.Partition, Offset: row.Offset})
	}
	if err := j.Left.Put(rowKey, encodeSide(row.Val, row.Time)); err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	var r []value.Value
	var rts int64
	found := false
	if fk, ok := j.foreignKey(row); ok {
		if err := j.Left.Put(append(fkIndexPrefix(fk), lk...), nil); err != nil {
			return fmt.Errorf("fk join: %w", err)
		}
		if r, rts, found, err = getSide(j.Right, fk); err != nil {
			return fmt.Errorf("fk join: %w", err)
		}
	}
	if found || j.Type == plan.LeftJoin {
		return j.Next.Process(tc, j.result(key, row.Val, r, max(row.Time, rts), row))
	}
	if hadOld {
		// The row no longer joins: its earlier result is withdrawn.
		return j.Next.Process(tc, &value.Row{Key: key, Time: row.Time, Partition: row.Partition, Offset: row.Offset})
	}
	return nil
}

func (j *FKJoin) right(tc *stream.TaskContext, row *value.Row) error {
	if len(row.Key) == 0 || hasNull(row.Key) {
		return nil
	}
	rk := keyBytes(row.Key)
	_, _, hadOld, err := getSide(j.Right, rk)
	if err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	if row.Val == nil {
		if err := j.Right.Delete(rk); err != nil {
			return fmt.Errorf("fk join: %w", err)
		}
		if !hadOld {
			return nil
		}
	} else if err := j.Right.Put(rk, encodeSide(row.Val, row.Time)); err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	// Collect the referencing left keys first: the iterator must not see
	// (or be disturbed by) what downstream writes.
	prefix := fkIndexPrefix(rk)
	it, err := j.Left.NewIter(state.IterOptions{Prefix: prefix})
	if err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	var lks [][]byte
	for it.Next() {
		lks = append(lks, append([]byte(nil), it.Key()[len(prefix):]...))
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("fk join: %w", err)
	}
	for _, lk := range lks {
		lv, lts, ok, err := getSide(j.Left, append([]byte{fkRowTag}, lk...))
		if err != nil {
			return fmt.Errorf("fk join: %w", err)
		}
		if !ok {
			continue
		}
		var out *value.Row
		switch {
		case row.Val != nil:
			out = j.result(nil, lv, row.Val, max(row.Time, lts), row)
		case j.Type == plan.LeftJoin:
			out = j.result(nil, lv, nil, max(row.Time, lts), row)
		default:
			out = &value.Row{Time: max(row.Time, lts), Partition: row.Partition, Offset: row.Offset}
		}
		out.Key = j.leftKey(lv)
		if err := j.Next.Process(tc, out); err != nil {
			return err
		}
	}
	return nil
}

func (j *FKJoin) leftKey(lv []value.Value) []value.Value {
	return append([]value.Value(nil), lv[:min(j.LeftKeys, len(lv))]...)
}
