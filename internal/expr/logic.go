package expr

import (
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// AND, OR and NOT use Kleene's three-valued logic. ksqlDB's generated
// Java unboxes the operands, so a NULL operand fails the whole expression
// (which then yields NULL); three-valued logic agrees with that wherever
// the result is NULL and gives the SQL-standard answer where one operand
// alone decides (FALSE AND NULL is FALSE).

func (c *compiler) boolOperand(at ast.Node, e ast.Expr, what string) (node, error) {
	n, err := c.compile(e)
	if err != nil {
		return node{}, err
	}
	if n.t.Kind != types.Boolean && n.t.Kind != types.Null {
		return node{}, typeErr(at, "Error processing expression: %s. %s requires BOOLEAN operands, but %s is %s", exprString(at.(ast.Expr)), what, exprString(e), typeString(n.t))
	}
	return n, nil
}

func (c *compiler) logical(n *ast.Logical) (node, error) {
	op := strings.ToUpper(n.Op)
	l, err := c.boolOperand(n, n.L, op)
	if err != nil {
		return node{}, err
	}
	r, err := c.boolOperand(n, n.R, op)
	if err != nil {
		return node{}, err
	}
	lf, rf := l.fn, r.fn
	// decisive is the value that settles the result on its own: FALSE for
	// AND, TRUE for OR.
	decisive := op == "OR"
	return node{t: types.BooleanType, constant: l.constant && r.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := lf(row, lam)
		if err != nil {
			return value.Null, err
		}
		if !a.IsNull() && a.Bool() == decisive {
			return a, nil
		}
		b, err := rf(row, lam)
		if err != nil {
			return value.Null, err
		}
		if !b.IsNull() && b.Bool() == decisive {
			return b, nil
		}
		if a.IsNull() || b.IsNull() {
			return value.Null, nil
		}
		return value.Bool(!decisive), nil
	}}, nil
}

func (c *compiler) not(n *ast.Not) (node, error) {
	x, err := c.boolOperand(n, n.X, "NOT")
	if err != nil {
		return node{}, err
	}
	f := x.fn
	return node{t: types.BooleanType, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := f(row, lam)
		if err != nil || v.IsNull() {
			return value.Null, err
		}
		return value.Bool(!v.Bool()), nil
	}}, nil
}

func (c *compiler) like(n *ast.Like) (node, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	p, err := c.compile(n.Pattern)
	if err != nil {
		return node{}, err
	}
	for _, o := range []node{x, p} {
		if o.t.Kind != types.String && o.t.Kind != types.Null {
			return node{}, typeErr(n, "Error processing expression: %s. LIKE requires STRING operands, got %s and %s", exprString(n), typeString(x.t), typeString(p.t))
		}
	}
	var esc rune = -1
	if n.Escape != nil {
		rs := []rune(*n.Escape)
		if len(rs) != 1 {
			return node{}, typeErr(n, "Expected single character escape but got: %s", *n.Escape)
		}
		esc = rs[0]
	}
	xf, not := x.fn, n.Not
	if p.folded {
		if p.val.IsNull() {
			return constNode(types.BooleanType, value.Null), nil
		}
		pat, err := compileLike(p.val.Str(), esc)
		if err != nil {
			return node{}, typeErr(n.Pattern, "%s", err.Error())
		}
		return node{t: types.BooleanType, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
			v, err := xf(row, lam)
			if err != nil || v.IsNull() {
				return value.Null, err
			}
			return value.Bool(pat.match(v.Str()) != not), nil
		}}, nil
	}
	pf := p.fn
	return node{t: types.BooleanType, constant: x.constant && p.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := xf(row, lam)
		if err != nil || v.IsNull() {
			return value.Null, err
		}
		pv, err := pf(row, lam)
		if err != nil || pv.IsNull() {
			return value.Null, err
		}
		pat, err := compileLike(pv.Str(), esc)
		if err != nil {
			return value.Null, &RuntimeError{Msg: err.Error(), Err: err}
		}
		return value.Bool(pat.match(v.Str()) != not), nil
	}}, nil
}
