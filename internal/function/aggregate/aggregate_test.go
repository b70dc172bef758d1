package aggregate_test

import (
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/aggregate"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func ints(ns ...int64) []value.Value {
	out := make([]value.Value, len(ns))
	for i, n := range ns {
		out[i] = value.Bigint(n)
	}
	return out
}

// run folds rows through a freshly made aggregator, round-tripping the
// accumulator through value.AppendValue after every step as a state store
// would, and returns the mapped result.
func run(t *testing.T, r *function.Registry, name string, argTypes []*types.Type, init []value.Value, props map[string]string, rows [][]value.Value, undo [][]value.Value) string {
	t.Helper()
	res, err := r.ResolveAggregate(name, argTypes)
	if err != nil {
		t.Fatalf("resolve %s: %v", name, err)
	}
	a, err := res.New(init, props)
	if err != nil {
		t.Fatalf("new %s: %v", name, err)
	}
	roundTrip := func(v value.Value) value.Value {
		got, rest, err := value.DecodeValue(value.AppendValue(nil, v))
		if err != nil || len(rest) != 0 {
			t.Fatalf("accumulator %v does not round-trip: %v", v, err)
		}
		return got
	}
	acc := a.Init()
	for _, row := range rows {
		if acc, err = a.Aggregate(roundTrip(acc), row); err != nil {
			return "ERR: " + err.Error()
		}
	}
	for _, row := range undo {
		if a.Undo == nil {
			t.Fatalf("%s has no undo", name)
		}
		if acc, err = a.Undo(roundTrip(acc), row); err != nil {
			return "ERR: " + err.Error()
		}
	}
	out, err := a.Map(roundTrip(acc))
	if err != nil {
		return "ERR: " + err.Error()
	}
	if out.Kind() == types.Double {
		return value.FormatDouble(out.Double())
	}
	return out.String() + " " + a.ReturnType.String()
}

func rows(vs ...value.Value) [][]value.Value {
	out := make([][]value.Value, len(vs))
	for i, v := range vs {
		out[i] = []value.Value{v}
	}
	return out
}

