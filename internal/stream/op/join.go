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

// Join joins two keyed inputs. Rows arrive with the join key in Row.Key
// and all of their side's columns in Row.Val. Tables are materialized in
// the side stores; stream-stream joins keep each side's recent records in
// window stores for the WITHIN interval.
type Join struct {
	Type       plan.JoinType
	Kind       plan.JoinKind
	Window     *plan.JoinWindow
	LeftWidth  int
	RightWidth int
	Left       state.ReadWriter
	Right      state.ReadWriter
	// Outer holds a stream-stream outer join's unmatched records until
	// their window closes, when the query gave a GRACE PERIOD.
	Outer state.ReadWriter
	Next  Op
	// WindowedKeys and SessionKeys make windowed sources' rows match on
	// their window too (start; and end for sessions).
	WindowedKeys bool
	SessionKeys  bool

	leftWin, rightWin *state.WindowStore
	streamTime        int64
	keyBuf            []byte
	// probeKey and sideBuf hold a stream-stream record's key and encoded
	// value while it is stored and probed; stores copy what they keep.
	probeKey, sideBuf []byte
}

// Init prepares the window stores of a stream-stream join.
func (j *Join) Init() error {
	if j.Kind != plan.StreamStream {
		return nil
	}
	ret := j.Window.Before + j.Window.After + j.Window.Grace + 1
	var err error
	if j.leftWin, err = state.NewWindowStore(j.Left, state.WindowOptions{SegmentOptions: state.SegmentOptions{Retention: ret}, RetainDuplicates: true}); err != nil {
		return err
	}
	j.rightWin, err = state.NewWindowStore(j.Right, state.WindowOptions{SegmentOptions: state.SegmentOptions{Retention: ret}, RetainDuplicates: true})
	return err
}

// LeftInput and RightInput are the operators feeding each side.
func (j *Join) LeftInput() Op  { return joinSide{j, false} }
func (j *Join) RightInput() Op { return joinSide{j, true} }

type joinSide struct {
	j     *Join
	right bool
}

func (s joinSide) Process(tc *stream.TaskContext, row *value.Row) error {
	switch s.j.Kind {
	case plan.StreamTable:
		if s.right {
			return s.j.tableUpdate(s.j.Right, row)
		}
		return s.j.streamTable(tc, row)
	case plan.TableTable:
		return s.j.tableTable(tc, row, s.right)
	default:
		return s.j.streamStream(tc, row, s.right)
	}
}

func (j *Join) key(row *value.Row) []byte {
	j.keyBuf = j.keyBuf[:0]
	for _, k := range row.Key {
		j.keyBuf = value.AppendKey(j.keyBuf, k)
	}
	if j.WindowedKeys && row.Window != nil {
		j.keyBuf = binary.BigEndian.AppendUint64(j.keyBuf, uint64(row.Window.Start)^(1<<63))
		if j.SessionKeys {
			j.keyBuf = binary.BigEndian.AppendUint64(j.keyBuf, uint64(row.Window.End)^(1<<63))
		}
	}
	return j.keyBuf
}

func encodeSide(vals []value.Value, ts int64) []byte {
	return appendSide(nil, vals, ts)
}

func appendSide(dst []byte, vals []value.Value, ts int64) []byte {
	return binary.AppendVarint(value.AppendValues(dst, vals), ts)
}

func decodeSide(b []byte) ([]value.Value, int64, error) {
	vals, rest, err := value.DecodeValues(b, nil)
	if err != nil {
		return nil, 0, err
	}
	ts, n := binary.Varint(rest)
	if n <= 0 {
		return nil, 0, errors.New("corrupt join state")
	}
	return vals, ts, nil
}

// tableUpdate materializes a table side.
func (j *Join) tableUpdate(st state.ReadWriter, row *value.Row) error {
	if row.Key == nil || len(row.Key) == 0 || row.Key[0].IsNull() {
		return nil
	}
	k := j.key(row)
	if row.Val == nil {
		return st.Delete(k)
	}
	return st.Put(k, encodeSide(row.Val, row.Time))
}

