package aggregate

import (
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func registerCount(b *builder) {
	count := func(skipNull bool) func(function.AggCall) (*function.Aggregator, error) {
		return func(function.AggCall) (*function.Aggregator, error) {
			step := func(delta int64) func(acc value.Value, args []value.Value) (value.Value, error) {
				return func(acc value.Value, args []value.Value) (value.Value, error) {
					if skipNull && (len(args) == 0 || args[0].IsNull()) {
						return acc, nil
					}
					return value.Bigint(acc.Bigint() + delta), nil
				}
			}
			return &function.Aggregator{
				AccType: types.BigintType, ReturnType: types.BigintType,
				Init:      func() value.Value { return value.Bigint(0) },
				Aggregate: step(1),
				Undo:      step(-1),
				Merge:     func(a, b value.Value) (value.Value, error) { return value.Bigint(a.Bigint() + b.Bigint()), nil },
				Map:       func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}
	}
	b.add("COUNT", "Counts records by key.",
		// COUNT() and COUNT(*) count every row; the planner passes no
		// argument for them.
		ov(function.PBigint, nil, "Counts records by key.", count(false)),
		ov(function.PBigint, ps(p("val", tT)), "Counts records by key.", count(true)),
	)
	b.add("COUNT_DISTINCT", "This function returns the number of items found in a group.",
		ov(function.PBigint, ps(p("val", tT)), "Count distinct", func(function.AggCall) (*function.Aggregator, error) {
			return &function.Aggregator{
				AccType: types.BytesType, ReturnType: types.BigintType,
				Init: func() value.Value { return value.Bytes(nil) },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					return distinctAdd(acc.BytesVal(), hashValue(args[0])), nil
				},
				Merge: func(a, b value.Value) (value.Value, error) { return distinctMerge(a.BytesVal(), b.BytesVal()), nil },
				Map:   func(acc value.Value) (value.Value, error) { return value.Bigint(distinctCount(acc.BytesVal())), nil },
			}, nil
		}))
}

func indexOf(vs []value.Value, v value.Value) int {
	for i, e := range vs {
		if value.Equal(e, v) {
			return i
		}
	}
	return -1
}

// appendCopy returns a new slice holding vs and then extra.
func appendCopy(vs []value.Value, extra ...value.Value) []value.Value {
	out := make([]value.Value, 0, len(vs)+len(extra))
	return append(append(out, vs...), extra...)
}
