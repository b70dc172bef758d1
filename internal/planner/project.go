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

// selectItem is one expanded select-list entry.
type selectItem struct {
	alias string
	e     ast.Expr
	ce    *expr.Expr
	// explicitAlias is true when the query named the column.
	explicitAlias bool
}

// expandSelect resolves *, t.* and x->* and gives every item an alias.
func (p *Planner) expandSelect(items []ast.SelectItem, node plan.Node, sc *scope, gen *aliasGen) ([]selectItem, error) {
	sch := node.Schema()
	var out []selectItem
	for _, it := range items {
		switch s := it.(type) {
		case *ast.SelectAll:
			if s.Qualifier != nil && !sc.qualifier[s.Qualifier.Name] {
				return nil, fmt.Errorf("'%s' is not a valid stream/table name or alias.", s.Qualifier.Name)
			}
			names := sc.star(s.Qualifier)
			if names == nil {
				starSch := sch
				if sc.starBase != nil {
					starSch = *sc.starBase
				}
				nkeys := len(starSch.Key())
				for i, c := range starSch.Columns {
					// A transient query's * over a windowed source has the
					// window bounds after the key columns, as ksqlDB's
					// DataSourceNode orders them.
					if i == nkeys && p.Transient && sc.windowed && !sc.aggregated {
						names = append(names, catalog.WindowStart, catalog.WindowEnd)
					}
					names = append(names, c.Name)
				}
			}
			for _, n := range names {
				out = append(out, selectItem{alias: n, e: &ast.ColumnRef{Pos: s.Pos, Name: ast.Ident{Pos: s.Pos, Name: n, Quoted: true}}})
			}
		case *ast.SelectStructAll:
			base, err := expr.Compile(s.Base, sc, expr.Options{Functions: p.Functions})
			if err != nil {
				return nil, err
			}
			if base.Type.Kind != types.Struct {
				return nil, fmt.Errorf("Expected STRUCT type, got: %s", base.Type)
			}
			for _, f := range base.Type.Fields {
				out = append(out, selectItem{alias: f.Name, e: &ast.Deref{Pos: s.Pos, X: s.Base, Field: ast.Ident{Pos: s.Pos, Name: f.Name, Quoted: true}}})
			}
		case *ast.SelectExpr:
			item := selectItem{e: s.Expr}
			switch {
			case s.Alias != nil:
				item.alias, item.explicitAlias = s.Alias.Name, true
			default:
				if cr, ok := s.Expr.(*ast.ColumnRef); ok {
					item.alias = cr.Name.Name
					if cr.Qualifier != nil && sc.clashing(cr.Name.Name) {
						item.alias = cr.Qualifier.Name + "_" + cr.Name.Name
					}
				} else {
					item.alias = gen.forExpr(s.Expr)
				}
			}
			out = append(out, item)
		}
	}
	var nonAgg []string
	for i := range out {
		ce, err := expr.Compile(out[i].e, sc, expr.Options{Functions: p.Functions})
		if err != nil {
			if sc.aggregated && strings.Contains(err.Error(), "cannot be resolved") {
				nonAgg = append(nonAgg, expr.FormatSQL(out[i].e))
				continue
			}
			if errors.Is(err, expr.ErrType) {
				// ksqlDB reports type errors in the projection so.
				return nil, fmt.Errorf("Invalid Select: %w", err)
			}
			return nil, err
		}
		out[i].ce = ce
	}
	if len(nonAgg) > 0 {
		return nil, fmt.Errorf("Non-aggregate SELECT expression(s) not part of GROUP BY: %s\nEither add the column(s) to the GROUP BY or remove them from the SELECT.", strings.Join(nonAgg, ", "))
	}
	return out, nil
}

