package expr

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// testCol is one column of the test source, with the SQL that computes its
// value in the default row (empty for NULL).
type testCol struct {
	name string
	typ  string
	val  string
}

// The test source: K is the key column, the rest are value columns.
var testCols = []testCol{
	{"I", "INT", "7"},
	{"BI", "BIGINT", "10000000000"},
	{"D", "DOUBLE", "2.5E0"},
	{"DEC", "DECIMAL(4,2)", "12.34"},
	{"S", "STRING", "'hello'"},
	{"B", "BOOLEAN", "true"},
	{"TS", "TIMESTAMP", "CAST('2020-01-02T03:04:05.678' AS TIMESTAMP)"},
	{"DT", "DATE", "CAST('2020-01-02' AS DATE)"},
	{"TM", "TIME", "CAST('03:04:05' AS TIME)"},
	{"ARR", "ARRAY<INT>", "ARRAY[1, 2, 3]"},
	{"M", "MAP<STRING, INT>", "MAP('a' := 1, 'b' := 2)"},
	{"ST", "STRUCT<A INT, `b` STRING, NESTED STRUCT<X BIGINT>>", "STRUCT(A := 1, `b` := 'x', NESTED := STRUCT(X := CAST(5 AS BIGINT)))"},
	{"BYT", "BYTES", "CAST('aGk=' AS BYTES)"},
	{"NI", "INT", ""},
	{"NS", "STRING", ""},
	{"NARR", "ARRAY<INT>", ""},
	{"NST", "STRUCT<A INT, `b` STRING, NESTED STRUCT<X BIGINT>>", ""},
	{"I2", "INT", "-3"},
	{"DEC2", "DECIMAL(5,3)", "1.5"},
	{"NB", "BOOLEAN", ""},
	{"NDEC", "DECIMAL(4,2)", ""},
	{"ND", "DOUBLE", ""},
	{"BIGI", "INT", "2147483647"},
	{"ZERO", "INT", "0"},
	{"DZERO", "DOUBLE", "0.0E0"},
	{"PAT", "STRING", "'h%o'"},
	{"ARR2", "ARRAY<ARRAY<INT>>", "ARRAY[ARRAY[0, 1], NULL, ARRAY[2]]"},
	{"SARR", "ARRAY<STRING>", "ARRAY['b', 'a']"},
}

// testScope resolves the test source's columns, unqualified or qualified
// by T, and the pseudo columns.
type testScope struct {
	cols map[string]Column
}

func newTestScope(t testing.TB) *testScope {
	s := &testScope{cols: map[string]Column{
		"K":            {Name: "K", Kind: KeyColumn, Index: 0, Type: types.StringType},
		"ROWTIME":      {Name: "ROWTIME", Kind: RowTime, Type: types.BigintType},
		"ROWPARTITION": {Name: "ROWPARTITION", Kind: RowPartition, Type: types.IntType},
		"ROWOFFSET":    {Name: "ROWOFFSET", Kind: RowOffset, Type: types.BigintType},
		"WINDOWSTART":  {Name: "WINDOWSTART", Kind: WindowStart, Type: types.BigintType},
		"WINDOWEND":    {Name: "WINDOWEND", Kind: WindowEnd, Type: types.BigintType},
	}}
	for i, c := range testCols {
		s.cols[c.name] = Column{Name: c.name, Kind: ValueColumn, Index: i, Type: mustType(t, c.typ)}
	}
	return s
}

func (s *testScope) Resolve(qualifier, name string) (Column, error) {
	if qualifier != "" && qualifier != "T" {
		return Column{}, UnknownColumn(qualifier, name)
	}
	c, ok := s.cols[name]
	if !ok {
		return Column{}, UnknownColumn(qualifier, name)
	}
	return c, nil
}

func mustType(t testing.TB, sql string) *types.Type {
	t.Helper()
	e, err := parser.ParseExpr("CAST(NULL AS " + sql + ")")
	if err != nil {
		t.Fatalf("parse type %s: %v", sql, err)
	}
	rt, err := resolveType(e.(*ast.Cast).Type)
	if err != nil {
		t.Fatalf("type %s: %v", sql, err)
	}
	return rt
}

