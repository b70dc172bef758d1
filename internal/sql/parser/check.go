package parser

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// checkQualifiers rejects "x.col" and "x.*" where x names no source or alias
// in the statement, as ksqlDB does while building its tree: the error is a
// statement error, raised before any catalog lookup. The parser records
// sources and qualifiers as it goes, so no second pass over the tree is
// needed.
func (s *state) checkQualifiers() {
	for _, q := range s.qualifiers {
		if !s.sources[q.Name] {
			s.failPrepare(q.Pos, q.Raw, "'"+q.Name+"' is not a valid stream/table name or alias.")
		}
	}
	s.qualifiers = s.qualifiers[:0]
	clear(s.sources)
}

func (s *state) addSource(id *ast.Ident) {
	if s.sources == nil {
		s.sources = map[string]bool{}
	}
	s.sources[id.Name] = true
}
