package console

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestModules runs the console's pure JavaScript functions in Chromium,
// one table case each: the expression is evaluated in the console's page
// with its modules imported, and its JSON value compared.
func TestModules(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: starts a browser")
	}
	mux := http.NewServeMux()
	(&fakeAPI{}).routes(mux)
	mux.Handle("/console/", http.StripPrefix("/console", Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	b := startBrowser(t, srv.URL+"/console/")
	b.WaitFor(t, "page", `document.querySelector("#health").textContent === "healthy"`)

	for _, tc := range []struct {
		name, module, expr, want string
	}{
		{"select is a query", "statement", `m.isQuery("  select * from s emit changes;")`, `true`},
		{"comments before select", "statement", `m.isQuery("-- latest orders\n/* x */ SELECT 1 FROM t;")`, `true`},
		{"csas is not a query", "statement", `m.isQuery("CREATE STREAM s AS SELECT * FROM t;")`, `false`},
		{"selected column name", "statement", `m.isQuery("selection;")`, `false`},
		{"password masked", "statement",
			`m.maskSecrets("CREATE SOURCE CONNECTOR c WITH ('database.password' = 'pw', 'database.user' = 'u');")`,
			`"CREATE SOURCE CONNECTOR c WITH ('database.password' = '[string]', 'database.user' = 'u');"`},
		{"doubled quotes and unquoted keys", "statement",
			`m.maskSecrets("WITH (\"basic.auth.user.info\"='a''b', connection.password='x', topics='t')")`,
			`"WITH (\"basic.auth.user.info\"='[string]', connection.password='[string]', topics='t')"`},
		{"metrics parse", "metrics",
			`m.parse('# HELP x\nsluice_lag{connector="pg",partition="0"} 4\nup 1\n')`,
			`[{"name":"sluice_lag","labels":{"connector":"pg","partition":"0"},"value":4},{"name":"up","labels":{},"value":1}]`},
		{"rates from two scrapes", "metrics", `(() => {
			const r = new m.Rates();
			const s = (n) => m.parse('sluice_query_records_in_total{query_id="Q"} ' + n + '\nsluice_query_records_out_total{query_id="Q"} ' + n/2 + '\nsluice_consumer_lag{query_id="Q"} 7\n');
			r.update(s(100), 1000);
			return Object.fromEntries(r.update(s(300), 3000));
		})()`, `{"query:Q":{"inRate":100,"outRate":50,"lag":7}}`},
		{"counter reset gives no rate", "metrics", `(() => {
			const r = new m.Rates();
			r.update(m.parse('a_records_total{connector="c"} 10'), 0);
			return Object.fromEntries(r.update(m.parse('a_records_total{connector="c"} 2'), 1000));
		})()`, `{"connector:c":{"inRate":null,"outRate":null,"lag":null}}`},
		{"graph edges", "topology", `m.graph(
			[{name: "ORDERS", type: "STREAM", topic: "orders"}, {name: "OUT", type: "TABLE", topic: "OUT"}],
			[{id: "CTAS_OUT_0", sources: ["ORDERS"], sinks: ["OUT"], state: "RUNNING"}],
			[{name: "pg", type: "SOURCE", topics: ["orders", "other"]}, {name: "es", type: "SINK", topics: ["OUT"]}]).edges`,
			`[["s:ORDERS","q:CTAS_OUT_0"],["q:CTAS_OUT_0","s:OUT"],["c:pg","s:ORDERS"],["c:pg","t:other"],["s:OUT","c:es"]]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := b.Eval(t, `import("./`+tc.module+`.js").then((m) => `+tc.expr+`)`)
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("%s: %v", got, err)
			}
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatalf("bad want %s: %v", tc.want, err)
			}
			gb, _ := json.Marshal(g)
			wb, _ := json.Marshal(w)
			if string(gb) != string(wb) {
				t.Errorf("got  %s\nwant %s", gb, wb)
			}
		})
	}
}
