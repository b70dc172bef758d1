package parser_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// TestDataDriven runs the golden files in testdata. Commands:
//
//	parse [run-script]  statements → AST dump, then the formatted SQL
//	expr                one expression → AST dump, then the formatted SQL
//	split               statements → one line per segment
//	subst k=v ...       text → text with ${k} substituted (v may be quoted)
//
// A parse error prints the error with its caret. Every successful parse
// is also round-tripped through Format. Regenerate with -rewrite.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse":
				p := parser.New(parser.Options{AllowRunScript: d.HasArg("run-script")})
				stmts, err := p.ParseStatements(d.Input)
				if err != nil {
					return errorText(t, err)
				}
				var b strings.Builder
				for i, s := range stmts {
					if i > 0 {
						b.WriteString("\n")
					}
					b.WriteString(ast.Dump(s.Stmt))
					b.WriteString("--\n")
					b.WriteString(ast.Format(s.Stmt))
					b.WriteString("\n")
					checkRoundTrip(t, p, s.Text, s.Stmt)
				}
				return b.String()
			case "expr":
				e, err := parser.ParseExpr(d.Input)
				if err != nil {
					return errorText(t, err)
				}
				f := ast.Format(e)
				again, err := parser.ParseExpr(f)
				if err != nil {
					t.Errorf("%s: formatted expression does not parse: %v", f, err)
				} else if !ast.Equal(e, again) {
					t.Errorf("%s: round trip changed the tree", f)
				}
				return ast.Dump(e) + "--\n" + f + "\n"
			case "split":
				var b strings.Builder
				for _, s := range parser.Split(d.Input) {
					fmt.Fprintf(&b, "%s complete=%t: %s\n", s.Pos, s.Complete, s.Text)
				}
				return b.String()
			case "subst":
				vars := map[string]string{}
				for _, a := range d.CmdArgs {
					vars[a.Key] = strings.Join(a.Vals, ",")
				}
				out, err := parser.Substitute(d.Input, vars)
				if err != nil {
					return errorText(t, err)
				}
				return out + "\n"
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}

func errorText(t *testing.T, err error) string {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *parser.Error", err)
	}
	if !errors.Is(err, parser.ErrSyntax) {
		t.Fatalf("error %v does not match ErrSyntax", err)
	}
	return "error: " + pe.Detail() + "\n"
}
