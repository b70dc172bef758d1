package aggregate

import (
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

func registerMinMax(b *builder) {
	comparable := []*function.PType{
		function.PInt, function.PBigint, function.PDouble, function.PDecimal, function.PDate,
		function.PTime, function.PTimestamp, function.PString, function.PBytes,
	}
	pick := func(want int) func(function.AggCall) (*function.Aggregator, error) {
		return func(c function.AggCall) (*function.Aggregator, error) {
			fold := func(acc, v value.Value) value.Value {
				switch {
				case v.IsNull():
					return acc
				case acc.IsNull(), value.Compare(v, acc)*want > 0:
					return v
				}
				return acc
			}
			t := argType(c, 0)
			return &function.Aggregator{
				AccType: t, ReturnType: t,
				Init:      func() value.Value { return null },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) { return fold(acc, args[0]), nil },
				Merge:     func(a, b value.Value) (value.Value, error) { return fold(b, a), nil },
				Map:       func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}
	}
	for _, mm := range []struct {
		name, what string
		want       int
	}{{"MAX", "maximum", 1}, {"MIN", "minimum", -1}} {
		var ovs []*function.AggregateOverload
		for _, t := range comparable {
			if t == function.PDecimal {
				ovs = append(ovs, ovf(firstArgType, "DECIMAL", ps(p("val", t)), "Computes the "+mm.what+" value for a decimal key.", pick(mm.want)))
				continue
			}
			ovs = append(ovs, ov(t, ps(p("val", t)), "Computes the "+mm.what+" value for a key.", pick(mm.want)))
		}
		b.add(mm.name, "Computes the "+mm.what+" value for a key.", ovs...)
	}
}
