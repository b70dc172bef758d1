package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// A pull query on a table is answered by key lookups when its WHERE pins
// every key column with equalities, by a range scan when it bounds a
// string key, and otherwise by a table scan. Sluice answers every pull
// query by scanning the table's materialization, which returns the same
// rows; what follows is ksqlDB's analysis of the WHERE clause (its
// QueryFilterNode and PullPhysicalPlanBuilder), kept for the errors it
// gives: a query needing a table scan when table scans are disabled
// (ksql.query.pull.table.scan.enabled=false), and key values that cannot
// be keys even when the scan would do.

// pullWhere is one pull query's WHERE analysis.
type pullWhere struct {
	keys     []catalog.Column
	windowed bool
	scan     bool // table scans enabled
	ranges   bool // range scans enabled
}

// whereHelp ends ksqlDB's invalid-WHERE errors.
func (w *pullWhere) fail(msg string) error {
	extra := ""
	if w.windowed {
		extra = "\n - (optionally) limits the time bounds of the windowed table.\n\t Bounds on [`WINDOWSTART`, `WINDOWEND`] are supported\n\t Supported operators are [EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL]"
	}
	return errors.New(msg + ". " + pullHelp + "\nPull queries require a WHERE clause that:\n" +
		" - includes a key equality expression, e.g. `SELECT * FROM X WHERE <key-column> = Y;`.\n" +
		" - in the case of a multi-column key, is a conjunction of equality expressions that cover all key columns.\n" +
		" - to support range expressions, e.g.,  SELECT * FROM X WHERE <key-column> < Y;`, range scans need to be enabled by setting ksql.query.pull.range.scan.enabled=true" +
		extra + "\nIf more flexible queries are needed, , table scans can be enabled by setting ksql.query.pull.table.scan.enabled=true.")
}

// checkPullWhere analyses a pull query's WHERE over a table.
func (e *Engine) checkPullWhere(sess *Session, src *catalog.Source, where ast.Expr) error {
	if src == nil || src.Kind != catalog.Table || where == nil {
		return nil
	}
	w := &pullWhere{
		keys:     src.Schema.Key(),
		windowed: src.Window != catalog.NoWindow,
		scan:     !strings.EqualFold(e.property(sess, "ksql.query.pull.table.scan.enabled", "true"), "false"),
		ranges:   !strings.EqualFold(e.property(sess, "ksql.query.pull.range.scan.enabled", "true"), "false"),
	}
	disjuncts := dnf(where)
	needScan, err := w.validate(disjuncts)
	if err != nil {
		return err
	}
	if needScan {
		return nil
	}
	// Every disjunct names the keys: take each one's constraint.
	ranged := 0
	for _, d := range disjuncts {
		kind, err := w.constraint(d)
		if err != nil {
			return err
		}
		switch kind {
		case "scan":
			needScan = true
		case "range":
			ranged++
		}
	}
	if !needScan && ranged > 0 && (len(disjuncts) > 1 || !w.ranges || w.windowed) {
		needScan = true
	}
	if needScan && !w.scan {
		return errors.New("Query requires table scan to be enabled. Table scans can be enabled by setting ksql.query.pull.table.scan.enabled=true")
	}
	return nil
}

// validate applies ksqlDB's per-disjunct rules; it reports whether the
// query needs a table scan, or the error when table scans are disabled.
func (w *pullWhere) validate(disjuncts [][]ast.Expr) (bool, error) {
	for _, d := range disjuncts {
		needScan := false
		scanOr := func(msg string) error {
			if w.scan {
				needScan = true
				return nil
			}
			return w.fail(msg)
		}
		keyed := false
		seen := map[int]bool{}
		for _, leaf := range d {
			c, ok := leaf.(*ast.Comparison)
			if !ok {
				if _, like := leaf.(*ast.Like); like {
					continue
				}
				if err := scanOr("Unsupported expression in WHERE clause: " + expr.FormatSQL(leaf)); err != nil {
					return false, err
				}
				continue
			}
			col, other := columnSide(c)
			if col == nil {
				if err := scanOr("A comparison must directly reference a key column"); err != nil {
					return false, err
				}
				continue
			}
			if hasColumnRef(other) {
				if err := scanOr("A comparison must be between a key column and a resolvable expression"); err != nil {
					return false, err
				}
				continue
			}
			name := col.Name.Name
			if name == catalog.WindowStart || name == catalog.WindowEnd {
				continue
			}
			idx := -1
			for i, k := range w.keys {
				if k.Name == name {
					idx = i
				}
			}
			if idx < 0 {
				continue
			}
			if c.Op == "<>" {
				if err := scanOr("Bound on key columns '" + keyList(w.keys) + "' must currently be '='"); err != nil {
					return false, err
				}
			}
			if seen[idx] && !w.scan {
				return false, w.fail("A comparison condition on the key column cannot be combined with other comparisons such as an IN predicate")
			}
			seen[idx] = true
			keyed = true
		}
		if needScan {
			return true, nil
		}
		if !keyed {
			if w.scan {
				return true, nil
			}
			return false, w.fail("WHERE clause missing key column for disjunct: " + formatConjunction(d))
		}
		if len(seen) != len(w.keys) {
			if w.scan {
				return true, nil
			}
			var names []string
			for i, k := range w.keys {
				if seen[i] {
					names = append(names, "`"+k.Name+"`")
				}
			}
			return false, w.fail("Multi-column sources must specify every key in the WHERE clause. Specified: [" + strings.Join(names, ", ") + "] Expected: " + keyList(w.keys))
		}
	}
	return false, nil
}

