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

	stage stage
}

// stage says which step of ksqlDB's parsing raises an error, because each
// step frames its message differently.
type stage uint8

const (
	// stageGrammar errors come from the grammar: "line L:C: Syntax Error...".
	stageGrammar stage = iota
	// stageRaw errors carry their own position text, as ksqlDB's source
	// name and variable checks do.
	stageRaw
	// stagePrepare errors come from building the tree, which ksqlDB reports
	// as "Failed to prepare statement: msg".
	stagePrepare
	// stagePrepareAt is stagePrepare for literal errors, which also carry a
	// "line L:C: " whose column ksqlDB counts from 2.
	stagePrepareAt
)

// Error renders the message as ksqlDB's ParseFailedException does, so
// clients that match ksqlDB's text keep working: "line L:C: Syntax Error
// ..." for grammar errors, "Failed to prepare statement: ..." for errors
// ksqlDB raises while building its tree.
func (e *Error) Error() string {
	switch e.stage {
	case stageRaw:
		return e.Msg
	case stagePrepare:
		return "Failed to prepare statement: " + e.Msg
	case stagePrepareAt:
		return fmt.Sprintf("Failed to prepare statement: line %d:%d: %s", e.Pos.Line, e.Pos.Col+1, e.Msg)
	}
	return fmt.Sprintf("line %d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// Is makes every parse error match ErrSyntax.
func (e *Error) Is(target error) bool { return target == ErrSyntax }

// Detail renders the error followed by the offending source line with a
// caret under the error's column.
func (e *Error) Detail() string {
	var b strings.Builder
	b.WriteString(e.Error())
	if e.Pos.Line == 0 {
		return b.String()
	}
	line := sourceLine(e.Source, e.Pos.Line)
	b.WriteString("\nDETAIL: source SQL:\n")
	b.WriteString(line)
	b.WriteByte('\n')
	col := e.Pos.Col - 1
	for _, r := range line {
		if col == 0 {
			break
		}
		col--
		if r == '\t' {
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
