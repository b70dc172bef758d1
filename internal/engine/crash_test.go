package engine_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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

// crashChild restores the catalog from the command log (creating the
// query on first start) and runs until killed.
func crashChild(dir string) error {
	eng, _, _, err := openStack(dir, false)
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := eng.Restore(ctx); err != nil {
		return err
	}
	if _, ok := eng.Catalog().Source("OUTPUT"); !ok {
		sess := engine.NewSession()
		if _, err := eng.Execute(ctx, sess, `
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM input (id STRING KEY, v BIGINT, s STRING) WITH (kafka_topic='input', value_format='JSON');
CREATE STREAM output AS SELECT id, v * 2 AS doubled, UCASE(s) AS s FROM input WHERE v >= 0;
`); err != nil {
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
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
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
		time.Sleep(time.Duration(250+50*(round%4)) * time.Millisecond)
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
