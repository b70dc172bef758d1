package engine_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

const crashChildEnv = "SLUICE_ENGINE_CRASH_CHILD"

// TestMain lets the crash test re-execute this binary as a server-like
// child process that it can SIGKILL.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// openStack opens the storage of a data directory as a server does.
func openStack(dir string, manual bool) (*engine.Engine, logstore.Log, func(), error) {
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := context.Background()
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		lg.Close()
		return nil, nil, nil, err
	}
	st, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{})
	if err != nil {
		lg.Close()
		return nil, nil, nil, err
	}
	eng := engine.New(engine.Options{Log: lg, State: st, Registry: engine.SchemaRegistry(sr), Functions: builtin.New(), Manual: manual})
	return eng, lg, func() { eng.Close(); st.Close(); lg.Close() }, nil
}

// crashScripts are the queries the crash tests kill mid-stream: a
// stateless CSAS, a windowed aggregation and a windowed stream-stream
// join. Each writes OUTPUT. The sources say IF NOT EXISTS because an
// early kill can land between two statements of a script, which the next
// child then runs again.
var crashScripts = map[string]string{
	"csas": `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM IF NOT EXISTS input (id STRING KEY, v BIGINT, s STRING) WITH (kafka_topic='input', value_format='JSON');
CREATE STREAM output AS SELECT id, v * 2 AS doubled, UCASE(s) AS s FROM input WHERE v >= 0;
`,
	"window": `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM IF NOT EXISTS input (id STRING KEY, v BIGINT, s STRING) WITH (kafka_topic='input', value_format='JSON');
CREATE TABLE output AS SELECT SUBSTRING(s, 1, 4) AS g, COUNT(*) AS n, SUM(v) AS total
  FROM input WINDOW TUMBLING (SIZE 1000 MILLISECONDS) GROUP BY SUBSTRING(s, 1, 4);
`,
	// fkjoin is fkJoinScript on fixed topics, the INNER join last so that
	// its OUTPUT existing means the whole script ran.
	"fkjoin": `
SET 'auto.offset.reset' = 'earliest';
CREATE TABLE IF NOT EXISTS customers (id BIGINT PRIMARY KEY, name STRING) WITH (kafka_topic='fk_customers_crash', value_format='JSON');
CREATE TABLE IF NOT EXISTS orders (id BIGINT PRIMARY KEY, customer BIGINT, amount BIGINT) WITH (kafka_topic='fk_orders_crash', value_format='JSON');
CREATE TABLE IF NOT EXISTS enriched_left WITH (kafka_topic='fk_left_crash') AS
  SELECT o.id AS id, o.amount AS amount, c.name AS name FROM orders o LEFT JOIN customers c ON o.customer = c.id;
CREATE TABLE output WITH (kafka_topic='fk_inner_crash') AS
  SELECT o.id AS id, o.customer AS customer, o.amount AS amount, c.name AS name FROM orders o JOIN customers c ON o.customer = c.id;
`,
	"join": `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM IF NOT EXISTS input (id STRING KEY, v BIGINT, s STRING) WITH (kafka_topic='input', value_format='JSON');
CREATE STREAM IF NOT EXISTS other (id STRING KEY, w BIGINT) WITH (kafka_topic='other', value_format='JSON');
CREATE STREAM output AS SELECT i.id AS id, i.v AS v, o.w AS w FROM input i
  JOIN other o WITHIN 500 MILLISECONDS ON i.id = o.id;
`,
}

// crashChild restores the catalog from the command log (creating the
// query on first start) and runs until killed. arg is "scenario:dir".
func crashChild(arg string) error {
	scenario, dir, _ := strings.Cut(arg, ":")
	eng, _, _, err := openStack(dir, false)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := eng.Restore(ctx); err != nil {
		return err
	}
	if _, ok := eng.Catalog().Source("OUTPUT"); !ok {
		if _, err := eng.Execute(ctx, engine.NewSession(), crashScripts[scenario]); err != nil {
			return err
		}
	}
	select {}
}

func countOutputs(t *testing.T, lg logstore.Log) (int, map[string]int) {
	t.Helper()
	ctx := context.Background()
	seen := map[string]int{}
	n := 0
	if _, err := lg.DescribeTopic(ctx, "OUTPUT"); err != nil {
		return 0, seen
	}
	for _, r := range readAll(t, lg, "OUTPUT") {
		seen[string(r.Key)]++
		n++
	}
	return n, seen
}