func TestAggregates(t *testing.T) {
	r := function.NewRegistry()
	if err := aggregate.Register(r); err != nil {
		t.Fatal(err)
	}
	big := []*types.Type{types.BigintType}
	i32 := []*types.Type{types.IntType}
	str := []*types.Type{types.StringType}
	s := value.String
	tests := []struct {
		name  string
		fn    string
		types []*types.Type
		init  []value.Value
		props map[string]string
		rows  [][]value.Value
		undo  [][]value.Value
		want  string
	}{
		{name: "count skips nulls", fn: "count", types: big, rows: rows(ints(1, 2)[0], value.Null, value.Bigint(3)), want: "2 BIGINT"},
		{name: "count star", fn: "COUNT", rows: [][]value.Value{{}, {}, {}}, want: "3 BIGINT"},
		{name: "count undo", fn: "count", types: big, rows: rows(ints(1, 2, 3)...), undo: rows(value.Bigint(2)), want: "2 BIGINT"},
		{name: "count distinct", fn: "count_distinct", types: str, rows: rows(s("a"), s("b"), s("a"), value.Null), want: "2 BIGINT"},
		{name: "sum int wraps like java", fn: "sum", types: i32, rows: rows(value.Int(2147483647), value.Int(1)), want: "-2147483648 INTEGER"},
		{name: "sum bigint undo", fn: "sum", types: big, rows: rows(ints(1, 2, 3)...), undo: rows(value.Bigint(3)), want: "3 BIGINT"},
		{name: "sum decimal", fn: "sum", types: []*types.Type{types.MustDecimal(4, 2)}, rows: rows(value.DecimalInt64(150, 2), value.DecimalInt64(25, 2)), want: "1.75 DECIMAL(4, 2)"},
		{name: "sum decimal overflow", fn: "sum", types: []*types.Type{types.MustDecimal(3, 1)}, rows: rows(value.DecimalInt64(990, 1), value.DecimalInt64(20, 1)), want: "ERR: Numeric field overflow"},
		{name: "sum_list", fn: "sum_list", types: []*types.Type{types.ArrayOf(types.IntType)}, rows: rows(value.Array([]value.Value{value.Int(1), value.Null, value.Int(2)})), want: "3 INTEGER"},
		{name: "avg", fn: "avg", types: i32, rows: rows(value.Int(1), value.Int(2), value.Null), want: "1.5"},
		{name: "avg empty", fn: "avg", types: big, want: "0.0"},
		{name: "avg undo", fn: "avg", types: big, rows: rows(ints(1, 2, 6)...), undo: rows(value.Bigint(6)), want: "1.5"},
		{name: "max", fn: "max", types: str, rows: rows(s("b"), value.Null, s("c"), s("a")), want: "c STRING"},
		{name: "min decimal", fn: "min", types: []*types.Type{types.MustDecimal(4, 2)}, rows: rows(value.DecimalInt64(150, 2), value.DecimalInt64(-25, 2)), want: "-0.25 DECIMAL(4, 2)"},
		{name: "min all null", fn: "min", types: big, rows: rows(value.Null), want: "null BIGINT"},
		{name: "latest", fn: "latest_by_offset", types: big, rows: rows(ints(1, 2)[0], value.Bigint(2), value.Null), want: "2 BIGINT"},
		{name: "latest keeps nulls", fn: "latest_by_offset", types: []*types.Type{types.BigintType, types.BooleanType}, init: []value.Value{value.Bool(false)}, rows: rows(value.Bigint(1), value.Null), want: "null BIGINT"},
		{name: "latest n", fn: "latest_by_offset", types: []*types.Type{types.BigintType, types.IntType}, init: []value.Value{value.Int(2)}, rows: rows(ints(1, 2, 3)...), want: "[2, 3] ARRAY<BIGINT>"},
		{name: "earliest", fn: "earliest_by_offset", types: big, rows: rows(value.Null, value.Bigint(5), value.Bigint(6)), want: "5 BIGINT"},
		{name: "earliest keeps nulls", fn: "earliest_by_offset", types: []*types.Type{types.BigintType, types.BooleanType}, init: []value.Value{value.Bool(false)}, rows: rows(value.Null, value.Bigint(5)), want: "null BIGINT"},
		{name: "earliest n", fn: "earliest_by_offset", types: []*types.Type{types.BigintType, types.IntType, types.BooleanType}, init: []value.Value{value.Int(2), value.Bool(true)}, rows: rows(value.Null, value.Bigint(1), value.Bigint(2), value.Bigint(3)), want: "[1, 2] ARRAY<BIGINT>"},
		{name: "earliest n zero", fn: "earliest_by_offset", types: []*types.Type{types.BigintType, types.IntType}, init: []value.Value{value.Int(0)}, want: "new"},
		{name: "collect_list keeps nulls", fn: "collect_list", types: big, rows: rows(value.Bigint(1), value.Null, value.Bigint(1)), want: "[1, null, 1] ARRAY<BIGINT>"},
		{name: "collect_list limit", fn: "collect_list", types: big, props: map[string]string{aggregate.CollectListLimit: "2"}, rows: rows(ints(1, 2, 3)...), want: "[1, 2] ARRAY<BIGINT>"},
		{name: "collect_list undo", fn: "collect_list", types: big, rows: rows(ints(1, 2, 1)...), undo: rows(value.Bigint(1)), want: "[1, 2] ARRAY<BIGINT>"},
		{name: "collect_set", fn: "collect_set", types: big, rows: rows(ints(1, 2, 1, 3)...), want: "[1, 2, 3] ARRAY<BIGINT>"},
		{name: "histogram", fn: "histogram", types: str, rows: rows(s("a"), s("b"), s("a")), undo: rows(s("b")), want: `{"a"=2} MAP<STRING, BIGINT>`},
		{name: "topk", fn: "topk", types: []*types.Type{types.BigintType, types.IntType}, init: []value.Value{value.Int(2)}, rows: rows(ints(5, 1, 7, 3)...), want: "[7, 5] ARRAY<BIGINT>"},
		{name: "topk with columns", fn: "topk", types: []*types.Type{types.BigintType, types.StringType, types.IntType}, init: []value.Value{value.Int(2)},
			rows: [][]value.Value{{value.Bigint(1), s("a")}, {value.Bigint(3), s("c")}, {value.Bigint(2), s("b")}}, want: `[Struct{3, "c"}, Struct{2, "b"}] ARRAY<STRUCT<sort_col BIGINT, col0 STRING>>`},
		{name: "topkdistinct", fn: "topkdistinct", types: []*types.Type{types.BigintType, types.IntType}, init: []value.Value{value.Int(2)}, rows: rows(ints(5, 7, 7, 3)...), want: "[7, 5] ARRAY<BIGINT>"},
		{name: "stddev_sample", fn: "stddev_sample", types: big, rows: rows(ints(0, 10)...), want: "7.0710678118654755"},
		{name: "stddev_samp is the variance", fn: "stddev_samp", types: big, rows: rows(ints(0, 10)...), want: "50.0"},
		{name: "stddev undo", fn: "stddev_sample", types: []*types.Type{types.DoubleType}, rows: rows(value.Double(0), value.Double(10), value.Double(50)), undo: rows(value.Double(50)), want: "7.0710678118654755"},
		{name: "correlation", fn: "correlation", types: []*types.Type{types.DoubleType, types.DoubleType},
			rows: [][]value.Value{{value.Double(1), value.Double(2)}, {value.Double(2), value.Double(4)}, {value.Double(3), value.Double(6.5)}}, want: "0.9979487157886733"},
		{name: "attr", fn: "attr", types: str, rows: rows(s("a"), s("a")), want: "a STRING"},
		{name: "attr differs", fn: "attr", types: str, rows: rows(s("a"), s("b")), undo: rows(s("b")), want: "a STRING"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "new" {
				res, err := r.ResolveAggregate(tc.fn, tc.types)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := res.New(tc.init, nil); err == nil {
					t.Fatal("want an error")
				}
				return
			}
			got := run(t, r, tc.fn, tc.types, tc.init, tc.props, tc.rows, tc.undo)
			if got != tc.want && !(strings.HasPrefix(tc.want, "ERR") && strings.HasPrefix(got, tc.want)) {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestAggregateResolution(t *testing.T) {
	r := function.NewRegistry()
	if err := aggregate.Register(r); err != nil {
		t.Fatal(err)
	}
	res, err := r.ResolveAggregate("earliest_by_offset", []*types.Type{types.StringType, types.IntType, types.BooleanType})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.InitParams(); len(got) != 3 || got[0] || !got[1] || !got[2] {
		t.Fatalf("init params %v", got)
	}
	if !res.Return.Equal(types.ArrayOf(types.StringType)) {
		t.Fatalf("return %v", res.Return)
	}
	// MIN and MAX cannot undo, so the planner can refuse them on tables.
	a, err := mustNew(t, r, "max", types.IntType)
	if err != nil || a.Undo != nil {
		t.Fatalf("max: %v undo=%v", err, a.Undo != nil)
	}
	if _, err := r.ResolveAggregate("sum", []*types.Type{types.StringType}); err == nil {
		t.Fatal("sum(STRING) resolved")
	}
	// Widening: SUM of an INT-typed... a BOOLEAN cannot widen; an INT
	// argument to AVG resolves the INT overload exactly.
	res, err = r.ResolveAggregate("avg", []*types.Type{types.IntType})
	if err != nil || !res.Return.Equal(types.DoubleType) {
		t.Fatalf("avg(INT): %v %v", res, err)
	}
}

func mustNew(t *testing.T, r *function.Registry, name string, ts ...*types.Type) (*function.Aggregator, error) {
	t.Helper()
	res, err := r.ResolveAggregate(name, ts)
	if err != nil {
		return nil, err
	}
	return res.New(nil, nil)
}

func TestCountDistinctScales(t *testing.T) {
	r := function.NewRegistry()
	if err := aggregate.Register(r); err != nil {
		t.Fatal(err)
	}
	a, err := mustNew(t, r, "count_distinct", types.BigintType)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{3, 2048, 2049, 50000} {
		acc := a.Init()
		for i := 0; i < n; i++ {
			// Every value twice: duplicates must not count.
			for range 2 {
				if acc, err = a.Aggregate(acc, []value.Value{value.Bigint(int64(i * 7919))}); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, _ := a.Map(acc)
		tolerance := 0.0
		if n > 2048 {
			tolerance = 0.02 // HyperLogLog's error, with margin
		}
		if diff := float64(got.Bigint()-int64(n)) / float64(n); diff > tolerance || diff < -tolerance {
			t.Errorf("n=%d: counted %d", n, got.Bigint())
		}
		if n > 2048 && len(acc.BytesVal()) > 1+1<<14 {
			t.Errorf("n=%d: accumulator grew to %d bytes", n, len(acc.BytesVal()))
		}
	}
	// Merging two sparse halves gives the exact union.
	x, y := a.Init(), a.Init()
	for i := 0; i < 10; i++ {
		x, _ = a.Aggregate(x, []value.Value{value.Bigint(int64(i))})
		y, _ = a.Aggregate(y, []value.Value{value.Bigint(int64(i + 5))})
	}
	m, _ := a.Merge(x, y)
	if got, _ := a.Map(m); got.Bigint() != 15 {
		t.Fatalf("merged count %d", got.Bigint())
	}
}
