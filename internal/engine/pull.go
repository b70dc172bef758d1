package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// pullHelp ends ksqlDB's pull query validation errors.
const pullHelp = " See https://cnfl.io/queries for more info.\nAdd EMIT CHANGES if you intended to issue a push query."

// validatePull applies ksqlDB's rules for pull queries (its
// PullQueryValidator), which are checked before the query is planned.
func validatePull(q *ast.Query) error {
	msg := ""
	_, single := q.From.(*ast.AliasedSource)
	switch {
	case !single:
		msg = "Pull queries don't support JOIN clauses."
	case q.Window != nil:
		msg = "Pull queries don't support WINDOW clauses."
	case len(q.GroupBy) > 0:
		msg = "Pull queries don't support GROUP BY clauses."
	case len(q.PartitionBy) > 0:
		msg = "Pull queries don't support PARTITION BY clauses."
	case q.Having != nil:
		msg = "Pull queries don't support HAVING clauses."
	case q.Limit != nil && *q.Limit < 0:
		msg = "Pull queries don't support negative integers in the LIMIT clause."
	}
	if msg == "" {
		var cols []string
		for _, it := range q.Select {
			if se, ok := it.(*ast.SelectExpr); ok {
				cols = append(cols, disallowedPseudoColumns(se.Expr)...)
			}
		}
		if len(cols) > 0 {
			msg = "Pull queries don't support the following columns in SELECT clauses: " + strings.Join(cols, ", ") + "\n"
		}
	}
	if msg == "" && q.Where != nil {
		if cols := disallowedPseudoColumns(q.Where); len(cols) > 0 {
			msg = "Pull queries don't support the following columns in WHERE clauses: " + strings.Join(cols, ", ") + "\n"
		}
	}
	if msg == "" {
		return nil
	}
	return errors.New(msg + pullHelp)
}

// disallowedPseudoColumns lists the references to ROWPARTITION and
// ROWOFFSET in e, which pull and scalable push queries cannot read.
func disallowedPseudoColumns(e ast.Expr) []string {
	var out []string
	ast.Walk(e, func(n ast.Node) bool {
		if cr, ok := n.(*ast.ColumnRef); ok {
			switch strings.ToUpper(cr.Name.Name) {
			case catalog.RowPartition, catalog.RowOffset:
				out = append(out, "`"+strings.ToUpper(cr.Name.Name)+"`")
			}
		}
		return true
	})
	return out
}

// checkQueryable rejects a pull query on a table nothing materializes: one
// declared with CREATE TABLE over a topic, as opposed to a CREATE SOURCE
// TABLE or a table a query writes.
func checkQueryable(src *catalog.Source) error {
	if src.Kind != catalog.Table || src.ReadOnly || src.CreatedBy != "" {
		return nil
	}
	return fmt.Errorf("The `%s` table isn't queryable. To derive a queryable table, you can do 'CREATE TABLE QUERYABLE_%s AS SELECT * FROM %s'. See https://cnfl.io/queries for more info.", src.Name, src.Name, src.Name)
}

// isWindowBoundRef reports an expression that reads only WINDOWSTART or
// WINDOWEND.
func isWindowBoundRef(e *expr.Expr) bool {
	cs := e.Columns()
	return len(cs) == 1 && (cs[0].Kind == expr.WindowStart || cs[0].Kind == expr.WindowEnd)
}

// withWhereStatement adds the comparison a pull query's WHERE error is
// about, as ksqlDB's pull query planner reports it ("...\nStatement:
// (ID = '10')"): the first comparison whose operands the message names,
// or that compares with NULL when the message is about NULL.
func withWhereStatement(err error, where ast.Expr) error {
	msg := err.Error()
	if where == nil || !strings.HasPrefix(msg, "Error in WHERE expression:") {
		return err
	}
	var found ast.Expr
	ast.Walk(where, func(n ast.Node) bool {
		c, ok := n.(*ast.Comparison)
		if !ok || found != nil {
			return found == nil
		}
		l, r := expr.FormatSQL(c.L), expr.FormatSQL(c.R)
		_, lnull := c.L.(*ast.NullLit)
		_, rnull := c.R.(*ast.NullLit)
		switch {
		case strings.Contains(msg, "Comparison with NULL") && (lnull || rnull):
			found = c
		case strings.Contains(msg, "Cannot compare "+l+" (") && strings.Contains(msg, " to "+r+" ("):
			found = c
		}
		return found == nil
	})
	if found == nil {
		return err
	}
	return fmt.Errorf("%w\nStatement: %s", err, expr.FormatSQL(found))
}

// windowBoundInWhere is ksqlDB's error for a WINDOW query whose WHERE
// reads a window bound of an unwindowed source: the analyzer accepts the
// bounds because the query is windowed, and compiling the filter, which
// runs before the windowing, then fails.
func windowBoundInWhere(q *ast.Query, src *catalog.Source) error {
	if q.Window == nil || q.Where == nil || src == nil || src.Window != catalog.NoWindow {
		return nil
	}
	var bound string
	ast.Walk(q.Where, func(n ast.Node) bool {
		if cr, ok := n.(*ast.ColumnRef); ok && bound == "" {
			if name := strings.ToUpper(cr.Name.Name); name == catalog.WindowStart || name == catalog.WindowEnd {
				bound = name
			}
		}
		return bound == ""
	})
	if bound == "" {
		return nil
	}
	return fmt.Errorf("Error in WHERE expression: Unknown column %s.", bound)
}
