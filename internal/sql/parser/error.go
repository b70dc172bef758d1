package parser

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
)

// ErrSyntax is the kind of every parse error: errors.Is(err, ErrSyntax)
// holds for any *Error.
var ErrSyntax = errors.New("syntax error")

// Error is a parse error. Msg is ksqlDB's wording without the position
// prefix ("Syntax Error\nmissing ')' at ','", "Invalid numeric literal: ..."),
// so callers that match ksqlDB's messages see the same text.
type Error struct {
	Pos      ast.Pos
	Token    string   // the offending token's text, "<EOF>" at the end
	Expected []string // what would have been accepted, when known
	Msg      string
	Source   string // the text that was parsed, for Detail

	colSkew int // added to the column in Error's text only; see failLiteral
}

// Error renders "line L:C: msg", as ksqlDB's ParseFailedException does.
func (e *Error) Error() string {
	return fmt.Sprintf("line %d:%d: %s", e.Pos.Line, e.Pos.Col+e.colSkew, e.Msg)
}

// Is makes every parse error match ErrSyntax.
func (e *Error) Is(target error) bool { return target == ErrSyntax }

// Detail renders the error followed by the offending source line with a
// caret under the error's column.
func (e *Error) Detail() string {
	var b strings.Builder
	b.WriteString(e.Error())
	line := sourceLine(e.Source, e.Pos.Line)
	if line == "" && e.Pos.Line == 0 {
		return b.String()
	}
	b.WriteString("\nDETAIL: source SQL:\n")
	b.WriteString(line)
	b.WriteByte('\n')
	col := e.Pos.Col - 1
	if col > len(line) {
		col = len(line)
	}
	for i := 0; i < col; i++ {
		if line[i] == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}

func sourceLine(src string, n int) string {
	for i := 1; i < n; i++ {
		j := strings.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := strings.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(src, "\r")
}