// TestCrashRestartExactlyOnce kills the engine with SIGKILL in the middle
// of a CSAS over 100,000 records, restarts it from its data directory, and
// checks the output holds exactly one result per input.
func TestCrashRestartExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test re-executes the test binary; skipped with -short")
	}
	const total = 100_000
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := lg.CreateTopic(ctx, "input", logstore.TopicConfig{Partitions: 2, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	for batch := 0; batch < total; batch += 10_000 {
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := batch; i < batch+10_000; i++ {
			key := []byte(strconv.Itoa(i))
			val := []byte(fmt.Sprintf(`{"v":%d,"s":"row%d"}`, i, i))
			if err := txn.Produce(ctx, "input", logstore.Record{Key: key, Value: val, Timestamp: int64(i), Partition: logstore.Partition(key, 2)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lg.Close()

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=csas:"+dir)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// Kill the child every few hundred milliseconds until the output is
	// complete; after each kill, read the output and check that no input
	// has produced two results.
	partial := 0
	var final map[string]int
	for round := 0; round < 40 && len(final) < total; round++ {
		cmd := start()
		// Kill after growing intervals: early ones land before any output,
		// later ones mid-stream, whatever the machine's speed.
		time.Sleep(time.Duration(80+40*round) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		n, seen := countOutputs(t, lg)
		lg.Close()
		t.Logf("after kill %d: %d outputs", round+1, n)
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("key %s has %d results after kill %d", k, c, round+1)
			}
		}
		if n > 0 && n < total {
			partial++
		}
		final = seen
	}
	if partial == 0 {
		t.Fatal("no kill landed in the middle of the query; the test proved nothing")
	}
	if len(final) != total {
		t.Fatalf("output holds %d distinct results, want %d", len(final), total)
	}
}

// produceCrashInputs writes n records to topic over 2 partitions: key i,
// value from val(i), timestamp i ms.
func produceCrashInputs(t *testing.T, lg logstore.Log, topic string, n int, val func(i int) string, ts func(i int) int64) {
	t.Helper()
	ctx := context.Background()
	if err := lg.CreateTopic(ctx, topic, logstore.TopicConfig{Partitions: 2, Replicas: 1}); err != nil {
		t.Fatal(err)
	}
	for batch := 0; batch < n; batch += 10_000 {
		txn, err := lg.Begin(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for i := batch; i < min(batch+10_000, n); i++ {
			key := []byte(strconv.Itoa(i))
			if err := txn.Produce(ctx, topic, logstore.Record{Key: key, Value: []byte(val(i)), Timestamp: ts(i), Partition: logstore.Partition(key, 2)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := txn.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// killUntil runs the scenario's child and SIGKILLs it every few hundred
// milliseconds, calling check on the output after each kill, until check
// reports the output complete. At least one kill must land mid-stream.
func killUntil(t *testing.T, scenario, dir string, check func(lg logstore.Log) (done, partial bool)) {
	t.Helper()
	partials := 0
	for round := 0; round < 60; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+scenario+":"+dir)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(80+40*round) * time.Millisecond)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
		if err != nil {
			t.Fatal(err)
		}
		done, partial := check(lg)
		lg.Close()
		if partial {
			partials++
		}
		if done {
			if partials == 0 {
				t.Fatal("no kill landed in the middle of the query; the test proved nothing")
			}
			return
		}
	}
	t.Fatal("the query never completed")
}

// TestCrashWindowedAggregation kills a windowed aggregation over 100,000
// records again and again; the final table equals an uninterrupted run's
// (computed here): every group and window with its count and sum.
func TestCrashWindowedAggregation(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: crash test re-executes the test binary")
	}
	const total = 100_000
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	produceCrashInputs(t, lg, "input", total, func(i int) string {
		return fmt.Sprintf(`{"v":%d,"s":"g%03d"}`, i, i%50)
	}, func(i int) int64 { return int64(i) })
	lg.Close()
	type agg struct{ n, total int64 }
	want := map[string]agg{}
	for i := 0; i < total; i++ {
		k := fmt.Sprintf("g%03d@%d", i%50, i/1000*1000)
		a := want[k]
		a.n++
		a.total += int64(i)
		want[k] = a
	}
	killUntil(t, "window", dir, func(lg logstore.Log) (bool, bool) {
		got := map[string]agg{}
		if _, err := lg.DescribeTopic(context.Background(), "OUTPUT"); err != nil {
			return false, false
		}
		for _, r := range readAll(t, lg, "OUTPUT") {
			if len(r.Key) < 8 || r.Value == nil {
				continue
			}
			start := int64(binary.BigEndian.Uint64(r.Key[len(r.Key)-8:]))
			var v struct{ N, TOTAL int64 }
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprintf("%s@%d", r.Key[:len(r.Key)-8], start)] = agg{v.N, v.TOTAL}
		}
		// The table is complete when it equals the uninterrupted result;
		// before that, no window may have counted a record twice.
		complete := len(got) == len(want)
		for k, g := range got {
			w := want[k]
			if g.n > w.n || g.total > w.total {
				t.Fatalf("window %s counted %d records (sum %d), more than the %d (sum %d) it has", k, g.n, g.total, w.n, w.total)
			}
			if g != w {
				complete = false
			}
		}
		t.Logf("after a kill: %d of %d windows complete", len(got), len(want))
		return complete, len(got) > 0 && !complete
	})
}

// TestCrashStreamStreamJoin kills a windowed stream-stream join over
// 100,000 records on each side; every pair within the window is joined
// exactly once, as in an uninterrupted run.
func TestCrashStreamStreamJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode: crash test re-executes the test binary")
	}
	const total = 100_000
	dir := t.TempDir()
	lg, err := embedded.Open(filepath.Join(dir, "log"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	produceCrashInputs(t, lg, "input", total, func(i int) string { return fmt.Sprintf(`{"v":%d,"s":"x"}`, i) }, func(i int) int64 { return int64(i) })
	produceCrashInputs(t, lg, "other", total, func(i int) string { return fmt.Sprintf(`{"w":%d}`, i*2) }, func(i int) int64 { return int64(i) + 100 })
	lg.Close()
	killUntil(t, "join", dir, func(lg logstore.Log) (bool, bool) {
		n, seen := countOutputs(t, lg)
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("key %s joined %d times", k, c)
			}
		}
		t.Logf("after a kill: %d joined", n)
		return n == total, n > 0 && n < total
	})
}
