// Package op owns the physical operators of a persistent query: source
// (decode and event time), filter, project, flat-map, select-key, and sink
// (encode and partition), with the stateful operators beside them. An
// operator processes one row and forwards what it produces to the next;
// a chain of them behind a Source is one task's stream.Processor. Operators
// are built per task by the planner's physical plan and hold no SQL.
package op

import (
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// Op is one operator in a task's chain.
type Op interface {
	Process(tc *stream.TaskContext, row *value.Row) error
}

// Eval is a compiled expression.
type Eval func(row *value.Row) (value.Value, error)

// Func adapts a function to Op.
type Func func(tc *stream.TaskContext, row *value.Row) error

// Process calls f.
func (f Func) Process(tc *stream.TaskContext, row *value.Row) error { return f(tc, row) }

// Filter forwards rows for which Pred is TRUE. NULL and FALSE drop the row;
// an evaluation error drops it and goes to the processing log, as ksqlDB
// does.
type Filter struct {
	Pred Eval
	Next Op
	// Table passes tombstones through.
	Table bool
}

// Process implements Op.
func (f *Filter) Process(tc *stream.TaskContext, row *value.Row) error {
	if row.Val == nil {
		// A table delete must reach downstream state; a stream record
		// without a value has nothing to test.
		if f.Table {
			return f.Next.Process(tc, row)
		}
		return nil
	}
	v, err := f.Pred(row)
	if err != nil {
		tc.ProcessingError(row.Offset, &RecordError{Stage: "filter", Err: err})
		return f.reject(tc, row)
	}
	if v.IsNull() || !v.Bool() {
		return f.reject(tc, row)
	}
	return f.Next.Process(tc, row)
}

// reject handles a row the predicate turned away. A table row becomes a
// tombstone, as Kafka Streams' KTableFilter forwards it: the key may have
// matched before, and downstream state must forget it. An undo row (a
// previous value that never passed) and a stream row are dropped.
func (f *Filter) reject(tc *stream.TaskContext, row *value.Row) error {
	if !f.Table || row.Undo {
		return nil
	}
	t := *row
	t.Val = nil
	return f.Next.Process(tc, &t)
}

// Project computes new key and value columns. A column whose expression
// fails becomes NULL and the failure goes to the processing log, as
// ksqlDB's SelectValueMapper does. Tombstones (table deletes) pass through
// with new keys and no value.
type Project struct {
	Key  []Eval
	Val  []Eval
	Next Op
	// KeepVal passes the input's value columns through.
	KeepVal bool
	// KeepKey passes the input's key columns through.
	KeepKey bool
	// DropNullKey drops rows with a NULL key column.
	DropNullKey bool
	out         value.Row
}

// Process implements Op.
func (p *Project) Process(tc *stream.TaskContext, row *value.Row) error {
	out := &p.out
	*out = value.Row{Time: row.Time, Partition: row.Partition, Offset: row.Offset, Window: row.Window, Headers: row.Headers, Undo: row.Undo}
	if p.KeepKey {
		out.Key = row.Key
	} else {
		out.Key = evalAll(tc, row, p.Key, out.Key[:0], "select key")
		if p.DropNullKey && hasNull(out.Key) {
			if row.Undo {
				return nil
			}
			// A table update's new row still goes on, as a tombstone, so
			// that the undo before it is not left waiting for its pair.
			out.Val = nil
			return p.Next.Process(tc, out)
		}
	}
	if row.Val != nil {
		if p.KeepVal {
			out.Val = row.Val
		} else {
			out.Val = evalAll(tc, row, p.Val, make([]value.Value, 0, len(p.Val)), "select")
		}
	}
	return p.Next.Process(tc, out)
}

func hasNull(vs []value.Value) bool {
	for _, v := range vs {
		if v.IsNull() {
			return true
		}
	}
	return false
}

func evalAll(tc *stream.TaskContext, row *value.Row, evals []Eval, into []value.Value, stage string) []value.Value {
	if into == nil {
		into = make([]value.Value, 0, len(evals))
	}
	for _, e := range evals {
		v, err := e(row)
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: stage, Err: err})
			v = value.Null
		}
		into = append(into, v)
	}
	return into
}

// RecordError is a per-record failure that goes to the processing log.
type RecordError struct {
	Stage string
	Err   error
}

func (e *RecordError) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *RecordError) Unwrap() error { return e.Err }