// project builds the final projection of a persistent query, enforcing
// ksqlDB's key rules: every key of the input must appear in the select
// list as a plain reference (it stays the key, renamed by its alias), and
// the value columns are the other items in order.
func (p *Planner) project(q *ast.Query, node plan.Node, sc *scope, req keyReq, sinkName string, target *catalog.Source) (*plan.Project, error) {
	in := node.Schema()
	gen := newAliasGen(in)
	if sc.aliasBase != nil {
		gen = newAliasGen(*sc.aliasBase)
	}
	items, err := p.expandSelect(q.Select, node, sc, gen)
	if err != nil {
		return nil, err
	}
	if target != nil {
		if err := p.fitToSink(items, target.Schema, sc); err != nil {
			return nil, err
		}
	}
	if p.Transient {
		return transientProject(node, items)
	}
	inKeys := in.Key()
	keyAliases := make([][]int, len(inKeys)) // input key index → select items naming it
	isKey := make([]bool, len(items))
	for i, it := range items {
		if c, ok := sc.ResolveExpr(it.e); ok && c.Kind == expr.KeyColumn && it.ce.IsConstant() {
			// GROUP BY 1 with 1 selected: a literal the compiler folds
			// still names the grouping key.
			keyAliases[c.Index] = append(keyAliases[c.Index], i)
			isKey[i] = true
			continue
		}
		cols := it.ce.Columns()
		if !isPlainRef(it.e, sc) || len(cols) != 1 || cols[0].Kind != expr.KeyColumn {
			continue
		}
		keyAliases[cols[0].Index] = append(keyAliases[cols[0].Index], i)
		isKey[i] = true
	}
	missing := false
	var missingRefs []string
	for i := range inKeys {
		if len(keyAliases[i]) == 0 {
			missing = true
			if i < len(req.refs) {
				missingRefs = append(missingRefs, req.refs[i])
			}
		}
	}
	if missing && req.free && len(missingRefs) == len(inKeys) {
		// The new planner drops a key the projection leaves out.
		inKeys, keyAliases = nil, nil
		missing = false
	}
	if missing {
		if (req.what == "grouping expression" || req.fkTable != "") && len(missingRefs) > 0 && len(req.refs) == len(inKeys) {
			// Only the keys the projection lacks are listed.
			req.refs = missingRefs
		}
		return nil, keysMissing(sinkName, req)
	}
	for i, idxs := range keyAliases {
		if len(idxs) > 1 {
			var names []string
			for _, j := range idxs {
				names = append(names, items[j].alias)
			}
			if req.what == "grouping expression" {
				quoted := make([]string, len(names))
				for k, n := range names {
					quoted[k] = "`" + n + "`"
				}
				return nil, fmt.Errorf("The projection contains a key column more than once: %s.\nEach key column must only be in the projection once. If you intended to copy the key into the value, then consider using the AS_VALUE function to indicate which key reference should be copied.", joinAnd(quoted))
			}
			sort.Strings(names)
			return nil, fmt.Errorf("The projection contains a key column (`%s`) more than once, aliased as: %s.\nEach key column must only be in the projection once. If you intended to copy the key into the value, then consider using the AS_VALUE function to indicate which key reference should be copied.", inKeys[i].Name, joinAnd(names))
		}
	}
	proj := &plan.Project{Input: node}
	var keyCols, valCols []catalog.Column
	order := make([]int, len(inKeys))
	for i := range order {
		order[i] = i
	}
	if req.free {
		// The new planner keys the result in projection order.
		sort.SliceStable(order, func(a, b int) bool { return keyAliases[order[a]][0] < keyAliases[order[b]][0] })
	}
	for _, i := range order {
		it := items[keyAliases[i][0]]
		proj.Key = append(proj.Key, plan.Column{Name: it.alias, Expr: it.ce})
		keyCols = append(keyCols, catalog.Column{Name: it.alias, Type: it.ce.Type, Namespace: catalog.Key})
		if it.alias != inKeys[i].Name {
			proj.Rekey = false
		}
	}
	for i, it := range items {
		if isKey[i] {
			continue
		}
		if isWindowBound(it) && !it.explicitAlias {
			continue
		}
		if it.ce.Type.Kind == types.Null {
			return nil, errors.New("Can't infer a type of null. Please explicitly cast it to a required type, e.g. CAST(null AS VARCHAR).")
		}
		proj.Val = append(proj.Val, plan.Column{Name: it.alias, Expr: it.ce})
		valCols = append(valCols, catalog.Column{Name: it.alias, Type: it.ce.Type, Namespace: catalog.Value})
	}
	if len(valCols) == 0 {
		return nil, errors.New("The projection contains no value columns.")
	}
	seen := map[string]bool{}
	for _, c := range append(append([]catalog.Column{}, keyCols...), valCols...) {
		if seen[c.Name] {
			return nil, fmt.Errorf("Duplicate value columns found in schema: `%s` %s", c.Name, c.Type.SQL())
		}
		seen[c.Name] = true
	}
	proj.Sch = catalog.Schema{Columns: append(keyCols, valCols...)}
	return proj, nil
}

