package planner

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// scope resolves names against one node's output schema. Key columns are
// found before value columns of the same name, as ksqlDB's processing
// schema (which copies keys into the value) behaves.
type scope struct {
	sch       catalog.Schema
	qualifier map[string]bool // accepted qualifiers (source name and alias)
	windowed  bool
	// exprs maps expressions (formatted) to columns that already hold their
	// value: re-key expressions and aggregate results.
	exprs map[string]expr.Column
	// clause names the clause being compiled for unknown-column errors.
	clause string
	// aggregated marks the scope after GROUP BY, where only grouping
	// expressions and aggregates resolve.
	aggregated bool
	// join, when set, resolves names over the joined sources.
	join *joinSides
	// alias qualifies this scope's columns in messages and join keys.
	alias string
	// aliasBase, when set, is the schema generated select aliases must
	// not clash with. ksqlDB names select items against the source, so an
	// aggregation's internal columns do not shift KSQL_COL_n.
	aliasBase *catalog.Schema
	// starBase, when set, is the schema SELECT * expands to, when the
	// node's schema has columns the user never wrote (table function
	// results).
	starBase *catalog.Schema
	// names, when set, is the scope whose column names messages use:
	// after an aggregation over a join, the join's.
	names *scope
	// joined, when set, is the join scope this one re-keys (PARTITION BY
	// after a join): references the query writes against the joined
	// sources (L.K) resolve to the joined columns (L_K) this scope holds.
	joined *scope
}

// DisplayName implements expr.Namer: after a join, a column reference
// prints as the joined column it reads (I1.BAR as I1_BAR), as ksqlDB's
// messages print its rewritten expressions.
func (s *scope) DisplayName(qualifier, name string) (string, bool) {
	if s.names != nil {
		return s.names.DisplayName(qualifier, name)
	}
	if s.join == nil {
		return "", false
	}
	col, err := s.join.resolve(s, qualifier, name)
	if err != nil || col.Name == "" || (qualifier == "" && col.Name == name) {
		return "", false
	}
	return col.Name, true
}

// star returns the columns SELECT * (or q.*) expands to, or nil for the
// schema's own columns.
func (s *scope) star(q *ast.Ident) []string {
	if s.join == nil {
		return nil
	}
	return s.join.star(q)
}

// clashing reports a column name that more than one joined source has, so
// a qualified reference to it is aliased SOURCE_COLUMN.
func (s *scope) clashing(name string) bool {
	if s.joined != nil {
		return s.joined.clashing(name)
	}
	// Every joined source has the pseudo columns, so they always clash.
	return s.join != nil && (s.join.count(name) > 1 || isPseudo(name))
}

func newScope(sch catalog.Schema, windowed bool, qualifiers ...string) *scope {
	s := &scope{sch: sch, windowed: windowed, qualifier: map[string]bool{}}
	for _, q := range qualifiers {
		if q != "" {
			s.qualifier[q] = true
			// The last qualifier given is the source's alias (FROM s AS
			// alias), which messages and join keys use.
			s.alias = q
		}
	}
	return s
}

// Resolve implements expr.Scope.
func (s *scope) Resolve(qualifier, name string) (expr.Column, error) {
	if s.join != nil {
		return s.join.resolve(s, qualifier, name)
	}
	if s.joined != nil {
		if jc, err := s.joined.Resolve(qualifier, name); err == nil && jc.Name != "" && s.hasColumn(jc.Name) {
			qualifier, name = "", jc.Name
		}
	}
	if qualifier != "" && !s.qualifier[qualifier] {
		return expr.Column{}, s.unknown(qualifier, name)
	}
	keys := s.sch.Key()
	for i, c := range keys {
		if c.Name == name {
			return expr.Column{Name: name, Kind: expr.KeyColumn, Index: i, Type: c.Type}, nil
		}
	}
	for i, c := range s.sch.Value() {
		if c.Name == name {
			return expr.Column{Name: name, Kind: expr.ValueColumn, Index: i, Type: c.Type}, nil
		}
	}
	switch name {
	case catalog.RowTime:
		return expr.Column{Name: name, Kind: expr.RowTime, Type: types.BigintType}, nil
	case catalog.RowPartition:
		return expr.Column{Name: name, Kind: expr.RowPartition, Type: types.IntType}, nil
	case catalog.RowOffset:
		return expr.Column{Name: name, Kind: expr.RowOffset, Type: types.BigintType}, nil
	case catalog.WindowStart:
		if s.windowed {
			return expr.Column{Name: name, Kind: expr.WindowStart, Type: types.BigintType}, nil
		}
	case catalog.WindowEnd:
		if s.windowed {
			return expr.Column{Name: name, Kind: expr.WindowEnd, Type: types.BigintType}, nil
		}
	case "ROWKEY":
		// Queries written for ksqlDB before 0.10 name the key ROWKEY; with
		// no column of that name it means the single key column.
		if len(keys) == 1 {
			return expr.Column{Name: keys[0].Name, Kind: expr.KeyColumn, Index: 0, Type: keys[0].Type}, nil
		}
	}
	return expr.Column{}, s.unknown(qualifier, name)
}

func (s *scope) unknown(qualifier, name string) error {
	full := name
	if qualifier != "" {
		full = qualifier + "." + name
	}
	clause := s.clause
	if clause == "" {
		clause = "SELECT"
	}
	return fmt.Errorf("%s column '%s' cannot be resolved.", clause, full)
}

// ResolveExpr implements expr.ExprScope.
func (s *scope) ResolveExpr(e ast.Expr) (expr.Column, bool) {
	if len(s.exprs) == 0 {
		return expr.Column{}, false
	}
	switch e.(type) {
	case *ast.ColumnRef:
		// Plain columns resolve by name; only computed expressions map.
		return expr.Column{}, false
	}
	c, ok := s.exprs[exprKey(e)]
	return c, ok
}

// exprKey identifies an expression structurally, ignoring positions.
func exprKey(e ast.Expr) string { return ast.Format(e) }

// sourceAlias returns the alias a single-source scope's columns are
// qualified with in messages: the longest accepted qualifier that is not
// the source's own name, else the name.
func (s *scope) sourceAlias() string {
	if s.alias != "" {
		return s.alias
	}
	best := ""
	for q := range s.qualifier {
		// Ties break by name: map order must not change what a query
		// plans to.
		if best == "" || len(q) < len(best) || len(q) == len(best) && q < best {
			best = q
		}
	}
	return best
}

func (s *scope) hasColumn(name string) bool {
	_, ok := s.sch.Find(name)
	return ok
}
