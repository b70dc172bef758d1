package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/types"
)

func TestPlanAccess(t *testing.T) {
	one := &catalog.Source{Schema: catalog.Schema{Columns: []catalog.Column{
		{Name: "K", Type: types.StringType, Namespace: catalog.Key}, {Name: "V", Type: types.IntType}}}}
	two := &catalog.Source{Schema: catalog.Schema{Columns: []catalog.Column{
		{Name: "A", Type: types.IntType, Namespace: catalog.Key}, {Name: "B", Type: types.BigintType, Namespace: catalog.Key}}}}
	win := &catalog.Source{Window: catalog.Tumbling, Schema: one.Schema}
	for _, tc := range []struct {
		src   *catalog.Source
		where string
		kind  accessKind
		keys  int
	}{
		{one, "K = 'a'", accessLookup, 1},
		{one, "'a' = K AND V > 3", accessLookup, 1},
		{one, "K IN ('a', 'b', 'a')", accessLookup, 2},
		{one, "K = 'a' OR K = 'b'", accessLookup, 2},
		{one, "K = 'a' OR V = 1", accessScan, 0},
		{one, "K > 'a' AND K <= 'c'", accessRange, 0},
		{one, "K > 'a' OR K < 'c'", accessScan, 0},
		{one, "V = 1", accessScan, 0},
		{one, "K = 1", accessScan, 0},
		{two, "A = 1 AND B = 2", accessLookup, 1},
		{two, "A = 1", accessScan, 0},
		{two, "A = 1 AND B IN (2, 3)", accessLookup, 2},
		{win, "K = 'a' AND WINDOWSTART >= 10 AND WINDOWSTART < 20", accessLookup, 1},
	} {
		t.Run(tc.where, func(t *testing.T) {
			stmt, err := parser.ParseStatement("SELECT * FROM X WHERE " + tc.where + ";")
			if err != nil {
				t.Fatal(err)
			}
			acc := planAccess(tc.src, stmt.(*ast.Query).Where)
			if acc.kind != tc.kind || len(acc.keys) != tc.keys {
				t.Fatalf("got kind %d with %d keys, want %d with %d", acc.kind, len(acc.keys), tc.kind, tc.keys)
			}
			if tc.src == win && (acc.winLo != 10 || acc.winHi != 19) {
				t.Fatalf("window bounds [%d, %d], want [10, 19]", acc.winLo, acc.winHi)
			}
		})
	}
}

// openStoreEngine opens an engine on lg and the state in dir; close
// closes both, and runs at the test's end if not before.
func openStoreEngine(t testing.TB, dir string, lg logstore.Log) (e *Engine, close func()) {
	t.Helper()
	sr, err := registry.Open(context.Background(), lg, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e = New(Options{Log: lg, State: st, Registry: SchemaRegistry(sr), Functions: builtin.New(), Manual: true})
	closed := false
	close = func() {
		if !closed {
			closed = true
			e.Close()
			st.Close()
		}
	}
	t.Cleanup(close)
	return e, close
}

// pullRows runs a pull query and returns its rows formatted, and whether
// the store answered it.
func pullRows(t *testing.T, e *Engine, sql string) []string {
	t.Helper()
	c, err := e.Query(context.Background(), nil, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for _, r := range c.static {
		out = append(out, fmt.Sprint(r))
	}
	return out
}

func TestPullFromStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	ddl := `
CREATE STREAM s (id STRING KEY, amount INT) WITH (kafka_topic='s', value_format='JSON', partitions=4);
CREATE TABLE t AS SELECT id, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY id;
CREATE TABLE w AS SELECT id, COUNT(*) AS n FROM s WINDOW TUMBLING (SIZE 10 MILLISECONDS) GROUP BY id;
CREATE SOURCE TABLE c (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='c', value_format='JSON', partitions=2);
`
	e, closeEngine := openStoreEngine(t, dir, lg)
	if _, err := e.Execute(ctx, nil, ddl); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("k%02d", i%10)
		if _, err := e.Execute(ctx, nil, fmt.Sprintf("INSERT INTO s (ROWTIME, id, amount) VALUES (%d, '%s', %d);", i, k, i)); err != nil {
			t.Fatal(err)
		}
	}
	prod := func(key, val string) {
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		rec := logstore.Record{Key: []byte(key), Partition: logstore.Partition([]byte(key), 2)}
		if val != "" {
			rec.Value = []byte(val)
		}
		if err := txn.Produce(ctx, "c", rec); err != nil {
			t.Fatal(err)
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	prod("a", `{"V":1}`)
	prod("b", `{"V":2}`)
	prod("b", `not json`) // undecodable: b keeps its last row
	prod("c", `{"V":3}`)
	prod("c", "") // tombstone
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"SELECT * FROM t WHERE id = 'k03';":                      {"[k03 2 16]"},
		"SELECT * FROM t WHERE id IN ('k09', 'k01', 'zz');":      {"[k01 2 12]", "[k09 2 28]"},
		"SELECT id, total FROM t WHERE id >= 'k07';":             {"[k07 24]", "[k08 26]", "[k09 28]"},
		"SELECT id FROM t WHERE total > 25;":                     {"[k08]", "[k09]"},
		"SELECT id, n FROM t WHERE id < 'k02' LIMIT 1;":          {"[k00 2]"},
		"SELECT * FROM w WHERE id = 'k02';":                      {"[k02 0 10 1]", "[k02 10 20 1]"},
		"SELECT * FROM w WHERE id = 'k02' AND WINDOWSTART >= 5;": {"[k02 10 20 1]"},
		"SELECT * FROM c;":                                       {"[a 1]", "[b 2]"},
		"SELECT v FROM c WHERE id = 'b';":                        {"[2]"},
	}
	check := func(e *Engine) {
		t.Helper()
		for sql, rows := range want {
			// The GROUP BY result is read from its aggregate store; the
			// windowed one and the source table from their topics'
			// materializations.
			for name, aggregate := range map[string]bool{"T": true, "W": false, "C": false} {
				src, _ := e.cat.Source(name)
				ts, ok := e.materialization(src)
				if !ok {
					t.Fatalf("table %s has no materialization", name)
				}
				if (ts.view != nil) != aggregate {
					t.Fatalf("table %s: read from its aggregate store: %v, want %v", name, ts.view != nil, aggregate)
				}
			}
			if got := pullRows(t, e, sql); !reflect.DeepEqual(got, rows) {
				t.Errorf("%s\n got %v\nwant %v", sql, got, rows)
			}
		}
	}
	check(e)
	// A restart on the same state resumes from the stores' checkpoints; one
	// on an empty state directory restores them from the topics.
	for _, stateDir := range []string{dir, t.TempDir()} {
		closeEngine()
		e, closeEngine = openStoreEngine(t, stateDir, lg)
		if _, err := e.Execute(ctx, nil, ddl); err != nil {
			t.Fatal(err)
		}
		if err := e.RunUntilIdle(ctx); err != nil {
			t.Fatal(err)
		}
		check(e)
	}
	// A source table dropped and declared again restores from its topic.
	if _, err := e.Execute(ctx, nil, `DROP TABLE c;
CREATE SOURCE TABLE c (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='c', value_format='JSON', partitions=2);`); err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	check(e)
}
