package lexer

import (
	"strings"
	"testing"
)

// FuzzLexer checks that lexing never panics, always ends in EOF, and that
// every token's text is the source at its offset, in increasing order, with
// line and column agreeing with the offset.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{"SELECT 'a''b', `c` FROM t -- x\n;", "1.5e3 .5 7abc ${v} /* c */ <>", "'open", "é\n\t\"q\"\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		toks := All(src)
		if toks[len(toks)-1].Kind != EOF {
			t.Fatal("no EOF token")
		}
		prev := 0
		for _, tok := range toks {
			if tok.Pos.Offset < prev || tok.End() > len(src) || src[tok.Pos.Offset:tok.End()] != tok.Text {
				t.Fatalf("token %+v does not match the source", tok)
			}
			if tok.Kind != EOF && tok.Text == "" {
				t.Fatalf("empty token %+v", tok)
			}
			before := src[:tok.Pos.Offset]
			line := strings.Count(before, "\n") + 1
			col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
			if tok.Pos.Line != line || (tok.Pos.Col != col && strings.ToValidUTF8(before, "") == before) {
				t.Fatalf("token %+v: want line %d col %d", tok, line, col)
			}
			prev = tok.End()
		}
	})
}
