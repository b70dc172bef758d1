package parser_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/conformance"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// qttDir is where ksqlDB's vectors live relative to this package; the
// SLUICE_QTT_DIR environment variable overrides it.
func qttDir() string {
	if d := os.Getenv("SLUICE_QTT_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "shared", "conformance", "qtt")
}

// qttStatements returns the text of every test's statements, joined as
// ksqlDB's harness joins them, or nil when the vectors are not present.
func qttStatements(tb testing.TB) []string {
	dir := qttDir()
	if _, err := os.Stat(dir); err != nil {
		tb.Logf("no QTT vectors at %s (%v); set SLUICE_QTT_DIR to run this test", dir, err)
		return nil
	}
	tests, err := conformance.Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, t := range tests {
		out = append(out, strings.Join(t.Statements, "\n"))
	}
	return out
}

// TestQTTRoundTrip checks parse(format(parse(s))) == parse(s) for every
// statement in the vectors that parses.
func TestQTTRoundTrip(t *testing.T) {
	texts := qttStatements(t)
	if texts == nil {
		return
	}
	p := parser.New(parser.Options{})
	n := 0
	for _, text := range texts {
		parsed, err := p.ParseStatements(text)
		if err != nil {
			continue
		}
		for _, ps := range parsed {
			n++
			checkRoundTrip(t, p, ps.Text, ps.Stmt)
		}
	}
	t.Logf("round-tripped %d statements", n)
	if n == 0 {
		t.Fatal("no statement parsed")
	}
}

func checkRoundTrip(t testing.TB, p *parser.Parser, src string, st ast.Statement) {
	t.Helper()
	formatted := ast.Format(st)
	again, err := p.ParseStatement(formatted)
	if err != nil {
		t.Errorf("formatted statement does not parse: %v\nsource:    %s\nformatted: %s", err, src, formatted)
		return
	}
	if a, b := ast.DumpNoPos(st), ast.DumpNoPos(again); a != b {
		t.Errorf("round trip changed the tree\nsource:    %s\nformatted: %s\nbefore:\n%s\nafter:\n%s", src, formatted, a, b)
		return
	}
	if f2 := ast.Format(again); f2 != formatted {
		t.Errorf("format is not stable\nfirst:  %s\nsecond: %s", formatted, f2)
	}
}

func BenchmarkParseQTT(b *testing.B) {
	texts := qttStatements(b)
	if texts == nil {
		return
	}
	p := parser.New(parser.Options{})
	var stmts []string
	var bytes int64
	for _, text := range texts {
		parsed, err := p.ParseStatements(text)
		if err != nil {
			continue
		}
		for _, ps := range parsed {
			stmts = append(stmts, ps.Text)
			bytes += int64(len(ps.Text))
		}
	}
	b.SetBytes(bytes / int64(len(stmts)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.ParseStatement(stmts[i%len(stmts)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "stmts/s")
}
