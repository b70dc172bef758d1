package op

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// AggSpec is one aggregate call: its function and column arguments.
type AggSpec struct {
	Name  string
	Agg   *function.Aggregator
	Args  []Eval
	Widen func([]value.Value) error
}

// Aggregate folds rows into per-key (and per-window) accumulators kept in
// a state store, and forwards the updated result after every row, as
// ksqlDB's EMIT CHANGES does with caching off. Rows marked Undo (a table's
// previous value) are subtracted instead.
type Aggregate struct {
	Aggs   []AggSpec
	Window *plan.WindowSpec
	Store  state.ReadWriter
	Next   Op
	// Final buffers results in Suppress until their window closes.
	Final    bool
	Suppress state.ReadWriter

	streamTime int64
	meta       finalMeta
	keyBuf     []byte
	args       []value.Value
}

// Process implements Op.
func (a *Aggregate) Process(tc *stream.TaskContext, row *value.Row) error {
	if row.Val == nil {
		// Stream aggregations ignore records without a value, as Kafka
		// Streams' groupBy drops null values.
		return nil
	}
	if row.Time > a.streamTime {
		a.streamTime = row.Time
	}
	a.keyBuf = a.keyBuf[:0]
	for _, k := range row.Key {
		a.keyBuf = value.AppendKey(a.keyBuf, k)
	}
	undo := row.Undo
	if a.Window == nil {
		return a.update(tc, row, a.keyBuf, nil, undo)
	}
	if err := a.windowed(tc, row, undo); err != nil {
		return err
	}
	return a.flushClosed(tc)
}

func (a *Aggregate) windowed(tc *stream.TaskContext, row *value.Row, undo bool) error {
	switch a.Window.Type {
	case catalog.Tumbling, catalog.Hopping:
		closeTime := a.streamTime - a.Window.Grace
		first := row.Time - row.Time%a.Window.Advance
		if row.Time < 0 && row.Time%a.Window.Advance != 0 {
			first -= a.Window.Advance
		}
		// Hopping windows that contain the record start at multiples of
		// the advance within one size before it; visit them oldest first.
		var starts []int64
		for s := first; s > row.Time-a.Window.Size; s -= a.Window.Advance {
			if s < 0 {
				break
			}
			starts = append([]int64{s}, starts...)
		}
		for _, s := range starts {
			w := &value.Window{Start: s, End: s + a.Window.Size}
			if w.End <= closeTime {
				// Late: the window has closed. Kafka Streams drops it.
				continue
			}
			if err := a.update(tc, row, windowKey(a.keyBuf, s), w, undo); err != nil {
				return err
			}
			if err := a.noteStart(s); err != nil {
				return err
			}
		}
		return nil
	case catalog.Session:
		return a.session(tc, row)
	}
	return fmt.Errorf("unknown window type %v", a.Window.Type)
}

// windowKey appends an order-preserving window start to a key.
func windowKey(key []byte, start int64) []byte {
	out := make([]byte, len(key), len(key)+8)
	copy(out, key)
	return binary.BigEndian.AppendUint64(out, uint64(start)^(1<<63))
}

// stored is an accumulator set with the newest contributing timestamp.
func decodeStored(b []byte) ([]value.Value, int64, error) {
	accs, rest, err := value.DecodeValues(b, nil)
	if err != nil {
		return nil, 0, err
	}
	ts, n := binary.Varint(rest)
	if n <= 0 {
		return nil, 0, errors.New("corrupt aggregate state")
	}
	return accs, ts, nil
}

func encodeStored(accs []value.Value, ts int64) []byte {
	b := value.AppendValues(nil, accs)
	return binary.AppendVarint(b, ts)
}

// ProcessChange implements ChangeProcessor for unwindowed aggregations of
// a table: the update subtracts old and adds new under one key and emits
// one result.
func (a *Aggregate) ProcessChange(tc *stream.TaskContext, old, new *value.Row) error {
	if a.Window != nil {
		if err := a.Process(tc, old); err != nil {
			return err
		}
		return a.Process(tc, new)
	}
	a.keyBuf = a.keyBuf[:0]
	for _, k := range new.Key {
		a.keyBuf = value.AppendKey(a.keyBuf, k)
	}
	accs, ts, err := a.load(a.keyBuf)
	if err != nil {
		return err
	}
	if accs != nil {
		if err := a.fold(tc, old, accs, true); err != nil {
			return err
		}
	}
	return a.apply(tc, new, a.keyBuf, nil, false, accs, ts)
}

func (a *Aggregate) update(tc *stream.TaskContext, row *value.Row, key []byte, w *value.Window, undo bool) error {
	accs, ts, err := a.load(key)
	if err != nil {
		return err
	}
	return a.apply(tc, row, key, w, undo, accs, ts)
}

// apply folds row into accs (fresh ones when nil), stores and emits them.
func (a *Aggregate) apply(tc *stream.TaskContext, row *value.Row, key []byte, w *value.Window, undo bool, accs []value.Value, ts int64) error {
	if accs == nil {
		if undo {
			return nil
		}
		accs = make([]value.Value, len(a.Aggs))
		for i, ag := range a.Aggs {
			accs[i] = ag.Agg.Init()
		}
	}
	if err := a.fold(tc, row, accs, undo); err != nil {
		return err
	}
	if row.Time > ts {
		ts = row.Time
	}
	if err := a.Store.Put(key, encodeStored(accs, ts)); err != nil {
		return err
	}
	return a.emit(tc, row, accs, ts, w)
}

// fold adds row's arguments to accs in place, or subtracts them for undo.
// An argument that fails to evaluate counts as NULL, as in ksqlDB; a
// function that fails is an error of the task.
func (a *Aggregate) fold(tc *stream.TaskContext, row *value.Row, accs []value.Value, undo bool) error {
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
		var next value.Value
		var err error
		if undo {
			next, err = ag.Agg.Undo(accs[i], a.args)
		} else {
			next, err = ag.Agg.Aggregate(accs[i], a.args)
		}
		if err != nil {
			// ksqlDB does not catch a UDAF's exception: it fails the
			// task (SUM's decimal overflow, for one).
			return fmt.Errorf("aggregate %s: %w", ag.Name, err)
		}
		accs[i] = next
	}
	return nil
}

func (a *Aggregate) load(key []byte) ([]value.Value, int64, error) {
	b, err := a.Store.Get(key)
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return decodeStored(b)
}

// emit maps accumulators to results and forwards the row downstream.
func (a *Aggregate) emit(tc *stream.TaskContext, row *value.Row, accs []value.Value, ts int64, w *value.Window) error {
	out := value.Row{Key: row.Key, Time: ts, Partition: row.Partition, Offset: row.Offset, Window: w}
	out.Val = make([]value.Value, len(accs))
	for i, ag := range a.Aggs {
		v, err := ag.Agg.Map(accs[i])
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "aggregate", Err: err})
			v = value.Null
		}
		out.Val[i] = v
	}
	return a.forward(tc, &out)
}
