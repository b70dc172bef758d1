package conformance

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// The functions here exist only for the QTT vectors: ksqlDB loads them from
// its test sources (ksqldb-engine/src/test/.../function/udf and udaf). They
// are registered through the same public API a user's functions use, and
// never ship as built-ins.

// RegisterTestFunctions adds ksqlDB's test-only functions to reg.
func RegisterTestFunctions(reg *function.Registry) error {
	for _, f := range testScalars() {
		if err := reg.RegisterScalar(f); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	for _, f := range testTables() {
		if err := reg.RegisterTable(f); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	for _, f := range testAggregates() {
		if err := reg.RegisterAggregate(f); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	return nil
}

var (
	pInt    = function.Of(types.IntType)
	pBigint = function.Of(types.BigintType)
	pDouble = function.Of(types.DoubleType)
	pBool   = function.Of(types.BooleanType)
	pString = function.Of(types.StringType)
	structA = types.StructOf(types.Field{Name: "A", Type: types.StringType})
	pStruct = function.Of(structA)
)

func params(ps ...*function.PType) []function.Param {
	out := make([]function.Param, len(ps))
	for i, p := range ps {
		out[i] = function.Param{Name: fmt.Sprintf("arg%d", i+1), Type: p}
	}
	return out
}

func constant(s string) function.ScalarFn {
	return func([]value.Value) (value.Value, error) { return value.String(s), nil }
}

// errNullPrimitive is what a Java method with a primitive parameter does
// with a NULL argument.
var errNullPrimitive = errors.New("java.lang.NullPointerException")

func testScalars() []*function.ScalarFunction {
	sig := func(ret *function.PType, ps ...*function.PType) function.Signature {
		return function.Signature{Params: params(ps...), Return: ret}
	}
	varLongs := function.Signature{Params: []function.Param{{Name: "longs", Type: pBigint, Variadic: true}}, Return: pString}
	testUDF := &function.ScalarFunction{
		Info: function.Info{Name: "test_udf", Description: "test", Category: function.CategoryOther, Path: "test"},
		Overloads: []*function.ScalarOverload{
			{Signature: sig(pString, pInt, pString), Fn: constant("doStuffIntString")},
			{Signature: sig(pString, pBigint, pString), Fn: constant("doStuffLongString")},
			{Signature: sig(pString, pBigint, pBigint, pString), Fn: constant("doStuffLongLongString")},
			{Signature: varLongs, Fn: constant("doStuffLongVarargs")},
			{Signature: sig(pString, pStruct), Fn: func(args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return value.Null, errNullPrimitive
				}
				return args[0].Elems()[0], nil
			}},
			{Signature: sig(pStruct), Fn: func([]value.Value) (value.Value, error) {
				return value.Struct([]value.Value{value.String("foo")}), nil
			}},
		},
	}
	// bad_udf's third overload returns NULL every other call; ksqlDB makes
	// one instance per call site, and so does Specialize.
	everyOther := func([]*types.Type, *types.Type) (function.ScalarFn, error) {
		i := 0
		return func(args []value.Value) (value.Value, error) {
			i++
			if i%2 == 1 {
				return value.Null, nil
			}
			return args[0], nil
		}, nil
	}
	badUDF := &function.ScalarFunction{
		Info: function.Info{Name: "bad_udf", Description: "throws exceptions when called", Category: function.CategoryOther, Path: "test"},
		Overloads: []*function.ScalarOverload{
			{Signature: sig(pString, pInt), Fn: func([]value.Value) (value.Value, error) {
				return value.Null, errors.New("boom!")
			}},
			{Signature: sig(pInt, pBool), Fn: func(args []value.Value) (value.Value, error) {
				if args[0].IsNull() {
					return value.Null, errNullPrimitive
				}
				if args[0].Bool() {
					return value.Null, errors.New("You asked me to throw...")
				}
				return value.Int(0), nil
			}},
			{Signature: sig(pString, pString), Specialize: everyOther},
		},
	}
	// tostruct is the example UDF of ksqlDB's udf-example.jar, which its
	// functional tests load: the string, as the field A of a struct.
	toStruct := &function.ScalarFunction{
		Info: function.Info{Name: "tostruct", Description: "converts things to a struct", Category: function.CategoryOther, Path: "test"},
		Overloads: []*function.ScalarOverload{
			{Signature: sig(pStruct, pString), Fn: func(args []value.Value) (value.Value, error) {
				return value.Struct([]value.Value{args[0]}), nil
			}},
		},
	}
	return []*function.ScalarFunction{testUDF, badUDF, toStruct}
}

func testTables() []*function.TableFunction {
	sig := func(ret *function.PType, ps ...*function.PType) function.Signature {
		return function.Signature{Params: params(ps...), Return: ret}
	}
	dec := function.PDecimal
	strs := func(args []value.Value, elem func(v value.Value) value.Value) ([]value.Value, error) {
		out := make([]value.Value, len(args))
		for i, a := range args {
			v := elem(a)
			if v.IsNull() {
				return nil, errNullPrimitive
			}
			out[i] = value.String(javaString(v))
		}
		return out, nil
	}
	first := func(v value.Value) value.Value {
		if es := v.Elems(); len(es) > 0 {
			return es[0]
		}
		return value.Null
	}
	firstEntry := func(v value.Value) value.Value {
		if es := v.Entries(); len(es) > 0 {
			return es[0].Val
		}
		return value.Null
	}
	single := func(args []value.Value) ([]value.Value, error) { return []value.Value{args[0]}, nil }
	arr := function.ArrayP
	mp := func(p *function.PType) *function.PType { return function.MapP(pString, p) }
	testUDTF := &function.TableFunction{
		Info: function.Info{Name: "test_udtf", Description: "test", Category: function.CategoryTable, Path: "test"},
		Overloads: []*function.TableOverload{
			{Signature: sig(pString, pInt, pBigint, pDouble, pBool, pString, dec, pStruct),
				Fn: func(args []value.Value) ([]value.Value, error) {
					return strs(args, func(v value.Value) value.Value { return v })
				}},
			{Signature: sig(pString, arr(pInt), arr(pBigint), arr(pDouble), arr(pBool), arr(pString), arr(dec), arr(pStruct)),
				Fn: func(args []value.Value) ([]value.Value, error) { return strs(args, first) }},
			{Signature: sig(pString, mp(pInt), mp(pBigint), mp(pDouble), mp(pBool), mp(pString), mp(dec), mp(pStruct)),
				Fn: func(args []value.Value) ([]value.Value, error) { return strs(args, firstEntry) }},
			{Signature: sig(pInt, pInt), Fn: single},
			{Signature: sig(pBigint, pBigint), Fn: single},
			{Signature: sig(pDouble, pDouble), Fn: single},
			{Signature: sig(pBool, pBool), Fn: single},
			{Signature: sig(pString, pString), Fn: single},
			{Signature: function.Signature{Params: params(dec), ReturnFn: func([]*types.Type, map[string]*types.Type) (*types.Type, error) {
				return types.DecimalOf(30, 10)
			}, ReturnDoc: "DECIMAL"}, Fn: single},
			{Signature: sig(pStruct, pStruct), Fn: single},
		},
	}
	throwing := &function.TableFunction{
		Info: function.Info{Name: "throwing_udtf", Description: "test UDTF that throws if param is true", Category: function.CategoryTable, Path: "test"},
		Overloads: []*function.TableOverload{{Signature: sig(pBool, pBool), Fn: func(args []value.Value) ([]value.Value, error) {
			if args[0].IsNull() {
				return nil, errNullPrimitive
			}
			if args[0].Bool() {
				return nil, errors.New("You asked me to throw...")
			}
			return []value.Value{args[0]}, nil
		}}},
	}
	return []*function.TableFunction{testUDTF, throwing}
}

// javaString prints a value as Java's String.valueOf does for the boxed
// type ksqlDB hands a UDF (a Connect Struct prints as Struct{A=x}).
func javaString(v value.Value) string {
	switch v.Kind() {
	case types.Double:
		f := v.Double()
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.ContainsAny(s, ".eEIN") {
			s += ".0"
		}
		return s
	case types.Decimal:
		return v.DecimalString()
	case types.Struct:
		var parts []string
		for i, f := range v.Elems() {
			if f.IsNull() {
				continue
			}
			// Only the test schema's STRUCT<A VARCHAR> reaches here.
			name := string(rune('A' + i))
			parts = append(parts, name+"="+javaString(f))
		}
		return "Struct{" + strings.Join(parts, ",") + "}"
	case types.String:
		return v.Str()
	}
	return v.String()
}
