package planner

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Aggregator lookup is the part of the function registry aggregations use.
type Aggregates interface {
	KindOf(name string) (function.Kind, bool)
	ResolveAggregate(name string, argTypes []*types.Type) (*function.ResolvedAggregate, error)
}

// aggregates collects the distinct aggregate calls in exprs, in order of
// first appearance, rejecting nested aggregates.
func (p *Planner) aggregateCalls(exprs []ast.Expr) ([]*ast.FuncCall, error) {
	var out []*ast.FuncCall
	seen := map[string]bool{}
	var walkErr error
	for _, e := range exprs {
		if e == nil {
			continue
		}
		ast.Walk(e, func(n ast.Node) bool {
			fc, ok := n.(*ast.FuncCall)
			if !ok || !p.isAggregate(fc.Name.Name) {
				return true
			}
			for _, a := range fc.Args {
				ast.Walk(a, func(m ast.Node) bool {
					if inner, ok := m.(*ast.FuncCall); ok && p.isAggregate(inner.Name.Name) && walkErr == nil {
						walkErr = fmt.Errorf("Aggregate functions can not be nested: %s(%s)", strings.ToUpper(fc.Name.Name), expr.FormatSQL(inner))
					}
					return true
				})
			}
			k := exprKey(fc)
			if !seen[k] {
				seen[k] = true
				out = append(out, fc)
			}
			return false
		})
	}
	return out, walkErr
}

// hasAggregates reports whether q's select list or HAVING calls an
// aggregate function.
func (p *Planner) hasAggregates(q *ast.Query) bool {
	calls, _ := p.aggregateCalls(append(selectExprs(q.Select), q.Having))
	return len(calls) > 0
}

func (p *Planner) isAggregate(name string) bool {
	k, ok := p.Functions.KindOf(name)
	return ok && k == function.Aggregate
}

func (p *Planner) aggregates() (Aggregates, error) {
	a, ok := p.Functions.(Aggregates)
	if !ok {
		return nil, errors.New("the function registry does not resolve aggregates")
	}
	return a, nil
}

func selectExprs(items []ast.SelectItem) []ast.Expr {
	var out []ast.Expr
	for _, it := range items {
		if se, ok := it.(*ast.SelectExpr); ok {
			out = append(out, se.Expr)
		}
	}
	return out
}

