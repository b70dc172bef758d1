package parser_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

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

// qttStatements returns the statements of every test, joined as ksqlDB's
// harness joins them, or nil when the vectors are not present. It reads the
// files itself rather than through the conformance package, so the parser's
// tests do not depend on the engine the full runner pulls in; {FORMAT} and
// {CONFIG} take each listed value in turn.
func qttStatements(tb testing.TB) []string {
	dir := qttDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		tb.Logf("no QTT vectors under %s; set SLUICE_QTT_DIR to run this test", dir)
		return nil
	}
	sort.Strings(files)
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				Statements []string `json:"statements"`
				Format     []string `json:"format"`
				Config     []string `json:"config"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(cleanJSON(data), &doc); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		for _, t := range doc.Tests {
			text := strings.Join(t.Statements, "\n")
			formats, configs := append(t.Format, ""), append(t.Config, "")
			for _, fv := range formats[:max(1, len(formats)-1)] {
				for _, cv := range configs[:max(1, len(configs)-1)] {
					out = append(out, strings.NewReplacer("{FORMAT}", fv, "{CONFIG}", cv).Replace(text))
				}
			}
		}
	}
	return out
}

// cleanJSON strips // and /* */ comments outside strings and trailing
// commas, the leniencies ksqlDB's vector files use.
func cleanJSON(in []byte) []byte {
	out := make([]byte, 0, len(in))
	inStr := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case inStr:
			out = append(out, c)
			if c == '\\' && i+1 < len(in) {
				i++
				out = append(out, in[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '/' && i+1 < len(in) && in[i+1] == '/':
			for i+1 < len(in) && in[i+1] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(in) && in[i+1] == '*':
			for i += 2; i+1 < len(in) && !(in[i] == '*' && in[i+1] == '/'); i++ {
			}
			i++
		case c == ']' || c == '}':
			j := len(out) - 1
			for j >= 0 && (out[j] == ' ' || out[j] == '\n' || out[j] == '\t' || out[j] == '\r') {
				j--
			}
			if j >= 0 && out[j] == ',' {
				out = append(out[:j], out[j+1:]...)
			}
			out = append(out, c)
		default:
			out = append(out, c)
		}
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
