package builtin_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestRegistryContents(t *testing.T) {
	r := builtin.New()
	kinds := map[function.Kind]int{}
	for _, s := range r.List() {
		kinds[s.Kind]++
	}
	if kinds[function.Scalar] < 125 || kinds[function.Table] != 2 || kinds[function.Aggregate] < 15 {
		t.Fatalf("unexpected function counts: %v", kinds)
	}
	for _, name := range []string{"SUBSTRING", "explode", "Count", "TIMESTAMPTOSTRING", "Transform"} {
		if _, ok := r.KindOf(name); !ok {
			t.Errorf("%s missing", name)
		}
	}
	d, err := r.Describe("substring")
	if err != nil {
		t.Fatal(err)
	}
	if d.Author != function.ConfluentAuthor || d.Category != function.CategoryString || len(d.Variations) != 4 {
		t.Fatalf("describe substring: %+v", d)
	}
	if v := d.Variations[1]; v.ReturnType != "STRING" || len(v.Args) != 3 || v.Args[1].Name != "pos" || v.Args[1].Type != "INTEGER" {
		t.Fatalf("variation: %+v", v)
	}
}

// A user-defined function goes through the same API as the built-ins,
// as the conformance runner's TEST_UDF does.
func TestUserFunction(t *testing.T) {
	r := builtin.New()
	err := r.RegisterScalar(&function.ScalarFunction{
		Info: function.Info{Name: "TEST_UDF", Author: "tester", Description: "doubles"},
		Overloads: []*function.ScalarOverload{{
			Signature:  function.Signature{Params: []function.Param{{Name: "v", Type: function.PBigint}}, Return: function.PBigint},
			NullOnNull: true,
			Fn:         func(a []value.Value) (value.Value, error) { return value.Bigint(2 * a[0].Bigint()), nil },
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.ResolveScalar("test_udf", []*types.Type{types.IntType})
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.Call([]value.Value{value.Int(21)}, nil)
	if err != nil || got.Bigint() != 42 {
		t.Fatalf("got %v %v", got, err)
	}
	if err := r.RegisterAggregate(&function.AggregateFunction{Info: function.Info{Name: "substring"}}); err == nil {
		t.Fatal("registering an aggregate over a scalar name must fail")
	}
}