// planAggregate plans GROUP BY (or a select of aggregates with no GROUP
// BY): re-key by the grouping expressions, repartition if the key changed,
// aggregate, apply HAVING, then project.
func (p *Planner) planAggregate(q *ast.Query, node plan.Node, sc *scope, out *Planned, alias, sinkName string) (*plan.Project, error) {
	aggs, err := p.aggregates()
	if err != nil {
		return nil, err
	}
	for _, g := range q.GroupBy {
		calls, _ := p.aggregateCalls([]ast.Expr{g})
		if len(calls) > 0 {
			return nil, fmt.Errorf("GROUP BY does not support aggregate functions: %s is an aggregate function.", strings.ToUpper(calls[0].Name.Name))
		}
	}
	if q.Where != nil {
		if calls, _ := p.aggregateCalls([]ast.Expr{q.Where}); len(calls) > 0 {
			return nil, fmt.Errorf("Aggregate functions can not be used in WHERE clause: %s", expr.FormatSQL(calls[0]))
		}
	}
	calls, err := p.aggregateCalls(append(selectExprs(q.Select), q.Having))
	if err != nil {
		return nil, err
	}
	if len(calls) == 0 {
		if err := p.unknownFunction(append(selectExprs(q.Select), q.Having)); err != nil {
			return nil, err
		}
		return nil, errors.New("GROUP BY requires aggregate functions in either the SELECT or HAVING clause.")
	}
	if len(q.GroupBy) == 0 {
		return nil, p.noGroupBy(q, calls)
	}
	if sc.join != nil && q.Window != nil {
		// ksqlDB does not add the window bounds to the schema of a
		// windowed aggregation over a join, so selecting them fails.
		for _, e := range selectExprs(q.Select) {
			var bound string
			ast.Walk(e, func(n ast.Node) bool {
				if cr, ok := n.(*ast.ColumnRef); ok && bound == "" && (cr.Name.Name == catalog.WindowStart || cr.Name.Name == catalog.WindowEnd) {
					bound = cr.Name.Name
				}
				return bound == ""
			})
			if bound != "" {
				return nil, fmt.Errorf("SELECT column '%s' cannot be resolved.", bound)
			}
		}
	}
	if err := windowBoundsMisused(q, calls); err != nil {
		return nil, err
	}
	windowedSource := out.Window != catalog.NoWindow
	if windowedSource {
		return nil, fmt.Errorf("aggregating windowed sources is %w", errNotSupported)
	}

	seenGroup := map[string]bool{}
	for _, g := range q.GroupBy {
		k := exprKey(unqualified(g))
		if seenGroup[k] {
			return nil, fmt.Errorf("Duplicate GROUP BY expression: %s", qualifyExprText(unqualified(g), alias))
		}
		seenGroup[k] = true
	}
	// Re-key by the grouping expressions.
	in := node.Schema()
	gen := newAliasGen(in)
	sc.clause = "GROUP BY"
	var keyCols []plan.Column
	var newKey []catalog.Column
	var refs []keyRef
	exprMap := map[string]expr.Column{}
	sameKey := len(q.GroupBy) == len(in.Key())
	for i, g := range q.GroupBy {
		ce, err := expr.Compile(g, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			return nil, err
		}
		name := ""
		if cr, ok := g.(*ast.ColumnRef); ok {
			qual := ""
			if cr.Qualifier != nil {
				qual = cr.Qualifier.Name
			}
			col, _ := sc.Resolve(qual, cr.Name.Name)
			name = col.Name
			if sc.join != nil {
				// ksqlDB names a grouping column after the column itself,
				// not the joined schema's SOURCE_COLUMN.
				name = cr.Name.Name
			}
			if col.Kind != expr.KeyColumn || col.Index != i {
				sameKey = false
			}
		} else {
			name = gen.forExpr(g)
			sameKey = false
		}
		keyCols = append(keyCols, plan.Column{Name: name, Expr: ce})
		newKey = append(newKey, catalog.Column{Name: name, Type: ce.Type, Namespace: catalog.Key})
		refs = append(refs, keyRef{name: name, text: expr.FormatSQL(g), expr: g})
		exprMap[exprKey(g)] = expr.Column{Name: name, Kind: expr.KeyColumn, Index: i, Type: ce.Type}
	}
	sc.clause = ""
	if out.Table && markChanges(node) {
		// A table's updates must reach the aggregation as changes, and
		// Kafka Streams always repartitions a grouped table.
		sameKey = false
	}
	if !sameKey {
		var valCols []plan.Column
		var newVal []catalog.Column
		cols := append(in.Key(), in.Value()...)
		if sc.join != nil {
			// A join's sides resolve by offset into the value, so the old
			// key goes after the value columns.
			cols = append(in.Value(), in.Key()...)
		}
		for _, c := range cols {
			ce, err := expr.Compile(&ast.ColumnRef{Name: ast.Ident{Name: c.Name}}, sc, expr.Options{Functions: p.Functions})
			if err != nil {
				return nil, err
			}
			valCols = append(valCols, plan.Column{Name: c.Name, Expr: ce})
			newVal = append(newVal, catalog.Column{Name: c.Name, Type: c.Type, Namespace: catalog.Value})
		}
		sch := catalog.Schema{Columns: append(newKey, newVal...)}
		node = &plan.Project{Input: node, Key: keyCols, Val: valCols, Sch: sch, Rekey: true, DropNullKey: true}
		node = &plan.Repartition{Input: node, Topic: "Aggregate-GroupBy-repartition", Partitions: out.From.Partitions}
		if sc.join != nil {
			js := *sc.join
			js.rekeyedAt = len(in.Value())
			nsc := newScope(sch, false, qualifiersOf(sc)...)
			nsc.join = &js
			sc = nsc
		} else {
			sc = newScope(sch, false, qualifiersOf(sc)...)
		}
	}
	preScope := sc

	// The aggregate: one accumulator per distinct call.
	aggNode := &plan.Aggregate{Input: node, Store: "Aggregate-Aggregate-Materialize", Table: out.Table}
	aggCols := append([]catalog.Column{}, newKey...)
	// notUndoable lists the functions a table aggregation cannot subtract.
	var notUndoable []string
	for i, fc := range calls {
		var args []*expr.Expr
		var argTypes []*types.Type
		var colArgs []ast.Expr
		if !fc.Star {
			colArgs = fc.Args
		}
		for _, a := range colArgs {
			ce, err := expr.Compile(a, preScope, expr.Options{Functions: p.Functions})
			if err != nil {
				return nil, err
			}
			args = append(args, ce)
			argTypes = append(argTypes, ce.Type)
		}
		res, err := aggs.ResolveAggregate(fc.Name.Name, argTypes)
		if err != nil {
			return nil, err
		}
		isInit := res.InitParams()
		var colExprs []*expr.Expr
		var initVals []value.Value
		var colTypes []*types.Type
		for j, a := range args {
			if j < len(isInit) && isInit[j] {
				if !a.IsConstant() {
					return nil, fmt.Errorf("Parameter %d passed to function %s must be a literal constant, but was expression: '%s'", j+1, strings.ToUpper(fc.Name.Name), expr.FormatSQL(colArgs[j]))
				}
				v, err := a.Eval(&value.Row{})
				if err != nil {
					return nil, err
				}
				initVals = append(initVals, v)
				continue
			}
			colExprs = append(colExprs, a)
			colTypes = append(colTypes, res.ArgTypes[j])
		}
		_ = colTypes
		ag, err := res.New(initVals, p.props())
		if err != nil {
			return nil, err
		}
		if out.Table && ag.Undo == nil {
			if n := strings.ToUpper(fc.Name.Name); !slices.Contains(notUndoable, n) {
				notUndoable = append(notUndoable, n)
			}
			continue
		}
		name := fmt.Sprintf("KSQL_AGG_VARIABLE_%d", i)
		aggNode.Aggs = append(aggNode.Aggs, plan.AggCall{Name: strings.ToUpper(fc.Name.Name), Agg: ag, Args: colExprs, Widen: res.WidenColumns})
		aggCols = append(aggCols, catalog.Column{Name: name, Type: ag.ReturnType, Namespace: catalog.Value})
		exprMap[exprKey(fc)] = expr.Column{Name: name, Kind: expr.ValueColumn, Index: i, Type: ag.ReturnType}
	}
	if err := intermediateFits(out.From, aggNode.Aggs); err != nil {
		return nil, err
	}
	switch len(notUndoable) {
	case 0:
	case 1:
		return nil, fmt.Errorf("The aggregation function %s cannot be applied to a table source, only to a stream source.", notUndoable[0])
	default:
		return nil, fmt.Errorf("The aggregation functions %s cannot be applied to a table source, only to a stream source.", joinAnd(notUndoable))
	}
	if q.Window != nil {
		ws, err := windowSpec(q.Window, q.Emit == ast.EmitFinal)
		if err != nil {
			return nil, err
		}
		aggNode.Window = ws
		aggNode.Final = q.Emit == ast.EmitFinal
		out.Window, out.WindowSize = ws.Type, ws.Size
		if ws.Type == catalog.Session {
			out.WindowSize = 0
		}
	} else if q.Emit == ast.EmitFinal {
		return nil, errors.New("EMIT FINAL is only supported for windowed aggregations.")
	}
	aggNode.Sch = catalog.Schema{Columns: aggCols}
	out.Table = true
	post := newScope(aggNode.Sch, q.Window != nil, qualifiersOf(preScope)...)
	post.exprs = exprMap
	post.aggregated = true
	post.aliasBase = &in
	post.names = preScope
	if sc.join == nil {
		// SELECT * in an aggregation names the source's columns, which
		// must then be grouping expressions.
		post.starBase = &in
		if sc.starBase != nil {
			post.starBase = sc.starBase
		}
	}
	var result plan.Node = aggNode
	if q.Having != nil {
		post.clause = "HAVING"
		pred, err := expr.Compile(q.Having, post, expr.Options{Functions: p.Functions})
		if err != nil {
			if col, ok := unresolvedName(err); ok {
				return nil, fmt.Errorf("Non-aggregate HAVING expression not part of GROUP BY: %s", col)
			}
			return nil, clauseError("HAVING", nonAggregate(err, q.Having))
		}
		if pred.Type.Kind != types.Boolean {
			return nil, fmt.Errorf("Type error in HAVING expression: Should evaluate to boolean but is %s (%s) instead.", expr.FormatSQL(q.Having), pred.Type)
		}
		result = &plan.Filter{Input: result, Pred: pred, Stage: "HAVING"}
		post.clause = ""
	}
	req := keyReq{what: "grouping expression"}
	for _, r := range refs {
		req.refs = append(req.refs, r.text)
	}
	return p.project(q, result, post, req, sinkName, nil)
}