func (j *Join) lookup(st state.ReadWriter, row *value.Row) ([]value.Value, int64, bool, error) {
	b, err := st.Get(j.key(row))
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	v, ts, err := decodeSide(b)
	return v, ts, err == nil, err
}

// joined builds an output row from both sides' columns; nil means a
// missing side, filled with NULLs.
func (j *Join) joined(key []value.Value, l, r []value.Value, ts int64, src *value.Row) *value.Row {
	val := make([]value.Value, j.LeftWidth+j.RightWidth)
	copy(val, l)
	copy(val[j.LeftWidth:], r)
	// A windowed result keeps the triggering record's window.
	return &value.Row{Key: key, Val: val, Time: ts, Partition: src.Partition, Offset: src.Offset, Window: src.Window}
}

func (j *Join) streamTable(tc *stream.TaskContext, row *value.Row) error {
	if row.Val == nil {
		return nil
	}
	nullKey := len(row.Key) == 0 || row.Key[0].IsNull()
	var r []value.Value
	found := false
	if !nullKey {
		var err error
		if r, _, found, err = j.lookup(j.Right, row); err != nil {
			return err
		}
	}
	if !found && j.Type == plan.InnerJoin {
		return nil
	}
	return j.Next.Process(tc, j.joined(row.Key, row.Val, r, row.Time, row))
}

func (j *Join) tableTable(tc *stream.TaskContext, row *value.Row, right bool) error {
	mine, other := j.Left, j.Right
	if right {
		mine, other = j.Right, j.Left
	}
	if len(row.Key) == 0 || row.Key[0].IsNull() {
		return nil
	}
	_, _, hadMine, err := j.lookup(mine, row)
	if err != nil {
		return err
	}
	if err := j.tableUpdate(mine, row); err != nil {
		return err
	}
	o, ots, hasOther, err := j.lookup(other, row)
	if err != nil {
		return err
	}
	ts := max(row.Time, ots)
	var l, r []value.Value
	hasL, hasR := row.Val != nil, hasOther
	if right {
		l, r = o, row.Val
		hasL, hasR = hasOther, row.Val != nil
	} else {
		l, r = row.Val, o
	}
	keep := false
	switch j.Type {
	case plan.InnerJoin:
		keep = hasL && hasR
	case plan.LeftJoin:
		keep = hasL
	case plan.RightJoin:
		keep = hasR
	case plan.OuterJoin:
		keep = hasL || hasR
	}
	if keep {
		return j.Next.Process(tc, j.joined(row.Key, l, r, ts, row))
	}
	// The result for this key is gone (or never was); a delete of a row
	// that had a result sends a tombstone downstream.
	prev := false
	switch j.Type {
	case plan.InnerJoin:
		prev = hadMine && hasOther
	case plan.LeftJoin:
		prev = (!right && hadMine) || (right && hasOther)
	case plan.RightJoin:
		prev = (right && hadMine) || (!right && hasOther)
	case plan.OuterJoin:
		prev = hadMine || hasOther
	}
	if !prev {
		return nil
	}
	return j.Next.Process(tc, &value.Row{Key: row.Key, Time: ts, Partition: row.Partition, Offset: row.Offset})
}

