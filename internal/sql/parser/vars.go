package parser

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// Substitute replaces ${name} references in sql with the values in vars,
// as ksqlDB's variable substitution does:
//
//   - names match case-insensitively;
//   - a bare ${name} is replaced by the value as written, which must then
//     be a literal (a quoted string, TRUE/FALSE or a number) or a valid
//     identifier, else the statement is rejected;
//   - ${name} inside a string literal is replaced inside the string, with
//     quotes in the value doubled so the literal stays intact;
//   - "$${name}" escapes a reference and yields the text "${name}";
//   - comments and quoted identifiers are left alone, and references to
//     undefined variables are kept so the parser reports them.
func Substitute(sql string, vars map[string]string) (string, error) {
	return substitute(sql, vars, true)
}

// SubstituteVariables is Substitute without the check on bare values: a
// value that is not a literal or identifier is inserted as is, and the
// parser then judges the result.
func SubstituteVariables(sql string, vars map[string]string) string {
	out, _ := substitute(sql, vars, false)
	return out
}

func substitute(sql string, vars map[string]string, validate bool) (string, error) {
	if !strings.Contains(sql, "${") {
		return sql, nil
	}
	lookup := func(name string) (string, bool) {
		if v, ok := vars[name]; ok {
			return v, true
		}
		for k, v := range vars {
			if strings.EqualFold(k, name) {
				return v, true
			}
		}
		return "", false
	}
	var b strings.Builder
	b.Grow(len(sql))
	last := 0 // source copied up to here
	toks := lexer.All(sql)
	for i, t := range toks {
		switch t.Kind {
		case lexer.Variable:
			b.WriteString(sql[last:t.Pos.Offset])
			last = t.End()
			if i > 0 && toks[i-1].Kind == lexer.Illegal && toks[i-1].Text == "$" && toks[i-1].End() == t.Pos.Offset {
				// "$${x}": the '$' already copied is the escape; drop it.
				s := b.String()
				b.Reset()
				b.WriteString(s[:len(s)-1])
				b.WriteString(t.Text)
				continue
			}
			v, ok := lookup(t.Value)
			if !ok {
				b.WriteString(t.Text)
				continue
			}
			if validate && !validVariableValue(v) {
				return "", &Error{Pos: convPos(t.Pos), Token: t.Text, Source: sql, stage: stageRaw,
					Msg: fmt.Sprintf("Illegal argument at Line: %d, Col: %d. Got: '%s'", t.Pos.Line, t.Pos.Col, v)}
			}
			b.WriteString(v)
		case lexer.String:
			if !strings.Contains(t.Value, "${") {
				continue
			}
			b.WriteString(sql[last:t.Pos.Offset])
			last = t.End()
			inner := substituteInString(t.Value, lookup)
			b.WriteString("'" + strings.ReplaceAll(inner, "'", "''") + "'")
		}
	}
	b.WriteString(sql[last:])
	return b.String(), nil
}

// substituteInString replaces references inside a string literal's content.
func substituteInString(s string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			if n := varRefLen(s[i+1:]); n > 0 {
				b.WriteString(s[i+1 : i+1+n])
				i += 1 + n
				continue
			}
		}
		if n := varRefLen(s[i:]); n > 0 {
			if v, ok := lookup(s[i+2 : i+n-1]); ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// validVariableValue reports whether a value may replace a bare ${name}:
// ksqlDB accepts literals and identifiers there, nothing that would change
// the statement's structure.
func validVariableValue(v string) bool {
	if len(v) >= 2 {
		switch q := v[0]; q {
		case '\'', '"', '`':
			t := lexer.All(v)
			return len(t) == 2 && t[0].Kind != lexer.Illegal && t[0].Text == v
		}
	}
	if strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		return true
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "xXpP_") {
		return true
	}
	if v == "" || !(isASCIILetter(v[0]) || v[0] == '_') {
		return false
	}
	for i := 1; i < len(v); i++ {
		c := v[i]
		if !(isASCIILetter(c) || c >= '0' && c <= '9' || c == '_' || c == '@') {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// varRefLen returns the length of a ${name} reference at the start of s, or
// 0 if there is none. Names follow the grammar's IDENTIFIER rule.
func varRefLen(s string) int {
	if !strings.HasPrefix(s, "${") || len(s) < 4 {
		return 0
	}
	i := 2
	for i < len(s) {
		c := s[i]
		if !(isASCIILetter(c) || c == '_' || i > 2 && (c >= '0' && c <= '9' || c == '@')) {
			break
		}
		i++
	}
	if i == 2 || i >= len(s) || s[i] != '}' {
		return 0
	}
	return i + 1
}
