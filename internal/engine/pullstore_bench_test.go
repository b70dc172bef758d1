package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
)

// BenchmarkPull compares pull queries on tables of 100,000 keys in 4
// partitions answered from their stores (store) with the same queries
// answered by scanning the table's topic (topic-scan), the path every pull
// query took before tables were materialized: on a source table, a key
// lookup, a range of 100 keys and a table scan with a filter; on a GROUP
// BY result read from its aggregate store, a key lookup and a scan.
func BenchmarkPull(b *testing.B) {
	const keys = 100_000
	ctx := context.Background()
	dir := b.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	e, closeEngine := openStoreEngine(b, dir, lg)
	defer closeEngine()
	// c is a source table (a topic materialization); g a GROUP BY over
	// the same keys (read from its aggregate store).
	if _, err := e.Execute(ctx, nil, `CREATE SOURCE TABLE c (id STRING PRIMARY KEY, v INT) WITH (kafka_topic='c', value_format='JSON', partitions=4);
CREATE STREAM s (id STRING KEY, v INT) WITH (kafka_topic='s', value_format='JSON', partitions=4);
CREATE TABLE g AS SELECT id, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY id;`); err != nil {
		b.Fatal(err)
	}
	txn, err := lg.Begin(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < keys; i++ {
		k := []byte(fmt.Sprintf("k%06d", i))
		rec := logstore.Record{Key: k, Value: []byte(fmt.Sprintf(`{"V":%d}`, i)), Partition: logstore.Partition(k, 4)}
		if err := txn.Produce(ctx, "c", rec); err != nil {
			b.Fatal(err)
		}
		if err := txn.Produce(ctx, "s", rec); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := txn.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	if err := e.RunUntilIdle(ctx); err != nil {
		b.Fatal(err)
	}
	for _, q := range []struct {
		name, sql string
		rows      int
	}{
		{"key", "SELECT * FROM c WHERE id = 'k054321';", 1},
		{"range", "SELECT * FROM c WHERE id >= 'k012300' AND id < 'k012400';", 100},
		{"scan", "SELECT id FROM c WHERE v % 1000 = 7;", keys / 1000},
		{"agg-key", "SELECT * FROM g WHERE id = 'k054321';", 1},
		{"agg-scan", "SELECT id FROM g WHERE total % 1000 = 7;", keys / 1000},
	} {
		for _, path := range []string{"store", "topic-scan"} {
			b.Run(q.name+"/"+path, func(b *testing.B) {
				e.forceScan = path == "topic-scan"
				defer func() { e.forceScan = false }()
				for i := 0; i < b.N; i++ {
					c, err := e.Query(ctx, nil, q.sql)
					if err != nil {
						b.Fatal(err)
					}
					if len(c.static) != q.rows {
						b.Fatalf("%s: %d rows, want %d", q.sql, len(c.static), q.rows)
					}
				}
			})
		}
	}
}