// testRow builds the default row: every column's value computed from its
// SQL with EvalConstant and cast to the column type.
func testRow(t testing.TB, opts Options) *value.Row {
	t.Helper()
	row := &value.Row{
		Key:       []value.Value{value.String("key1")},
		Val:       make([]value.Value, len(testCols)),
		Time:      1577934245678,
		Partition: 3,
		Offset:    42,
	}
	for i, c := range testCols {
		if c.val == "" {
			continue
		}
		e, err := parser.ParseExpr("CAST(" + c.val + " AS " + c.typ + ")")
		if err != nil {
			t.Fatalf("parse %s: %v", c.val, err)
		}
		v, _, err := EvalConstant(e, opts)
		if err != nil {
			t.Fatalf("eval %s: %v", c.val, err)
		}
		row.Val[i] = v
	}
	return row
}

// testFunctions registers a handful of functions shaped like ksqlDB's, to
// exercise resolution, widening, variadics, lambdas and interval units
// without depending on the built-in families.
func testFunctions(t testing.TB) *function.Registry {
	t.Helper()
	r := function.NewRegistry()
	p := func(name string, pt *function.PType) function.Param { return function.Param{Name: name, Type: pt} }
	scalar := func(name string, ovs ...*function.ScalarOverload) {
		if err := r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: name}, Overloads: ovs}); err != nil {
			t.Fatal(err)
		}
	}
	ov := func(ret *function.PType, params []function.Param, fn function.ScalarFn) *function.ScalarOverload {
		return &function.ScalarOverload{Signature: function.Signature{Params: params, Return: ret}, NullOnNull: true, Fn: fn}
	}
	T, U, S := function.Generic("T"), function.Generic("U"), function.Generic("S")
	scalar("ABS",
		ov(function.PInt, []function.Param{p("x", function.PInt)}, func(a []value.Value) (value.Value, error) {
			if a[0].Int() < 0 {
				return value.Int(-a[0].Int()), nil
			}
			return a[0], nil
		}),
		ov(function.PBigint, []function.Param{p("x", function.PBigint)}, func(a []value.Value) (value.Value, error) {
			if a[0].Bigint() < 0 {
				return value.Bigint(-a[0].Bigint()), nil
			}
			return a[0], nil
		}),
		ov(function.PDouble, []function.Param{p("x", function.PDouble)}, func(a []value.Value) (value.Value, error) {
			if a[0].Double() < 0 {
				return value.Double(-a[0].Double()), nil
			}
			return a[0], nil
		}))
	scalar("SQRT", ov(function.PDouble, []function.Param{p("x", function.PDouble)}, func(a []value.Value) (value.Value, error) {
		return value.Double(math.Sqrt(a[0].Double())), nil
	}))
	scalar("CONCAT", &function.ScalarOverload{
		Signature: function.Signature{Params: []function.Param{{Name: "s", Type: function.PString, Variadic: true}}, Return: function.PString},
		Fn: func(a []value.Value) (value.Value, error) {
			var b strings.Builder
			for _, v := range a {
				b.WriteString(v.Str())
			}
			return value.String(b.String()), nil
		}})
	scalar("COALESCE", &function.ScalarOverload{
		Signature: function.Signature{Params: []function.Param{p("first", T), {Name: "others", Type: T, Variadic: true}}, Return: T},
		Fn: func(a []value.Value) (value.Value, error) {
			for _, v := range a {
				if !v.IsNull() {
					return v, nil
				}
			}
			return value.Null, nil
		}})
	scalar("TRANSFORM", &function.ScalarOverload{
		Signature:  function.Signature{Params: []function.Param{p("arr", function.ArrayP(T)), p("fn", function.LambdaP(U, T))}, Return: function.ArrayP(U)},
		NullOnNull: true,
		LambdaFn: func(a []value.Value, ls []function.Lambda) (value.Value, error) {
			in := a[0].Elems()
			out := make([]value.Value, len(in))
			for i, e := range in {
				v, err := ls[0](e)
				if err != nil {
					return value.Null, err
				}
				out[i] = v
			}
			return value.Array(out), nil
		}})
	scalar("REDUCE", &function.ScalarOverload{
		Signature: function.Signature{Params: []function.Param{p("arr", function.ArrayP(T)), p("init", S), p("fn", function.LambdaP(S, S, T))}, Return: S},
		LambdaFn: func(a []value.Value, ls []function.Lambda) (value.Value, error) {
			acc := a[1]
			for _, e := range a[0].Elems() {
				v, err := ls[0](acc, e)
				if err != nil {
					return value.Null, err
				}
				acc = v
			}
			return acc, nil
		}})
	scalar("TIMESTAMPADD", ov(function.PTimestamp,
		[]function.Param{p("unit", function.PInterval), p("n", function.PInt), p("ts", function.PTimestamp)},
		func(a []value.Value) (value.Value, error) {
			mult := map[string]int64{"MILLISECONDS": 1, "SECONDS": 1000, "MINUTES": 60000, "HOURS": 3600000, "DAYS": 86400000}[a[0].Str()]
			if mult == 0 {
				return value.Null, fmt.Errorf("bad unit %q", a[0].Str())
			}
			return value.Timestamp(a[2].Millis() + int64(a[1].Int())*mult), nil
		}))
	scalar("FAIL", ov(function.PInt, []function.Param{p("x", function.PInt)}, func([]value.Value) (value.Value, error) {
		return value.Null, errors.New("boom")
	}))
	rnd := ov(function.PDouble, nil, func([]value.Value) (value.Value, error) { return value.Double(0.5), nil })
	rnd.Volatile = true
	scalar("RANDOM", rnd)
	if err := r.RegisterAggregate(&function.AggregateFunction{Info: function.Info{Name: "SUM"}, Overloads: []*function.AggregateOverload{{
		Signature: function.Signature{Params: []function.Param{p("x", function.PBigint)}, Return: function.PBigint},
	}}}); err != nil {
		t.Fatal(err)
	}
	return r
}

