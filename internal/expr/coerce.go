package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"strings"
)

// coerceList compiles a user-supplied list (IN operands, ARRAY elements,
// MAP keys or values) and converts every element to one common type, as
// ksqlDB's CoercionUtil.coerceUserList does: the first non-NULL element
// leads, string literals may stand for numbers or booleans, and other
// elements must widen one way or the other. The common type is nil when
// every element is NULL.
func (c *compiler) coerceList(es []ast.Expr) (*types.Type, []node, error) {
	nodes := make([]node, len(es))
	for i, e := range es {
		n, err := c.compile(e)
		if err != nil {
			return nil, nil, err
		}
		nodes[i] = n
	}
	var common *types.Type
	for i, n := range nodes {
		if n.t.Kind == types.Null {
			continue
		}
		if common == nil {
			common = n.t
			continue
		}
		t, err := commonListType(es[i], n.t, common)
		if err != nil {
			return nil, nil, err
		}
		common = t
	}
	if common == nil {
		return nil, nodes, nil
	}
	for i, n := range nodes {
		cn, err := coerceCast(n, common)
		if err != nil {
			return nil, nil, &Error{Pos: es[i].Position(), Msg: err.Error(), Kind: ErrType}
		}
		nodes[i] = cn
	}
	return common, nodes, nil
}

func coercionErr(e ast.Expr, src, target *types.Type) error {
	return typeErr(e, "operator does not exist: %s = %s (%s)\nHint: You might need to add explicit type casts.", typeString(target), typeString(src), exprString(e))
}

func commonListType(e ast.Expr, src, target *types.Type) (*types.Type, error) {
	if lit, ok := e.(*ast.StringLit); ok {
		if target.IsNumeric() {
			st, ok := stringNumericType(lit.Value)
			if !ok {
				return nil, typeErr(e, "invalid input syntax for type %s: \"%s\".", target.Kind, lit.Value)
			}
			switch {
			case st.Kind == types.Double || target.Kind == types.Double:
				return types.DoubleType, nil
			case st.Kind == types.Decimal || target.Kind == types.Decimal:
				return types.WiderNumeric(st, target), nil
			case numericRank(st.Kind) <= numericRank(target.Kind):
				return target, nil
			}
			return st, nil
		}
		if target.Kind == types.Boolean {
			if _, ok := parseBooleanExact(strings.TrimSpace(lit.Value)); !ok {
				return nil, typeErr(e, "invalid input syntax for type BOOLEAN: \"%s\".", lit.Value)
			}
			return target, nil
		}
	}
	lax := isLiteral(e)
	if t := coercibleType(src, target, lax); t != nil {
		return t, nil
	}
	if t := coercibleType(target, src, lax); t != nil {
		return t, nil
	}
	return nil, coercionErr(e, src, target)
}

// coercibleType is DefaultSqlValueCoercer.canCoerce: the type that holds
// values of from converted toward to, or nil. STRICT (lax false) allows
// numeric widening, strings to temporal types and bytes, and compound
// types element-wise; LAX, used for literals, also converts between STRING
// and BOOLEAN, numbers and temporal types. Structs merge to the union of
// their fields.
func coercibleType(from, to *types.Type, lax bool) *types.Type {
	switch {
	case from.Kind == types.Null:
		return to
	case from.IsNumeric() && to.IsNumeric():
		if numericRank(from.Kind) > numericRank(to.Kind) {
			return nil
		}
		if to.Kind == types.Decimal {
			return types.WiderNumeric(from, to)
		}
		return to
	case from.Kind == types.Array && to.Kind == types.Array:
		if e := coercibleType(from.Elem, to.Elem, lax); e != nil {
			return types.ArrayOf(e)
		}
		return nil
	case from.Kind == types.Map && to.Kind == types.Map:
		k, v := coercibleType(from.Key, to.Key, lax), coercibleType(from.Elem, to.Elem, lax)
		if k != nil && v != nil {
			return types.MapOf(k, v)
		}
		return nil
	case from.Kind == types.Struct && to.Kind == types.Struct:
		fields := append([]types.Field(nil), from.Fields...)
		for _, f := range to.Fields {
			i, g := from.Field(f.Name)
			if g == nil {
				fields = append(fields, f)
				continue
			}
			t := coercibleType(g.Type, f.Type, lax)
			if t == nil {
				return nil
			}
			fields[i].Type = t
		}
		return types.StructOf(fields...)
	case from.Kind == to.Kind && from.IsPrimitive():
		return to
	case from.Kind == types.String:
		switch to.Kind {
		case types.Timestamp, types.Time, types.Date, types.Bytes:
			return to
		case types.Boolean, types.Int, types.Bigint, types.Decimal, types.Double:
			if lax {
				return to
			}
		}
	case to.Kind == types.String && lax:
		switch from.Kind {
		case types.Boolean, types.Int, types.Bigint, types.Decimal, types.Double, types.Timestamp, types.Time, types.Date:
			return to
		}
	}
	return nil
}

// stringNumericType types a string literal used as a number, as
// CoercionUtil.getStringNumericType does.
func stringNumericType(s string) (*types.Type, bool) {
	s = strings.TrimSpace(s)
	d, err := parseDecimalText(s)
	if err != nil {
		return nil, false
	}
	if !strings.ContainsAny(s, ".eE") && d.Scale() == 0 {
		u := d.Unscaled()
		switch {
		case u.IsInt64() && u.Int64() > -1<<31 && u.Int64() < 1<<31-1:
			return types.IntType, true
		case u.IsInt64() && u.Int64() > -1<<63 && u.Int64() < 1<<63-1:
			return types.BigintType, true
		}
	}
	_, t, err := parseDecimalLiteral(s)
	if err != nil {
		return nil, false
	}
	return t, true
}

func parseBooleanExact(s string) (bool, bool) {
	if s == "" {
		return false, false
	}
	if parseBoolean(s) {
		return true, true
	}
	for _, w := range []string{"false", "no"} {
		if len(s) <= len(w) && strings.EqualFold(s, w[:len(s)]) {
			return false, true
		}
	}
	return false, false
}
