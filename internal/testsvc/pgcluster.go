package testsvc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGCluster is a PostgreSQL cluster of one test's own, configured like the
// shared one, which the test may stop, crash and start again. Restarting
// the shared cluster would break every other test using it at the time;
// a private cluster costs an initdb (a second or two) and keeps restarts
// to the test that asked for them.
type PGCluster struct {
	PG
	inst *pgInstance
	// Log is the server's log file; it spans every start.
	Log string

	mu  sync.Mutex
	pid int
}

// NewPostgresCluster initialises and starts a private cluster for t on a
// free port. It is stopped and its files removed when t ends.
func NewPostgresCluster(t testing.TB) *PGCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("testsvc: a private PostgreSQL cluster needs the real server; skipped under -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testStartTimeout)
	defer cancel()
	o := Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	if err := o.EnsureDefaults(); err != nil {
		t.Fatal(err)
	}
	if err := installLocked(ctx, &o, postgres{}); err != nil {
		t.Fatal(err)
	}
	// The directory must be reachable by the server user, which
	// t.TempDir (mode 0700 under the caller's) is not when we are root.
	dir, err := os.MkdirTemp("", "sluice-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ports, err := freePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := initCluster(ctx, dir, func(*syscall.Credential) (string, error) { return dir, nil }, ports[0])
	if err != nil {
		os.RemoveAll(dir)
		t.Fatalf("testsvc: private cluster: %v", err)
	}
	c := &PGCluster{
		PG:   PG{Host: "127.0.0.1", Port: ports[0], User: pgUser, Password: pgPassword, DSN: pgDSN(ports[0], "postgres")},
		inst: inst,
		Log:  filepath.Join(dir, "postgres.log"),
	}
	t.Cleanup(func() {
		c.mu.Lock()
		pid := c.pid
		c.mu.Unlock()
		// The data is thrown away: an immediate shutdown is enough.
		if err := terminate(pid, syscall.SIGQUIT, 10*time.Second); err != nil {
			t.Errorf("testsvc: stop private cluster: %v", err)
		}
		os.RemoveAll(dir)
	})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return c
}

// Start starts the server if it is not running and waits until it accepts
// connections.
func (c *PGCluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if alive(c.pid) {
		return nil
	}
	pid, err := c.inst.start(c.inst.home, c.Log)
	if err != nil {
		return err
	}
	c.pid = pid
	st := &State{PID: pid, URL: c.DSN}
	ctx, cancel := context.WithTimeout(ctx, postgres{}.startTimeout())
	defer cancel()
	for {
		if !alive(pid) {
			return fmt.Errorf("testsvc: private cluster exited during start-up\n--- %s (tail) ---\n%s", c.Log, tail(c.Log, 40))
		}
		pctx, pcancel := context.WithTimeout(ctx, 5*time.Second)
		err := postgres{}.ping(pctx, st)
		pcancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testsvc: private cluster not ready: %w (last ping: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// StopMode says how Stop shuts the server down.
type StopMode int

const (
	// Fast is PostgreSQL's fast shutdown (SIGINT): sessions are ended,
	// WAL senders get everything up to the shutdown checkpoint, and the
	// checkpoint is written.
	Fast StopMode = iota
	// Immediate is PostgreSQL's immediate shutdown (SIGQUIT), a crash as
	// far as the data is concerned: the next start runs crash recovery
	// from the last checkpoint.
	Immediate
)

// Stop shuts the server down and waits until it has gone.
func (c *PGCluster) Stop(mode StopMode) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	sig := syscall.SIGINT
	if mode == Immediate {
		sig = syscall.SIGQUIT
	}
	// Only the postmaster is signalled, as pg_ctl does: it tells its
	// children itself, in the order the shutdown mode needs.
	if alive(c.pid) {
		if err := syscall.Kill(c.pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("testsvc: stop private cluster: %w", err)
		}
	}
	for deadline := time.Now().Add(time.Minute); alive(c.pid) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if err := terminate(c.pid, syscall.SIGKILL, 10*time.Second); err != nil {
		return err
	}
	c.pid = 0
	return nil
}

// Restart stops the server with mode, waits down for the given time (so
// that clients see it gone and retry) and starts it again.
func (c *PGCluster) Restart(ctx context.Context, mode StopMode, down time.Duration) error {
	if err := c.Stop(mode); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(down):
	}
	return c.Start(ctx)
}

// Connect opens a session to database db, retrying while the server is
// starting up, for up to a minute.
func (c *PGCluster) Connect(ctx context.Context, db string) (*pgx.Conn, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := pgx.Connect(ctx, c.DSNFor(db))
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return conn, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}
