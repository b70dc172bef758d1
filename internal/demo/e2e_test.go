package demo_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/plugins"
	"github.com/sluicedb/sluice/internal/demo"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestTutorialEndToEnd runs the tutorial's statements, unchanged but for
// hosts, ports and credentials, against real PostgreSQL, FerretDB and
// OpenSearch, and checks the five documents the tutorial shows.
func TestTutorialEndToEnd(t *testing.T) {
	pg := testsvc.Postgres(t)
	mongoURI := testsvc.Mongo(t)
	searchURL := testsvc.Search(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := demo.SeedPostgres(ctx, pg.DSN, pg.DSNFor); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedMongo(ctx, mongoURI); err != nil {
		t.Fatal(err)
	}
	// The index is the topic's name: clear what an earlier run left.
	deleteIndex(t, searchURL, "shipped_orders")

	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rt := connect.NewRuntime(connect.Options{Log: lg, Registry: sr, Plugins: plugins.New()})
	t.Cleanup(func() { rt.Close() })
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: engine.SchemaRegistry(sr), Functions: builtin.New(), Connectors: rt})
	t.Cleanup(func() { eng.Close() })
	if err := eng.Restore(ctx); err != nil {
		t.Fatal(err)
	}

	sql, err := demo.TutorialSQL(".")
	if err != nil {
		t.Fatal(err)
	}
	vars, err := demo.Vars(testsvc.Endpoints{Postgres: pg, MongoURI: mongoURI, SearchURL: searchURL})
	if err != nil {
		t.Fatal(err)
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
			t.Fatalf("%s\n%v", stmt, err)
		}
	}
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
