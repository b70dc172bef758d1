package scalar_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func smap(kv ...any) value.Value {
	var es []value.Entry
	for i := 0; i < len(kv); i += 2 {
		es = append(es, value.Entry{Key: value.String(kv[i].(string)), Val: kv[i+1].(value.Value)})
	}
	return value.Map(es)
}

func TestCollections(t *testing.T) {
	intArr := types.ArrayOf(types.IntType)
	runCases(t, []tcase{
		{"array_concat", []any{arr(i32(1)), arr(i32(2), i32(3))}, "[1, 2, 3]"},
		{"array_concat", []any{nullOf(intArr), arr(i32(2))}, "[2]"},
		{"array_concat", []any{nullOf(intArr), nullOf(intArr)}, "null"},
		{"array_distinct", []any{arr(i32(1), i32(2), i32(1), null, null)}, "[1, 2, null]"},
		{"array_except", []any{arr(i32(1), i32(2), i32(1), i32(3)), arr(i32(2))}, "[1, 3]"},
		{"array_intersect", []any{arr(i32(1), i32(2), i32(3), i32(2)), arr(i32(2), i32(3))}, "[2, 3]"},
		{"array_union", []any{arr(i32(1), i32(2)), arr(i32(2), i32(3))}, "[1, 2, 3]"},
		{"array_union", []any{arr(i32(1)), nullOf(intArr)}, "null"},
		{"array_join", []any{arr(i32(1), null, i32(3))}, "1,null,3"},
		{"array_join", []any{arr(f64(1), f64(2.5)), str("|")}, "1.0|2.5"},
		{"array_join", []any{arr(i32(1), i32(2)), nullOf(types.StringType)}, "12"},
		{"array_length", []any{arr(i32(1), i32(2))}, "2"},
		{"array_length", []any{nullOf(intArr)}, "null"},
		{"array_max", []any{arr(i32(-1), i32(2), null, i32(0))}, "2"},
		{"array_min", []any{strs("Foo", "Bar", "baz")}, "Bar"},
		{"array_remove", []any{arr(i32(1), i32(2), i32(1)), i32(1)}, "[2]"},
		{"array_remove", []any{arr(i32(1), null), nullOf(types.IntType)}, "[1]"},
		{"array_sort", []any{arr(i32(3), null, i32(1))}, "[1, 3, null]"},
		{"array_sort", []any{arr(i32(3), null, i32(1)), str("desc")}, "[3, 1, null]"},
		{"array_sort", []any{arr(i32(3)), str("sideways")}, "null"},
		{"array_contains", []any{arr(i32(1), i32(2)), i32(2)}, "true"},
		{"array_contains", []any{nullOf(intArr), i32(2)}, "false"},
		{"array_contains", []any{arr(i32(1), null), nullOf(types.IntType)}, "true"},
		{"slice", []any{strs("a", "b", "c", "d"), i32(2), i32(3)}, `["b", "c"]`},
		{"slice", []any{strs("a", "b"), nullOf(types.IntType), i32(1)}, `["a"]`},
		{"slice", []any{strs("a", "b"), i32(0), i32(1)}, "null"},
		{"slice", []any{strs("a", "b"), i32(1), i32(5)}, "null"},
		{"generate_series", []any{i32(1), i32(4)}, "[1, 2, 3, 4]"},
		{"generate_series", []any{i32(4), i32(1)}, "[4, 3, 2, 1]"},
		{"generate_series", []any{i64(0), i64(10), i32(5)}, "[0, 5, 10]"},
		{"generate_series", []any{i32(1), i32(4), i32(-1)}, "ERR: GENERATE_SERIES step has wrong sign"},
		{"generate_series", []any{i32(1), i32(4), i32(0)}, "ERR: GENERATE_SERIES step cannot be zero"},
		{"entries", []any{smap("b", i32(2), "a", i32(1)), value.Bool(true)}, `[Struct{"a", 1}, Struct{"b", 2}]`},
		{"as_map", []any{strs("a", "b"), arr(i32(1))}, `{"a"=1, "b"=null}`},
		{"map_keys", []any{smap("a", i32(1), "b", i32(2))}, `["a", "b"]`},
		{"map_values", []any{smap("a", i32(1), "b", i32(2))}, "[1, 2]"},
		{"map_union", []any{smap("a", i32(1), "b", i32(2)), smap("b", i32(3), "c", i32(4))}, `{"a"=1, "b"=3, "c"=4}`},
		{"map_union", []any{nullOf(types.MapOf(types.StringType, types.IntType)), smap("b", i32(3))}, `{"b"=3}`},
	})
}

