package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/server"
	"github.com/sluicedb/sluice/internal/server/console"
)

// realServer runs a whole Sluice node (storage, registry, engine and REST
// API) in a temporary directory, with the console mounted the way the
// server should mount it.
func realServer(t *testing.T) string {
	t.Helper()
	node, err := server.OpenNode(context.Background(), server.NodeOptions{Props: map[string]string{
		server.PropStateDir:              t.TempDir(),
		server.PropSyncMode:              "never",
		server.PropServiceID:             "console_test_",
		"ksql.streams.auto.offset.reset": "earliest",
	}})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
	mux.Handle("/", node.Server.Handler())
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		node.Close()
	})
	return hs.URL
}

// TestRealServer drives the console against Sluice's own REST API: it
// creates a stream and a persistent query from the editor, sees them in
// the panels and the graph, and reads the query's output back with a push
// query from the beginning of its topic.
func TestRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: starts a browser and a server")
	}
	base := realServer(t)
	b := console.StartBrowser(t, base+"/console/")
	b.WaitFor(t, "first refresh", `document.querySelector("#health").textContent === "healthy"`)

	run := func(sql string) {
		b.Eval(t, `(() => { const ta = document.querySelector("#sql"); ta.value = `+quoteJS(sql)+`;
			document.querySelector("#run").click(); return true })()`)
	}
	run(`CREATE STREAM orders (id INT KEY, customer VARCHAR, total DOUBLE) WITH (kafka_topic='orders', value_format='json', partitions=1);`)
	b.WaitFor(t, "create stream", `document.querySelector("#result").textContent.includes("Stream created")`)
	run(`INSERT INTO orders (id, customer, total) VALUES (1, 'ann', 10.5);
INSERT INTO orders (id, customer, total) VALUES (2, 'bob', 20.25);`)
	b.WaitFor(t, "inserts", `document.querySelector("#result").textContent === "Done."`)
	run(`CREATE STREAM big AS SELECT id, customer, total FROM orders WHERE total > 15 EMIT CHANGES;`)
	b.WaitFor(t, "persistent query", `document.querySelector("#queries").textContent.includes("CSAS_BIG")`)
	// Nodes: ORDERS, BIG, the query, and KSQL_PROCESSING_LOG, which the
	// server creates at startup as ksqlDB does.
	b.WaitFor(t, "graph", `document.querySelectorAll("#topology .node").length === 4`)
	// The panel learns a query's sources from DESCRIBE, which may land a
	// refresh after the query itself appears.
	b.WaitFor(t, "query's source", `document.querySelector("#queries").textContent.includes("ORDERS")`)
	b.WaitFor(t, "sources", `document.querySelectorAll("#sources details").length === 3`)

	run(`SELECT * FROM missing EMIT CHANGES;`)
	b.WaitFor(t, "query error", `/^40001: .*MISSING/i.test(document.querySelector("#result .error").textContent)`)

	b.Eval(t, `document.querySelector("#offset-reset").value = "earliest", true`)
	run(`SELECT * FROM big EMIT CHANGES;`)
	b.WaitFor(t, "rows", `document.querySelectorAll("#rows tbody tr").length === 1`)
	if got := string(b.Eval(t, `document.querySelector("#rows").textContent`)); !strings.Contains(got, "bob") {
		t.Errorf("rows: %s", got)
	}
	b.Eval(t, `document.querySelector("#sources details").open = true`)
	b.Screenshot(t, console.ScreenshotPath(t, "console-real.png"))
	b.Eval(t, `document.querySelector("#stop").click(), true`)
	b.WaitFor(t, "stopped", `document.querySelector("#run-status").textContent === "stopped after 1 row"`)

	// Terminate from the queries panel, confirming the dialog.
	b.Eval(t, `window.confirm = () => true, document.querySelector("#queries button.danger").click(), true`)
	b.WaitFor(t, "terminated", `document.querySelector("#queries").textContent === "No persistent queries."`)
	b.WaitFor(t, "graph without the query", `document.querySelectorAll("#topology .node").length === 3`)
	var problems []string
	for _, p := range b.Problems() {
		// The server answers SHOW CONNECTORS with a 400 until it has a
		// connector runtime; the console shows that in its panel.
		if !strings.Contains(p, "status of 400") {
			problems = append(problems, p)
		}
	}
	if p := problems; len(p) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(p, "\n"))
	}
}

func quoteJS(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "`", "\\`", "$", `\$`)
	return "`" + r.Replace(s) + "`"
}
