package op

import (
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// TableEval evaluates one table function call over a row.
type TableEval func(row *value.Row) ([]value.Value, error)

// FlatMap applies table functions to each row and forwards one row per
// produced value: row i carries every call's i-th value after the input's
// value columns, NULL where a call ran out, as ksqlDB's KudtfFlatMapper
// zips them. A call that fails sends the row to the processing log and
// produces nothing for it.
type FlatMap struct {
	Calls []TableEval
	Next  Op

	lists [][]value.Value
}

// Process implements Op.
func (f *FlatMap) Process(tc *stream.TaskContext, row *value.Row) error {
	if row.Val == nil {
		return nil
	}
	f.lists = f.lists[:0]
	n := 0
	for _, c := range f.Calls {
		vs, err := c(row)
		if err != nil {
			tc.ProcessingError(row.Offset, &RecordError{Stage: "table function", Err: err})
			return nil
		}
		f.lists = append(f.lists, vs)
		n = max(n, len(vs))
	}
	width := len(row.Val)
	for i := 0; i < n; i++ {
		out := *row
		out.Val = make([]value.Value, width, width+len(f.lists))
		copy(out.Val, row.Val)
		for _, vs := range f.lists {
			v := value.Null
			if i < len(vs) {
				v = vs[i]
			}
			out.Val = append(out.Val, v)
		}
		if err := f.Next.Process(tc, &out); err != nil {
			return err
		}
	}
	return nil
}
