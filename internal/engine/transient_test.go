package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/value"
)

func collect(t *testing.T, c *engine.Cursor, n int) [][]value.Value {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out [][]value.Value
	for len(out) < n {
		r, ok, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		out = append(out, r)
	}
	return out
}

func TestPullAndPushQueries(t *testing.T) {
	eng, _, _ := newEngine(t)
	ctx := context.Background()
	sess := engine.NewSession()
	if _, err := eng.Execute(ctx, sess, `
CREATE STREAM s (id INT KEY, name STRING, amount INT) WITH (kafka_topic='s', value_format='JSON', partitions=2);
CREATE TABLE t AS SELECT id, COUNT(*) AS n, SUM(amount) AS total FROM s GROUP BY id;
INSERT INTO s (id, name, amount) VALUES (1, 'a', 10);
INSERT INTO s (id, name, amount) VALUES (2, 'b', 20);
INSERT INTO s (id, name, amount) VALUES (1, 'c', 5);
`); err != nil {
		t.Fatal(err)
	}
	if err := eng.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := eng.Query(ctx, sess, "SELECT * FROM t WHERE id = 1;")
	if err != nil {
		t.Fatal(err)
	}
	rows := collect(t, c, 10)
	if len(rows) != 1 || rows[0][1].Bigint() != 2 || rows[0][2].Bigint() != 15 {
		t.Fatalf("pull: %v", rows)
	}
	c, err = eng.Query(ctx, sess, "SELECT name, amount FROM s WHERE amount > 6;")
	if err != nil {
		t.Fatal(err)
	}
	if rows := collect(t, c, 10); len(rows) != 2 {
		t.Fatalf("pull on stream: %v", rows)
	}
	sess.Props["auto.offset.reset"] = "earliest"
	c, err = eng.Query(ctx, sess, "SELECT name FROM s EMIT CHANGES LIMIT 3;")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if rows := collect(t, c, 3); len(rows) != 3 {
		t.Fatalf("push: %v", rows)
	}
}
