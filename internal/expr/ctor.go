package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const issue4239 = "(see https://github.com/confluentinc/ksql/issues/4239)"

func (c *compiler) arrayCtor(n *ast.ArrayCtor) (node, error) {
	if len(n.Elems) == 0 {
		return node{}, typeErr(n, "Array constructor cannot be empty. Please supply at least one element %s.", issue4239)
	}
	et, nodes, err := c.coerceList(n.Elems)
	if err != nil {
		return node{}, err
	}
	if et == nil {
		return node{}, typeErr(n, "Cannot construct an array with all NULL elements %s. As a workaround, you may cast a NULL value to the desired type.", issue4239)
	}
	for i := range nodes {
		nodes[i] = c.nullOnError(nodes[i])
	}
	fns, constant := nodeFns(nodes)
	return node{t: types.ArrayOf(et), constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		out := make([]value.Value, len(fns))
		for i, f := range fns {
			v, err := f(row, lam)
			if err != nil {
				return value.Null, err
			}
			out[i] = v
		}
		return value.Array(out), nil
	}}, nil
}

func nodeFns(nodes []node) ([]evalFn, bool) {
	fns := make([]evalFn, len(nodes))
	constant := true
	for i, n := range nodes {
		fns[i] = n.fn
		constant = constant && n.constant
	}
	return fns, constant
}

func (c *compiler) mapCtor(n *ast.MapCtor) (node, error) {
	if len(n.Entries) == 0 {
		return node{}, typeErr(n, "Map constructor cannot be empty. Please supply at least one key value pair %s.", issue4239)
	}
	keys := make([]ast.Expr, len(n.Entries))
	vals := make([]ast.Expr, len(n.Entries))
	for i, e := range n.Entries {
		keys[i], vals[i] = e.Key, e.Value
	}
	kt, kn, err := c.coerceList(keys)
	if err != nil {
		return node{}, err
	}
	if kt == nil {
		return node{}, typeErr(n, "Cannot construct a map with all NULL keys %s. As a workaround, you may cast a NULL key to the desired type.", issue4239)
	}
	vt, vn, err := c.coerceList(vals)
	if err != nil {
		return node{}, err
	}
	if vt == nil {
		return node{}, typeErr(n, "Cannot construct a map with all NULL values %s. As a workaround, you may cast a NULL value to the desired type.", issue4239)
	}
	for i := range kn {
		kn[i], vn[i] = c.nullOnError(kn[i]), c.nullOnError(vn[i])
	}
	kf, kc := nodeFns(kn)
	vf, vc := nodeFns(vn)
	return node{t: types.MapOf(kt, vt), constant: kc && vc, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		out := make([]value.Entry, 0, len(kf))
		for i := range kf {
			k, err := kf[i](row, lam)
			if err != nil {
				return value.Null, err
			}
			v, err := vf[i](row, lam)
			if err != nil {
				return value.Null, err
			}
			// A repeated key replaces the earlier value, as a Java map put.
			replaced := false
			for j := range out {
				if value.Equal(out[j].Key, k) {
					out[j].Val = v
					replaced = true
					break
				}
			}
			if !replaced {
				out = append(out, value.Entry{Key: k, Val: v})
			}
		}
		return value.Map(out), nil
	}}, nil
}

func (c *compiler) structCtor(n *ast.StructCtor) (node, error) {
	fields := make([]types.Field, len(n.Fields))
	nodes := make([]node, len(n.Fields))
	seen := make(map[string]bool, len(n.Fields))
	for i, f := range n.Fields {
		if seen[f.Name.Name] {
			return node{}, typeErr(f.Name, "Duplicate field names found in STRUCT: %s", f.Name.Name)
		}
		seen[f.Name.Name] = true
		x, err := c.compile(f.Value)
		if err != nil {
			return node{}, err
		}
		if x.t.Kind == types.Null {
			return node{}, typeErr(f.Value, "Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).")
		}
		fields[i] = types.Field{Name: f.Name.Name, Type: x.t}
		nodes[i] = c.nullOnError(x)
	}
	fns, constant := nodeFns(nodes)
	return node{t: types.StructOf(fields...), constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		out := make([]value.Value, len(fns))
		for i, f := range fns {
			v, err := f(row, lam)
			if err != nil {
				return value.Null, err
			}
			out[i] = v
		}
		return value.Struct(out), nil
	}}, nil
}
