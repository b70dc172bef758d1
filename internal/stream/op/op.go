// Package op owns the physical operators of a persistent query: source
// (decode and event time), filter, project, flat-map, select-key, and sink
// (encode and partition), with the stateful operators beside them. An
// operator processes one row and forwards what it produces to the next;
// a chain of them behind a Source is one task's stream.Processor. Operators
// are built per task by the planner's physical plan and hold no SQL.
package op

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/state"
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
	// Table filters a table's changes, as Kafka Streams' KTableFilter
	// does with old values at hand: a row that stops passing becomes a
	// tombstone, and a key that never passed stays silent.
	Table bool
	// Passed, for a table filter, holds the keys whose latest row passed.
	// Without it (transient queries) deletes pass and rejected rows drop.
	Passed state.ReadWriter

	keyBuf []byte
}

// Process implements Op.
func (f *Filter) Process(tc *stream.TaskContext, row *value.Row) error {
	if row.Val == nil {
		// A table delete must reach downstream state; a stream record
		// without a value has nothing to test.
		if f.Table {
			return f.reject(tc, row)
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
	if f.Table && f.Passed != nil && !row.Undo {
		if err := f.Passed.Put(f.key(row), []byte{1}); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	return f.Next.Process(tc, row)
}

func (f *Filter) key(row *value.Row) []byte {
	f.keyBuf = f.keyBuf[:0]
	for _, k := range row.Key {
		f.keyBuf = value.AppendKey(f.keyBuf, k)
	}
	if row.Window != nil {
		f.keyBuf = windowKey(f.keyBuf, row.Window.Start)
	}
	return f.keyBuf
}

// reject handles a table row that does not pass (or a delete): it becomes
// a tombstone if the key's previous row passed. An undo row (a previous
// value that never passed) and a stream row are dropped.
func (f *Filter) reject(tc *stream.TaskContext, row *value.Row) error {
	if !f.Table || row.Undo {
		return nil
	}
	if f.Passed == nil {
		if row.Val != nil {
			return nil
		}
	} else {
		k := f.key(row)
		_, err := f.Passed.Get(k)
		if errors.Is(err, state.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("filter: %w", err)
		}
		if err := f.Passed.Delete(k); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
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
	// Rekey marks a new key (PARTITION BY, GROUP BY): without it the
	// output keeps the input's key, a missing one included.
	Rekey bool
	// KeyNeedsValue makes the marked new key columns NULL on a row
	// without a value (plan.Project.KeyNeedsValue).
	KeyNeedsValue []bool
	out           value.Row
}

// Process implements Op.
func (p *Project) Process(tc *stream.TaskContext, row *value.Row) error {
	out := &p.out
	*out = value.Row{Time: row.Time, Partition: row.Partition, Offset: row.Offset, Window: row.Window, Headers: row.Headers, Undo: row.Undo}
	out.NullKey = row.NullKey && !p.Rekey
	if p.KeepKey {
		out.Key = row.Key
	} else {
		out.Key = evalAll(tc, row, p.Key, out.Key[:0], "select key")
		if p.KeyNeedsValue != nil && row.Val == nil {
			for i, needs := range p.KeyNeedsValue {
				if needs {
					out.Key[i] = value.Null
				}
			}
		}
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