// streamStream joins a record with the other side's records within the
// window, as Kafka Streams' KStreamKStreamJoin does. Without a GRACE
// PERIOD an outer side with no match is emitted at once with NULLs; with
// one, it waits in Outer until its window closes (the spurious-result fix).
func (j *Join) streamStream(tc *stream.TaskContext, row *value.Row, right bool) error {
	if row.Val == nil || len(row.Key) == 0 || row.Key[0].IsNull() {
		return nil
	}
	j.streamTime = max(j.streamTime, row.Time)
	w := j.Window
	mine, other := j.leftWin, j.rightWin
	from, to := row.Time-w.Before, row.Time+w.After
	after := w.After
	if right {
		mine, other = j.rightWin, j.leftWin
		from, to = row.Time-w.After, row.Time+w.Before
		after = w.Before
	}
	outer := j.Type == plan.OuterJoin || (!right && j.Type == plan.LeftJoin) || (right && j.Type == plan.RightJoin)
	deferOuter := w.HasGrace && j.Outer != nil
	if deferOuter {
		if err := j.emitClosed(tc); err != nil {
			return err
		}
	}
	// A late record is not dropped here, as Kafka Streams does not: its
	// own window store refuses it once expired, but it still probes the
	// other side's store, which may hold records within its retention.
	j.probeKey = append(j.probeKey[:0], j.key(row)...)
	k := j.probeKey
	j.sideBuf = appendSide(j.sideBuf[:0], row.Val, row.Time)
	if err := mine.Put(k, row.Time, j.sideBuf); err != nil && !errors.Is(err, state.ErrExpired) {
		return err
	}
	it, err := other.Fetch(k, from, to)
	if err != nil {
		return err
	}
	var matches []*value.Row
	for it.Next() {
		o, ots, err := decodeSide(it.Value())
		if err != nil {
			it.Close()
			return err
		}
		l, r := row.Val, o
		if right {
			l, r = o, row.Val
		}
		matches = append(matches, j.joined(row.Key, l, r, max(row.Time, ots), row))
		if deferOuter {
			// The other record found its match: it is no longer waiting
			// for its window to close with NULLs.
			if err := j.Outer.Delete(pendingKey(ots, !right, k)); err != nil {
				return err
			}
		}
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, m := range matches {
		if err := j.Next.Process(tc, m); err != nil {
			return err
		}
	}
	if len(matches) > 0 || !outer {
		return nil
	}
	if deferOuter && row.Time+after >= j.streamTime {
		// Kafka Streams' spurious-result fix: the NULL result waits until
		// the window closes, and is dropped if a match arrives first. An
		// out-of-order record whose window has already passed stream time
		// gets its NULL result at once.
		v := value.AppendValues(nil, row.Key)
		v = append(v, encodeSide(row.Val, row.Time)...)
		return j.Outer.Put(pendingKey(row.Time, right, k), v)
	}
	return j.Next.Process(tc, j.outerRow(row, right))
}

func (j *Join) outerRow(row *value.Row, right bool) *value.Row {
	if right {
		return j.joined(row.Key, nil, row.Val, row.Time, row)
	}
	return j.joined(row.Key, row.Val, nil, row.Time, row)
}

// pendingKey orders unmatched outer records by time, then side and key.
func pendingKey(ts int64, right bool, key []byte) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(ts)^(1<<63))
	side := byte(0)
	if right {
		side = 1
	}
	return append(append(b, side), key...)
}

// emitClosed emits, with NULLs for the missing side, the unmatched outer
// records whose join window (plus grace) has closed at stream time.
func (j *Join) emitClosed(tc *stream.TaskContext) error {
	it, err := j.Outer.NewIter(state.IterOptions{})
	if err != nil {
		return err
	}
	type pending struct {
		k   []byte
		row value.Row
		r   bool
	}
	var due []pending
	for it.Next() {
		k := it.Key()
		if len(k) < 9 {
			continue
		}
		ts := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63))
		right := k[8] == 1
		after := j.Window.After
		if right {
			after = j.Window.Before
		}
		if ts+after+j.Window.Grace >= j.streamTime {
			// Keys are in time order; later ones are not due either
			// unless their side's window is shorter.
			continue
		}
		key, rest, err := value.DecodeValues(it.Value(), nil)
		if err != nil {
			it.Close()
			return err
		}
		val, vts, err := decodeSide(rest)
		if err != nil {
			it.Close()
			return err
		}
		due = append(due, pending{k: append([]byte(nil), k...), row: value.Row{Key: key, Val: val, Time: vts}, r: right})
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, p := range due {
		if err := j.Outer.Delete(p.k); err != nil {
			return err
		}
		if err := j.Next.Process(tc, j.outerRow(&p.row, p.r)); err != nil {
			return err
		}
	}
	return nil
}

var _ = fmt.Sprintf
