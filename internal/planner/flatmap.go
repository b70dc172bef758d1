package planner

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// tableCalls collects the distinct table function calls in exprs, in order
// of first appearance.
func (p *Planner) tableCalls(exprs []ast.Expr) []*ast.FuncCall {
	var out []*ast.FuncCall
	seen := map[string]bool{}
	for _, e := range exprs {
		if e == nil {
			continue
		}
		ast.Walk(e, func(n ast.Node) bool {
			fc, ok := n.(*ast.FuncCall)
			if !ok {
				return true
			}
			if k, known := p.Functions.KindOf(fc.Name.Name); !known || k != function.Table {
				return true
			}
			if k := exprKey(fc); !seen[k] {
				seen[k] = true
				out = append(out, fc)
			}
			return false
		})
	}
	return out
}

// flatMap plans the table functions of a select list: a FlatMap node that
// appends one synthetic value column per distinct call, and a scope in
// which each call resolves to its column, so the projection can use it
// anywhere (EXPLODE(x)->F1, ABS(EXPLODE(x))).
func (p *Planner) flatMap(q *ast.Query, node plan.Node, sc *scope, table bool, aggregated bool) (plan.Node, *scope, error) {
	calls := p.tableCalls(selectExprs(q.Select))
	if len(calls) == 0 {
		return node, sc, nil
	}
	if table {
		return nil, nil, errors.New("Table source is not supported with table functions")
	}
	if aggregated {
		return nil, nil, errors.New("Table functions cannot be used with aggregations.")
	}
	in := node.Schema()
	cols := append([]catalog.Column{}, in.Columns...)
	base := len(in.Value())
	fm := &plan.FlatMap{Input: node}
	exprs := map[string]expr.Column{}
	for k, v := range sc.exprs {
		exprs[k] = v
	}
	for i, fc := range calls {
		tc, err := expr.CompileTableCall(fc, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			return nil, nil, err
		}
		name := fmt.Sprintf("KSQL_SYNTH_%d", i)
		fm.Calls = append(fm.Calls, tc)
		cols = append(cols, catalog.Column{Name: name, Type: tc.Type, Namespace: catalog.Value})
		exprs[exprKey(fc)] = expr.Column{Name: name, Kind: expr.ValueColumn, Index: base + i, Type: tc.Type}
	}
	fm.Sch = catalog.Schema{Columns: cols}
	nsc := *sc
	nsc.exprs = exprs
	if nsc.aliasBase == nil {
		// Generated select aliases are counted against the input, not the
		// synthetic columns.
		nsc.aliasBase = &in
	}
	if nsc.starBase == nil {
		nsc.starBase = &in
	}
	if nsc.join == nil {
		nsc.sch = fm.Sch
	}
	return fm, &nsc, nil
}
