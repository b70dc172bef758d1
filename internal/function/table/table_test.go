package table_test

import (
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/table"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestTableFunctions(t *testing.T) {
	r := function.NewRegistry()
	if err := table.Register(r); err != nil {
		t.Fatal(err)
	}
	ints := types.ArrayOf(types.IntType)
	tests := []struct {
		fn   string
		typ  *types.Type
		arg  value.Value
		want string
		ret  string
	}{
		{"explode", ints, value.Array([]value.Value{value.Int(1), value.Null, value.Int(3)}), "1 null 3", "INTEGER"},
		{"explode", ints, value.Null, "", "INTEGER"},
		{"EXPLODE", types.ArrayOf(types.MustDecimal(4, 2)), value.Array([]value.Value{value.DecimalInt64(123, 2)}), "1.23", "DECIMAL(4, 2)"},
		{"cube_explode", ints, value.Array([]value.Value{value.Int(1), value.Int(2)}), "[null, null] [null, 2] [1, null] [1, 2]", "ARRAY<INTEGER>"},
		{"cube_explode", ints, value.Array([]value.Value{value.Int(1), value.Null}), "[null, null] [1, null]", "ARRAY<INTEGER>"},
	}
	for _, tc := range tests {
		res, err := r.ResolveTable(tc.fn, []*types.Type{tc.typ})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := res.Call([]value.Value{tc.arg})
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, row := range rows {
			parts = append(parts, row.String())
		}
		if got := strings.Join(parts, " "); got != tc.want || res.Return.String() != tc.ret {
			t.Errorf("%s(%v) = %q %s, want %q %s", tc.fn, tc.arg, got, res.Return, tc.want, tc.ret)
		}
	}
	_, err := r.ResolveTable("explode", []*types.Type{types.MapOf(types.StringType, types.IntType)})
	want := "Function 'explode' does not accept parameters (MAP<STRING, INTEGER>).\nValid alternatives are:\nexplode(ARRAY<DECIMAL> input)\nexplode(ARRAY<T> list)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v", err)
	}
}
