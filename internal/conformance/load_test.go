package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/parser"
)

func TestCleanJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\"a\": 1, // c\n}", "{\"a\": 1 \n}"},
		{`{"a": "x // y /* z */", /* c */ "b": [1, 2,],}`, `{"a": "x // y /* z */",  "b": [1, 2]}`},
		{`{"a": "q\"//", "b": 1}`, `{"a": "q\"//", "b": 1}`},
		{"[1,\n  ]", "[1\n  ]"},
	} {
		in := tc.in
		if got := string(CleanJSON([]byte(in))); got != tc.want {
			t.Errorf("CleanJSON(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

const vectors = `{
  // a comment
  "tests": [
    {
      "name": "expanded",
      "format": ["AVRO", "JSON"],
      "config": ["true", "false"],
      "properties": {"ksql.x": "{CONFIG}"},
      "statements": ["CREATE STREAM S (ID INT KEY) WITH (kafka_topic='t', value_format='{FORMAT}');"],
      "inputs": [{"topic": "t", "key": 1, "value": {"A": 1}, "timestamp": 5}],
      "outputs": [{"topic": "o", "key": null, "value": null, "window": {"start": 0, "end": 10, "type": "time"}}],
      "post": {"sources": [{"name": "S", "type": "stream", "schema": "ID INT KEY"}]},
    },
    {
      "name": "fails to parse",
      "statements": ["SELECT * FROM;"],
      "expectedException": {"type": "io.confluent.ksql.parser.exception.ParseFailedException", "message": "Syntax Error"}
    },
    {
      "name": "semantic failure",
      "statements": ["SELECT * FROM unknown;"],
      "expectedException": {"type": "io.confluent.ksql.util.KsqlStatementException", "message": "unknown source"}
    },
    {
      "name": "parse failure expected but parses",
      "statements": ["SELECT * FROM s;"],
      "expectedException": {"type": "io.confluent.ksql.util.KsqlStatementException", "message": "line 1:2: Syntax Error"}
    },
    {"name": "bad", "statements": ["SELEC 1;"]},
  ]
}`

func TestLoadAndParseOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "query-validation-tests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "query-validation-tests", "x.json"), []byte(vectors), 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{
		"expanded - AVRO - true", "expanded - AVRO - false", "expanded - JSON - true", "expanded - JSON - false",
		"fails to parse", "semantic failure", "parse failure expected but parses", "bad",
	}
	if len(tests) != len(wantNames) {
		t.Fatalf("got %d tests, want %d", len(tests), len(wantNames))
	}
	for i, n := range wantNames {
		if tests[i].Name != n {
			t.Errorf("test %d: name %q, want %q", i, tests[i].Name, n)
		}
		if tests[i].File != "query-validation-tests/x.json" {
			t.Errorf("test %d: file %q", i, tests[i].File)
		}
	}
	first := tests[0]
	if got := first.Statements[0]; got != "CREATE STREAM S (ID INT KEY) WITH (kafka_topic='t', value_format='AVRO');" {
		t.Errorf("format not substituted: %s", got)
	}
	if got := string(first.Properties["ksql.x"]); got != `"true"` {
		t.Errorf("config not substituted: %s", got)
	}
	if first.Inputs[0].Timestamp == nil || *first.Inputs[0].Timestamp != 5 || string(first.Inputs[0].Key) != "1" {
		t.Errorf("input not decoded: %+v", first.Inputs[0])
	}
	if w := first.Outputs[0].Window; w == nil || w.End != 10 || string(first.Outputs[0].Value) != "null" {
		t.Errorf("output not decoded: %+v", first.Outputs[0])
	}
	if first.Post == nil || first.Post.Sources[0].Schema != "ID INT KEY" || len(first.Post.Sources[0].Raw) == 0 {
		t.Errorf("post not decoded: %+v", first.Post)
	}

	p := parser.New(parser.Options{})
	wantOK := []bool{true, true, true, true, true, true, false, false}
	for i, tc := range tests {
		r := ParseOnly(p, tc)
		if r.OK != wantOK[i] {
			t.Errorf("%s: ok=%t, want %t (%s)", tc.Name, r.OK, wantOK[i], r.Error)
		}
	}
}