// isPlainRef reports a bare column reference, or an expression the scope
// maps to a column (a PARTITION BY expression).
func isPlainRef(e ast.Expr, sc *scope) bool {
	if _, ok := e.(*ast.ColumnRef); ok {
		return true
	}
	_, ok := sc.ResolveExpr(e)
	return ok
}

func isWindowBound(it selectItem) bool {
	cr, ok := it.e.(*ast.ColumnRef)
	if !ok {
		return false
	}
	return cr.Name.Name == catalog.WindowStart || cr.Name.Name == catalog.WindowEnd
}

// keyReq says which expressions a projection must contain to keep the
// result's key, for the error when it does not.
type keyReq struct {
	what string   // "key column", "grouping expression", ...
	refs []string // the expressions, as printed
	any  bool     // one of refs suffices (join keys)
	note string   // appended explanation (synthetic join keys)
	// fkTable names the left table of a foreign-key join, whose primary
	// key columns (refs) the projection must include.
	fkTable string
	// free, under ksqlDB's new query planner, lets a stream's projection
	// leave its key columns out (the result has no key) or reorder them.
	free bool
}

func keysMissing(sink string, req keyReq) error {
	refs := req.refs
	if req.fkTable != "" {
		quoted := make([]string, len(refs))
		for i, r := range refs {
			quoted[i] = "`" + r + "`"
		}
		if len(refs) == 1 {
			return fmt.Errorf("Primary key column missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing column: %s.", req.fkTable, quoted[0])
		}
		return fmt.Errorf("Primary key columns missing in projection. For foreign-key table-table joins, the projection must include all primary key columns from the left input table (`%s`). Missing columns: %s.", req.fkTable, strings.Join(quoted, ", "))
	}
	plural, whatP := "", req.what
	if len(refs) > 1 {
		whatP = req.what + "s"
		if !req.any {
			plural = "s"
		}
	}
	list, eg := joinAnd(refs), strings.Join(refs, ", ")
	if req.any {
		list = joinOr(refs)
		if len(refs) > 0 {
			eg = refs[0]
		}
	}
	return fmt.Errorf("Key%s missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\nThe query used to build `%s` must include the %s %s in its projection (eg, SELECT %s...).%s",
		plural, sink, whatP, list, eg, req.note)
}

// joinOr joins names as "A", "A or B", "A, B or C".
func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// joinAnd joins names as "A", "A and B", "A, B and C".
func joinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// transientProject builds the projection of a transient (push or pull)
// query: every select item, in order, as a value column, as ksqlDB returns
// them to the client; the key stays the input's.
func transientProject(node plan.Node, items []selectItem) (*plan.Project, error) {
	in := node.Schema()
	proj := &plan.Project{Input: node}
	cols := append([]catalog.Column{}, in.Key()...)
	for _, it := range items {
		proj.Val = append(proj.Val, plan.Column{Name: it.alias, Expr: it.ce})
		cols = append(cols, catalog.Column{Name: it.alias, Type: it.ce.Type, Namespace: catalog.Value})
		c := it.ce.Columns()
		_, plain := it.e.(*ast.ColumnRef)
		proj.KeyItems = append(proj.KeyItems, plain && len(c) == 1 && c[0].Kind == expr.KeyColumn)
	}
	proj.KeepKey = true
	proj.Sch = catalog.Schema{Columns: cols}
	return proj, nil
}
