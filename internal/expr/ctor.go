package expr

import (
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
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
		cn, err := implicitCast(n, common)
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
		if isTemporal(target.Kind) {
			return target, nil
		}
	}
	if t := listCommonType(src, target); t != nil {
		return t, nil
	}
	return nil, coercionErr(e, src, target)
}

// listCommonType is the widening both ways, with structs merged to the
// union of their fields as ksqlDB does for STRUCT constructors in a list.
func listCommonType(a, b *types.Type) *types.Type {
	if a.Kind == types.Struct && b.Kind == types.Struct {
		fields := append([]types.Field(nil), b.Fields...)
		for _, f := range a.Fields {
			i, g := b.Field(f.Name)
			if g == nil {
				fields = append(fields, f)
				continue
			}
			t := listCommonType(f.Type, g.Type)
			if t == nil {
				return nil
			}
			fields[i].Type = t
		}
		return types.StructOf(fields...)
	}
	if a.Kind == types.Array && b.Kind == types.Array {
		if e := listCommonType(a.Elem, b.Elem); e != nil {
			return types.ArrayOf(e)
		}
		return nil
	}
	if a.Kind == types.Map && b.Kind == types.Map {
		k, v := listCommonType(a.Key, b.Key), listCommonType(a.Elem, b.Elem)
		if k != nil && v != nil {
			return types.MapOf(k, v)
		}
		return nil
	}
	return types.CommonType(a, b)
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

type whenArm struct {
	cond   evalFn
	result evalFn
}

func (c *compiler) caseExpr(n *ast.Case) (node, error) {
	var operand node
	if n.Operand != nil {
		var err error
		if operand, err = c.compile(n.Operand); err != nil {
			return node{}, err
		}
	}
	conds := make([]node, len(n.Whens))
	results := make([]node, len(n.Whens))
	var rt *types.Type
	constant := n.Operand == nil || operand.constant
	for i, w := range n.Whens {
		cn, err := c.compile(w.Cond)
		if err != nil {
			return node{}, err
		}
		if n.Operand != nil {
			eq := &ast.Comparison{Pos: w.Pos, Op: "=", L: n.Operand, R: w.Cond}
			if err := checkComparison(eq, "=", n.Operand, w.Cond, operand, cn); err != nil {
				return node{}, err
			}
			pred, of, vf := boolPred("=", operand, cn), operand.fn, cn.fn
			cn = node{t: types.BooleanType, constant: operand.constant && cn.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
				a, err := of(row, lam)
				if err != nil {
					return value.Null, err
				}
				b, err := vf(row, lam)
				if err != nil {
					return value.Null, err
				}
				ok, err := pred(a, b)
				return value.Bool(ok), err
			}}
		} else if cn.t.Kind != types.Boolean {
			return node{}, typeErr(w.Cond, "WHEN operand type should be boolean.\nType for '%s' is %s", exprString(w.Cond), typeString(cn.t))
		}
		r, err := c.compile(w.Result)
		if err != nil {
			return node{}, err
		}
		if r.t.Kind != types.Null {
			if rt == nil {
				rt = r.t
			} else if t := types.CommonType(rt, r.t); t != nil {
				rt = t
			} else {
				return node{}, typeErr(w.Result, "Invalid Case expression. Type for all 'THEN' clauses should be the same.\nTHEN expression 'WHEN %s THEN %s' has type: %s.\nPrevious THEN expression(s) type: %s.",
					exprString(w.Cond), exprString(w.Result), typeString(r.t), typeString(rt))
			}
		}
		conds[i], results[i] = cn, r
		constant = constant && cn.constant && r.constant
	}
	var def node
	if n.Else != nil {
		var err error
		if def, err = c.compile(n.Else); err != nil {
			return node{}, err
		}
		if def.t.Kind != types.Null {
			if rt == nil {
				rt = def.t
			} else if t := types.CommonType(rt, def.t); t != nil {
				rt = t
			} else {
				return node{}, typeErr(n.Else, "Invalid Case expression. Type for the default clause should be the same as for 'THEN' clauses.\nTHEN type: %s.\nDEFAULT type: %s.", typeString(rt), typeString(def.t))
			}
		}
		constant = constant && def.constant
	}
	if rt == nil {
		return node{}, typeErr(n, "Invalid Case expression. All case branches have NULL type")
	}
	arms := make([]whenArm, len(conds))
	for i := range conds {
		r, err := implicitCast(results[i], rt)
		if err != nil {
			return node{}, typeErr(n.Whens[i].Result, "%s", err.Error())
		}
		arms[i] = whenArm{cond: conds[i].fn, result: r.fn}
	}
	var deff evalFn
	if n.Else != nil {
		d, err := implicitCast(def, rt)
		if err != nil {
			return node{}, typeErr(n.Else, "%s", err.Error())
		}
		deff = d.fn
	}
	return node{t: rt, constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		for _, a := range arms {
			c, err := a.cond(row, lam)
			if err != nil {
				return value.Null, err
			}
			if !c.IsNull() && c.Bool() {
				return a.result(row, lam)
			}
		}
		if deff != nil {
			return deff(row, lam)
		}
		return value.Null, nil
	}}, nil
}
