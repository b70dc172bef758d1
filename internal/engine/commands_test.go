package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// commandOrder records, from an engine's debug log, the offsets of the
// commands it ran in the order it ran them.
type commandOrder struct {
	mu      sync.Mutex
	offsets []int64
	errs    []string // the engine's error log, for failure messages
}

func (o *commandOrder) Enabled(context.Context, slog.Level) bool { return true }
func (o *commandOrder) WithAttrs([]slog.Attr) slog.Handler       { return o }
func (o *commandOrder) WithGroup(string) slog.Handler            { return o }
func (o *commandOrder) Handle(_ context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
			return true
		})
		o.mu.Lock()
		o.errs = append(o.errs, b.String())
		o.mu.Unlock()
	}
	if r.Message != "command ran" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "offset" {
			o.mu.Lock()
			o.offsets = append(o.offsets, a.Value.Int64())
			o.mu.Unlock()
		}
		return true
	})
	return nil
}

func (o *commandOrder) list() []int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.offsets)
}

// kafkaServer is one engine on the shared broker, as a server with the
// service id svc runs it.
type kafkaServer struct {
	eng   *engine.Engine
	order *commandOrder
	close func()
}

func openKafkaServer(ctx context.Context, t *testing.T, bootstrap, svc string) *kafkaServer {
	t.Helper()
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(t.TempDir(), "state"), pebblestore.Options{})
	if err != nil {
		lg.Close()
		t.Fatal(err)
	}
	order := &commandOrder{}
	eng := engine.New(engine.Options{Log: lg, State: st, Functions: builtin.New(), ServiceID: svc,
		Logger: slog.New(order)})
	if err := eng.Restore(ctx); err != nil {
		eng.Close()
		st.Close()
		lg.Close()
		t.Fatal(err)
	}
	return &kafkaServer{eng: eng, order: order, close: func() { eng.Close(); st.Close(); lg.Close() }}
}

