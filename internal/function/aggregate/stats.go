package aggregate

import (
	"math"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// registerStats adds the standard deviations and CORRELATION, with
// ksqlDB's incremental formulas so results agree to the last bit.
func registerStats(b *builder) {
	for _, sd := range []struct {
		name, desc string
		sqrt       bool
	}{
		// STDDEV_SAMP returns the sample variance: ksqlDB's own vectors
		// pin that bug, so Sluice keeps it.
		{"STDDEV_SAMP", "Returns the sample standard deviation.", false},
		{"STDDEV_SAMPLE", "Returns the sample standard deviation.", true},
	} {
		b.add(sd.name, sd.desc,
			ov(function.PDouble, ps(p("val", function.PBigint)), "Compute sample standard deviation of column with type Long.", stddev(bigintOps, sd.sqrt)),
			ov(function.PDouble, ps(p("val", function.PInt)), "Compute sample standard deviation of column with type Integer.", stddev(intOps, sd.sqrt)),
			ov(function.PDouble, ps(p("val", function.PDouble)), "Compute sample standard deviation of column with type Double.", stddev(doubleOps, sd.sqrt)),
		)
	}
	b.add("correlation", "Computes the Pearson correlation coefficient between two columns of data.",
		ov(function.PDouble, ps(p("x", function.PDouble), p("y", function.PDouble)), "Computes the Pearson correlation coefficient between two DOUBLE columns.", correlation),
		ov(function.PDouble, ps(p("x", function.PInt), p("y", function.PInt)), "Computes the Pearson correlation coefficient between two INTEGER columns.", correlation),
		ov(function.PDouble, ps(p("x", function.PBigint), p("y", function.PBigint)), "Computes the Pearson correlation coefficient between two BIGINT columns.", correlation),
	)
}

// delta is ksqlDB's createDelta: newValue*(count+1) - (sum+newValue),
// evaluated in the column's own arithmetic.
func delta(ops numOps, sum, count, v value.Value) float64 {
	switch ops.typ.Kind {
	case types.Int:
		return float64(int64(v.Int())*(count.Bigint()+1) - int64(sum.Int()+v.Int()))
	case types.Bigint:
		return float64(v.Bigint()*(count.Bigint()+1) - (sum.Bigint() + v.Bigint()))
	}
	return v.Double()*float64(count.Bigint()+1) - (sum.Double() + v.Double())
}

func stddev(ops numOps, sqrt bool) func(function.AggCall) (*function.Aggregator, error) {
	return func(function.AggCall) (*function.Aggregator, error) {
		accT := types.StructOf(
			types.Field{Name: "SUM", Type: ops.typ},
			types.Field{Name: "COUNT", Type: types.BigintType},
			types.Field{Name: "M2", Type: types.DoubleType},
		)
		mk := func(sum, count value.Value, m2 float64) value.Value {
			return value.Struct([]value.Value{sum, count, value.Double(m2)})
		}
		return &function.Aggregator{
			AccType: accT, ReturnType: types.DoubleType,
			Init: func() value.Value { return mk(ops.zero, value.Bigint(0), 0) },
			Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return acc, nil
				}
				f := acc.Elems()
				n := f[1].Bigint() + 1
				m2 := 0.0
				if n-1 > 0 {
					d := delta(ops, f[0], f[1], args[0])
					m2 = d * d / float64(n*(n-1))
				}
				return mk(ops.add(f[0], args[0]), value.Bigint(n), m2+f[2].Double()), nil
			},
			Undo: func(acc value.Value, args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return acc, nil
				}
				f := acc.Elems()
				n := f[1].Bigint() - 1
				m2 := 0.0
				if n > 0 {
					d := delta(ops, f[0], f[1], args[0])
					m2 = d * d / float64(n*(n+1))
				}
				return mk(ops.sub(f[0], args[0]), value.Bigint(n), f[2].Double()-m2), nil
			},
			Merge: func(x, y value.Value) (value.Value, error) {
				fx, fy := x.Elems(), y.Elems()
				c1, c2 := fx[1].Bigint(), fy[1].Bigint()
				m2 := fx[2].Double() + fy[2].Double()
				if c1 != 0 && c2 != 0 {
					var inner float64
					switch ops.typ.Kind {
					case types.Int, types.Bigint:
						// Integer division, as ksqlDB computes it.
						inner = float64(fx[0].AsInt64()/c1 - fy[0].AsInt64()/c2)
					default:
						inner = fx[0].Double()/float64(c1) - fy[0].Double()/float64(c2)
					}
					m2 += float64(c1*c2) * inner * inner / float64(c1+c2)
				}
				return mk(ops.add(fx[0], fy[0]), value.Bigint(c1+c2), m2), nil
			},
			Map: func(acc value.Value) (value.Value, error) {
				f := acc.Elems()
				n := f[1].Bigint()
				if n < 2 {
					return value.Double(0), nil
				}
				v := f[2].Double() / float64(n-1)
				if sqrt {
					v = math.Sqrt(v)
				}
				return value.Double(v), nil
			},
		}, nil
	}
}

func correlation(function.AggCall) (*function.Aggregator, error) {
	names := []string{"X_SUM", "Y_SUM", "X_SQUARED_SUM", "Y_SQUARED_SUM", "XY_SUM"}
	var fields []types.Field
	for _, n := range names {
		fields = append(fields, types.Field{Name: n, Type: types.DoubleType})
	}
	fields = append(fields, types.Field{Name: "COUNT", Type: types.BigintType})
	mk := func(s [5]float64, n int64) value.Value {
		vs := make([]value.Value, 6)
		for i, f := range s {
			vs[i] = value.Double(f)
		}
		vs[5] = value.Bigint(n)
		return value.Struct(vs)
	}
	read := func(acc value.Value) ([5]float64, int64) {
		var s [5]float64
		f := acc.Elems()
		for i := range s {
			s[i] = f[i].Double()
		}
		return s, f[5].Bigint()
	}
	step := func(sign float64) func(acc value.Value, args []value.Value) (value.Value, error) {
		return func(acc value.Value, args []value.Value) (value.Value, error) {
			if args[0].IsNull() || args[1].IsNull() {
				return acc, nil
			}
			x, y := args[0].AsFloat64(), args[1].AsFloat64()
			s, n := read(acc)
			s[0] += sign * x
			s[1] += sign * y
			s[2] += sign * x * x
			s[3] += sign * y * y
			s[4] += sign * x * y
			return mk(s, n+int64(sign)), nil
		}
	}
	return &function.Aggregator{
		AccType: types.StructOf(fields...), ReturnType: types.DoubleType,
		Init:      func() value.Value { return mk([5]float64{}, 0) },
		Aggregate: step(1),
		Undo:      step(-1),
		Merge: func(a, b value.Value) (value.Value, error) {
			sa, na := read(a)
			sb, nb := read(b)
			for i := range sa {
				sa[i] += sb[i]
			}
			return mk(sa, na+nb), nil
		},
		Map: func(acc value.Value) (value.Value, error) {
			s, n := read(acc)
			c := float64(n)
			num := c*s[4] - s[0]*s[1]
			dx := c*s[2] - s[0]*s[0]
			dy := c*s[3] - s[1]*s[1]
			return value.Double(num / math.Sqrt(dx*dy)), nil
		},
	}, nil
}
