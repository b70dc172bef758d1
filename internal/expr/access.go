package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
	"strings"
)

func (c *compiler) subscript(n *ast.Subscript) (node, error) {
	base, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	idx, err := c.compile(n.Index)
	if err != nil {
		return node{}, err
	}
	bf := base.fn
	constant := base.constant && idx.constant
	switch base.t.Kind {
	case types.Array:
		if !isInteger(idx.t.Kind) && idx.t.Kind != types.Null {
			return node{}, typeErr(n.Index, "Error processing expression: %s. Array index must be INTEGER or BIGINT, but is %s", exprString(n), typeString(idx.t))
		}
		xf := idx.fn
		return node{t: base.t.Elem, constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
			b, err := bf(row, lam)
			if err != nil || b.IsNull() {
				return value.Null, err
			}
			i, err := xf(row, lam)
			if err != nil || i.IsNull() {
				return value.Null, err
			}
			return arrayAt(b.Elems(), i.AsInt64()), nil
		}}, nil
	case types.Map:
		// A key of another type finds nothing, as Java's Map.get.
		key, err := implicitCast(idx, base.t.Key)
		if err != nil {
			key = idx
		}
		kf := key.fn
		return node{t: base.t.Elem, constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
			b, err := bf(row, lam)
			if err != nil || b.IsNull() {
				return value.Null, err
			}
			k, err := kf(row, lam)
			if err != nil || k.IsNull() {
				return value.Null, err
			}
			return mapGet(b.Entries(), k), nil
		}}, nil
	case types.Struct:
		return node{}, typeErr(n, "Subscript expression (%s) do not apply to %s. Use the dereference operator for STRUCTS: %s->%s",
			exprString(n), typeString(base.t), exprString(n.X), strings.Trim(exprString(n.Index), "'"))
	}
	return node{}, typeErr(n, "Subscript expression (%s) do not apply to %s.", exprString(n), typeString(base.t))
}

// arrayAt is ksqlDB's ArrayAccess: 1-based, negative counts from the end,
// anything out of range (including 0) is NULL.
func arrayAt(elems []value.Value, i int64) value.Value {
	n := int64(len(elems))
	switch {
	case i > 0 && i <= n:
		return elems[i-1]
	case i < 0 && -i <= n:
		return elems[n+i]
	}
	return value.Null
}

func mapGet(entries []value.Entry, k value.Value) value.Value {
	if k.Kind() == types.String {
		s := k.Str()
		for _, e := range entries {
			if e.Key.Kind() == types.String && e.Key.Str() == s {
				return e.Val
			}
		}
		return value.Null
	}
	for _, e := range entries {
		if value.Equal(e.Key, k) {
			return e.Val
		}
	}
	return value.Null
}

func (c *compiler) deref(n *ast.Deref) (node, error) {
	base, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	if base.t.Kind != types.Struct {
		return node{}, typeErr(n, "Error processing expression: %s. Expected STRUCT type, got: %s", exprString(n), typeString(base.t))
	}
	i, f := base.t.Field(n.Field.Name)
	if f == nil {
		return node{}, &Error{Pos: n.Field.Pos, Kind: ErrUnknownColumn,
			Msg: "Could not find field '" + n.Field.Name + "' in '" + exprString(n.X) + "'."}
	}
	bf := base.fn
	return node{t: f.Type, constant: base.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		b, err := bf(row, lam)
		if err != nil || b.IsNull() {
			return value.Null, err
		}
		if es := b.Elems(); i < len(es) {
			return es[i], nil
		}
		return value.Null, nil
	}}, nil
}
