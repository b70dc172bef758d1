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

// qttCase is the part of a QTT vector the parser's tests use.
type qttCase struct {
	name       string
	rest       bool // from the REST suite, whose statements are sent one by one
	statements []string
	failType   string // expected exception type or REST error type
	failMsg    string // expected message, when a failure is expected
}

// qttCases returns every test of the vectors, with {FORMAT} and {CONFIG}
// taking each listed value in turn, or nil when the vectors are not
// present. It reads the files itself rather than through the conformance
// package, so the parser's tests do not depend on the engine the full
// runner pulls in.
func qttCases(tb testing.TB) []qttCase {
	dir := qttDir()
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if len(files) == 0 {
		tb.Logf("no QTT vectors under %s; set SLUICE_QTT_DIR to run this test", dir)
		return nil
	}
	sort.Strings(files)
	type failure struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	var out []qttCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				Name       string   `json:"name"`
				Statements []string `json:"statements"`
				Format     []string `json:"format"`
				Config     []string `json:"config"`
				Exception  *failure `json:"expectedException"`
				Error      *failure `json:"expectedError"`
			} `json:"tests"`
		}
		if err := json.Unmarshal(cleanJSON(data), &doc); err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		rest := strings.HasPrefix(filepath.Base(filepath.Dir(f)), "rest-")
		for _, t := range doc.Tests {
			fail := t.Exception
			if fail == nil {
				fail = t.Error
			}
			formats, configs := append(t.Format, ""), append(t.Config, "")
			for _, fv := range formats[:max(1, len(formats)-1)] {
				for _, cv := range configs[:max(1, len(configs)-1)] {
					r := strings.NewReplacer("{FORMAT}", fv, "{CONFIG}", cv)
					c := qttCase{name: filepath.Base(f) + ": " + t.Name, rest: rest}
					for _, s := range t.Statements {
						c.statements = append(c.statements, r.Replace(s))
					}
					if fail != nil {
						c.failType, c.failMsg = fail.Type, fail.Message
					}
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// qttStatements returns each test's statements joined as ksqlDB's query
// validation harness joins them.
func qttStatements(tb testing.TB) []string {
	var out []string
	for _, c := range qttCases(tb) {
		out = append(out, strings.Join(c.statements, "\n"))
	}
	return out
}

// TestQTTParseErrors checks that where a vector expects the parser to fail,
// Sluice's parser fails with ksqlDB's message. The REST suite appends the
// statement text to messages ("\nStatement: ..."); that part is the REST
// layer's, so it is not compared here.
func TestQTTParseErrors(t *testing.T) {
	p := parser.New(parser.Options{})
	n := 0
	for _, c := range qttCases(t) {
		if !strings.HasSuffix(c.failType, "ParseFailedException") && !strings.Contains(c.failMsg, "Syntax Error") {
			continue
		}
		n++
		texts := []string{strings.Join(c.statements, "\n")}
		if c.rest {
			texts = c.statements
		}
		var err error
		for _, text := range texts {
			if _, err = p.ParseStatements(text); err != nil {
				break
			}
		}
		want := c.failMsg
		if i := strings.Index(want, "\nStatement:"); i >= 0 {
			want = want[:i]
		}
		if err == nil {
			t.Errorf("%s: parsed, want error %q", c.name, want)
		} else if !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, err.Error(), want)
		}
	}
	t.Logf("checked %d expected parse failures", n)
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
