package parser

import (
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// Segment is one statement's text as found by Split.
type Segment struct {
	Text string  // from the statement's first token up to, not including, its ';'
	Pos  ast.Pos // where Text starts in the input
	// Complete is false for trailing text with no terminating ';', which a
	// REPL keeps reading into.
	Complete bool
}

// Split cuts sql into statements at each ';' outside strings, quoted
// identifiers and comments, without parsing them. Comments before a
// statement and empty statements are dropped.
func Split(sql string) []Segment {
	var out []Segment
	l := lexer.New(sql)
	start := -1
	var startPos lexer.Pos
	for {
		t := l.Next()
		switch t.Kind {
		case lexer.EOF:
			if start >= 0 {
				out = append(out, Segment{Text: strings.TrimSpace(sql[start:]), Pos: convPos(startPos)})
			}
			return out
		case lexer.Semicolon:
			if start >= 0 {
				out = append(out, Segment{Text: strings.TrimSpace(sql[start:t.Pos.Offset]), Pos: convPos(startPos), Complete: true})
				start = -1
			}
		default:
			if start < 0 {
				start, startPos = t.Pos.Offset, t.Pos
			}
		}
	}
}
