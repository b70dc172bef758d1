package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

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
			if err := c.checkComparison(eq, "=", n.Operand, w.Cond, operand, cn); err != nil {
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
