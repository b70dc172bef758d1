package engine_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	sluiceserver "github.com/sluicedb/sluice/internal/server"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// countingForwarder counts the pull reads a server forwards.
type countingForwarder struct {
	inner engine.PullForwarder
	n     atomic.Int64
}

func (c *countingForwarder) ReadRemote(ctx context.Context, url string, req *engine.PullRead) ([]engine.StoredRow, error) {
	c.n.Add(1)
	return c.inner.ReadRemote(ctx, url, req)
}

// pullServer is one in-process server: an engine on its own Kafka client
// and state, and the REST API on a listener it advertises.
type pullServer struct {
	eng *engine.Engine
	fwd *countingForwarder
}

func startPullServer(ctx context.Context, t *testing.T, bootstrap, svc string) *pullServer {
	t.Helper()
	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := pebblestore.Open(filepath.Join(t.TempDir(), "state"), pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fwd := &countingForwarder{inner: &sluiceserver.PullClient{}}
	eng := engine.New(engine.Options{Log: lg, State: st, Functions: builtin.New(), ServiceID: svc,
		Config:     map[string]string{"ksql.streams.session.timeout.ms": "6000"},
		Advertised: "http://" + ln.Addr().String(), Forward: fwd})
	if err := eng.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := sluiceserver.New(sluiceserver.Options{Engine: eng, Queries: sluiceserver.EngineQueries{Engine: eng}, ServiceID: svc})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		<-done
		eng.Close()
		st.Close()
		lg.Close()
	})
	return &pullServer{eng: eng, fwd: fwd}
}

// pull runs a pull query on s and returns its rows formatted, sorted.
func (s *pullServer) pull(ctx context.Context, sql string) ([]string, error) {
	c, err := s.eng.Query(ctx, nil, sql)
	if err != nil {
		return nil, err
	}
	var out []string
	for {
		r, ok, err := c.Next(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		out = append(out, fmt.Sprint(r))
	}
	sort.Strings(out)
	return out, nil
}

// TestPullQueriesRouteToOwners runs two servers with one service id on the
// real broker, sharing a CTAS aggregation over a 4-partition topic, and
// pulls every key and a table scan from each, and the same of a source
// table: each server answers the partitions it owns from its stores and
// forwards the rest to their owner, so both return the same rows, equal
// to the aggregate and to the source table's topic.
func TestPullQueriesRouteToOwners(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in short mode: two servers on Kafka")
	}
	bootstrap := testsvc.Kafka(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suffix := fmt.Sprintf("%x", time.Now().UnixNano())
	svc := "pull" + suffix + "_"

	lg, err := kafka.Open(ctx, kafka.Options{BootstrapServers: []string{bootstrap}})
	if err != nil {
		t.Fatal(err)
	}
	defer lg.Close()
	in := "pin_" + suffix
	if err := lg.CreateTopic(ctx, in, logstore.TopicConfig{Partitions: 4, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	const records, groups = 2000, 40
	want := map[int][2]int{}
	txn, err := lg.Begin(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < records; i++ {
		key := []byte(fmt.Sprintf("k%05d", i))
		g := i % groups
		w := want[g]
		want[g] = [2]int{w[0] + 1, w[1] + i}
		rec := logstore.Record{Key: key, Value: fmt.Appendf(nil, `{"G":%d,"V":%d}`, g, i), Partition: logstore.Partition(key, 4)}
		if err := txn.Produce(ctx, in, rec); err != nil {
			t.Fatal(err)
		}
	}
	// A source table of its own topic, materialized by the engine.
	ptab := "ptab_" + suffix
	if err := lg.CreateTopic(ctx, ptab, logstore.TopicConfig{Partitions: 4, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < groups; i++ {
		key := []byte(fmt.Sprintf("t%03d", i))
		rec := logstore.Record{Key: key, Value: fmt.Appendf(nil, `{"X":%d}`, i*i), Partition: logstore.Partition(key, 4)}
		if err := txn.Produce(ctx, ptab, rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := txn.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	a := startPullServer(ctx, t, bootstrap, svc)
	b := startPullServer(ctx, t, bootstrap, svc)
	sess := engine.NewSession()
	sess.Props["auto.offset.reset"] = "earliest"
	if _, err := a.eng.Execute(ctx, sess, fmt.Sprintf(`
CREATE STREAM pin (k STRING KEY, g INT, v INT) WITH (kafka_topic='%s', value_format='JSON');
CREATE TABLE pagg WITH (kafka_topic='pagg_%s', partitions=4) AS SELECT g, COUNT(*) AS n, SUM(v) AS total FROM pin GROUP BY g;
CREATE SOURCE TABLE ptab (id STRING PRIMARY KEY, x INT) WITH (kafka_topic='%s', value_format='JSON');`, in, suffix, ptab)); err != nil {
		t.Fatal(err)
	}
	var scan []string
	for g := 0; g < groups; g++ {
		scan = append(scan, fmt.Sprintf("[%d %d %d]", g, want[g][0], want[g][1]))
	}
	sort.Strings(scan)
	// Wait until both servers answer the scan with the whole aggregate:
	// b has followed the command topic, the group has balanced, and the
	// query has processed its input.
	var tabScan []string
	for i := 0; i < groups; i++ {
		tabScan = append(tabScan, fmt.Sprintf("[t%03d %d]", i, i*i))
	}
	sort.Strings(tabScan)
	scans := map[string][]string{"SELECT * FROM pagg;": scan, "SELECT * FROM ptab;": tabScan}
	for _, s := range []*pullServer{a, b} {
		for q, want := range scans {
			for {
				got, err := s.pull(ctx, q)
				if err == nil && reflect.DeepEqual(got, want) {
					break
				}
				if ctx.Err() != nil {
					t.Fatalf("%s never returned the whole table: last %v, %v", q, got, err)
				}
				time.Sleep(250 * time.Millisecond)
			}
		}
	}
	type lookup struct{ q, row string }
	var lookups []lookup
	for g := 0; g < groups; g++ {
		lookups = append(lookups,
			lookup{fmt.Sprintf("SELECT * FROM pagg WHERE g = %d;", g), fmt.Sprintf("[%d %d %d]", g, want[g][0], want[g][1])},
			lookup{fmt.Sprintf("SELECT x FROM ptab WHERE id = 't%03d';", g), fmt.Sprintf("[%d]", g*g)})
	}
	for _, l := range lookups {
		q, wantRow := l.q, []string{l.row}
		for name, s := range map[string]*pullServer{"a": a, "b": b} {
			got, err := s.pull(ctx, q)
			if err != nil {
				t.Fatalf("server %s: %s: %v", name, q, err)
			}
			if !reflect.DeepEqual(got, wantRow) {
				t.Errorf("server %s: %s: got %v, want %v", name, q, got, wantRow)
			}
		}
	}
	for name, s := range map[string]*pullServer{"a": a, "b": b} {
		for q, want := range scans {
			got, err := s.pull(ctx, q)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("server %s: %s: got %v (%v), want %v", name, q, got, err, want)
			}
		}
		// Each server owns some partitions and not others, so each
		// forwarded reads.
		if s.fwd.n.Load() == 0 {
			t.Errorf("server %s never forwarded a read: it owns every partition", name)
		}
		t.Logf("server %s forwarded %d pull reads", name, s.fwd.n.Load())
	}
}
