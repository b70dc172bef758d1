package aggregate

import (
	"errors"
	"fmt"
	"sort"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func topKSize(c function.AggCall) (int, error) {
	if len(c.InitArgs) == 0 || c.InitArgs[0].IsNull() {
		return 0, errors.New("TOPK requires a literal k")
	}
	k := int(c.InitArgs[0].AsInt64())
	if k <= 0 {
		return 0, fmt.Errorf("k must be greater than 0, was %d", k)
	}
	return k, nil
}

func registerTopK(b *builder) {
	// TOPK(col, other..., k): with other columns each entry is a STRUCT of
	// the sort column and the others, named as ksqlDB names them.
	topkReturn := func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
		cols := args[:len(args)-1]
		if len(cols) == 1 {
			return types.ArrayOf(cols[0]), nil
		}
		return types.ArrayOf(topkStruct(cols)), nil
	}
	topk := func(c function.AggCall) (*function.Aggregator, error) {
		k, err := topKSize(c)
		if err != nil {
			return nil, err
		}
		plain := len(c.ArgTypes) == 1
		key := func(v value.Value) value.Value {
			if plain {
				return v
			}
			return v.Elems()[0]
		}
		var ret *types.Type
		if plain {
			ret = types.ArrayOf(argType(c, 0))
		} else {
			ret = types.ArrayOf(topkStruct(c.ArgTypes))
		}
		return &function.Aggregator{
			AccType: ret, ReturnType: ret,
			Init: func() value.Value { return value.Array(nil) },
			Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return acc, nil
				}
				es := acc.Elems()
				if len(es) == k && value.Compare(args[0], key(es[len(es)-1])) <= 0 {
					return acc, nil
				}
				entry := args[0]
				if !plain {
					entry = value.Struct(append([]value.Value(nil), args...))
				}
				out := appendCopy(es, entry)
				sort.SliceStable(out, func(i, j int) bool { return value.Compare(key(out[i]), key(out[j])) > 0 })
				if len(out) > k {
					out = out[:k]
				}
				return value.Array(out), nil
			},
			Merge: func(x, y value.Value) (value.Value, error) {
				out := appendCopy(x.Elems(), y.Elems()...)
				sort.SliceStable(out, func(i, j int) bool { return value.Compare(key(out[i]), key(out[j])) > 0 })
				if len(out) > k {
					out = out[:k]
				}
				return value.Array(out), nil
			},
			Map: func(acc value.Value) (value.Value, error) { return acc, nil },
		}, nil
	}
	var topks []*function.AggregateOverload
	for _, t := range []*function.PType{function.PInt, function.PBigint, function.PDouble, function.PString} {
		topks = append(topks, ovf(topkReturn, "ARRAY", ps(p("val", t), function.Param{Name: "otherCols", Type: function.PAnyType, Variadic: true}, initP("k", function.PInt)),
			"Returns the top k values for a "+t.String()+" column and other values in those records.", topk))
	}
	b.add("TOPK", "Computes the top k values for a column, per key.", topks...)

	distinctK := func(c function.AggCall) (*function.Aggregator, error) {
		k, err := topKSize(c)
		if err != nil {
			return nil, err
		}
		t := types.ArrayOf(argType(c, 0))
		fold := func(es []value.Value, extra ...value.Value) value.Value {
			out := appendCopy(es)
			for _, v := range extra {
				if !v.IsNull() && indexOf(out, v) < 0 {
					out = append(out, v)
				}
			}
			sort.SliceStable(out, func(i, j int) bool { return value.Compare(out[i], out[j]) > 0 })
			if len(out) > k {
				out = out[:k]
			}
			return value.Array(out)
		}
		return &function.Aggregator{
			AccType: t, ReturnType: t,
			Init:      func() value.Value { return value.Array(nil) },
			Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) { return fold(acc.Elems(), args[0]), nil },
			Merge:     func(x, y value.Value) (value.Value, error) { return fold(x.Elems(), y.Elems()...), nil },
			Map:       func(acc value.Value) (value.Value, error) { return acc, nil },
		}, nil
	}
	var distincts []*function.AggregateOverload
	for _, t := range []*function.PType{function.PInt, function.PBigint, function.PDouble, function.PString, function.PDecimal,
		function.PDate, function.PTime, function.PTimestamp, function.PBytes} {
		if t == function.PDecimal {
			distincts = append(distincts, ovf(func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
				return types.ArrayOf(args[0]), nil
			}, "ARRAY<DECIMAL>", ps(p("val", t), initP("k", function.PInt)), "Calculates the top k distinct values for a decimal column, per key.", distinctK))
			continue
		}
		distincts = append(distincts, ov(function.ArrayP(t), ps(p("val", t), initP("k", function.PInt)),
			"Calculates the top k distinct values for a "+t.String()+" column, per key.", distinctK))
	}
	b.add("TOPKDISTINCT", "Calculates the top k distinct values for a column, per key.", distincts...)
}

func topkStruct(cols []*types.Type) *types.Type {
	fields := []types.Field{{Name: "sort_col", Type: cols[0]}}
	for i, t := range cols[1:] {
		fields = append(fields, types.Field{Name: fmt.Sprintf("col%d", i), Type: t})
	}
	return types.StructOf(fields...)
}
