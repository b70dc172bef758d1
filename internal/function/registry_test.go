package function_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func identity(args []value.Value) (value.Value, error) { return args[0], nil }

func variadic(p *function.PType) []function.Param {
	return []function.Param{{Name: "val", Type: p}, {Name: "vals", Type: p, Variadic: true}}
}

func testRegistry(t *testing.T) *function.Registry {
	t.Helper()
	r := function.NewRegistry()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var greatest []*function.ScalarOverload
	for _, p := range []*function.PType{function.PInt, function.PBigint, function.PDouble, function.PDecimal, function.PString} {
		greatest = append(greatest, &function.ScalarOverload{
			Signature: function.Signature{Params: variadic(p), Return: p},
			Fn:        identity,
		})
	}
	must(r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "greatest"}, Overloads: greatest}))
	must(r.RegisterTable(&function.TableFunction{Info: function.Info{Name: "explode"}, Overloads: []*function.TableOverload{
		{Signature: function.Signature{Params: []function.Param{{Name: "list", Type: function.ArrayP(function.Generic("T"))}}, Return: function.Generic("T")}},
		{Signature: function.Signature{Params: []function.Param{{Name: "input", Type: function.ArrayP(function.PDecimal)}}, ReturnFn: func(a []*types.Type, _ map[string]*types.Type) (*types.Type, error) { return a[0].Elem, nil }}},
	}}))
	must(r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "MID_VAR_ARG"}, Overloads: []*function.ScalarOverload{{
		Signature: function.Signature{Params: []function.Param{{Type: function.PBigint}, {Type: function.PInt, Variadic: true}, {Type: function.PString}}, Return: function.PString},
		Fn:        identity,
	}}}))
	t2 := function.Generic("T")
	must(r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "transform"}, Overloads: []*function.ScalarOverload{{
		Signature: function.Signature{Params: []function.Param{{Type: function.ArrayP(t2)}, {Type: function.LambdaP(function.Generic("U"), t2)}}, Return: function.ArrayP(function.Generic("U"))},
		LambdaFn:  func(args []value.Value, l []function.Lambda) (value.Value, error) { return args[0], nil },
	}}}))
	must(r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "dateadd"}, Overloads: []*function.ScalarOverload{{
		Signature: function.Signature{Params: []function.Param{{Type: function.PInterval}, {Type: function.PInt}, {Type: function.PDate}}, Return: function.PDate},
		Fn:        identity,
	}}}))
	return r
}

func TestResolveScalar(t *testing.T) {
	r := testRegistry(t)
	dec := types.MustDecimal(50, 30)
	tests := []struct {
		name    string
		fn      string
		args    []*types.Type
		want    string // return type, or error substring
		wantErr error
	}{
		{name: "exact int", fn: "GREATEST", args: []*types.Type{types.IntType, types.IntType}, want: "INTEGER"},
		{name: "exact decimal keeps any precision", fn: "greatest", args: []*types.Type{dec, dec}, want: "DECIMAL"},
		{name: "widening is ambiguous", fn: "greatest", args: []*types.Type{types.IntType, types.BigintType}, wantErr: function.ErrAmbiguous,
			want: "Function 'greatest' cannot be resolved due to ambiguous method parameters (INTEGER, BIGINT)."},
		{name: "nulls are ambiguous", fn: "greatest", args: []*types.Type{types.NullType, types.NullType}, wantErr: function.ErrAmbiguous,
			want: "ambiguous method parameters (null, null)."},
		{name: "no args", fn: "greatest", args: nil, wantErr: function.ErrNoMatch, want: "Function 'greatest' does not accept parameters ()."},
		{name: "mixed kinds", fn: "greatest", args: []*types.Type{types.StringType, types.IntType}, wantErr: function.ErrNoMatch,
			want: "Function 'greatest' does not accept parameters (STRING, INTEGER)."},
		{name: "middle variadic none", fn: "mid_var_arg", args: []*types.Type{types.BigintType, types.StringType}, want: "STRING"},
		{name: "middle variadic many", fn: "mid_var_arg", args: []*types.Type{types.BigintType, types.IntType, types.IntType, types.StringType}, want: "STRING"},
		{name: "middle variadic widened first", fn: "mid_var_arg", args: []*types.Type{types.IntType, types.IntType, types.StringType}, want: "STRING"},
		{name: "middle variadic bad", fn: "mid_var_arg", args: []*types.Type{types.StringType, types.StringType, types.IntType, types.IntType}, wantErr: function.ErrNoMatch,
			want: "Function 'MID_VAR_ARG' does not accept parameters (STRING, STRING, INTEGER, INTEGER)."},
		{name: "unknown", fn: "wont_find_me", wantErr: function.ErrUnknownFunction, want: "Can't find any functions with the name 'wont_find_me'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.ResolveScalar(tc.fn, tc.args)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want %v containing %q", err, tc.wantErr, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Return.String(); !strings.HasPrefix(got, tc.want) {
				t.Fatalf("return %s, want %s", got, tc.want)
			}
		})
	}
}

