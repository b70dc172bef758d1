package parser

import (
	"strings"
)

// SubstituteVariables replaces ${name} references in sql with the values in
// vars, as ksqlDB's variable substitution does: names match
// case-insensitively, references inside string literals and quoted
// identifiers are replaced too (with the value's quotes doubled so the
// literal stays intact), "$${name}" escapes a reference and yields the text
// "${name}", comments are left alone, and references to undefined
// variables are kept so the parser reports them.
func SubstituteVariables(sql string, vars map[string]string) string {
	if !strings.Contains(sql, "${") {
		return sql
	}
	upper := make(map[string]string, len(vars))
	for k, v := range vars {
		upper[strings.ToUpper(k)] = v
	}
	var b strings.Builder
	b.Grow(len(sql))
	var quote byte // the quote we are inside, 0 outside any
	for i := 0; i < len(sql); {
		c := sql[i]
		if quote == 0 {
			switch {
			case c == '\'' || c == '"' || c == '`':
				quote = c
				b.WriteByte(c)
				i++
				continue
			case strings.HasPrefix(sql[i:], "--"):
				j := strings.IndexByte(sql[i:], '\n')
				if j < 0 {
					j = len(sql) - i
				}
				b.WriteString(sql[i : i+j])
				i += j
				continue
			case strings.HasPrefix(sql[i:], "/*"):
				j := strings.Index(sql[i+2:], "*/")
				if j < 0 {
					j = len(sql) - i
				} else {
					j += 4
				}
				b.WriteString(sql[i : i+j])
				i += j
				continue
			}
		} else if c == quote {
			if i+1 < len(sql) && sql[i+1] == quote {
				b.WriteString(sql[i : i+2])
				i += 2
				continue
			}
			quote = 0
			b.WriteByte(c)
			i++
			continue
		}
		if c == '$' {
			if strings.HasPrefix(sql[i:], "$${") {
				if n := varRefLen(sql[i+1:]); n > 0 {
					b.WriteString(sql[i+1 : i+1+n])
					i += 1 + n
					continue
				}
			}
			if n := varRefLen(sql[i:]); n > 0 {
				if v, ok := upper[strings.ToUpper(sql[i+2:i+n-1])]; ok {
					if quote != 0 {
						v = strings.ReplaceAll(v, string(quote), string([]byte{quote, quote}))
					}
					b.WriteString(v)
				} else {
					b.WriteString(sql[i : i+n])
				}
				i += n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// varRefLen returns the length of a ${name} reference at the start of s, or
// 0 if there is none. Names start with a letter or '_' and continue with
// letters, digits or '_'.
func varRefLen(s string) int {
	if !strings.HasPrefix(s, "${") || len(s) < 4 {
		return 0
	}
	i := 2
	for i < len(s) {
		c := s[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
		if !letter && !(i > 2 && c >= '0' && c <= '9') {
			break
		}
		i++
	}
	if i == 2 || i >= len(s) || s[i] != '}' {
		return 0
	}
	return i + 1
}
