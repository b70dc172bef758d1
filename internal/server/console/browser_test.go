package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a FAKE of the ksqlDB REST API, written for this test only: the
// real API lives in package server, which imports this package, so the
// console cannot test against it here. It answers the few statements the
// console sends on its own with fixed ksqlDB-shaped bodies, and streams a
// push query that runs until it is closed.
type fakeAPI struct {
	mu     sync.Mutex
	closed []string
}

func (f *fakeAPI) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /ksql", f.ksql)
	mux.HandleFunc("POST /query-stream", f.queryStream)
	mux.HandleFunc("POST /close-query", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			QueryID string `json:"queryId"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.closed = append(f.closed, req.QueryID)
		f.mu.Unlock()
	})
	mux.HandleFunc("GET /info", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"KsqlServerInfo":{"version":"0.1.0","kafkaClusterId":"embedded","ksqlServiceId":"default_","serverStatus":"RUNNING"}}`)
	})
	mux.HandleFunc("GET /healthcheck", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"isHealthy":true,"details":{}}`)
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# TYPE sluice_query_records_out_total counter\nsluice_query_records_out_total{query_id=\"CSAS_ENRICHED_0\"} 42\n"+
			"sluice_connector_lag{connector=\"PG\"} 3\n")
	})
}

func field(name, typ string, key bool) map[string]any {
	f := map[string]any{"name": name, "schema": map[string]any{"type": typ}}
	if key {
		f["type"] = "KEY"
	}
	return f
}

func source(name, typ, topic string, reads, writes []string, fields ...map[string]any) map[string]any {
	q := func(ids []string) []map[string]any {
		out := []map[string]any{}
		for _, id := range ids {
			out = append(out, map[string]any{"id": id})
		}
		return out
	}
	return map[string]any{"name": name, "type": typ, "topic": topic, "keyFormat": "KAFKA", "valueFormat": "JSON",
		"readQueries": q(reads), "writeQueries": q(writes), "fields": fields}
}

func (f *fakeAPI) ksql(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Ksql string `json:"ksql"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	var out []any
	for _, stmt := range strings.Split(req.Ksql, ";") {
		stmt = strings.TrimSpace(stmt)
		if stmt == "" {
			continue
		}
		ent := map[string]any{"statementText": stmt + ";", "warnings": []any{}}
		switch upper := strings.ToUpper(stmt); {
		case upper == "SHOW STREAMS EXTENDED":
			ent["@type"] = "source_descriptions"
			ent["sourceDescriptions"] = []any{
				source("ORDERS", "STREAM", "orders", []string{"CSAS_ENRICHED_0"}, nil,
					field("ORDER_ID", "INTEGER", true), field("CUSTOMER_ID", "INTEGER", false), field("TOTAL", "DOUBLE", false)),
				source("ENRICHED", "STREAM", "ENRICHED", nil, []string{"CSAS_ENRICHED_0"},
					field("ORDER_ID", "INTEGER", true), field("NAME", "STRING", false)),
			}
		case upper == "SHOW TABLES EXTENDED":
			ent["@type"] = "source_descriptions"
			ent["sourceDescriptions"] = []any{source("CUSTOMERS", "TABLE", "dbserver1.public.customers", []string{"CSAS_ENRICHED_0"}, nil,
				field("ID", "INTEGER", true), field("NAME", "STRING", false))}
		case upper == "SHOW QUERIES EXTENDED", upper == "SHOW QUERIES":
			// Like Sluice's server today, EXTENDED answers as the plain
			// listing, so the console must find the sources itself.
			ent["@type"] = "queries"
			ent["queries"] = []any{map[string]any{"id": "CSAS_ENRICHED_0", "queryType": "PERSISTENT", "state": "RUNNING",
				"sinks": []string{"ENRICHED"}, "sinkKafkaTopics": []string{"ENRICHED"},
				"queryString": "CREATE STREAM ENRICHED AS SELECT ... FROM ORDERS o JOIN CUSTOMERS c ON o.customer_id = c.ROWKEY;"}}
		case upper == "SHOW CONNECTORS":
			ent["@type"] = "connector_list"
			ent["connectors"] = []any{
				map[string]any{"name": "PG", "type": "SOURCE", "className": "io.debezium.connector.postgresql.PostgresConnector", "state": "RUNNING"},
				map[string]any{"name": "ES", "type": "SINK", "className": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector", "state": "RUNNING"},
			}
		case strings.HasPrefix(upper, "DESCRIBE CONNECTOR "):
			name := strings.Trim(stmt[len("DESCRIBE CONNECTOR "):], "` ")
			topics := map[string][]string{"PG": {"dbserver1.public.customers", "dbserver1.public.orders"}, "ES": {"ENRICHED"}}[name]
			ent["@type"] = "connector_description"
			ent["connectorClass"] = "class of " + name
			ent["topics"] = topics
			ent["sources"] = []any{}
			ent["status"] = map[string]any{"name": name, "type": "source",
				"connector": map[string]any{"state": "RUNNING", "worker_id": "sluice"},
				"tasks":     []any{map[string]any{"id": 0, "state": "RUNNING", "worker_id": "sluice"}}}
		default:
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]any{"@type": "statement_error", "error_code": 40001,
				"message": "line 1:1: Syntax Error", "statementText": stmt + ";", "entities": []any{}})
			return
		}
		out = append(out, ent)
	}
	json.NewEncoder(w).Encode(out)
}