func TestResolveTableErrors(t *testing.T) {
	r := testRegistry(t)
	_, err := r.ResolveTable("EXPLODE", []*types.Type{types.MapOf(types.StringType, types.IntType)})
	want := "Function 'explode' does not accept parameters (MAP<STRING, INTEGER>).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
	res, err := r.ResolveTable("explode", []*types.Type{types.ArrayOf(types.StringType)})
	if err != nil || !res.Return.Equal(types.StringType) {
		t.Fatalf("got %v %v", res, err)
	}
	// An ARRAY<DECIMAL> prefers the concrete overload over the generic one.
	res, err = r.ResolveTable("explode", []*types.Type{types.ArrayOf(types.MustDecimal(4, 2))})
	if err != nil || res.Sig.ReturnFn == nil || res.Return.String() != "DECIMAL(4, 2)" {
		t.Fatalf("got %v %v", res, err)
	}
}

func TestResolveLambdaAndInterval(t *testing.T) {
	r := testRegistry(t)
	var seen []*types.Type
	res, err := r.ResolveScalarArgs("transform", []function.Arg{
		{Type: types.ArrayOf(types.IntType)},
		{LambdaArity: 1, Lambda: func(in []*types.Type) (*types.Type, error) { seen = in; return types.StringType, nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || !seen[0].Equal(types.IntType) || res.Return.String() != "ARRAY<STRING>" {
		t.Fatalf("lambda saw %v, return %v", seen, res.Return)
	}
	if !res.LambdaParams[1][0].Equal(types.IntType) {
		t.Fatalf("lambda params %v", res.LambdaParams)
	}
	_, err = r.ResolveScalarArgs("dateadd", []function.Arg{{IntervalUnit: true}, {Type: types.IntType}, {Type: types.DateType}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.ResolveScalar("dateadd", []*types.Type{types.DateType, types.IntType, types.DateType})
	if err == nil || !strings.Contains(err.Error(), "Function 'dateadd' does not accept parameters (DATE, INTEGER, DATE).") {
		t.Fatalf("got %v", err)
	}
}

func TestCallWidensAndSkipsNulls(t *testing.T) {
	r := function.NewRegistry()
	err := r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "dbl"}, Overloads: []*function.ScalarOverload{{
		Signature:  function.Signature{Params: []function.Param{{Type: function.PDouble}}, Return: function.PDouble},
		NullOnNull: true,
		Fn: func(a []value.Value) (value.Value, error) {
			if a[0].Kind() != types.Double {
				return value.Null, errors.New("not widened")
			}
			return value.Double(a[0].Double() * 2), nil
		},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ResolveScalar("DBL", []*types.Type{types.IntType})
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.Call([]value.Value{value.Int(21)}, nil)
	if err != nil || got.Double() != 42 {
		t.Fatalf("got %v %v", got, err)
	}
	got, err = res.Call([]value.Value{value.Null}, nil)
	if err != nil || !got.IsNull() {
		t.Fatalf("got %v %v", got, err)
	}
	if err := r.RegisterScalar(&function.ScalarFunction{Info: function.Info{Name: "dbl"}, Overloads: []*function.ScalarOverload{{
		Signature: function.Signature{Params: []function.Param{{Type: function.PDouble}}, Return: function.PDouble}, Fn: identity,
	}}}); !errors.Is(err, function.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
}
