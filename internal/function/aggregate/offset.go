package aggregate

import (
	"errors"
	"sort"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// seqStruct is the accumulator element STRUCT<SEQ BIGINT, VAL T>.
func seqStruct(t *types.Type) *types.Type {
	return types.StructOf(types.Field{Name: "SEQ", Type: types.BigintType}, types.Field{Name: "VAL", Type: t})
}

// newSequence returns the counter that orders values by arrival. ksqlDB
// keeps one per JVM; Sluice keeps one per call site, seeded from the
// clock so sequences keep growing across restarts.
func newSequence() func() int64 {
	var seq atomic.Int64
	seq.Store(time.Now().UnixNano())
	return func() int64 { return seq.Add(1) }
}

// seqLess orders two SEQ/VAL structs by sequence, treating a negative
// sequence beside a non-negative one as having overflowed, as ksqlDB does.
func seqCompare(a, b value.Value) int {
	s1, s2 := a.Elems()[0].Bigint(), b.Elems()[0].Bigint()
	switch {
	case s1 < 0 && s2 >= 0:
		return 1
	case s2 < 0 && s1 >= 0:
		return -1
	case s1 < s2:
		return -1
	case s1 > s2:
		return 1
	}
	return 0
}

func seqCompareIgnoreNulls(a, b value.Value) int {
	an, bn := a.Elems()[1].IsNull(), b.Elems()[1].IsNull()
	switch {
	case an && bn:
		return 0
	case an:
		return -1
	case bn:
		return 1
	}
	return seqCompare(a, b)
}

func registerOffset(b *builder) {
	for _, latest := range []bool{true, false} {
		name, what := "EARLIEST_BY_OFFSET", "earliest"
		if latest {
			name, what = "LATEST_BY_OFFSET", "latest"
		}
		one := func(latest bool) func(function.AggCall) (*function.Aggregator, error) {
			return func(c function.AggCall) (*function.Aggregator, error) {
				ignoreNulls := true
				if len(c.InitArgs) > 0 && !c.InitArgs[0].IsNull() {
					ignoreNulls = c.InitArgs[0].Bool()
				}
				return offsetOne(argType(c, 0), latest, ignoreNulls), nil
			}
		}
		many := func(latest bool) func(function.AggCall) (*function.Aggregator, error) {
			return func(c function.AggCall) (*function.Aggregator, error) {
				if len(c.InitArgs) == 0 || c.InitArgs[0].IsNull() {
					return nil, errors.New("the number of values to keep must be a literal")
				}
				n := int(c.InitArgs[0].AsInt64())
				ignoreNulls := true
				if len(c.InitArgs) > 1 && !c.InitArgs[1].IsNull() {
					ignoreNulls = c.InitArgs[1].Bool()
				}
				if n <= 0 {
					if latest {
						return nil, errors.New("latestN must be 1 or greater")
					}
					return nil, errors.New("earliestN must be 1 or greater")
				}
				return offsetMany(argType(c, 0), latest, ignoreNulls, n), nil
			}
		}
		arrT := function.ArrayP(tT)
		b.add(name, "This function returns the "+what+" value for the column, computed by offset.",
			ov(tT, ps(p("val", tT)), "return the "+what+" value of a column", one(latest)),
			ov(tT, ps(p("val", tT), initP("ignoreNulls", function.PBoolean)), "return the "+what+" value of a column", one(latest)),
			ov(arrT, ps(p("val", tT), initP(what+"N", function.PInt)), "return the "+what+" N values of a column", many(latest)),
			ov(arrT, ps(p("val", tT), initP(what+"N", function.PInt), initP("ignoreNulls", function.PBoolean)), "return the "+what+" N values of a column", many(latest)),
		)
	}
}

func offsetOne(t *types.Type, latest, ignoreNulls bool) *function.Aggregator {
	next := newSequence()
	cmp := seqCompare
	if ignoreNulls {
		cmp = seqCompareIgnoreNulls
	}
	a := &function.Aggregator{
		AccType: seqStruct(t), ReturnType: t,
		Map: func(acc value.Value) (value.Value, error) {
			if acc.IsNull() {
				return null, nil
			}
			return acc.Elems()[1], nil
		},
	}
	if latest {
		a.Init = func() value.Value { return struct2(value.Bigint(next()), null) }
		a.Aggregate = func(acc value.Value, args []value.Value) (value.Value, error) {
			if args[0].IsNull() && ignoreNulls {
				return acc, nil
			}
			return struct2(value.Bigint(next()), args[0]), nil
		}
		a.Merge = func(x, y value.Value) (value.Value, error) {
			if cmp(x, y) >= 0 {
				return x, nil
			}
			return y, nil
		}
		return a
	}
	// EARLIEST keeps a NULL accumulator until the first value it takes.
	a.Init = func() value.Value { return null }
	a.Aggregate = func(acc value.Value, args []value.Value) (value.Value, error) {
		if !acc.IsNull() || (args[0].IsNull() && ignoreNulls) {
			return acc, nil
		}
		return struct2(value.Bigint(next()), args[0]), nil
	}
	a.Merge = func(x, y value.Value) (value.Value, error) {
		switch {
		case x.IsNull():
			return y, nil
		case y.IsNull():
			return x, nil
		case cmp(x, y) <= 0:
			return x, nil
		}
		return y, nil
	}
	return a
}

func offsetMany(t *types.Type, latest, ignoreNulls bool, n int) *function.Aggregator {
	next := newSequence()
	return &function.Aggregator{
		AccType: types.ArrayOf(seqStruct(t)), ReturnType: types.ArrayOf(t),
		Init: func() value.Value { return value.Array(nil) },
		Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
			if args[0].IsNull() && ignoreNulls {
				return acc, nil
			}
			es := acc.Elems()
			if !latest && len(es) >= n {
				return acc, nil
			}
			out := appendCopy(es, struct2(value.Bigint(next()), args[0]))
			if len(out) > n {
				out = out[len(out)-n:]
			}
			return value.Array(out), nil
		},
		Merge: func(x, y value.Value) (value.Value, error) {
			merged := appendCopy(x.Elems(), y.Elems()...)
			sort.SliceStable(merged, func(i, j int) bool { return seqCompare(merged[i], merged[j]) < 0 })
			if len(merged) > n {
				if latest {
					merged = merged[len(merged)-n:]
				} else {
					merged = merged[:n]
				}
			}
			return value.Array(merged), nil
		},
		Map: func(acc value.Value) (value.Value, error) {
			es := acc.Elems()
			out := make([]value.Value, len(es))
			for i, e := range es {
				out[i] = e.Elems()[1]
			}
			return value.Array(out), nil
		},
	}
}