// render prints a value with its type's shape: strings quoted, temporal
// values in their literal forms, structs with field names.
func render(v value.Value, t *types.Type) string {
	var b strings.Builder
	writeRender(&b, v, t)
	return b.String()
}

func writeRender(b *strings.Builder, v value.Value, t *types.Type) {
	if v.IsNull() {
		b.WriteString("NULL")
		return
	}
	switch v.Kind() {
	case types.String:
		b.WriteString(quoteString(v.Str()))
	case types.Bytes:
		b.WriteString("X'" + hex.EncodeToString(v.BytesVal()) + "'")
	case types.Date:
		b.WriteString("DATE '" + formatDate(v.Days()) + "'")
	case types.Time:
		b.WriteString("TIME '" + formatTimestamp(v.Millis())[11:] + "'")
	case types.Timestamp:
		b.WriteString("TIMESTAMP '" + formatTimestamp(v.Millis()) + "'")
	case types.Double:
		b.WriteString(value.FormatDouble(v.Double()))
	case types.Array:
		var et *types.Type
		if t != nil {
			et = t.Elem
		}
		b.WriteByte('[')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRender(b, e, et)
		}
		b.WriteByte(']')
	case types.Map:
		var kt, vt *types.Type
		if t != nil {
			kt, vt = t.Key, t.Elem
		}
		b.WriteByte('{')
		for i, e := range v.Entries() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRender(b, e.Key, kt)
			b.WriteString(": ")
			writeRender(b, e.Val, vt)
		}
		b.WriteByte('}')
	case types.Struct:
		b.WriteString("{")
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			var ft *types.Type
			if t != nil && i < len(t.Fields) {
				b.WriteString(t.Fields[i].Name + ": ")
				ft = t.Fields[i].Type
			}
			writeRender(b, e, ft)
		}
		b.WriteString("}")
	default:
		b.WriteString(v.String())
	}
}

// evalText parses, compiles and evaluates one expression over row and
// renders the outcome as the golden files show it.
func evalText(t testing.TB, text string, scope Scope, opts Options, row *value.Row) string {
	e, err := parser.ParseExpr(text)
	if err != nil {
		return "parse error: " + err.Error()
	}
	x, err := Compile(e, scope, opts)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return fmt.Sprintf("error at %s: %s", ce.Position(), ce.Msg)
		}
		return "error: " + err.Error()
	}
	v, err := x.Eval(row)
	if err != nil {
		if !errors.Is(err, ErrEval) {
			t.Errorf("%s: run-time error %v does not match ErrEval", text, err)
		}
		return typeString(x.Type) + " runtime error: " + err.Error()
	}
	return typeString(x.Type) + " " + render(v, x.Type)
}
