package aggregate

import (
	"fmt"
	"math/big"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// numOps is arithmetic on one numeric kind, with Java's overflow
// behaviour for INT and BIGINT.
type numOps struct {
	typ  *types.Type
	zero value.Value
	add  func(a, b value.Value) value.Value
	sub  func(a, b value.Value) value.Value
}

var (
	intOps = numOps{types.IntType, value.Int(0),
		func(a, b value.Value) value.Value { return value.Int(a.Int() + b.Int()) },
		func(a, b value.Value) value.Value { return value.Int(a.Int() - b.Int()) }}
	bigintOps = numOps{types.BigintType, value.Bigint(0),
		func(a, b value.Value) value.Value { return value.Bigint(a.Bigint() + b.Bigint()) },
		func(a, b value.Value) value.Value { return value.Bigint(a.Bigint() - b.Bigint()) }}
	doubleOps = numOps{types.DoubleType, value.Double(0),
		func(a, b value.Value) value.Value { return value.Double(a.Double() + b.Double()) },
		func(a, b value.Value) value.Value { return value.Double(a.Double() - b.Double()) }}
)

func decimalAdd(a, b value.Value, scale int32, sign int) value.Value {
	x, y := rescale(a, scale), rescale(b, scale)
	if sign < 0 {
		y.Neg(y)
	}
	return value.DecimalBig(x.Add(x, y), scale)
}

func rescale(v value.Value, scale int32) *big.Int {
	u := v.Unscaled()
	if d := scale - v.Scale(); d > 0 {
		u.Mul(u, value.Pow10(int(d)))
	}
	return u
}

func registerSum(b *builder) {
	sumOf := func(ops numOps) func(function.AggCall) (*function.Aggregator, error) {
		return func(function.AggCall) (*function.Aggregator, error) {
			return &function.Aggregator{
				AccType: ops.typ, ReturnType: ops.typ,
				Init: func() value.Value { return ops.zero },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					return ops.add(acc, args[0]), nil
				},
				Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					return ops.sub(acc, args[0]), nil
				},
				Merge: func(a, b value.Value) (value.Value, error) { return ops.add(a, b), nil },
				Map:   func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}
	}
	sumDecimal := func(c function.AggCall) (*function.Aggregator, error) {
		t := argType(c, 0)
		scale := int32(t.Scale)
		limit := value.Pow10(t.Precision - t.Scale)
		check := func(v value.Value) (value.Value, error) {
			abs := v.Unscaled()
			abs.Abs(abs)
			// |v| must stay below 10^(precision-scale).
			if abs.Cmp(new(big.Int).Mul(limit, value.Pow10(int(scale)))) >= 0 {
				return null, fmt.Errorf("Numeric field overflow: A field with precision %d and scale %d must round to an absolute value less than 10^%d. Got %s",
					t.Precision, t.Scale, t.Precision-t.Scale, v.DecimalString())
			}
			return v, nil
		}
		return &function.Aggregator{
			AccType: t, ReturnType: t,
			Init: func() value.Value { return value.DecimalInt64(0, scale) },
			Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return acc, nil
				}
				return check(decimalAdd(acc, args[0], scale, 1))
			},
			Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return acc, nil
				}
				return decimalAdd(acc, args[0], scale, -1), nil
			},
			Merge: func(a, b value.Value) (value.Value, error) { return decimalAdd(a, b, scale, 1), nil },
			Map:   func(acc value.Value) (value.Value, error) { return acc, nil },
		}, nil
	}
	b.add("SUM", "Computes the sum for a key.",
		ovf(firstArgType, "DECIMAL", ps(p("val", function.PDecimal)), "Computes the sum of decimal values for a key, resulting in a decimal with the same precision and scale.", sumDecimal),
		ov(function.PDouble, ps(p("val", function.PDouble)), "Computes the sum for a key.", sumOf(doubleOps)),
		ov(function.PBigint, ps(p("val", function.PBigint)), "Computes the sum for a key.", sumOf(bigintOps)),
		ov(function.PInt, ps(p("val", function.PInt)), "Computes the sum for a key.", sumOf(intOps)),
	)
	sumList := func(ops numOps) func(function.AggCall) (*function.Aggregator, error) {
		return func(function.AggCall) (*function.Aggregator, error) {
			total := func(list value.Value) value.Value {
				s := ops.zero
				for _, e := range list.Elems() {
					if !e.IsNull() {
						s = ops.add(s, e)
					}
				}
				return s
			}
			return &function.Aggregator{
				AccType: ops.typ, ReturnType: ops.typ,
				Init: func() value.Value { return ops.zero },
				Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					return ops.add(acc, total(args[0])), nil
				},
				Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					return ops.sub(acc, total(args[0])), nil
				},
				Merge: func(a, b value.Value) (value.Value, error) { return ops.add(a, b), nil },
				Map:   func(acc value.Value) (value.Value, error) { return acc, nil },
			}, nil
		}
	}
	b.add("sum_list", "Returns the sum of elements contained in the list.",
		ov(function.PDouble, ps(p("list", function.ArrayP(function.PDouble))), "sum double values in a list into a single double", sumList(doubleOps)),
		ov(function.PInt, ps(p("list", function.ArrayP(function.PInt))), "sum int values in a list into a single int", sumList(intOps)),
		ov(function.PBigint, ps(p("list", function.ArrayP(function.PBigint))), "sum long values in a list into a single long", sumList(bigintOps)),
	)
	avg := func(ops numOps) func(function.AggCall) (*function.Aggregator, error) {
		return func(function.AggCall) (*function.Aggregator, error) {
			accT := types.StructOf(types.Field{Name: "SUM", Type: ops.typ}, types.Field{Name: "COUNT", Type: types.BigintType})
			step := func(sign int64) func(acc value.Value, args []value.Value) (value.Value, error) {
				return func(acc value.Value, args []value.Value) (value.Value, error) {
					if args[0].IsNull() {
						return acc, nil
					}
					f := acc.Elems()
					sum := ops.add(f[0], args[0])
					if sign < 0 {
						sum = ops.sub(f[0], args[0])
					}
					return struct2(sum, value.Bigint(f[1].Bigint()+sign)), nil
				}
			}
			return &function.Aggregator{
				AccType: accT, ReturnType: types.DoubleType,
				Init:      func() value.Value { return struct2(ops.zero, value.Bigint(0)) },
				Aggregate: step(1),
				Undo:      step(-1),
				Merge: func(a, b value.Value) (value.Value, error) {
					fa, fb := a.Elems(), b.Elems()
					return struct2(ops.add(fa[0], fb[0]), value.Bigint(fa[1].Bigint()+fb[1].Bigint())), nil
				},
				Map: func(acc value.Value) (value.Value, error) {
					f := acc.Elems()
					if f[1].Bigint() == 0 {
						return value.Double(0), nil
					}
					return value.Double(f[0].AsFloat64() / float64(f[1].Bigint())), nil
				},
			}, nil
		}
	}
	b.add("avg", "Returns the average value of the column computed as the sum divided by the count. Applicable only to numeric types.",
		ov(function.PDouble, ps(p("val", function.PBigint)), "Compute average of column with type Long.", avg(bigintOps)),
		ov(function.PDouble, ps(p("val", function.PInt)), "Compute average of column with type Integer.", avg(intOps)),
		ov(function.PDouble, ps(p("val", function.PDouble)), "Compute average of column with type Double.", avg(doubleOps)),
	)
}
