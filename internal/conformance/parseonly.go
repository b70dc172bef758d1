package conformance

import (
	"strings"

	"github.com/sluicedb/sluice/internal/sql/parser"
)

// Result is the outcome of one test.
type Result struct {
	File string `json:"file"`
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Skipped marks a test the vector disables ("enabled": false), which
	// ksqlDB's own runner leaves out. It neither passes nor fails.
	Skipped bool   `json:"skipped,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Disabled reports whether the vector turns the test off with
// "enabled": false. ksqlDB keeps such tests in its files (usually with a
// comment naming the bug) and does not run them.
func (t Test) Disabled() bool { return t.Enabled != nil && !*t.Enabled }

// skipped is the result of a disabled test.
func skipped(t Test) Result {
	return Result{File: t.File, Name: t.Name, Skipped: true, Error: "skipped: the vector disables this test"}
}

// ParseOnly checks that a test's statements parse, as the first stage of
// conformance. The rule:
//
//   - A test with no expected failure passes when all its statements parse.
//   - A test with an expectedException or expectedError passes when
//     parsing fails, because the failure may legitimately come from the
//     parser. If everything parses, it passes only when the expected
//     failure is clearly not a parse error (see IsParseFailure): a later
//     stage, not the parser, owes that failure.
//
// Statements are parsed as ksqlDB's harnesses parse them (see
// parseStatements), so error positions match the vectors.
func ParseOnly(p *parser.Parser, t Test) Result {
	if t.Disabled() {
		return skipped(t)
	}
	r := Result{File: t.File, Name: t.Name}
	err := parseStatements(p, t)
	expectsFailure := t.ExpectedException != nil || t.ExpectedError != nil
	switch {
	case err == nil && !expectsFailure:
		r.OK = true
	case err == nil:
		if IsParseFailure(t) {
			r.Error = "expected a parse error, but all statements parsed"
		} else {
			r.OK = true
		}
	case expectsFailure:
		r.OK = true
	default:
		r.Error = err.Error()
	}
	return r
}

// parseFailureMarkers are the fragments of ksqlDB's parser error messages.
var parseFailureMarkers = []string{
	"Syntax Error", "Syntax error", "mismatched input", "extraneous input",
	"no viable alternative", "missing '", "Invalid numeric literal", "Number overflows",
}

// IsParseFailure reports whether the test expects ksqlDB's parser to reject
// its statements: the exception type is ParseFailedException, or the
// message is one the parser produces.
func IsParseFailure(t Test) bool {
	var typ, msg string
	switch {
	case t.ExpectedException != nil:
		typ, msg = t.ExpectedException.Type, t.ExpectedException.Message
	case t.ExpectedError != nil:
		typ, msg = t.ExpectedError.Type, t.ExpectedError.Message
	default:
		return false
	}
	if strings.HasSuffix(typ, "ParseFailedException") {
		return true
	}
	for _, m := range parseFailureMarkers {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}

// parseStatements parses a test's statements. The query validation harness
// joins them with newlines and parses one text ("line 2:40: ..."); the REST
// harness sends them one request at a time, so each starts at line 1.
func parseStatements(p *parser.Parser, t Test) error {
	if !t.IsREST() {
		_, err := p.ParseStatements(strings.Join(t.Statements, "\n"))
		return err
	}
	for _, s := range t.Statements {
		if _, err := p.ParseStatements(s); err != nil {
			return err
		}
	}
	return nil
}