// catalogView is what SHOW STREAMS, SHOW TABLES and SHOW QUERIES tell of
// an engine's catalog.
func catalogView(eng *engine.Engine) string {
	var lines []string
	for _, s := range eng.Catalog().Sources() {
		var cols []string
		for _, c := range s.Schema.Columns {
			cols = append(cols, c.Name+" "+c.Type.String())
		}
		lines = append(lines, fmt.Sprintf("source %s %v topic=%s (%s)", s.Name, s.Kind, s.Topic, strings.Join(cols, ", ")))
	}
	for _, q := range eng.Catalog().Queries() {
		lines = append(lines, fmt.Sprintf("query %s sink=%s: %s", q.ID, q.Sink, q.SQL))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// TestCommandTopicOrdersConcurrentStatements has two engines with one
// service id on the real broker take statements at once, several of them
// conflicting (the same name created twice with different columns, a
// CREATE racing a DROP), and checks that both ran the commands in the
// topic's order and so hold the same catalog, and that a restarted
// engine replays the topic to that catalog too.
func TestCommandTopicOrdersConcurrentStatements(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: runs two engines on the Kafka test broker")
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suffix := fmt.Sprintf("%x", time.Now().UnixNano())
	svc := "cmd" + suffix + "_"
	a := openKafkaServer(ctx, t, bootstrap, svc)
	defer a.close()
	b := openKafkaServer(ctx, t, bootstrap, svc)
	defer b.close()

	// Each server gets its own script; the scripts collide on names.
	scripts := map[*kafkaServer][]string{}
	for i, s := range []*kafkaServer{a, b} {
		var stmts []string
		for r := range 4 {
			// Both create SHARED_r, with different columns: whichever
			// the topic holds first wins on both servers.
			stmts = append(stmts, fmt.Sprintf("CREATE STREAM shared_%d (k STRING KEY, c%d BIGINT) WITH (kafka_topic='shared_%d_%s', value_format='JSON', partitions=1);", r, i, r, suffix))
			// One creates a derived stream, the other drops its source:
			// either the DROP fails (the query reads it) or the CSAS does.
			if i == 0 {
				stmts = append(stmts, fmt.Sprintf("CREATE STREAM derived_%d AS SELECT * FROM shared_%d;", r, r))
			} else {
				stmts = append(stmts, fmt.Sprintf("DROP STREAM IF EXISTS shared_%d;", r))
			}
			stmts = append(stmts, fmt.Sprintf("CREATE STREAM own_%d_%d (k STRING KEY, v BIGINT) WITH (kafka_topic='own_%d_%d_%s', value_format='JSON', partitions=1);", i, r, i, r, suffix))
		}
		scripts[s] = stmts
	}
	start := time.Now()
	var wg sync.WaitGroup
	results := map[*kafkaServer][]string{}
	var mu sync.Mutex
	for s, stmts := range scripts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, stmt := range stmts {
				r, err := s.eng.ExecuteOne(ctx, engine.NewSession(), stmt)
				out := "error"
				if err != nil {
					t.Logf("%s: %v", stmt, err)
				}
				if err == nil {
					out = "ok"
					if r.CommandSeq == nil {
						out = "ok without a command sequence number"
					}
				}
				mu.Lock()
				results[s] = append(results[s], out)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("statements took %v", time.Since(start))
	// Each engine answered its own statements once its runner had run
	// them; the other's may still be on their way.
	total := len(scripts[a]) + len(scripts[b])
	deadline := time.Now().Add(time.Minute)
	for len(a.order.list()) < total || len(b.order.list()) < total {
		if time.Now().After(deadline) {
			t.Fatalf("commands run: a %d, b %d, want %d each", len(a.order.list()), len(b.order.list()), total)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for s, name := range map[*kafkaServer]string{a: "a", b: "b"} {
		for i, r := range results[s] {
			if r == "ok without a command sequence number" {
				t.Errorf("server %s, statement %d: %s", name, i, r)
			}
		}
	}
	if oa, ob := a.order.list(), b.order.list(); !slices.Equal(oa, ob) || !slices.IsSorted(oa) {
		t.Fatalf("command order differs or is not the topic's:\na: %v\nb: %v", oa, ob)
	}
	va, vb := catalogView(a.eng), catalogView(b.eng)
	if va != vb {
		t.Fatalf("catalogs differ:\n--- a\n%s\n--- b\n%s\n--- a's errors\n%s\n--- b's errors\n%s", va, vb,
			strings.Join(a.order.errs, "\n"), strings.Join(b.order.errs, "\n"))
	}
	for r := range 4 {
		if _, ok := a.eng.Catalog().Source(fmt.Sprintf("OWN_0_%d", r)); !ok {
			t.Errorf("OWN_0_%d missing:\n%s", r, va)
		}
	}
	t.Logf("results: a %v, b %v", results[a], results[b])

	// A third engine with the service id replays the topic to the same
	// catalog, as a restarted server does.
	c := openKafkaServer(ctx, t, bootstrap, svc)
	defer c.close()
	if vc := catalogView(c.eng); vc != va {
		t.Fatalf("restarted engine's catalog differs:\n--- before\n%s\n--- after restart\n%s", va, vc)
	}
	// And a statement sent to it runs on the others.
	if _, err := c.eng.ExecuteOne(ctx, engine.NewSession(), "DROP STREAM own_1_0;"); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; {
		_, okA := a.eng.Catalog().Source("OWN_1_0")
		_, okB := b.eng.Catalog().Source("OWN_1_0")
		if !okA && !okB {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a DROP run on a third engine never reached the others")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCommandTopicLegacyName checks that a data directory whose command
// topic has the name older versions used keeps it, and that a new one
// gets ksqlDB's name.
func TestCommandTopicLegacyName(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		legacy bool
	}{{"fresh", false}, {"legacy", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			legacy := "_sluice_default__command_topic"
			if tc.legacy {
				lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := lg.CreateTopic(ctx, legacy, logstore.TopicConfig{Partitions: 1, Replicas: 1}); err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(map[string]any{"statement": "CREATE STREAM old_s (k STRING KEY, v BIGINT) WITH (kafka_topic='old_s', value_format='JSON', partitions=1);"})
				txn, err := lg.Begin(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				if err := txn.Produce(ctx, legacy, logstore.Record{Value: b}); err != nil {
					t.Fatal(err)
				}
				if _, err := txn.Commit(ctx); err != nil {
					t.Fatal(err)
				}
				lg.Close()
			}
			eng, lg, closeAll, err := openStack(dir, false)
			if err != nil {
				t.Fatal(err)
			}
			defer closeAll()
			if err := eng.Restore(ctx); err != nil {
				t.Fatal(err)
			}
			r, err := eng.ExecuteOne(ctx, engine.NewSession(), "CREATE STREAM new_s (k STRING KEY, v BIGINT) WITH (kafka_topic='new_s', value_format='JSON', partitions=1);")
			if err != nil {
				t.Fatal(err)
			}
			want, other := engine.CommandTopic("default_"), legacy
			wantSeq := int64(0)
			if tc.legacy {
				want, other = legacy, engine.CommandTopic("default_")
				wantSeq = 1
				if _, ok := eng.Catalog().Source("OLD_S"); !ok {
					t.Error("the legacy command topic was not replayed")
				}
			}
			if r.CommandSeq == nil || *r.CommandSeq != wantSeq {
				t.Errorf("command sequence number %v, want %d", r.CommandSeq, wantSeq)
			}
			if n := len(readAll(t, lg, want)); n != int(wantSeq)+1 {
				t.Errorf("%s holds %d commands, want %d", want, n, wantSeq+1)
			}
			if _, err := lg.DescribeTopic(ctx, other); err == nil {
				t.Errorf("%s was created too", other)
			}
		})
	}
}