func (f *fakeAPI) queryStream(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accept") != "application/vnd.ksqlapi.delimited.v1" {
		http.Error(w, "the console should ask for delimited rows", http.StatusNotAcceptable)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.ksqlapi.delimited.v1")
	fmt.Fprintln(w, `{"queryId":"transient_1","columnNames":["ORDER_ID","NAME","TOTAL"],"columnTypes":["INTEGER","STRING","DOUBLE"]}`)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(w, "[%d,\"<b>customer %d</b>\",%d.5]\n", i, i, i*10)
	}
	w.(http.Flusher).Flush()
	// A push query runs until the client goes away.
	<-r.Context().Done()
}

// screenshotPath is where a test saves its screenshot: in
// $CONSOLE_SCREENSHOT_DIR when set, so that a person can look at the
// layout, else in the test's temporary directory.
func screenshotPath(t *testing.T, name string) string {
	dir := os.Getenv("CONSOLE_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	return filepath.Join(dir, name)
}

func (f *fakeAPI) closedQueries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.closed...)
}

// TestBrowser loads the console in headless Chromium against the fake API,
// runs a bad statement and a push query through the editor, stops it, and
// saves a screenshot (see screenshotPath).
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: starts a browser")
	}
	api := &fakeAPI{}
	mux := http.NewServeMux()
	api.routes(mux)
	mux.Handle("/console/", http.StripPrefix("/console", Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := startBrowser(t, srv.URL+"/console/")
	b.WaitFor(t, "sources panel", `document.querySelectorAll("#sources details").length === 3`)
	b.WaitFor(t, "topology", `document.querySelectorAll("#topology .node").length === 7`)
	b.WaitFor(t, "connectors panel", `document.querySelector("#connectors").textContent.includes("tasks 1/1")`)
	b.WaitFor(t, "health badge", `document.querySelector("#health").textContent === "healthy"`)
	if got := string(b.Eval(t, `document.querySelector("#queries").textContent`)); !strings.Contains(got, "ORDERS, CUSTOMERS") && !strings.Contains(got, "CUSTOMERS, ORDERS") {
		t.Errorf("queries panel should list the query's sources from readQueries: %s", got)
	}
	if got := string(b.Eval(t, `document.querySelector("#connectors").textContent`)); !strings.Contains(got, "lag 3") {
		t.Errorf("connectors panel should show lag from /metrics: %s", got)
	}

	// Clicking a graph node describes it in the result area.
	b.Eval(t, `document.querySelector('#topology .node[data-id="q:CSAS_ENRICHED_0"]').dispatchEvent(new MouseEvent("click", {bubbles: true})), true`)
	b.WaitFor(t, "explain from the graph", `document.querySelector("#result").textContent.includes("EXPLAIN CSAS_ENRICHED_0")`)

	run := func(sql string) {
		b.Eval(t, fmt.Sprintf(`(() => { const ta = document.querySelector("#sql"); ta.value = %q;
			ta.dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", ctrlKey: true, bubbles: true})); return true })()`, sql))
	}
	run("SHOW NONSENSE;")
	b.WaitFor(t, "statement error", `document.querySelector("#result .error")?.textContent === "40001: line 1:1: Syntax Error"`)

	run("CREATE SOURCE CONNECTOR x WITH ('connector.class'='PostgresConnector', 'database.password'='hunter2');")
	b.WaitFor(t, "connector statement answered", `document.querySelector("#result pre")?.textContent.startsWith("CREATE SOURCE CONNECTOR")`)
	if got := string(b.Eval(t, `localStorage.getItem("sluice.console.history")`)); strings.Contains(got, "hunter2") || !strings.Contains(got, `'database.password'='[string]'`) {
		t.Errorf("history must keep statements with secrets masked: %s", got)
	}

	run("SELECT * FROM ENRICHED EMIT CHANGES;")
	b.WaitFor(t, "rows", `document.querySelectorAll("#rows tbody tr").length === 3`)
	// Row values are text, never markup.
	if got := string(b.Eval(t, `document.querySelectorAll("#rows b").length`)); got != "0" {
		t.Errorf("row HTML was interpreted: %s <b> elements", got)
	}
	if got := string(b.Eval(t, `JSON.parse(localStorage.getItem("sluice.console.history"))[0]`)); got != `"SELECT * FROM ENRICHED EMIT CHANGES;"` {
		t.Errorf("history head %s", got)
	}
	b.WaitFor(t, "stop enabled", `!document.querySelector("#stop").disabled`)

	b.Screenshot(t, screenshotPath(t, "console-fake.png"))

	b.Eval(t, `document.querySelector("#stop").click(), true`)
	b.WaitFor(t, "stopped", `document.querySelector("#run-status").textContent === "stopped after 3 rows"`)
	for i := 0; i < 50 && len(api.closedQueries()) == 0; i++ {
		b.Eval(t, `new Promise((r) => setTimeout(() => r(true), 100))`)
	}
	if got := api.closedQueries(); len(got) != 1 || got[0] != "transient_1" {
		t.Errorf("close-query got %v, want [transient_1]", got)
	}
	var problems []string
	for _, p := range b.Problems() {
		// The bad statement's 400 is the one failure this test asks for.
		if !strings.Contains(p, "status of 400") {
			problems = append(problems, p)
		}
	}
	if p := problems; len(p) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}