func TestLambdas(t *testing.T) {
	r := newRegistry(t)
	ints := types.ArrayOf(types.IntType)
	add := func(in ...value.Value) (value.Value, error) {
		if in[0].IsNull() || in[1].IsNull() {
			return value.Null, nil
		}
		return value.Int(in[0].Int() + in[1].Int()), nil
	}
	tests := []struct {
		fn      string
		args    []function.Arg
		vals    []value.Value
		lambdas []function.Lambda
		want    string
		ret     string
	}{
		{"transform", []function.Arg{{Type: ints}, {LambdaArity: 1, Lambda: func([]*types.Type) (*types.Type, error) { return types.StringType, nil }}},
			[]value.Value{arr(i32(1), i32(2)), null}, []function.Lambda{func(in ...value.Value) (value.Value, error) { return value.String(in[0].String() + "!"), nil }},
			`["1!", "2!"]`, "ARRAY<STRING>"},
		{"filter", []function.Arg{{Type: ints}, {LambdaArity: 1, Lambda: func([]*types.Type) (*types.Type, error) { return types.BooleanType, nil }}},
			[]value.Value{arr(i32(1), i32(2), i32(3)), null}, []function.Lambda{func(in ...value.Value) (value.Value, error) { return value.Bool(in[0].Int() != 2), nil }},
			"[1, 3]", "ARRAY<INTEGER>"},
		{"reduce", []function.Arg{{Type: ints}, {Type: types.IntType}, {LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.IntType, nil }}},
			[]value.Value{arr(i32(1), i32(2), i32(3)), i32(2), null}, []function.Lambda{add}, "8", "INTEGER"},
		{"reduce", []function.Arg{{Type: ints}, {Type: types.IntType}, {LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.IntType, nil }}},
			[]value.Value{null, i32(2), null}, []function.Lambda{add}, "2", "INTEGER"},
		{"reduce", []function.Arg{{Type: ints}, {Type: types.IntType}, {LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.IntType, nil }}},
			[]value.Value{arr(i32(1), null), i32(2), null}, []function.Lambda{add}, "null", "INTEGER"},
		{"transform", []function.Arg{{Type: types.MapOf(types.StringType, types.IntType)},
			{LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.StringType, nil }},
			{LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.IntType, nil }}},
			[]value.Value{smap("a", i32(1)), null, null}, []function.Lambda{
				func(in ...value.Value) (value.Value, error) { return value.String(in[0].Str() + "x"), nil },
				func(in ...value.Value) (value.Value, error) { return value.Int(in[1].Int() * 10), nil },
			}, `{"ax"=10}`, "MAP<STRING, INTEGER>"},
		{"filter", []function.Arg{{Type: types.MapOf(types.StringType, types.IntType)}, {LambdaArity: 2, Lambda: func([]*types.Type) (*types.Type, error) { return types.BooleanType, nil }}},
			[]value.Value{smap("a", i32(1), "b", i32(2)), null}, []function.Lambda{func(in ...value.Value) (value.Value, error) { return value.Bool(in[1].Int() > 1), nil }},
			`{"b"=2}`, "MAP<STRING, INTEGER>"},
	}
	for _, tc := range tests {
		res, err := r.ResolveScalarArgs(tc.fn, tc.args)
		if err != nil {
			t.Fatalf("%s: %v", tc.fn, err)
		}
		got, err := res.Call(tc.vals, tc.lambdas)
		if s := render(got, err); s != tc.want || res.Return.String() != tc.ret {
			t.Errorf("%s = %s %s, want %s %s", tc.fn, s, res.Return, tc.want, tc.ret)
		}
	}
	// A lambda whose body does not type-check makes resolution fail with
	// the body's error.
	_, err := r.ResolveScalarArgs("transform", []function.Arg{{Type: ints}, {LambdaArity: 1, Lambda: func([]*types.Type) (*types.Type, error) {
		return nil, errTest
	}}})
	if err != errTest {
		t.Fatalf("got %v", err)
	}
}

type testErr struct{}

func (testErr) Error() string { return "lambda body does not type-check" }

var errTest error = testErr{}
