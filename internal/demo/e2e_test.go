package demo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/plugins"
	"github.com/sluicedb/sluice/internal/demo"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// pipeline is the tutorial running in-process on real services.
type pipeline struct {
	pg        *testsvc.PG
	mongoURI  string
	searchURL string
	eng       *engine.Engine
	sess      *engine.Session
	log       logstore.Log
}

// startPipeline seeds the services and runs the tutorial's statements on
// an engine with the connector runtime. configure may adjust the index
// before the sink starts writing to it.
func startPipeline(tb testing.TB, configure func(searchURL string), rewrite ...func(string) string) *pipeline {
	tb.Helper()
	pg := testsvc.Postgres(tb)
	mongoURI := testsvc.Mongo(tb)
	searchURL := testsvc.Search(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := demo.SeedPostgres(ctx, pg.DSN, pg.DSNFor); err != nil {
		tb.Fatal(err)
	}
	if err := demo.SeedMongo(ctx, mongoURI); err != nil {
		tb.Fatal(err)
	}
	// The index is the topic's name: clear what an earlier run left.
	deleteIndex(tb, searchURL, "shipped_orders")
	if configure != nil {
		configure(searchURL)
	}
	dir := tb.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { lg.Close() })
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	rt := connect.NewRuntime(connect.Options{Log: lg, Registry: sr, Plugins: plugins.New()})
	tb.Cleanup(func() { rt.Close() })
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: engine.SchemaRegistry(sr), Functions: builtin.New(), Connectors: rt})
	tb.Cleanup(func() { eng.Close() })
	if err := eng.Restore(ctx); err != nil {
		tb.Fatal(err)
	}
	sql, err := demo.TutorialSQL(".")
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range rewrite {
		sql = f(sql)
	}
	vars, err := demo.Vars(testsvc.Endpoints{Postgres: pg, MongoURI: mongoURI, SearchURL: searchURL})
	if err != nil {
		tb.Fatal(err)
	}
	sess := engine.NewSession()
	for _, stmt := range demo.Statements(sql, vars) {
		// The connectors create their topics when their snapshots start;
		// a stream over one waits for it, as a user would.
		err := demo.Retry(ctx, func() error {
			_, err := eng.Execute(ctx, sess, stmt)
			return err
		})
		if err != nil {
			tb.Fatalf("%s\n%v", stmt, err)
		}
	}
	return &pipeline{pg: pg, mongoURI: mongoURI, searchURL: searchURL, eng: eng, sess: sess, log: lg}
}

// TestTutorialEndToEnd runs the tutorial's statements, unchanged but for
// hosts, ports and credentials, against real PostgreSQL, FerretDB and
// OpenSearch, and checks the five documents the tutorial shows.
func TestTutorialEndToEnd(t *testing.T) {
	// The tutorial joins with ksqlDB 0.8's c.ROWKEY; today's spelling
	// names the key column, c.id. Both must give the same documents.
	for _, spelling := range []string{"c.ROWKEY", "c.id"} {
		t.Run(spelling, func(t *testing.T) { testTutorialEndToEnd(t, spelling) })
	}
}

