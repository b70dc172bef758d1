// Package planner owns semantic analysis: it resolves a query's names,
// types, functions, keys and windows against the catalog, applies ksqlDB's
// rules (key columns in projections, generated aliases, re-keying,
// implicit repartitioning), and produces the plan that stream/op executes.
package planner

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// Planner plans queries against a catalog.
type Planner struct {
	Catalog   *catalog.Catalog
	Functions expr.Functions
	// Property returns a ksqlDB property's effective value.
	Property func(name, def string) string
	// Transient plans a push or pull query: the projection returns every
	// select item as a value column and no key rules apply.
	Transient bool
}

// Planned is a planned query, ready for a sink.
type Planned struct {
	// Root produces the result rows.
	Root plan.Node
	// Schema is the result's logical schema.
	Schema catalog.Schema
	// From is the primary source; Sources lists every source read.
	From    *catalog.Source
	Sources []*catalog.Source
	// Table reports a result that is a table (a table source, an
	// aggregation, or a table-table join).
	Table bool
	// Window describes windowed result keys.
	Window     catalog.WindowType
	WindowSize int64
	// PartitionByNull reports PARTITION BY NULL: the result has no key
	// columns, and its key format is NONE.
	PartitionByNull bool
}

// Errors.
var errNotSupported = errors.New("not supported yet")

func (p *Planner) prop(name, def string) string {
	if p.Property == nil {
		return def
	}
	return p.Property(name, def)
}

// Plan plans q for a persistent query writing to sinkName; target is the
// existing sink for INSERT INTO, or nil.
func (p *Planner) Plan(q *ast.Query, sinkName string, target *catalog.Source) (*Planned, error) {
	if q.Window != nil && len(q.GroupBy) == 0 && !p.hasAggregates(q) {
		return nil, fmt.Errorf("WINDOW clause requires a GROUP BY clause.")
	}
	var node plan.Node
	var sc *scope
	var out *Planned
	var alias string
	var windowed bool
	var joinReq *keyReq
	switch from := q.From.(type) {
	case *ast.AliasedSource:
		src, ok := p.Catalog.Source(from.Name.Name)
		if !ok {
			return nil, fmt.Errorf("%s: Source `%s` does not exist.", posPrefix(from.Name.Pos), from.Name.Name)
		}
		alias = src.Name
		if from.Alias != nil {
			alias = from.Alias.Name
		}
		windowed = src.Window != catalog.NoWindow
		node = &plan.Source{Src: src, Alias: alias, Sch: src.Schema}
		sc = newScope(src.Schema, windowed, src.Name, alias)
		out = &Planned{From: src, Sources: []*catalog.Source{src}, Table: src.Kind == catalog.Table, Window: src.Window, WindowSize: src.WindowSize}
	case *ast.JoinRelation:
		j, err := p.planJoin(q, from)
		if err != nil {
			return nil, err
		}
		node, sc, out, joinReq = j.node, j.scope, j.out, &j.req
		windowed = out.Window != catalog.NoWindow
	default:
		return nil, fmt.Errorf("unsupported FROM clause %T", q.From)
	}
	src := out.From
	if len(q.GroupBy) > 0 && sc.join == nil {
		if err := kafkaValueFormat([]joinSide{{alias: alias, source: src}}, "GROUP BY"); err != nil {
			return nil, err
		}
	}

	if q.Where != nil && !windowed && q.Window != nil {
		// Window bounds exist only after a windowed aggregation, which
		// runs after WHERE; ksqlDB reports them before anything else.
		var bound string
		ast.Walk(q.Where, func(n ast.Node) bool {
			if cr, ok := n.(*ast.ColumnRef); ok && bound == "" && (cr.Name.Name == catalog.WindowStart || cr.Name.Name == catalog.WindowEnd) {
				bound = cr.Name.Name
			}
			return bound == ""
		})
		if bound != "" {
			return nil, fmt.Errorf("Error in WHERE expression: Unknown column %s.", bound)
		}
	}
	if q.Where != nil {
		sc.clause = "WHERE"
		pred, err := expr.Compile(q.Where, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			return nil, clauseError("WHERE", err)
		}
		if pred.Type.Kind != types.Boolean && pred.Type.Kind != types.Null {
			return nil, fmt.Errorf("Type error in WHERE expression: Should evaluate to boolean but is %s (%s) instead.", expr.FormatSQL(q.Where), pred.Type)
		}
		node = &plan.Filter{Input: node, Pred: pred, Stage: "WHERE"}
		sc.clause = ""
	}

	// keyRefs are the expressions the projection must contain so the
	// result keeps its key, with ksqlDB's wording for what they are.
	req := keyReq{what: "key column"}
	for _, c := range node.Schema().Key() {
		req.refs = append(req.refs, c.Name)
	}
	if joinReq != nil {
		req = *joinReq
	}
	req.free = joinReq == nil && !out.Table && strings.EqualFold(p.prop("ksql.new.query.planner.enabled", "false"), "true")
	if q.PartitionBy != nil {
		if len(q.PartitionBy) == 0 {
			return nil, errors.New("PARTITION BY requires at least one expression")
		}
		if out.Table {
			return nil, errors.New("PARTITION BY is not supported on tables")
		}
		var err error
		var refs []keyRef
		node, sc, refs, err = p.partitionBy(node, sc, q.PartitionBy, alias, windowed)
		if err != nil {
			return nil, err
		}
		if len(refs) == 0 {
			out.PartitionByNull = true
		}
		req = keyReq{what: "partitioning expression"}
		for _, r := range refs {
			req.refs = append(req.refs, r.text)
		}
	}

	calls, err := p.aggregateCalls(append(selectExprs(q.Select), q.Having))
	if err != nil {
		return nil, err
	}
	node, sc, err = p.flatMap(q, node, sc, out.Table, len(q.GroupBy) > 0 || len(calls) > 0)
	if err != nil {
		return nil, err
	}
	if len(q.GroupBy) > 0 || len(calls) > 0 {
		proj, err := p.planAggregate(q, node, sc, out, alias, sinkName)
		if err != nil {
			return nil, err
		}
		if err := checkKeyTypes(proj.Sch.Key()); err != nil {
			return nil, err
		}
		out.Root = proj
		out.Schema = proj.Sch
		return out, nil
	}
	if q.Having != nil {
		return nil, errors.New("HAVING requires a GROUP BY clause.")
	}
	proj, err := p.project(q, node, sc, req, sinkName, target)
	if err != nil {
		return nil, err
	}
	if err := checkKeyTypes(proj.Sch.Key()); err != nil {
		return nil, err
	}
	out.Root = proj
	out.Schema = proj.Sch
	return out, nil
}

