package conformance

import (
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// testAggregates are ksqlDB's test UDAFs: TEST_UDAF and the variadic and
// multi-argument ones (VAR_ARG, MID_VAR_ARG, MULTI_ARG, OBJ_COL_ARG).
func testAggregates() []*function.AggregateFunction {
	info := func(name, desc string) function.Info {
		return function.Info{Name: name, Description: desc, Category: function.CategoryAggregate, Author: function.ConfluentAuthor, Path: "test"}
	}
	col := func(p *function.PType) function.Param { return function.Param{Name: "col", Type: p} }
	vcol := func(p *function.PType) function.Param { return function.Param{Name: "cols", Type: p, Variadic: true} }
	initP := func(p *function.PType) function.Param { return function.Param{Name: "init", Type: p, Init: true} }
	vinit := func(p *function.PType) function.Param {
		return function.Param{Name: "inits", Type: p, Init: true, Variadic: true}
	}
	sig := func(ret *function.PType, ps ...function.Param) function.Signature {
		return function.Signature{Params: ps, Return: ret}
	}
	// sumLongs is a BIGINT accumulator that adds what add computes from a
	// row's arguments and maps through finish.
	sumLongs := func(init int64, add func(args []value.Value) int64, finish int64, undo bool) *function.Aggregator {
		a := &function.Aggregator{
			AccType: types.BigintType, ReturnType: types.BigintType,
			Init: func() value.Value { return value.Bigint(init) },
			Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
				return value.Bigint(acc.Bigint() + add(args)), nil
			},
			Merge: func(a, b value.Value) (value.Value, error) { return value.Bigint(a.Bigint() + b.Bigint()), nil },
			Map:   func(acc value.Value) (value.Value, error) { return value.Bigint(acc.Bigint() + finish), nil },
		}
		if undo {
			a.Undo = func(acc value.Value, args []value.Value) (value.Value, error) {
				return value.Bigint(acc.Bigint() - add(args)), nil
			}
		}
		return a
	}
	num := func(v value.Value) int64 {
		if v.IsNull() {
			return 0
		}
		return v.AsInt64()
	}
	strLen := func(v value.Value) int64 {
		if v.IsNull() {
			return 0
		}
		return int64(len([]rune(v.Str())))
	}
	structAB := types.StructOf(types.Field{Name: "A", Type: types.IntType}, types.Field{Name: "B", Type: types.IntType})
	pAB := function.Of(structAB)
	pLongT, pIntT, pDoubleT, pStringT := pBigint, pInt, pDouble, pString
	testUDAF := &function.AggregateFunction{
		Info: info("test_udaf", "test_udaf"),
		Overloads: []*function.AggregateOverload{
			{Signature: sig(pLongT, col(pLongT)), New: func(function.AggCall) (*function.Aggregator, error) {
				return sumLongs(0, func(a []value.Value) int64 { return num(a[0]) }, 0, true), nil
			}},
			{Signature: sig(pLongT, col(pIntT)), New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(0, func(a []value.Value) int64 { return num(a[0]) }, 0, true), nil
			}},
			{Signature: sig(pDoubleT, col(pDoubleT)), New: func(function.AggCall) (*function.Aggregator, error) {
				return &function.Aggregator{
					AccType: types.DoubleType, ReturnType: types.DoubleType,
					Init: func() value.Value { return value.Double(0) },
					Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
						if args[0].IsNull() {
							return acc, nil
						}
						return value.Double(acc.Double() + args[0].Double()), nil
					},
					Merge: func(a, b value.Value) (value.Value, error) { return value.Double(a.Double() + b.Double()), nil },
					Map:   func(acc value.Value) (value.Value, error) { return acc, nil },
				}, nil
			}},
			{Signature: sig(pAB, col(pAB)), New: func(function.AggCall) (*function.Aggregator, error) {
				zero := value.Struct([]value.Value{value.Int(0), value.Int(0)})
				add := func(a, b value.Value) value.Value {
					x, y := a.Elems(), b.Elems()
					return value.Struct([]value.Value{value.Int(x[0].Int() + y[0].Int()), value.Int(x[1].Int() + y[1].Int())})
				}
				return &function.Aggregator{
					AccType: structAB, ReturnType: structAB,
					Init: func() value.Value { return zero },
					Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
						if args[0].IsNull() {
							return acc, errNullPrimitive
						}
						return add(args[0], acc), nil
					},
					Merge: func(a, b value.Value) (value.Value, error) { return add(a, b), nil },
					Map:   func(acc value.Value) (value.Value, error) { return acc, nil },
				}, nil
			}},
			{Signature: sig(pLongT, col(pStringT), initP(pStringT)), New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(strLen(c.InitArgs[0]), func(a []value.Value) int64 { return strLen(a[0]) }, 0, false), nil
			}},
		},
	}
	varArg := &function.AggregateFunction{
		Info: info("VAR_ARG", "Returns the sum of the provided longs and lengths of strings."),
		Overloads: []*function.AggregateOverload{{
			Signature: sig(pLongT, col(pLongT), vcol(pStringT)),
			New: func(function.AggCall) (*function.Aggregator, error) {
				return sumLongs(0, func(a []value.Value) int64 {
					n := num(a[0])
					for _, s := range a[1:] {
						n += strLen(s)
					}
					return n
				}, 0, false), nil
			},
		}},
	}
	midVarArg := &function.AggregateFunction{
		Info: info("MID_VAR_ARG", "Returns the sum of the provided longs, lengths of strings, and initial arguments."),
		Overloads: []*function.AggregateOverload{{
			Signature: sig(pLongT, col(pLongT), vcol(pStringT), initP(pIntT), initP(pIntT)),
			New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(0, func(a []value.Value) int64 {
					n := num(a[0])
					for _, s := range a[1:] {
						n += strLen(s)
					}
					return n
				}, num(c.InitArgs[0])+num(c.InitArgs[1]), false), nil
			},
		}},
	}
	multiInit := func(c function.AggCall) int64 {
		n := num(c.InitArgs[0])
		for _, s := range c.InitArgs[1:] {
			n += strLen(s)
		}
		return n
	}
	multiArg := &function.AggregateFunction{
		Info: info("MULTI_ARG", "Returns the sum of the provided longs and lengths of strings."),
		Overloads: []*function.AggregateOverload{{
			Signature: sig(pLongT, col(pLongT), col(pStringT), initP(pIntT), vinit(pStringT)),
			New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(multiInit(c), func(a []value.Value) int64 { return num(a[0]) + strLen(a[1]) }, 0, false), nil
			},
		}},
	}
	fourArg := &function.AggregateFunction{
		Info: info("FOUR_ARG", "Returns the sum of the provided longs and lengths of strings."),
		Overloads: []*function.AggregateOverload{{
			Signature: sig(pLongT, col(pLongT), col(pStringT), col(pStringT), col(pStringT), initP(pIntT), vinit(pStringT)),
			New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(multiInit(c), func(a []value.Value) int64 {
					return num(a[0]) + strLen(a[1]) + strLen(a[2]) + strLen(a[3])
				}, 0, false), nil
			},
		}},
	}
	fiveArg := &function.AggregateFunction{
		Info: info("FIVE_ARG", "Returns the sum of the provided longs, lengths of strings, and integers."),
		Overloads: []*function.AggregateOverload{{
			Signature: sig(pLongT, col(pLongT), col(pStringT), col(pStringT), col(pStringT), col(pIntT), initP(pIntT), vinit(pStringT)),
			New: func(c function.AggCall) (*function.Aggregator, error) {
				return sumLongs(multiInit(c), func(a []value.Value) int64 {
					return num(a[0]) + strLen(a[1]) + strLen(a[2]) + strLen(a[3]) + num(a[4])
				}, 0, false), nil
			},
		}},
	}
	objColArg := &function.AggregateFunction{
		Info: info("OBJ_COL_ARG", "Returns an array of rows where all the given columns are non-null."),
		Overloads: []*function.AggregateOverload{{
			Signature: function.Signature{
				Params: []function.Param{col(pIntT), vcol(function.PAnyType)},
				Return: function.ArrayP(pIntT),
			},
			New: func(c function.AggCall) (*function.Aggregator, error) {
				t := types.ArrayOf(c.ArgTypes[0])
				return &function.Aggregator{
					AccType: t, ReturnType: t,
					Init: func() value.Value { return value.Array(nil) },
					Aggregate: func(acc value.Value, args []value.Value) (value.Value, error) {
						for _, a := range args {
							if a.IsNull() {
								return acc, nil
							}
						}
						return value.Array(append(append([]value.Value(nil), acc.Elems()...), args[0])), nil
					},
					Merge: func(a, b value.Value) (value.Value, error) {
						return value.Array(append(append([]value.Value(nil), a.Elems()...), b.Elems()...)), nil
					},
					Map: func(acc value.Value) (value.Value, error) { return acc, nil },
				}, nil
			},
		}},
	}
	return []*function.AggregateFunction{testUDAF, varArg, midVarArg, multiArg, fourArg, fiveArg, objColArg}
}
