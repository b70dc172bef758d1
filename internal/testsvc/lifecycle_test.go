package testsvc

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// privateOptions points the harness at a scratch repository root, so the
// lifecycle tests can kill and stop services without disturbing the shared
// ones other test binaries are using. The install cache stays shared.
func privateOptions(t *testing.T) Options {
	t.Helper()
	shared := Options{}
	if err := shared.EnsureDefaults(); err != nil {
		t.Fatal(err)
	}
	return Options{
		Root:   t.TempDir(),
		Cache:  shared.Cache,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	}
}

// TestLifecycle starts a private FerretDB from many goroutines at once
// (they must share one process), replaces it after it is killed, and
// stops it.
func TestLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("testsvc: starts a real service; skipped under -short")
	}
	// Make sure the binary is installed before timing anything.
	Mongo(t)
	o := privateOptions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { _ = Stop(context.Background(), o, MongoName) })

	const callers = 6
	pids := make([]int, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sts, err := Start(ctx, o, MongoName)
			errs[i] = err
			if err == nil {
				pids[i] = sts[MongoName].PID
			}
		}()
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if pids[i] != pids[0] {
			t.Fatalf("concurrent callers got pids %v, want one shared process", pids)
		}
	}

	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sts, err := Status(ctx, o, MongoName)
	if !errors.Is(err, ErrNotRunning) || len(sts) != 0 {
		t.Fatalf("Status after kill = %v, %v; want ErrNotRunning", sts, err)
	}
	sts, err = Start(ctx, o, MongoName)
	if err != nil {
		t.Fatalf("restart after kill: %v", err)
	}
	if sts[MongoName].PID == pids[0] {
		t.Fatalf("restart kept dead pid %d", pids[0])
	}

	if err := Stop(ctx, o, MongoName); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if alive(sts[MongoName].PID) {
		t.Fatalf("pid %d still alive after Stop", sts[MongoName].PID)
	}
	if _, err := os.Stat(filepath.Join(o.Root, ".services", "mongo")); !os.IsNotExist(err) {
		t.Fatalf("service dir left behind: %v", err)
	}
}

func TestUnknownService(t *testing.T) {
	_, err := Start(context.Background(), Options{Root: t.TempDir(), Cache: t.TempDir()}, "redis")
	if !errors.Is(err, ErrUnknownService) {
		t.Fatalf("Start(redis) = %v, want ErrUnknownService", err)
	}
}

func TestShellQuote(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"127.0.0.1:9092", "127.0.0.1:9092"},
		{"mongodb://h:1/?replicaSet=rs0", "'mongodb://h:1/?replicaSet=rs0'"},
		{"it's", `'it'\''s'`},
		{"", "''"},
	} {
		if got := shellQuote(tc.in); got != tc.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestPostgresUnreachableRoot starts a private cluster under a test temp
// dir, which is private to root: as root, the cluster must move to a
// scratch directory the postgres user can use, and Stop must remove it.
func TestPostgresUnreachableRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("testsvc: starts a real service; skipped under -short")
	}
	o := privateOptions(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	t.Cleanup(func() { _ = Stop(context.Background(), o, PostgresName) })
	sts, err := Start(ctx, o, PostgresName)
	if err != nil {
		t.Fatal(err)
	}
	if err := (postgres{}).ping(ctx, sts[PostgresName]); err != nil {
		t.Fatalf("ping: %v", err)
	}
	scratch := pgScratchHome(filepath.Join(o.Root, ".services", "postgres"))
	if _, err := os.Stat(filepath.Join(scratch, "data", "PG_VERSION")); os.Geteuid() == 0 && err != nil {
		t.Fatalf("running as root under a private root, the cluster should be in %s: %v", scratch, err)
	}
	if err := Stop(ctx, o, PostgresName); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(scratch); !os.IsNotExist(err) {
		t.Fatalf("scratch dir %s left behind: %v", scratch, err)
	}
}

// crashing is a service whose server dies during start-up, to check what a
// failed start reports.
type crashing struct{}

func (crashing) name() Name                              { return "crashing" }
func (crashing) version() string                         { return "1" }
func (crashing) install(context.Context, *Options) error { return nil }
func (crashing) ping(context.Context, *State) error      { return errors.New("refused") }
func (crashing) ready(context.Context, *State) error     { return nil }
func (crashing) stopSignal() syscall.Signal              { return syscall.SIGTERM }
func (crashing) startTimeout() time.Duration             { return 30 * time.Second }
func (crashing) launch(_ context.Context, _ *Options, dir string, st *State) error {
	pid, err := spawn(exec.Command("sh", "-c", "echo 'bind: address already in use' >&2; exit 3", dir), st.Log)
	st.PID = pid
	return err
}

// TestStartFailureShowsLog checks that a server dying during start-up
// fails fast with the tail of its log, and leaves no state behind.
func TestStartFailureShowsLog(t *testing.T) {
	o := privateOptions(t)
	_, err := ensureService(context.Background(), &o, crashing{})
	if err == nil {
		t.Fatal("start of a crashing service succeeded")
	}
	for _, want := range []string{"exited during start-up", "bind: address already in use"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(o.statePath("crashing")); !os.IsNotExist(err) {
		t.Errorf("state file left behind: %v", err)
	}
}
