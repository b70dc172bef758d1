package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestInternalTopicsKeptForever checks, on the real broker, that the
// command topic (the catalog) and a query's repartition topic are created
// with unlimited retention, as ksqlDB and Kafka Streams create them: under
// the broker's default 7 days a server would lose its catalog, and old
// records (the tutorial's orders are from 2020) would be deleted before
// the next sub-topology read them.
func TestInternalTopicsKeptForever(t *testing.T) {
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	st, err := pebblestore.Open(filepath.Join(t.TempDir(), "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := fmt.Sprintf("ret%x_", time.Now().UnixNano())
	eng := engine.New(engine.Options{Log: lg, State: st, Functions: builtin.New(), ServiceID: svc})
	defer eng.Close()
	if err := eng.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	ti, err := lg.DescribeTopic(ctx, engine.CommandTopic(svc))
	if err != nil {
		t.Fatal(err)
	}
	if got := ti.Config.Configs["retention.ms"]; got != "-1" {
		t.Errorf("command topic %s: retention.ms=%q, want -1", ti.Name, got)
	}
	sess := engine.NewSession()
	if _, err := eng.Execute(ctx, sess, fmt.Sprintf(`
CREATE STREAM ret_in (id INT KEY, region STRING) WITH (kafka_topic='ret_in_%[1]s', value_format='JSON', partitions=2);
CREATE TABLE ret_by_region AS SELECT region, COUNT(*) AS n FROM ret_in GROUP BY region;`, svc)); err != nil {
		t.Fatal(err)
	}
	topics, err := lg.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ti := range topics {
		if !strings.HasPrefix(ti.Name, "_confluent-ksql-"+svc) || !strings.HasSuffix(ti.Name, "-repartition") {
			continue
		}
		found = true
		if got := ti.Config.Configs["retention.ms"]; got != "-1" {
			t.Errorf("repartition topic %s: retention.ms=%q, want -1", ti.Name, got)
		}
	}
	if !found {
		t.Errorf("no repartition topic of service %s among %d topics", svc, len(topics))
	}
}