// windowBoundsMisused rejects WINDOWSTART and WINDOWEND outside the
// select list of a windowed aggregation: in GROUP BY, in HAVING and inside
// aggregate arguments they have no value yet.
func windowBoundsMisused(q *ast.Query, calls []*ast.FuncCall) error {
	var exprs []ast.Expr
	exprs = append(exprs, q.GroupBy...)
	if q.Having != nil {
		exprs = append(exprs, q.Having)
	}
	for _, c := range calls {
		exprs = append(exprs, c.Args...)
	}
	found := map[string]bool{}
	for _, e := range exprs {
		ast.Walk(e, func(n ast.Node) bool {
			if cr, ok := n.(*ast.ColumnRef); ok {
				switch strings.ToUpper(cr.Name.Name) {
				case catalog.WindowStart, catalog.WindowEnd:
					found[strings.ToUpper(cr.Name.Name)] = true
				}
			}
			return true
		})
	}
	for _, name := range []string{catalog.WindowStart, catalog.WindowEnd} {
		if found[name] {
			return fmt.Errorf("Window bounds column %s can only be used in the SELECT clause of windowed aggregations and can not be passed to aggregate functions.", name)
		}
	}
	return nil
}

// unknownFunction returns the error for the first call in exprs to a
// function the registry does not know, so that a misspelled aggregate is
// reported as such rather than as a missing one.
func (p *Planner) unknownFunction(exprs []ast.Expr) error {
	var err error
	for _, e := range exprs {
		if e == nil {
			continue
		}
		ast.Walk(e, func(n ast.Node) bool {
			if fc, ok := n.(*ast.FuncCall); ok && err == nil {
				if _, known := p.Functions.KindOf(fc.Name.Name); !known {
					err = fmt.Errorf("Can't find any functions with the name '%s'", strings.ToUpper(fc.Name.Name))
				}
			}
			return err == nil
		})
	}
	return err
}

