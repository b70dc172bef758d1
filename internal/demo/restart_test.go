package demo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/demo"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// sluiceServer is a `sluice server` process on a data directory.
type sluiceServer struct {
	bin, dir, base string
	cmd            *exec.Cmd
}

func (s *sluiceServer) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "server", "--listeners", s.base, "--data-dir", s.dir, "--log-level", "warn")
	s.cmd.Stdout, s.cmd.Stderr = os.Stderr, os.Stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := demo.WaitHealthy(ctx, s.base); err != nil {
		t.Fatal(err)
	}
}

func (s *sluiceServer) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

// pull runs a pull query through /query and returns the rows.
func (s *sluiceServer) pull(t *testing.T, sql string) [][]any {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"ksql": sql})
	resp, err := http.Post(s.base+"/query", "application/vnd.ksql.v1+json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var rows [][]any
	for _, o := range out {
		if r, ok := o["row"]; ok {
			var row struct {
				Columns []any `json:"columns"`
			}
			if json.Unmarshal(r, &row) == nil {
				rows = append(rows, row.Columns)
			}
		}
	}
	return rows
}

func (s *sluiceServer) waitPull(t *testing.T, sql, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last [][]any
	for time.Now().Before(deadline) {
		last = s.pull(t, sql)
		for _, r := range last {
			if len(r) > 0 && fmt.Sprint(r[0]) == want {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: never returned %q; last rows %v", sql, want, last)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestTutorialSurvivesSIGKILL runs the tutorial on a real `sluice server`
// through its REST API, kills the server with SIGKILL once the documents
// are in, restarts it on the same data directory, and carries on with
// the tutorial's "insert more rows": the catalog, the queries and the
// connectors come back from the command log, and the index ends with
// every document once and nothing missing.
func TestTutorialSurvivesSIGKILL(t *testing.T) {
	pg := testsvc.Postgres(t)
	mongoURI := testsvc.Mongo(t)
	searchURL := testsvc.Search(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if err := demo.SeedPostgres(ctx, pg.DSN, pg.DSNFor); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedMongo(ctx, mongoURI); err != nil {
		t.Fatal(err)
	}
	deleteIndex(t, searchURL, "shipped_orders")

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "sluice")
	build := exec.Command("go", "build", "-o", bin, "github.com/sluicedb/sluice/cmd/sluice")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build sluice: %v", err)
	}
	srv := &sluiceServer{bin: bin, dir: filepath.Join(tmp, "data"), base: fmt.Sprintf("http://127.0.0.1:%d", freePort(t))}
	srv.start(t)
	defer func() {
		if srv.cmd.ProcessState == nil {
			srv.kill(t)
		}
	}()

	sql, err := demo.TutorialSQL(".")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := demo.Vars(testsvc.Endpoints{Postgres: pg, MongoURI: mongoURI, SearchURL: searchURL})
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"auto.offset.reset": "earliest"}
	for _, stmt := range demo.Statements(sql, vars) {
		if strings.HasPrefix(strings.ToUpper(stmt), "SET ") {
			continue
		}
		err := demo.Retry(ctx, func() error {
			_, err := demo.PostKSQL(ctx, srv.base, stmt, props)
			return err
		})
		if err != nil {
			t.Fatalf("%s\n%v", stmt, err)
		}
	}
	if _, body, err := demo.WaitDocs(ctx, searchURL, "shipped_orders", 5, nil); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}

	before := showQueries(t, srv)
	srv.kill(t)
	srv.start(t)
	if after := showQueries(t, srv); after != before {
		t.Errorf("SHOW QUERIES after the restart:\n%s\nbefore it:\n%s", after, before)
	}

	// After the restart, the tutorial's "insert more rows".
	pgExec(t, pg.DSNFor("customers"), `INSERT INTO customers (id, name, age) VALUES ('9', 'zoe', 40)`)
	srv.waitPull(t, `SELECT name FROM customers_by_key WHERE id = '9';`, "zoe")
	mongoInsert(t, mongoURI, "orders", bson.D{{Key: "customer_id", Value: "9"}, {Key: "order_id", Value: "31"}, {Key: "price", Value: 10.0}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-06T10:00:00"}})
	mongoInsert(t, mongoURI, "shipments", bson.D{{Key: "order_id", Value: "31"}, {Key: "shipment_id", Value: "99"}, {Key: "origin", Value: "ohio"}, {Key: "ts", Value: "2020-04-06T12:00:00"}})
	waitDoc(t, searchURL, "31", "CURRENCY=usd CUSTOMER_AGE=40 CUSTOMER_ID=9 CUSTOMER_NAME=zoe ORIGIN=ohio O_ORDER_ID=31 PRICE=10 SHIPMENT_ID=99")

	hits, body, err := demo.SearchAll(ctx, searchURL, "shipped_orders")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, h := range hits {
		seen[h.ID]++
	}
	for _, id := range []string{"13", "15", "17", "22", "29", "31"} {
		if seen[id] != 1 {
			t.Errorf("document %s appears %d times:\n%s", id, seen[id], body)
		}
	}
	if len(hits) != 6 {
		t.Errorf("index holds %d documents, want 6:\n%s", len(hits), body)
	}
	// The source topics hold each captured row once: a restarted
	// connector resumed from its offsets rather than snapshotting again.
	rows := srv.pull(t, `SELECT id FROM customers;`)
	if len(rows) != 4 {
		t.Errorf("stream customers holds %d rows after the restart, want 4 (3 seeded, 1 inserted): %v", len(rows), rows)
	}
}

// showQueries returns the ids, sinks and sources SHOW QUERIES lists.
func showQueries(t *testing.T, s *sluiceServer) string {
	t.Helper()
	body, err := demo.PostKSQL(context.Background(), s.base, "SHOW QUERIES", nil)
	if err != nil {
		t.Fatal(err)
	}
	var resp []struct {
		Queries []struct {
			ID    string   `json:"id"`
			Sinks []string `json:"sinks"`
		} `json:"queries"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || len(resp) != 1 {
		t.Fatalf("SHOW QUERIES: %v: %s", err, body)
	}
	var out []string
	for _, q := range resp[0].Queries {
		out = append(out, q.ID+"->"+strings.Join(q.Sinks, ","))
	}
	if len(out) != 3 {
		t.Fatalf("SHOW QUERIES lists %d queries, want 3: %s", len(out), body)
	}
	return strings.Join(out, " ")
}
