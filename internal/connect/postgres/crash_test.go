package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
)

const (
	childEnv    = "SLUICE_PG_CRASH_CHILD"
	childDirEnv = "SLUICE_PG_CRASH_DIR"
)

func TestMain(m *testing.M) {
	if cfg := os.Getenv(childEnv); cfg != "" {
		os.Exit(crashChild(cfg, os.Getenv(childDirEnv)))
	}
	os.Exit(m.Run())
}

// crashChild runs the connector over an embedded log until it is killed.
func crashChild(cfgJSON, dir string) int {
	var cfg map[string]string
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child config:", err)
		return 2
	}
	ctx := context.Background()
	l, err := embedded.Open(dir, embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child log:", err)
		return 2
	}
	reg, err := registry.Open(ctx, l, registry.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child registry:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rt := connect.NewRuntime(connect.Options{Log: l, Registry: reg, Plugins: plugins(), Logger: logger, RestartBackoff: 50 * time.Millisecond})
	if err := rt.Create(ctx, "crash", false, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "child create:", err)
		return 2
	}
	select {} // until SIGKILL
}

// TestCrash kills the process running the connector with SIGKILL while
// changes stream, several times, and checks that every change arrives
// exactly once, in commit order per key.
func TestCrash(t *testing.T) {
	e := newEnv(t)
	e.close() // the children own the log directory
	const keys = 200
	e.exec(`CREATE TABLE crash (id int PRIMARY KEY, v int NOT NULL)`)
	e.exec(`INSERT INTO crash SELECT g, 0 FROM generate_series(1, $1) g`, keys)
	cfg := e.config("max.batch.size", "512")
	cfgJSON, _ := json.Marshal(cfg)

	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(cfgJSON), childDirEnv+"="+e.dir)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	kill := func(cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}

	// The writer bumps random keys in transactions of random size, some
	// larger than a batch so that kills land inside transactions too.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var changes int
	writing := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(writing)
		conn, err := pgx.Connect(ctx, e.dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(context.Background())
		rng := rand.New(rand.NewPCG(1, 2))
		for changes < 100_000 && ctx.Err() == nil {
			tx, err := conn.Begin(ctx)
			if err != nil {
				return
			}
			stmts := 1 + rng.IntN(4)
			if rng.IntN(20) == 0 {
				stmts = 20 // 4,000 changes in one transaction
			}
			n := 0
			for i := 0; i < stmts; i++ {
				ids := make([]int32, 0, keys)
				for k := 1; k <= keys; k++ {
					if rng.IntN(2) == 0 {
						ids = append(ids, int32(k))
					}
				}
				if _, err := tx.Exec(ctx, `UPDATE crash SET v = v + 1 WHERE id = ANY($1)`, ids); err != nil {
					tx.Rollback(context.Background())
					return
				}
				n += len(ids)
			}
			if err := tx.Commit(ctx); err != nil {
				return
			}
			changes += n
		}
	}()

	child := start()
	kills := 0
	for done := false; !done && kills < 20; {
		select {
		case <-writing:
			done = kills >= 4
		case <-time.After(time.Duration(200+rand.IntN(500)) * time.Millisecond):
		}
		kill(child)
		child = start()
		kills++
	}
	wg.Wait()
	t.Logf("%d kills", kills)
	cancel()
	t.Logf("%d changes written", changes)

	// Wait for the child to confirm everything, then stop it.
	waitConfirmed(t, e.db, cfg["slot.name"], 2*time.Minute, func() { kill(child) })
	kill(child)

	e.open()
	checkCounters(t, e, "srv.public.crash", e.db)
}

// waitConfirmed waits until slot has confirmed the server's current WAL
// position: everything committed so far is in the log. onFail runs before
// a timeout fails the test.
func waitConfirmed(t testing.TB, db *pgx.Conn, slot string, timeout time.Duration, onFail func()) {
	t.Helper()
	var end string
	if err := db.QueryRow(context.Background(), `SELECT pg_current_wal_lsn()::text`).Scan(&end); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for {
		var caught bool
		err := db.QueryRow(context.Background(), `SELECT confirmed_flush_lsn >= $1::pg_lsn FROM pg_replication_slots WHERE slot_name = $2`, end, slot).Scan(&caught)
		if err == nil && caught {
			return
		}
		if time.Now().After(deadline) {
			if onFail != nil {
				onFail()
			}
			t.Fatalf("the connector did not catch up to %s", end)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkCounters checks topic against a table (id int PRIMARY KEY, v int)
// whose rows only ever get v = v + 1: every change must arrive exactly
// once, in commit order per key, up to the table's current values.
func checkCounters(t testing.TB, e *env, topic string, db *pgx.Conn) {
	t.Helper()
	want := map[int32]int32{}
	rows, err := db.Query(context.Background(), `SELECT id, v FROM `+strings.TrimPrefix(topic, "srv.public."))
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, v int32
		rows.Scan(&id, &v)
		want[id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// The snapshot may run after the writer started: each key's first
	// record is its snapshot value, and every later one adds exactly one.
	recs := e.readUpTo(topic, 1<<30, 5*time.Second, false)
	next := map[int32]int32{}
	seen, resnapshots := 0, 0
	for _, r := range recs {
		env := r.value.(*connect.Struct)
		id := r.key.(*connect.Struct).Get("id").(int32)
		v := env.Get("after").(*connect.Struct).Get("v").(int32)
		if env.Get("op") == "r" {
			// A kill during the snapshot makes the next run snapshot
			// again from a new slot, as Debezium does; the stream then
			// goes on from the new snapshot's values.
			if _, again := next[id]; again {
				resnapshots++
			}
			next[id] = v
		}
		if v != next[id] {
			src := env.Get("source").(*connect.Struct)
			t.Fatalf("key %d: got v=%d at offset %d, want %d (a change lost, duplicated or out of order); source %s", id, v, r.offset, next[id], render(src))
		}
		next[id] = v + 1
		seen++
	}
	t.Logf("%d records checked (%d rows snapshotted again after a kill in the snapshot)", seen, resnapshots)
	if len(want) == 0 {
		t.Fatal("the table is empty")
	}
	for id, v := range want {
		if next[id] != v+1 {
			t.Fatalf("key %d: last v=%d, want %d", id, next[id]-1, v)
		}
	}
}
