package aggregate

import (
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Property names that bound the collections, as in ksqlDB.
const (
	CollectListLimit = "ksql.functions.collect_list.limit"
	CollectSetLimit  = "ksql.functions.collect_set.limit"
	histogramLimit   = 1000
)

func limitProp(props map[string]string, key string) (int, error) {
	n, err := propInt(props, key, -1)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		n = int(^uint(0) >> 1)
	}
	return n, nil
}

func registerCollect(b *builder) {
	arrT := function.ArrayP(tT)
	b.add("collect_list", "Gather all of the values from an input grouping into a single Array field.",
		ov(arrT, ps(p("val", tT)), "collect values of a field into a single Array", func(c function.AggCall) (*function.Aggregator, error) {
			limit, err := limitProp(c.Props, CollectListLimit)
			if err != nil {
				return nil, err
			}
			t := types.ArrayOf(argType(c, 0))
			return &function.Aggregator{
				AccType: t, ReturnType: t,
				Init: func() value.Value { return value.Array(nil) },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					if len(acc.Elems()) >= limit {
						return acc, nil
					}
					return value.Array(appendCopy(acc.Elems(), args[0])), nil
				},
				Merge: func(x, y value.Value) (value.Value, error) {
					room := max(limit-len(x.Elems()), 0)
					ys := y.Elems()
					return value.Array(appendCopy(x.Elems(), ys[:min(room, len(ys))]...)), nil
				},
				Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
					es := acc.Elems()
					for i := len(es) - 1; i >= 0; i-- {
						if value.Equal(es[i], args[0]) {
							return value.Array(appendCopy(es[:i], es[i+1:]...)), nil
						}
					}
					return acc, nil
				},
				Map: func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}))
	b.add("collect_set", "Gather all of the distinct values from an input grouping into a single Array.",
		ov(arrT, ps(p("val", tT)), "collect distinct values of a field into a single Array", func(c function.AggCall) (*function.Aggregator, error) {
			limit, err := limitProp(c.Props, CollectSetLimit)
			if err != nil {
				return nil, err
			}
			t := types.ArrayOf(argType(c, 0))
			return &function.Aggregator{
				AccType: t, ReturnType: t,
				Init: func() value.Value { return value.Array(nil) },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					if len(acc.Elems()) >= limit || indexOf(acc.Elems(), args[0]) >= 0 {
						return acc, nil
					}
					return value.Array(appendCopy(acc.Elems(), args[0])), nil
				},
				Merge: func(x, y value.Value) (value.Value, error) {
					out := appendCopy(x.Elems())
					for _, v := range y.Elems() {
						if len(out) >= limit {
							break
						}
						if indexOf(out, v) < 0 {
							out = append(out, v)
						}
					}
					return value.Array(out), nil
				},
				Map: func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}))
	b.add("histogram", "Returns a map containing the distinct String values of col1 mapped to the number of times each one occurs for the given window. This version limits the number of distinct values which can be counted to 1000, beyond which any additional entries are ignored.",
		ov(function.MapP(function.PString, function.PBigint), ps(p("val", function.PString)), "Build a value-to-count histogram of input Strings", func(function.AggCall) (*function.Aggregator, error) {
			t := types.MapOf(types.StringType, types.BigintType)
			add := func(es []value.Entry, k value.Value, n int64) []value.Entry {
				for i := range es {
					if value.Equal(es[i].Key, k) {
						out := append([]value.Entry(nil), es...)
						out[i].Val = value.Bigint(out[i].Val.Bigint() + n)
						if out[i].Val.Bigint() < 1 {
							out = append(out[:i], out[i+1:]...)
						}
						return out
					}
				}
				if n < 1 || len(es) >= histogramLimit {
					return es
				}
				return append(append([]value.Entry(nil), es...), value.Entry{Key: k, Val: value.Bigint(n)})
			}
			return &function.Aggregator{
				AccType: t, ReturnType: t,
				Init: func() value.Value { return value.Map(nil) },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					return value.Map(add(acc.Entries(), args[0], 1)), nil
				},
				Merge: func(x, y value.Value) (value.Value, error) {
					es := x.Entries()
					for _, e := range y.Entries() {
						es = add(es, e.Key, e.Val.Bigint())
					}
					return value.Map(es), nil
				},
				Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
					return value.Map(add(acc.Entries(), args[0], -1)), nil
				},
				Map: func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}))
	b.add("ATTR", "The ATTR() aggregation indicates there are multiple values, but only one was expected. If all values are the same, it returns that value. Otherwise, returns NULL.",
		ov(tT, ps(p("val", tT)), "Collect as a singleton", func(c function.AggCall) (*function.Aggregator, error) {
			// The accumulator is a histogram of values seen, so removals
			// can be undone.
			t := argType(c, 0)
			accT := types.ArrayOf(types.StructOf(types.Field{Name: "VALUE", Type: t}, types.Field{Name: "COUNT", Type: types.IntType}))
			add := func(acc value.Value, v value.Value, n int32) value.Value {
				es := appendCopy(acc.Elems())
				for i, e := range es {
					f := e.Elems()
					if value.Equal(f[0], v) {
						if c := f[1].Int() + n; c > 0 {
							es[i] = struct2(f[0], value.Int(c))
						} else {
							es = append(es[:i], es[i+1:]...)
						}
						return value.Array(es)
					}
				}
				if n > 0 {
					es = append(es, struct2(v, value.Int(n)))
				}
				return value.Array(es)
			}
			return &function.Aggregator{
				AccType: accT, ReturnType: t,
				Init:      func() value.Value { return value.Array(nil) },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) { return add(acc, args[0], 1), nil },
				Undo:      func(acc value.Value, args []value.Value) (value.Value, error) { return add(acc, args[0], -1), nil },
				Merge: func(x, y value.Value) (value.Value, error) {
					for _, e := range y.Elems() {
						x = add(x, e.Elems()[0], e.Elems()[1].Int())
					}
					return x, nil
				},
				Map: func(acc value.Value) (value.Value, error) {
					if es := acc.Elems(); len(es) == 1 {
						return es[0].Elems()[0], nil
					}
					return null, nil
				},
			}, nil
		}))
}
