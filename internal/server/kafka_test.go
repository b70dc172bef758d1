package server_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/server"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestNodeOnKafka runs a server node on the real Kafka broker (--log
// kafka): a stream, a persistent query committing through Kafka
// transactions, an insert, and a pull query reading the result back.
func TestNodeOnKafka(t *testing.T) {
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	suffix := fmt.Sprintf("%d%d", time.Now().UnixNano()%1e6, rand.Intn(1000))
	node, err := server.OpenNode(ctx, server.NodeOptions{Props: map[string]string{
		server.PropLogBackend:            "kafka",
		"ksql.streams.bootstrap.servers": bootstrap,
		server.PropStateDir:              t.TempDir(),
		server.PropServiceID:             "kt" + suffix + "_",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	sess := engine.NewSession()
	sess.Props["auto.offset.reset"] = "earliest"
	stmts := fmt.Sprintf(`
CREATE STREAM kin (id INT KEY, v STRING) WITH (kafka_topic='kin_%[1]s', value_format='JSON', partitions=2);
CREATE STREAM kout WITH (kafka_topic='kout_%[1]s') AS SELECT id, UCASE(v) AS v FROM kin;
INSERT INTO kin (id, v) VALUES (1, 'hello');
INSERT INTO kin (id, v) VALUES (2, 'world');
`, suffix)
	if _, err := node.Engine.Execute(ctx, sess, stmts); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	var got []string
	for time.Now().Before(deadline) {
		c, err := node.Engine.Query(ctx, sess, "SELECT id, v FROM kout;")
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for {
			r, ok, err := c.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			got = append(got, fmt.Sprint(r[0], "=", r[1]))
		}
		if len(got) == 2 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(got) != 2 || (got[0] != "1=HELLO" && got[1] != "1=HELLO") {
		t.Fatalf("kout on Kafka holds %v, want 1=HELLO and 2=WORLD", got)
	}
}