// markChanges asks the table source under n to send changes, and reports
// whether it found one (a join's output does not send them).
func markChanges(n plan.Node) bool {
	for {
		switch x := n.(type) {
		case *plan.Source:
			x.Changes = true
			x.Store = "KsqlTopic-Reduce"
			return true
		case *plan.Join:
			if x.Kind != plan.TableTable {
				return false
			}
			x.Changes = true
			x.ChangeStore = "Join-Reduce"
			return true
		case *plan.Filter:
			n = x.Input
		case *plan.Project:
			n = x.Input
		default:
			return false
		}
	}
}

// unqualified returns a copy of e's tree shape with column qualifiers
// dropped, for comparing grouping expressions written with and without
// them. Only a bare or qualified column is rewritten.
func unqualified(e ast.Expr) ast.Expr {
	if cr, ok := e.(*ast.ColumnRef); ok && cr.Qualifier != nil {
		return &ast.ColumnRef{Pos: cr.Pos, Name: cr.Name}
	}
	return e
}

// unresolvedName extracts the column an unresolvable-column error names.
func unresolvedName(err error) (string, bool) {
	msg := err.Error()
	if !strings.Contains(msg, "cannot be resolved") {
		return "", false
	}
	i := strings.Index(msg, "'")
	j := strings.LastIndex(msg, "'")
	if i < 0 || j <= i {
		return "", false
	}
	name := msg[i+1 : j]
	if k := strings.LastIndex(name, "."); k >= 0 {
		name = name[k+1:]
	}
	return name, true
}

// nonAggregate rewrites an unresolvable column in an aggregated query as
// ksqlDB reports it.
func nonAggregate(err error, e ast.Expr) error {
	if strings.Contains(err.Error(), "cannot be resolved") {
		return fmt.Errorf("Non-aggregate SELECT expression(s) not part of GROUP BY: %s\nEither add the column(s) to the GROUP BY or remove them from the SELECT.", expr.FormatSQL(e))
	}
	return err
}

func (p *Planner) props() map[string]string {
	out := map[string]string{}
	for _, k := range []string{"ksql.functions.collect_list.limit", "ksql.functions.collect_set.limit"} {
		if v := p.prop(k, ""); v != "" {
			out[k] = v
		}
	}
	return out
}

