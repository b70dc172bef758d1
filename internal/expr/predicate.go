package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// between is x >= lo AND x <= hi with x evaluated once; ksqlDB type-checks
// and reports it as those two comparisons. NOT BETWEEN is the negation of
// that boolean, so a NULL operand makes NOT BETWEEN true, as in ksqlDB.
func (c *compiler) between(n *ast.Between) (node, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	lo, err := c.compile(n.Lo)
	if err != nil {
		return node{}, err
	}
	hi, err := c.compile(n.Hi)
	if err != nil {
		return node{}, err
	}
	if lo, err = magicTime(x, lo, n.Lo); err != nil {
		return node{}, err
	}
	if hi, err = magicTime(x, hi, n.Hi); err != nil {
		return node{}, err
	}
	geNode := &ast.Comparison{Pos: n.Pos, Op: ">=", L: n.X, R: n.Lo}
	if err := c.checkComparison(geNode, ">=", n.X, n.Lo, x, lo); err != nil {
		return node{}, err
	}
	leNode := &ast.Comparison{Pos: n.Pos, Op: "<=", L: n.X, R: n.Hi}
	if err := c.checkComparison(leNode, "<=", n.X, n.Hi, x, hi); err != nil {
		return node{}, err
	}
	xf, lof, hif := x.fn, lo.fn, hi.fn
	not := n.Not
	if isInteger(x.t.Kind) && isInteger(lo.t.Kind) && isInteger(hi.t.Kind) && lo.folded && hi.folded && !lo.val.IsNull() && !hi.val.IsNull() {
		a, b := lo.val.AsInt64(), hi.val.AsInt64()
		return node{t: types.BooleanType, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
			v, err := xf(row, lam)
			if err != nil {
				return value.Null, err
			}
			in := !v.IsNull() && v.AsInt64() >= a && v.AsInt64() <= b
			return value.Bool(in != not), nil
		}}, nil
	}
	ge, le := boolPred(">=", x, lo), boolPred("<=", x, hi)
	return node{t: types.BooleanType, constant: x.constant && lo.constant && hi.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := xf(row, lam)
		if err != nil {
			return value.Null, err
		}
		a, err := lof(row, lam)
		if err != nil {
			return value.Null, err
		}
		in, err := ge(v, a)
		if err != nil {
			return value.Null, err
		}
		if in {
			b, err := hif(row, lam)
			if err != nil {
				return value.Null, err
			}
			if in, err = le(v, b); err != nil {
				return value.Null, err
			}
		}
		return value.Bool(in != not), nil
	}}, nil
}

func (c *compiler) isNull(n *ast.IsNull) (node, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	f, not := x.fn, n.Not
	return node{t: types.BooleanType, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := f(row, lam)
		if err != nil {
			return value.Null, err
		}
		return value.Bool(v.IsNull() != not), nil
	}}, nil
}

// inList is x [NOT] IN (...): the operand and the non-NULL items are
// coerced to a common type as ksqlDB's InListEvaluator.preprocess does; NULL
// matches nothing, so a NULL operand gives FALSE (and NOT IN gives TRUE, the
// negation of that boolean).
func (c *compiler) inList(n *ast.InList) (node, error) {
	items := make([]ast.Expr, 0, len(n.List)+1)
	items = append(items, n.X)
	for _, e := range n.List {
		if _, isNull := e.(*ast.NullLit); !isNull {
			items = append(items, e)
		}
	}
	_, nodes, err := c.coerceList(items)
	if err != nil {
		return node{}, err
	}
	x := nodes[0]
	list := nodes[1:]
	constant := x.constant
	fns := make([]evalFn, len(list))
	eqs := make([]func(a, b value.Value) (bool, error), len(list))
	for i, it := range list {
		constant = constant && it.constant
		fns[i] = it.fn
		eqs[i] = boolPred("=", x, it)
	}
	xf, not := x.fn, n.Not
	if fn := constInList(x, list, not); fn != nil {
		return node{t: types.BooleanType, constant: constant, fn: fn}, nil
	}
	return node{t: types.BooleanType, constant: constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := xf(row, lam)
		if err != nil {
			return value.Null, err
		}
		found := false
		if !v.IsNull() {
			for i, f := range fns {
				w, err := f(row, lam)
				if err != nil {
					return value.Null, err
				}
				ok, err := eqs[i](v, w)
				if err != nil {
					return value.Null, err
				}
				if ok {
					found = true
					break
				}
			}
		}
		return value.Bool(found != not), nil
	}}, nil
}

// constInList serves x IN (constants) for integer and string operands, the
// usual shape, with the list decoded once; nil means use the general path.
func constInList(x node, list []node, not bool) evalFn {
	for _, it := range list {
		if !it.folded || it.val.IsNull() {
			return nil
		}
	}
	xf := x.fn
	switch {
	case isInteger(x.t.Kind):
		set := make([]int64, 0, len(list))
		for _, it := range list {
			if !isInteger(it.t.Kind) {
				return nil
			}
			set = append(set, it.val.AsInt64())
		}
		return func(row *value.Row, lam []value.Value) (value.Value, error) {
			v, err := xf(row, lam)
			if err != nil {
				return value.Null, err
			}
			found := false
			if !v.IsNull() {
				n := v.AsInt64()
				for _, c := range set {
					if c == n {
						found = true
						break
					}
				}
			}
			return value.Bool(found != not), nil
		}
	case x.t.Kind == types.String:
		set := make([]string, 0, len(list))
		for _, it := range list {
			if it.t.Kind != types.String {
				return nil
			}
			set = append(set, it.val.Str())
		}
		return func(row *value.Row, lam []value.Value) (value.Value, error) {
			v, err := xf(row, lam)
			if err != nil {
				return value.Null, err
			}
			found := false
			if !v.IsNull() {
				s := v.Str()
				for _, c := range set {
					if c == s {
						found = true
						break
					}
				}
			}
			return value.Bool(found != not), nil
		}
	}
	return nil
}
