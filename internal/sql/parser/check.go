package parser

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// checkQualifiers rejects "x.col" and "x.*" where x names no source or alias
// in the statement, as ksqlDB does while building its tree: the error is a
// statement error, raised before any catalog lookup.
func (s *state) checkQualifiers(st ast.Statement) {
	sources := map[string]bool{}
	ast.Walk(st, func(n ast.Node) bool {
		if a, ok := n.(*ast.AliasedSource); ok {
			sources[a.Name.Name] = true
			if a.Alias != nil {
				sources[a.Alias.Name] = true
			}
		}
		return true
	})
	check := func(q *ast.Ident) {
		if q != nil && !sources[q.Name] {
			s.failPrepare(q.Pos, q.Raw, "'"+q.Name+"' is not a valid stream/table name or alias.")
		}
	}
	ast.Walk(st, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ColumnRef:
			check(n.Qualifier)
		case *ast.SelectAll:
			check(n.Qualifier)
		}
		return true
	})
}
