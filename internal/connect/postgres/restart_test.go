package postgres_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// TestPostgresRestart restarts the PostgreSQL server under the connector
// while a writer keeps committing: twice with a fast shutdown (sessions
// ended, shutdown checkpoint written) and once with an immediate one (a
// crash: the slot's confirmed position falls back to the last checkpoint
// and the server sends changes the log already has). The connector must
// notice, retry with backoff until the server is back, and resume so that
// every committed change arrives exactly once, in commit order per key.
// The cluster is the test's own, so no other test sees the restarts.
func TestPostgresRestart(t *testing.T) {
	cl := testsvc.NewPostgresCluster(t)
	e := newEnvOn(t, &cl.PG)
	// The task failures go to a recorder, to check the connector retried
	// on its own while the server was down.
	rec := &failureLog{}
	e.close()
	e.logger = slog.New(rec)
	e.open()
	const keys = 200
	e.exec(`CREATE TABLE restart (id int PRIMARY KEY, v int NOT NULL)`)
	e.exec(`INSERT INTO restart SELECT g, 0 FROM generate_series(1, $1) g`, keys)
	// A short maximum backoff keeps the test quick; the point is that
	// the retries happen without anyone asking.
	cfg := e.config("errors.retry.delay.max.ms", "1000", "max.batch.size", "512")
	e.create("restart", cfg)
	e.read("srv.public.restart", keys, 30*time.Second)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var commits, failures atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		writeCounters(ctx, cl, e.dbname, keys, &commits, &failures)
	}()

	records := func() uint64 {
		st, err := e.rt.Describe("restart")
		if err != nil {
			t.Fatal(err)
		}
		return st.Records
	}
	// waitProgress waits until the connector has written more than
	// before and the writer has committed more than c.
	waitProgress := func(before uint64, c int64) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for records() <= before || commits.Load() <= c {
			if time.Now().After(deadline) {
				st, _ := e.rt.Describe("restart")
				t.Fatalf("no progress after the restart: %d records (had %d), %d commits (had %d); connector %+v", records(), before, commits.Load(), c, st)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	waitProgress(keys, 0)
	for i, mode := range []testsvc.StopMode{testsvc.Fast, testsvc.Immediate, testsvc.Fast} {
		// Let changes stream for a while, so the stop lands mid-stream.
		time.Sleep(time.Duration(300+rand.IntN(400)) * time.Millisecond)
		before, c := records(), commits.Load()
		if err := cl.Restart(ctx, mode, 500*time.Millisecond); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
		waitProgress(before, c)
		t.Logf("restart %d (mode %d): %d records and %d commits before, %d records after", i, mode, before, c, records())
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()
	t.Logf("%d transactions committed, %d failed while the server was down", commits.Load(), failures.Load())

	// The test's own session died with the server; check on a new one.
	db, err := cl.Connect(context.Background(), e.dbname)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	waitConfirmed(t, db, cfg["slot.name"], 2*time.Minute, nil)
	st, err := e.rt.Describe("restart")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != connect.Running || st.LastError == "" {
		t.Errorf("after the restarts: state %s, last error %q; want running with the session loss recorded", st.State, st.LastError)
	}
	t.Logf("last error: %s", st.LastError)
	fails, backoffs := rec.snapshot()
	refused := 0
	for _, f := range fails {
		if strings.Contains(f, "connection refused") {
			refused++
		}
	}
	t.Logf("%d task failures, %d of them connection refused; backoffs %v", len(fails), refused, backoffs)
	if refused == 0 {
		t.Errorf("no failed reconnection was logged while the server was down; failures: %q", fails)
	}
	e.close()
	e.open()
	checkCounters(t, e, "srv.public.restart", db)
}

// writeCounters bumps random keys of the restart table in transactions of
// one to four statements until ctx ends, reconnecting whenever the server
// goes away. A commit whose outcome is unknown (the server died during
// it) is fine: the check compares against the table's final contents.
func writeCounters(ctx context.Context, cl *testsvc.PGCluster, db string, keys int, commits, failures *atomic.Int64) {
	rng := rand.New(rand.NewPCG(3, 4))
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	fail := func() {
		failures.Add(1)
		if conn != nil {
			conn.Close(context.Background())
			conn = nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	for ctx.Err() == nil {
		if conn == nil {
			c, err := pgx.Connect(ctx, cl.DSNFor(db))
			if err != nil {
				fail()
				continue
			}
			conn = c
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			fail()
			continue
		}
		ok := true
		for i, n := 0, 1+rng.IntN(4); i < n && ok; i++ {
			ids := make([]int32, 0, keys)
			for k := 1; k <= keys; k++ {
				if rng.IntN(8) == 0 {
					ids = append(ids, int32(k))
				}
			}
			_, err := tx.Exec(ctx, `UPDATE restart SET v = v + 1 WHERE id = ANY($1)`, ids)
			ok = err == nil
		}
		if !ok {
			tx.Rollback(context.Background())
			fail()
			continue
		}
		if err := tx.Commit(ctx); err != nil {
			fail()
			continue
		}
		commits.Add(1)
	}
}

// failureLog is a slog handler keeping the errors and backoffs of the
// runtime's "task failed; restarting" messages.
type failureLog struct {
	mu       sync.Mutex
	errors   []string
	backoffs []time.Duration
}

func (l *failureLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *failureLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *failureLog) WithGroup(string) slog.Handler            { return l }

func (l *failureLog) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "error":
			l.errors = append(l.errors, a.Value.String())
		case "backoff":
			if d, ok := a.Value.Any().(time.Duration); ok {
				l.backoffs = append(l.backoffs, d)
			}
		}
		return true
	})
	return nil
}

func (l *failureLog) snapshot() ([]string, []time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...), append([]time.Duration(nil), l.backoffs...)
}