// constraint resolves a disjunct's key values, failing as ksqlDB does for
// values no key can hold, and says whether it is a key lookup ("eq"), a
// range on a string key ("range") or needs a scan ("scan").
func (w *pullWhere) constraint(d []ast.Expr) (string, error) {
	ops := map[int]string{}
	for _, leaf := range d {
		c, ok := leaf.(*ast.Comparison)
		if !ok {
			continue
		}
		col, other := columnSide(c)
		if col == nil {
			continue
		}
		idx := -1
		for i, k := range w.keys {
			if k.Name == col.Name.Name {
				idx = i
			}
		}
		if idx < 0 {
			continue
		}
		if err := checkKeyValue(other, w.keys[idx], c); err != nil {
			return "", err
		}
		if op, ok := ops[idx]; ok && (op == "=" || c.Op != "=") {
			continue
		}
		ops[idx] = c.Op
	}
	if len(ops) == 0 {
		return "scan", nil
	}
	if len(ops) > 1 {
		for _, op := range ops {
			if op != "=" {
				return "scan", nil
			}
		}
		return "eq", nil
	}
	for idx, op := range ops {
		if op == "=" {
			return "eq", nil
		}
		if k := w.keys[idx].Type.Kind; k == types.String || k == types.Bytes {
			return "range", nil
		}
	}
	return "scan", nil
}

// checkKeyValue rejects a NULL key and a literal the key's type cannot
// take without a lossy conversion.
func checkKeyValue(e ast.Expr, key catalog.Column, c *ast.Comparison) error {
	var text string
	ok := true
	kind := key.Type.Kind
	switch v := e.(type) {
	case *ast.NullLit:
		return fmt.Errorf("Primary key columns can not be NULL: %s", expr.FormatSQL(c))
	case *ast.StringLit:
		text, ok = v.Value, kind == types.String
	case *ast.IntegerLit:
		text = fmt.Sprint(v.Value)
		ok = kind == types.Int || kind == types.Bigint || kind == types.Double || kind == types.Decimal
	case *ast.DecimalLit:
		text, ok = v.Text, kind == types.Double || kind == types.Decimal
	case *ast.DoubleLit:
		text, ok = v.Text, kind == types.Double
	}
	if !ok {
		return fmt.Errorf("'%s' can not be converted to the type of the key column: %s %s KEY", text, key.Name, key.Type.String())
	}
	return nil
}

// columnSide splits a comparison into its column reference (the right
// side's first, as ksqlDB looks) and the other side.
func columnSide(c *ast.Comparison) (*ast.ColumnRef, ast.Expr) {
	if r, ok := c.R.(*ast.ColumnRef); ok {
		return r, c.L
	}
	if l, ok := c.L.(*ast.ColumnRef); ok {
		return l, c.R
	}
	return nil, nil
}

func hasColumnRef(e ast.Expr) bool {
	found := false
	ast.Walk(e, func(n ast.Node) bool {
		if _, ok := n.(*ast.ColumnRef); ok {
			found = true
		}
		return !found
	})
	return found
}

func keyList(keys []catalog.Column) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "`" + k.Name + "` " + k.Type.String() + " KEY"
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func formatConjunction(d []ast.Expr) string {
	if len(d) == 0 {
		return ""
	}
	e := d[0]
	for _, x := range d[1:] {
		e = &ast.Logical{Op: "AND", L: e, R: x}
	}
	return expr.FormatSQL(e)
}

// dnf rewrites a WHERE clause as a disjunction of conjunctions of its
// leaves, with IN lists as one equality per element, as ksqlDB's pull
// query rewriter does.
func dnf(e ast.Expr) [][]ast.Expr {
	switch x := e.(type) {
	case *ast.Logical:
		l, r := dnf(x.L), dnf(x.R)
		if strings.EqualFold(x.Op, "OR") {
			return append(l, r...)
		}
		var out [][]ast.Expr
		for _, a := range l {
			for _, b := range r {
				out = append(out, append(append([]ast.Expr{}, a...), b...))
			}
		}
		return out
	case *ast.InList:
		if x.Not {
			break
		}
		var out [][]ast.Expr
		for _, v := range x.List {
			out = append(out, []ast.Expr{&ast.Comparison{Pos: x.Pos, Op: "=", L: x.X, R: v}})
		}
		return out
	case *ast.Between:
		if x.Not {
			break
		}
		return [][]ast.Expr{{&ast.Comparison{Pos: x.Pos, Op: ">=", L: x.X, R: x.Lo}, &ast.Comparison{Pos: x.Pos, Op: "<=", L: x.X, R: x.Hi}}}
	}
	return [][]ast.Expr{{e}}
}
