package lexer

import (
	"fmt"
	"strings"
	"testing"
)

func TestLexer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // kind:value tokens separated by spaces, EOF omitted
	}{
		{"select Foo_1@x", "IDENTIFIER:SELECT IDENTIFIER:FOO_1@X"},
		{"'it''s' \"a\"\"b\" `c``d`", "STRING:it's QUOTED_IDENTIFIER:a\"b BACKQUOTED_IDENTIFIER:c`d"},
		{"1 12.5 .5 3. 1e5 1.5E-3 7abc", "INTEGER_VALUE:1 DECIMAL_VALUE:12.5 DECIMAL_VALUE:.5 DECIMAL_VALUE:3. FLOATING_POINT_VALUE:1e5 FLOATING_POINT_VALUE:1.5E-3 DIGIT_IDENTIFIER:7ABC"},
		{"<> != <= >= < > = || := -> => + - * / %", "'<>':<> '<>':!= '<=':<= '>=':>= '<':< '>':> '=':= '||':|| ':='::= '->':-> '=>':=> '+':+ '-':- '*':* '/':/ '%':%"},
		{"a -- comment ; \n b /* multi\nline */ c", "IDENTIFIER:A IDENTIFIER:B IDENTIFIER:C"},
		{"${var} ${ bad", "VARIABLE:var illegal:$ illegal:{ IDENTIFIER:BAD"},
		{"( ) [ ] , . ;", "'(':( ')':) '[':[ ']':] ',':, '.':. ';':;"},
		{"'open", "illegal:'open"},
		{"é", "illegal:é"},
		{"a.b", "IDENTIFIER:A '.':. IDENTIFIER:B"},
		{"1e5x 1e 1.5e", "DIGIT_IDENTIFIER:1E5X DIGIT_IDENTIFIER:1E DECIMAL_VALUE:1.5 IDENTIFIER:E"},
		{"a /* open", "IDENTIFIER:A illegal:/* open"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var got []string
			for _, tok := range All(tc.in) {
				if tok.Kind == EOF {
					break
				}
				got = append(got, fmt.Sprintf("%s:%s", tok.Kind, tok.Value))
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

func TestPositions(t *testing.T) {
	toks := All("a\n  bb /* x\n */ c 'é' d")
	want := []Pos{{0, 1, 1}, {4, 2, 3}, {16, 3, 5}, {18, 3, 7}, {23, 3, 11}}
	for i, w := range want {
		if toks[i].Pos != w {
			t.Errorf("token %d (%q): pos %+v, want %+v", i, toks[i].Text, toks[i].Pos, w)
		}
	}
}

func TestReserved(t *testing.T) {
	for w, want := range map[string]bool{"SELECT": true, "FROM": true, "EMIT": false, "KEY": false, "STRUCT": false, "DECIMAL": true} {
		if IsReserved(w) != want {
			t.Errorf("IsReserved(%s) = %t", w, !want)
		}
	}
}

func BenchmarkLexer(b *testing.B) {
	src := strings.Repeat("CREATE STREAM s (id INT KEY, v STRUCT<a ARRAY<STRING>>) WITH (kafka_topic='t', value_format='JSON'); -- c\n", 20)
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		All(src)
	}
}