func posPrefix(p ast.Pos) string { return fmt.Sprintf("Line: %d, Col: %d", p.Line, p.Col) }

// keyColumnRefs lists a schema's key columns as the references a
// projection must contain.
func keyColumnRefs(s catalog.Schema) []keyRef {
	var out []keyRef
	for _, c := range s.Key() {
		out = append(out, keyRef{name: c.Name, text: c.Name})
	}
	return out
}

// keyRef is a key the projection must carry: a column name, or for a
// computed PARTITION BY key, the expression text.
type keyRef struct {
	name string   // the key column's name in the input schema
	text string   // how errors print it
	expr ast.Expr // the partition expression, when not a plain column
}

// partitionBy re-keys the stream by the given expressions, as ksqlDB's
// UserRepartitionNode does: the new key columns are the expressions (named
// after the column for a plain column reference, KSQL_COL_n otherwise) and
// the old key columns become value columns.
func (p *Planner) partitionBy(input plan.Node, sc *scope, exprs []ast.Expr, alias string, windowed bool) (plan.Node, *scope, []keyRef, error) {
	if windowed {
		return nil, nil, nil, errors.New("Implicit repartitioning of windowed sources is not supported. See https://github.com/confluentinc/ksql/issues/4385.")
	}
	in := input.Schema()
	gen := newAliasGen(in)
	sc.clause = "PARTITION BY"
	var keyCols []plan.Column
	var newKey []catalog.Column
	var refs []keyRef
	isNull := false
	for _, e := range exprs {
		if _, ok := e.(*ast.NullLit); ok {
			isNull = true
		}
	}
	if isNull && len(exprs) > 1 {
		return nil, nil, nil, errors.New("Cannot PARTITION BY multiple columns including NULL")
	}
	exprMap := map[string]expr.Column{}
	if !isNull {
		for i, e := range exprs {
			ce, err := expr.Compile(e, sc, expr.Options{Functions: p.Functions})
			if err != nil {
				var ue interface{ Unwrap() error }
				_ = ue
				msg := err.Error()
				if strings.Contains(msg, "cannot be resolved") && !strings.Contains(msg, "must be a column") {
					if cr, ok := e.(*ast.ColumnRef); ok {
						return nil, nil, nil, fmt.Errorf("PARTITION BY column '%s' cannot be resolved. '%s' must be a column in the source schema since PARTITION BY is applied on the input.", cr.Name.Name, cr.Name.Name)
					}
				}
				return nil, nil, nil, err
			}
			name := ""
			text := expr.FormatSQL(e)
			if cr, ok := e.(*ast.ColumnRef); ok {
				q := ""
				if cr.Qualifier != nil && sc.join != nil {
					q = cr.Qualifier.Name
				}
				col, _ := sc.Resolve(q, cr.Name.Name)
				name = col.Name
				text = qualifiedText(alias, name)
			} else {
				name = gen.forExpr(e)
				text = qualifyExprText(e, alias)
			}
			keyCols = append(keyCols, plan.Column{Name: name, Expr: ce})
			newKey = append(newKey, catalog.Column{Name: name, Type: ce.Type, Namespace: catalog.Key})
			refs = append(refs, keyRef{name: name, text: text, expr: e})
			exprMap[exprKey(e)] = expr.Column{Name: name, Kind: expr.KeyColumn, Index: i, Type: ce.Type}
		}
	}
	sc.clause = ""
	// Value: the old key columns, then the old value columns, less any
	// that became a key column by name.
	var valCols []plan.Column
	var newVal []catalog.Column
	taken := map[string]bool{}
	for _, k := range newKey {
		taken[k.Name] = true
	}
	// ksqlDB's PartitionByParamsFactory appends the old key columns after
	// the value columns.
	vals := in.Value()
	if sc.join != nil {
		vals = sc.join.repartitionOrder(vals)
	}
	for _, c := range append(vals, in.Key()...) {
		if taken[c.Name] {
			continue
		}
		taken[c.Name] = true
		ce, err := expr.Compile(&ast.ColumnRef{Name: ast.Ident{Name: c.Name}}, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			return nil, nil, nil, err
		}
		valCols = append(valCols, plan.Column{Name: c.Name, Expr: ce})
		newVal = append(newVal, catalog.Column{Name: c.Name, Type: c.Type, Namespace: catalog.Value})
	}
	sch := catalog.Schema{Columns: append(newKey, newVal...)}
	node := &plan.Project{Input: input, Key: keyCols, Val: valCols, Sch: sch, Rekey: true}
	for i, k := range keyCols {
		for _, c := range k.Expr.Columns() {
			if c.Kind != expr.KeyColumn {
				if node.KeyNeedsValue == nil {
					node.KeyNeedsValue = make([]bool, len(keyCols))
				}
				node.KeyNeedsValue[i] = true
			}
		}
	}
	nsc := newScope(sch, windowed, qualifiersOf(sc)...)
	nsc.exprs = exprMap
	nsc.aliasBase = &in
	if sc.join != nil {
		nsc.joined = sc
	}
	return node, nsc, refs, nil
}