func testTutorialEndToEnd(t *testing.T, joinKey string) {
	p := startPipeline(t, nil, func(sql string) string { return strings.ReplaceAll(sql, "c.ROWKEY", joinKey) })
	pg, mongoURI, searchURL, eng, sess := p.pg, p.mongoURI, p.searchURL, p.eng, p.sess
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	hits, body, err := demo.WaitDocs(ctx, searchURL, "shipped_orders", 5, nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	want := map[string]string{
		"13": `CURRENCY=usd CUSTOMER_AGE=51 CUSTOMER_ID=2 CUSTOMER_NAME=bill ORIGIN=maine O_ORDER_ID=13 PRICE=50.5 SHIPMENT_ID=92`,
		"15": `CURRENCY=usd CUSTOMER_AGE=34 CUSTOMER_ID=5 CUSTOMER_NAME=fred ORIGIN=florida O_ORDER_ID=15 PRICE=13.75 SHIPMENT_ID=95`,
		"17": `CURRENCY=eur CUSTOMER_AGE=34 CUSTOMER_ID=5 CUSTOMER_NAME=fred ORIGIN=texas O_ORDER_ID=17 PRICE=25.25 SHIPMENT_ID=75`,
		"22": `CURRENCY=aud CUSTOMER_AGE=25 CUSTOMER_ID=7 CUSTOMER_NAME=sue ORIGIN=iowa O_ORDER_ID=22 PRICE=29.71 SHIPMENT_ID=71`,
		"29": `CURRENCY=aud CUSTOMER_AGE=25 CUSTOMER_ID=7 CUSTOMER_NAME=sue ORIGIN=california O_ORDER_ID=29 PRICE=15 SHIPMENT_ID=89`,
	}
	if len(hits) != len(want) {
		t.Fatalf("index holds %d documents, want %d:\n%s", len(hits), len(want), body)
	}
	for _, h := range hits {
		if got := flat(h.Source); got != want[h.ID] {
			t.Errorf("document %s:\n got %s\nwant %s", h.ID, got, want[h.ID])
		}
	}

	// With the pipeline running: a new customer, order and shipment make
	// a new document.
	pgExec(t, pg.DSNFor("customers"), `INSERT INTO customers (id, name, age) VALUES ('9', 'zoe', 40)`)
	waitPull(t, eng, sess, `SELECT name FROM customers_by_key WHERE id = '9'`, "zoe")
	mongoInsert(t, mongoURI, "orders", bson.D{{Key: "customer_id", Value: "9"}, {Key: "order_id", Value: "31"}, {Key: "price", Value: 10.0}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-06T10:00:00"}})
	mongoInsert(t, mongoURI, "shipments", bson.D{{Key: "order_id", Value: "31"}, {Key: "shipment_id", Value: "99"}, {Key: "origin", Value: "ohio"}, {Key: "ts", Value: "2020-04-06T12:00:00"}})
	waitDoc(t, searchURL, "31", "CURRENCY=usd CUSTOMER_AGE=40 CUSTOMER_ID=9 CUSTOMER_NAME=zoe ORIGIN=ohio O_ORDER_ID=31 PRICE=10 SHIPMENT_ID=99")

	// A customer's new name shows in the next order's document.
	pgExec(t, pg.DSNFor("customers"), `UPDATE customers SET name = 'frederick' WHERE id = '5'`)
	waitPull(t, eng, sess, `SELECT name FROM customers_by_key WHERE id = '5'`, "frederick")
	mongoInsert(t, mongoURI, "orders", bson.D{{Key: "customer_id", Value: "5"}, {Key: "order_id", Value: "33"}, {Key: "price", Value: 7.5}, {Key: "currency", Value: "eur"}, {Key: "ts", Value: "2020-04-07T10:00:00"}})
	mongoInsert(t, mongoURI, "shipments", bson.D{{Key: "order_id", Value: "33"}, {Key: "shipment_id", Value: "98"}, {Key: "origin", Value: "utah"}, {Key: "ts", Value: "2020-04-07T11:00:00"}})
	waitDoc(t, searchURL, "33", "CURRENCY=eur CUSTOMER_AGE=34 CUSTOMER_ID=5 CUSTOMER_NAME=frederick ORIGIN=utah O_ORDER_ID=33 PRICE=7.5 SHIPMENT_ID=98")

	// A deleted customer arrives as a row marked __deleted, as the
	// unwrap transform's delete.handling.mode=rewrite defines.
	pgExec(t, pg.DSNFor("customers"), `DELETE FROM customers WHERE id = '7'`)
	waitPull(t, eng, sess, `SELECT id FROM customers WHERE __deleted = 'true'`, "7")
}

func pgExec(t testing.TB, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mongoInsert(t testing.TB, uri, coll string, doc bson.D) {
	t.Helper()
	ctx := context.Background()
	cl, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Disconnect(ctx)
	if _, err := cl.Database("logistics").Collection(coll).InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
}

// waitPull runs a pull query until its first column of some row is want.
func waitPull(t *testing.T, eng *engine.Engine, sess *engine.Session, sql, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last []string
	for time.Now().Before(deadline) {
		c, err := eng.Query(context.Background(), sess, sql)
		if err != nil {
			t.Fatal(err)
		}
		last = last[:0]
		for {
			r, ok, err := c.Next(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			last = append(last, r[0].String())
			if r[0].String() == want {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: never returned %q; last rows %q", sql, want, last)
}

func waitDoc(t *testing.T, searchURL, id, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got string
	for ctx.Err() == nil {
		hits, _, err := demo.SearchAll(ctx, searchURL, "shipped_orders")
		if err == nil {
			for _, h := range hits {
				if h.ID == id {
					if got = flat(h.Source); got == want {
						return
					}
				}
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("document %s: got %q, want %q", id, got, want)
}

// flat prints a document's fields sorted, for comparison.
func flat(doc map[string]any) string {
	var parts []string
	for k, v := range doc {
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