// durationMillis converts a parsed duration.
func durationMillis(d ast.Duration) int64 {
	unit := map[string]int64{"MILLISECONDS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000, "DAYS": 86_400_000}[d.Unit]
	if unit == 0 {
		unit = 1
	}
	return d.Value * unit
}

// defaultGrace is Kafka Streams' legacy default: windows accept records
// up to 24 hours late, less the window size.
const day = int64(86_400_000)

func windowSpec(w *ast.Window, final bool) (*plan.WindowSpec, error) {
	ws := &plan.WindowSpec{Size: durationMillis(w.Size)}
	switch w.Kind {
	case ast.WindowTumbling:
		ws.Type = catalog.Tumbling
		ws.Advance = ws.Size
	case ast.WindowHopping:
		ws.Type = catalog.Hopping
		if w.Advance != nil {
			ws.Advance = durationMillis(*w.Advance)
		}
		if ws.Advance <= 0 || ws.Advance > ws.Size {
			return nil, fmt.Errorf("Window advanceBy must be greater than zero and not greater than the window size")
		}
	case ast.WindowSession:
		ws.Type = catalog.Session
	}
	if ws.Size <= 0 {
		return nil, errors.New("Window size must be greater than zero")
	}
	switch {
	case w.Grace != nil:
		ws.Grace = durationMillis(*w.Grace)
	case final:
		// ksqlDB rewrites EMIT FINAL without GRACE to a zero grace period,
		// so results come out when the window ends.
		ws.Grace = 0
	default:
		ws.Grace = max(day-ws.Size, 0)
	}
	if w.Retention != nil {
		ws.Retention = durationMillis(*w.Retention)
	} else {
		// Kafka Streams' default window store retention.
		ws.Retention = ws.Size + ws.Grace
	}
	return ws, nil
}

// intermediateFits checks that the aggregation's state, which ksqlDB writes
// to its changelog in the source's value format, can be carried by that
// format: AVG keeps a STRUCT and TOPK an ARRAY, which DELIMITED cannot hold.
func intermediateFits(from *catalog.Source, aggs []plan.AggCall) error {
	if from == nil || len(aggs) == 0 {
		return nil
	}
	f, err := format.New(from.ValueFormat.Name, from.ValueFormat.Props, nil)
	if err != nil {
		// The source's own format errors are reported where it is read.
		return nil
	}
	for i, a := range aggs {
		// One column at a time: only the types matter here, not how many
		// columns the format can carry.
		col := format.Column{Name: fmt.Sprintf("KSQL_AGG_VARIABLE_%d", i), Type: a.Agg.AccType}
		if a.Agg.AccType == nil {
			continue
		}
		if err := f.Validate(format.Target{Columns: []format.Column{col}}); err != nil {
			return errors.New("One of the functions used in the statement has an intermediate type that the value format can not handle. Please remove the function or change the format.")
		}
	}
	return nil
}

// noGroupBy is ksqlDB's error for aggregates without GROUP BY in a
// persistent query: it groups by a constant, so a non-aggregate column in
// the select list is not part of the grouping, and otherwise the result has
// no key to write.
func (p *Planner) noGroupBy(q *ast.Query, calls []*ast.FuncCall) error {
	var nonAgg []string
	for _, e := range selectExprs(q.Select) {
		cols := false
		ast.Walk(e, func(n ast.Node) bool {
			if fc, ok := n.(*ast.FuncCall); ok && p.isAggregate(fc.Name.Name) {
				return false
			}
			if _, ok := n.(*ast.ColumnRef); ok {
				cols = true
			}
			return true
		})
		if cols {
			nonAgg = append(nonAgg, expr.FormatSQL(e))
		}
	}
	if len(nonAgg) > 0 {
		return fmt.Errorf("Non-aggregate SELECT expression(s) not part of GROUP BY: %s\nEither add the column(s) to the GROUP BY or remove them from the SELECT.", strings.Join(nonAgg, ", "))
	}
	var fns []string
	for _, fc := range calls {
		if fc.Star || len(fc.Args) == 0 {
			// COUNT(*) counts rows; ksqlDB rewrites it over ROWTIME.
			fns = append(fns, strings.ToUpper(fc.Name.Name)+"(ROWTIME)")
			continue
		}
		fns = append(fns, expr.FormatSQL(fc))
	}
	return fmt.Errorf("CREATE TABLE AS SELECT statement does not support aggregate function [%s] without a GROUP BY clause.", strings.Join(fns, ", "))
}