// qualifiersOf returns a scope's qualifiers for a derived scope: sorted,
// with the scope's alias last, so the derived scope keeps it.
func qualifiersOf(sc *scope) []string {
	out := keysOf(sc.qualifier)
	sort.Strings(out)
	if sc.alias != "" {
		out = append(out, sc.alias)
	}
	return out
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func qualifiedText(alias, name string) string { return alias + "." + name }

// qualifyExprText prints e with its column references qualified by alias,
// as ksqlDB's error messages print rewritten expressions.
func qualifyExprText(e ast.Expr, alias string) string {
	var refs []*ast.ColumnRef
	ast.Walk(e, func(n ast.Node) bool {
		if cr, ok := n.(*ast.ColumnRef); ok && cr.Qualifier == nil {
			refs = append(refs, cr)
		}
		return true
	})
	q := &ast.Ident{Name: alias}
	for _, cr := range refs {
		cr.Qualifier = q
	}
	s := expr.FormatSQL(e)
	for _, cr := range refs {
		cr.Qualifier = nil
	}
	return s
}

// checkKeyTypes refuses key columns whose type holds a MAP: map entries
// have no canonical order, so equal keys could serialize differently.
func checkKeyTypes(cols []catalog.Column) error {
	for _, c := range cols {
		if hasMap(c.Type) {
			return fmt.Errorf("Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `%s`. Column type: %s. See https://github.com/confluentinc/ksql/issues/6621 for more.", c.Name, c.Type.Quoted())
		}
	}
	return nil
}

func hasMap(t *types.Type) bool {
	if t == nil {
		return false
	}
	switch t.Kind {
	case types.Map:
		return true
	case types.Array:
		return hasMap(t.Elem)
	case types.Struct:
		for _, f := range t.Fields {
			if hasMap(f.Type) {
				return true
			}
		}
	}
	return false
}

// clauseError prefixes a type error in a WHERE or HAVING expression as
// ksqlDB does ("Error in WHERE expression: Cannot compare ...").
func clauseError(clause string, err error) error {
	if errors.Is(err, expr.ErrType) {
		return fmt.Errorf("Error in %s expression: %w", clause, err)
	}
	return err
}
