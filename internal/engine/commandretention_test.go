package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestCommandTopicKeptForever checks, on the real broker, that the command
// topic (the catalog) is created with unlimited retention, as ksqlDB
// creates it: under the broker's default 7 days a server would lose its
// streams and queries.
func TestCommandTopicKeptForever(t *testing.T) {
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
}
