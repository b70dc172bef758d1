// Package table holds ksqlDB's built-in table functions (UDTFs): EXPLODE
// and CUBE_EXPLODE. Register adds them to a function.Registry.
package table

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// maxCubeColumns is ksqlDB's limit: 2^20 rows per input row is already
// more than anyone wants.
const maxCubeColumns = 20

// Register adds every built-in table function to r.
func Register(r *function.Registry) error {
	t := function.Generic("T")
	explode := func(args []value.Value) ([]value.Value, error) {
		// A NULL array produces no rows.
		return args[0].Elems(), nil
	}
	if err := r.RegisterTable(&function.TableFunction{
		Info: function.Info{Name: "explode", Category: function.CategoryTable,
			Description: "Explodes an array. This function outputs one value for each element of the array."},
		Overloads: []*function.TableOverload{
			{Signature: function.Signature{Params: []function.Param{{Name: "list", Type: function.ArrayP(t)}}, Return: t}, Fn: explode},
			{Signature: function.Signature{
				Params: []function.Param{{Name: "input", Type: function.ArrayP(function.PDecimal)}},
				ReturnFn: func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
					if args[0] == nil || args[0].Kind != types.Array {
						return nil, fmt.Errorf("explode should be provided with an ARRAY")
					}
					return args[0].Elem, nil
				},
				ReturnDoc: "DECIMAL",
			}, Fn: explode},
		},
	}); err != nil {
		return fmt.Errorf("register explode: %w", err)
	}
	if err := r.RegisterTable(&function.TableFunction{
		Info: function.Info{Name: "cube_explode", Category: function.CategoryTable,
			Description: "Takes as argument a list of columns and outputs all possible combinations of them. It produces 2^d new rows where d is the number of columns given as parameter. Duplicate entries for columns with null value are skipped."},
		Overloads: []*function.TableOverload{{
			Signature: function.Signature{Params: []function.Param{{Name: "columns", Type: function.ArrayP(t)}}, Return: function.ArrayP(t)},
			Fn:        cube,
		}},
	}); err != nil {
		return fmt.Errorf("register cube_explode: %w", err)
	}
	return nil
}

// cube produces every combination of the columns with some of them
// replaced by NULL, skipping duplicates that NULL columns would cause, in
// ksqlDB's order.
func cube(args []value.Value) ([]value.Value, error) {
	cols := args[0].Elems()
	n := len(cols)
	if n > maxCubeColumns {
		return nil, fmt.Errorf("cube_explode: too many columns (%d); max is %d", n, maxCubeColumns)
	}
	nullMask := 0
	for i, c := range cols {
		if !c.IsNull() {
			nullMask |= 1 << (n - 1 - i)
		}
	}
	var out []value.Value
	for mask := 0; mask < 1<<n; mask++ {
		if mask&nullMask != mask {
			continue
		}
		row := make([]value.Value, n)
		for j := range row {
			if mask&(1<<(n-1-j)) != 0 {
				row[j] = cols[j]
			}
		}
		out = append(out, value.Array(row))
	}
	return out, nil
}
