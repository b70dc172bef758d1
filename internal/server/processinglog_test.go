package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/server"
)

// TestProcessingLogStream sends malformed records through a persistent
// query on a node with the default settings: the query goes on, and the
// errors can be read back with SQL from KSQL_PROCESSING_LOG, as in ksqlDB.
func TestProcessingLogStream(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node, err := server.OpenNode(ctx, server.NodeOptions{Props: map[string]string{
		server.PropStateDir: t.TempDir(),
		server.PropSyncMode: "never",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	sess := engine.NewSession()
	sess.Props["auto.offset.reset"] = "earliest"
	if _, err := node.Engine.Execute(ctx, sess, `
CREATE STREAM plin (id INT KEY, n INT) WITH (kafka_topic='plin', value_format='JSON', partitions=1);
CREATE STREAM plout AS SELECT id, 100 / n AS q FROM plin;`); err != nil {
		t.Fatal(err)
	}
	txn, err := node.Log.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int32) []byte { return []byte{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i)} }
	if err := txn.Produce(ctx, "plin",
		logstore.Record{Key: key(1), Value: []byte(`{"N": 4}`)},
		logstore.Record{Key: key(2), Value: []byte(`{"N": not json`)},
		logstore.Record{Key: key(3), Value: []byte(`{"N": 5}`)},
	); err != nil {
		t.Fatal(err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var logged []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		logged = pullAll(ctx, t, node.Engine, sess, "SELECT LOGGER, MESSAGE->TYPE, MESSAGE->DESERIALIZATIONERROR->TARGET, MESSAGE->DESERIALIZATIONERROR->`TOPIC`, MESSAGE->DESERIALIZATIONERROR->ERRORMESSAGE FROM KSQL_PROCESSING_LOG;")
		if len(logged) > 0 {
			break
		}
	}
	if len(logged) != 1 {
		t.Fatalf("KSQL_PROCESSING_LOG holds %d entries, want 1: %v", len(logged), logged)
	}
	if !strings.HasPrefix(logged[0], "processing.CSAS_PLOUT_") || !strings.Contains(logged[0], "|0|value|plin|Failed to deserialize value from topic: plin") {
		t.Errorf("processing log entry %q", logged[0])
	}
	// The query went on past the bad record.
	var out []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && len(out) < 2; time.Sleep(100 * time.Millisecond) {
		out = pullAll(ctx, t, node.Engine, sess, "SELECT id, q FROM plout;")
	}
	if strings.Join(out, ",") != "1|25,3|20" {
		t.Errorf("plout holds %v, want 1|25 and 3|20", out)
	}
}

func pullAll(ctx context.Context, t *testing.T, eng *engine.Engine, sess *engine.Session, q string) []string {
	t.Helper()
	c, err := eng.Query(ctx, sess, q)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out []string
	for {
		r, ok, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		parts := make([]string, len(r))
		for i, v := range r {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
}
