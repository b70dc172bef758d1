package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestKsqlStatements checks /ksql's status codes, entity types and error
// codes statement by statement, against one server whose catalog grows as
// the table goes.
func TestKsqlStatements(t *testing.T) {
	h := newHarness(t, nil)
	tests := []struct {
		name   string
		body   any
		status int
		// typ is the first entity's @type, or the error's @type.
		typ  string
		code float64
		// check inspects the response further.
		check func(t *testing.T, out any)
	}{
		{name: "create stream", body: map[string]any{"ksql": "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);"},
			status: 200, typ: "currentStatus", check: func(t *testing.T, out any) {
				e := out.([]any)[0]
				if got := field(e, "commandId"); got != "stream/S/create" {
					t.Errorf("commandId %v", got)
				}
				if got := field(e, "commandStatus", "status"); got != "SUCCESS" {
					t.Errorf("status %v", got)
				}
				if got := field(e, "commandStatus", "message"); got != "Stream created" {
					t.Errorf("message %v", got)
				}
			}},
		{name: "create table", body: map[string]any{"ksql": "CREATE TABLE tb (id INT PRIMARY KEY, v BIGINT) WITH (kafka_topic='tb', value_format='json', partitions=2);"},
			status: 200, typ: "currentStatus"},
		{name: "csas reports its query id", body: map[string]any{"ksql": "CREATE STREAM s2 AS SELECT id, UCASE(name) AS n FROM s;"},
			status: 200, typ: "currentStatus", check: func(t *testing.T, out any) {
				if got := field(out.([]any)[0], "commandStatus", "queryId"); got != "CSAS_S2_0" {
					t.Errorf("queryId %v", got)
				}
			}},
		{name: "insert values answers nothing", body: map[string]any{"ksql": "INSERT INTO s (id, name) VALUES (1, 'a');"},
			status: 200, check: func(t *testing.T, out any) {
				if len(out.([]any)) != 0 {
					t.Errorf("want no entities, got %v", out)
				}
			}},
		{name: "syntax error", body: map[string]any{"ksql": "CREATE STREM x;"}, status: 400, typ: "statement_error", code: 40001,
			check: func(t *testing.T, out any) {
				if got := field(out, "statementText"); got != "CREATE STREM x;" {
					t.Errorf("statementText %v", got)
				}
			}},
		{name: "entities before a failure", body: map[string]any{"ksql": "SHOW STREAMS; DROP STREAM nope;"}, status: 400, typ: "statement_error", code: 40001,
			check: func(t *testing.T, out any) {
				ents, _ := field(out, "entities").([]any)
				if len(ents) != 1 || field(ents[0], "@type") != "streams" {
					t.Errorf("entities %v", ents)
				}
			}},
		{name: "select belongs to /query", body: map[string]any{"ksql": "SELECT * FROM s;"}, status: 400, typ: "statement_error", code: 40002},
		{name: "empty ksql", body: map[string]any{"ksql": " "}, status: 400, typ: "generic_error", code: 40000},
		{name: "bad json", body: "{not json", status: 400, typ: "generic_error", code: 40000},
		{name: "show streams", body: map[string]any{"ksql": "SHOW STREAMS;"}, status: 200, typ: "streams", check: func(t *testing.T, out any) {
			list := field(out.([]any)[0], "streams").([]any)
			if len(list) != 2 || field(list[0], "name") != "S" || field(list[0], "valueFormat") != "JSON" || field(list[0], "keyFormat") != "KAFKA" {
				t.Errorf("streams %v", list)
			}
		}},
		{name: "list tables", body: map[string]any{"ksql": "LIST TABLES;"}, status: 200, typ: "tables", check: func(t *testing.T, out any) {
			list := field(out.([]any)[0], "tables").([]any)
			if len(list) != 1 || field(list[0], "name") != "TB" || field(list[0], "isWindowed") != false {
				t.Errorf("tables %v", list)
			}
		}},
		{name: "show queries", body: map[string]any{"ksql": "SHOW QUERIES;"}, status: 200, typ: "queries", check: func(t *testing.T, out any) {
			list := field(out.([]any)[0], "queries").([]any)
			if len(list) != 1 || field(list[0], "id") != "CSAS_S2_0" || field(list[0], "state") != "RUNNING" {
				t.Errorf("queries %v", list)
			}
		}},
		{name: "show topics hides internal ones", body: map[string]any{"ksql": "SHOW TOPICS;"}, status: 200, typ: "kafka_topics", check: func(t *testing.T, out any) {
			var names []string
			for _, x := range field(out.([]any)[0], "topics").([]any) {
				names = append(names, field(x, "name").(string))
			}
			if strings.Join(names, ",") != "S2,s,tb" {
				t.Errorf("topics %v", names)
			}
		}},
		{name: "show all topics", body: map[string]any{"ksql": "SHOW ALL TOPICS;"}, status: 200, typ: "kafka_topics", check: func(t *testing.T, out any) {
			if n := len(field(out.([]any)[0], "topics").([]any)); n <= 3 {
				t.Errorf("want internal topics too, got %d", n)
			}
		}},
		{name: "show properties masks secrets", body: map[string]any{"ksql": "SHOW PROPERTIES;", "streamsProperties": map[string]any{"ksql.streams.auto.offset.reset": "earliest"}},
			status: 200, typ: "properties", check: func(t *testing.T, out any) {
				e := out.([]any)[0]
				seen := false
				for _, p := range field(e, "properties").([]any) {
					if strings.Contains(field(p, "value").(string), "secretpw") {
						t.Errorf("secret shown: %v", p)
					}
					if field(p, "name") == "ksql.service.id" && field(p, "value") == "test_" {
						seen = true
					}
				}
				if !seen {
					t.Errorf("ksql.service.id missing")
				}
				if ow := fmt.Sprint(field(e, "overwrittenProperties")); !strings.Contains(ow, "ksql.streams.auto.offset.reset") {
					t.Errorf("overwritten %v", ow)
				}
			}},
		{name: "show functions", body: map[string]any{"ksql": "SHOW FUNCTIONS;"}, status: 200, typ: "function_names", check: func(t *testing.T, out any) {
			found := false
			for _, f := range field(out.([]any)[0], "functions").([]any) {
				if field(f, "name") == "UCASE" && field(f, "type") == "SCALAR" {
					found = true
				}
			}
			if !found {
				t.Errorf("UCASE missing")
			}
		}},
		{name: "describe function", body: map[string]any{"ksql": "DESCRIBE FUNCTION ucase;"}, status: 200, typ: "describe_function", check: func(t *testing.T, out any) {
			e := out.([]any)[0]
			if field(e, "name") != "UCASE" || len(field(e, "functions").([]any)) == 0 {
				t.Errorf("describe function %v", e)
			}
		}},
		{name: "describe unknown function", body: map[string]any{"ksql": "DESCRIBE FUNCTION nope;"}, status: 400, typ: "statement_error", code: 40001},
		{name: "create and show types", body: map[string]any{"ksql": "CREATE TYPE addr AS STRUCT<street STRING, zip INT>; SHOW TYPES;"}, status: 200, typ: "currentStatus",
			check: func(t *testing.T, out any) {
				ts := field(out.([]any)[1], "types").(map[string]any)
				if field(ts["ADDR"], "type") != "STRUCT" || len(field(ts["ADDR"], "fields").([]any)) != 2 {
					t.Errorf("types %v", ts)
				}
			}},
		{name: "show variables from the request", body: map[string]any{"ksql": "SHOW VARIABLES;", "sessionVariables": map[string]any{"x": "1"}},
			status: 200, typ: "variables", check: func(t *testing.T, out any) {
				vs := field(out.([]any)[0], "variables").([]any)
				if len(vs) != 1 || field(vs[0], "name") != "X" || field(vs[0], "value") != "1" {
					t.Errorf("variables %v", vs)
				}
			}},
		{name: "variables substitute", body: map[string]any{"ksql": "DESCRIBE ${src};", "sessionVariables": map[string]any{"src": "s"}},
			status: 200, typ: "sourceDescription"},
		{name: "describe", body: map[string]any{"ksql": "DESCRIBE s;"}, status: 200, typ: "sourceDescription", check: func(t *testing.T, out any) {
			d := field(out.([]any)[0], "sourceDescription")
			fs := field(d, "fields").([]any)
			if len(fs) != 2 || field(fs[0], "name") != "ID" || field(fs[0], "type") != "KEY" || field(fs[1], "schema", "type") != "STRING" {
				t.Errorf("fields %v", fs)
			}
			if rq := field(d, "readQueries").([]any); len(rq) != 1 {
				t.Errorf("readQueries %v", rq)
			}
			if field(d, "extended") != false {
				t.Errorf("extended")
			}
		}},
		{name: "describe extended", body: map[string]any{"ksql": "DESCRIBE tb EXTENDED;"}, status: 200, typ: "sourceDescription", check: func(t *testing.T, out any) {
			d := field(out.([]any)[0], "sourceDescription")
			if field(d, "extended") != true || field(d, "partitions") != float64(2) || field(d, "type") != "TABLE" {
				t.Errorf("description %v", d)
			}
		}},
		{name: "describe unknown", body: map[string]any{"ksql": "DESCRIBE nope;"}, status: 400, typ: "statement_error", code: 40001},
		{name: "describe streams", body: map[string]any{"ksql": "DESCRIBE STREAMS;"}, status: 200, typ: "source_descriptions", check: func(t *testing.T, out any) {
			if n := len(field(out.([]any)[0], "sourceDescriptions").([]any)); n != 2 {
				t.Errorf("want 2 descriptions, got %d", n)
			}
		}},
		{name: "explain", body: map[string]any{"ksql": "EXPLAIN CSAS_S2_0;"}, status: 200, typ: "queryDescription", check: func(t *testing.T, out any) {
			d := field(out.([]any)[0], "queryDescription")
			if field(d, "id") != "CSAS_S2_0" || field(d, "sinks").([]any)[0] != "S2" || field(d, "sources").([]any)[0] != "S" {
				t.Errorf("explain %v", d)
			}
		}},
		{name: "explain unknown", body: map[string]any{"ksql": "EXPLAIN nope_1;"}, status: 400, typ: "statement_error", code: 40001},
		{name: "terminate", body: map[string]any{"ksql": "TERMINATE CSAS_S2_0;"}, status: 200, typ: "currentStatus", check: func(t *testing.T, out any) {
			if got := field(out.([]any)[0], "commandId"); got != "terminate/CSAS_S2_0/execute" {
				t.Errorf("commandId %v", got)
			}
		}},
		{name: "drop", body: map[string]any{"ksql": "DROP STREAM s2;"}, status: 200, typ: "currentStatus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, out := h.post("/ksql", tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, out)
			}
			if tc.typ != "" {
				got := field(out, "@type")
				if arr, ok := out.([]any); ok && len(arr) > 0 {
					got = field(arr[0], "@type")
				}
				if got != tc.typ {
					t.Fatalf("@type %v, want %s: %v", got, tc.typ, out)
				}
			}
			if tc.code != 0 {
				if got := field(out, "error_code"); got != tc.code {
					t.Fatalf("error_code %v, want %v: %v", got, tc.code, out)
				}
			}
			if tc.check != nil {
				tc.check(t, out)
			}
		})
	}
	// /status knows every command the server ran.
	resp, err := http.Get(h.http.URL + "/status/stream/S/create")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/status/stream/S/create: %d", resp.StatusCode)
	}
}
