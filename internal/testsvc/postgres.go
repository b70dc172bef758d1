package testsvc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// The test superuser. It authenticates with a password (scram-sha-256)
// over TCP, the way connectors are configured in production.
const (
	pgUser     = "sluice"
	pgPassword = "sluice"
	pgVersion  = "15"
)

// postgres is a private cluster from Debian's postgresql package, with
// logical decoding on. The server runs as the unprivileged postgres user
// when the harness runs as root, because postgres refuses to run as root.
type postgres struct{}

func (postgres) name() Name                  { return PostgresName }
func (postgres) version() string             { return pgVersion }
func (postgres) stopSignal() syscall.Signal  { return syscall.SIGINT } // fast shutdown; SIGTERM waits for clients
func (postgres) startTimeout() time.Duration { return time.Minute }

// pgBinDir finds the server binaries of the wanted major version, falling
// back to the newest installed one.
func pgBinDir() (string, error) {
	want := filepath.Join("/usr/lib/postgresql", pgVersion, "bin")
	if _, err := os.Stat(filepath.Join(want, "initdb")); err == nil {
		return want, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", fmt.Errorf("testsvc: no PostgreSQL server under /usr/lib/postgresql")
	}
	sort.Slice(found, func(i, j int) bool {
		a, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[i]))))
		b, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(found[j]))))
		return a > b
	})
	return filepath.Dir(found[0]), nil
}

func (postgres) install(ctx context.Context, o *Options) error {
	if _, err := pgBinDir(); err == nil {
		return nil
	}
	if err := aptInstall(ctx, o, "postgresql", "postgresql-contrib"); err != nil {
		return err
	}
	_, err := pgBinDir()
	return err
}

// pgCredential returns the user the server runs as: postgres when we are
// root, nobody else otherwise (then the server runs as the caller).
func pgCredential() (*syscall.Credential, int, int, error) {
	if os.Geteuid() != 0 {
		return nil, -1, -1, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, 0, 0, fmt.Errorf("testsvc: the postgres system user is missing (reinstall the postgresql package): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, uid, gid, nil
}

func (postgres) launch(ctx context.Context, o *Options, dir string, st *State) error {
	ports, err := freePorts(1)
	if err != nil {
		return err
	}
	port := ports[0]
	cl, err := initCluster(ctx, dir, func(cred *syscall.Credential) (string, error) {
		if reachable(ctx, dir, cred) {
			return dir, nil
		}
		// The checkout sits where the server user cannot go (a clone
		// under /root, say): keep the cluster in a scratch directory
		// named after the checkout instead.
		home := pgScratchHome(dir)
		if err := os.RemoveAll(home); err != nil {
			return "", fmt.Errorf("scratch dir: %w", err)
		}
		if err := os.MkdirAll(home, 0o755); err != nil {
			return "", fmt.Errorf("scratch dir: %w", err)
		}
		return home, nil
	}, port)
	if err != nil {
		return err
	}
	// The custom setting names dir on the command line even when the data
	// lives elsewhere, which is how the harness recognises its process.
	pid, err := cl.start(dir, st.Log)
	if err != nil {
		return err
	}
	st.PID = pid
	st.Ports = map[string]int{"postgres": port}
	st.URL = pgDSN(port, "postgres")
	return nil
}

// pgInstance is an initialised cluster's data directory and how to run
// its server.
type pgInstance struct {
	bin  string
	home string
	data string
	cred *syscall.Credential
}

// initCluster runs initdb for a cluster listening on port. dir is where
// the caller keeps the cluster's files; chooseHome may move the cluster
// to a directory the server user can reach.
func initCluster(ctx context.Context, dir string, chooseHome func(*syscall.Credential) (string, error), port int) (*pgInstance, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	cred, uid, gid, err := pgCredential()
	if err != nil {
		return nil, err
	}
	home := dir
	if cred != nil {
		if err := touchOwned(dir, uid, gid); err != nil {
			return nil, err
		}
		if home, err = chooseHome(cred); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(home, "data")
	pwfile := filepath.Join(home, "pwfile")
	if err := os.WriteFile(pwfile, []byte(pgPassword+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write pwfile: %w", err)
	}
	if err := os.Mkdir(data, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	if cred != nil {
		// The server user must own its data. The log needs no chown: the
		// server inherits it as an open file.
		for _, p := range []string{home, pwfile, data} {
			if err := touchOwned(p, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"),
		"-D", data, "-U", pgUser, "--pwfile="+pwfile,
		"--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-instructions",
		// fsync is off for the cluster anyway; syncing the fresh files is
		// most of initdb's time on a busy disk.
		"--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// The caller's working directory may be out of the server user's
	// reach; start where it can read.
	initdb.Dir = home
	if err := run(initdb); err != nil {
		return nil, err
	}
	// A test cluster trades crash safety for speed (fsync off), but keeps
	// synchronous_commit on: logical decoding only sees flushed commits, and
	// CDC tests should not wait for the WAL writer. The replication limits
	// leave room for many connector tests holding slots at once.
	conf := fmt.Sprintf(`
# Written by internal/testsvc.
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = ''
max_connections = 300
wal_level = logical
max_replication_slots = 20
max_wal_senders = 20
fsync = off
full_page_writes = off
logging_collector = off
`, port)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("postgresql.conf: %w", err)
	}
	if _, err := f.WriteString(conf); err != nil {
		f.Close()
		return nil, fmt.Errorf("postgresql.conf: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("postgresql.conf: %w", err)
	}
	return &pgInstance{bin: bin, home: home, data: data, cred: cred}, nil
}

// start spawns the server, appending its output to logPath. tag goes on
// the command line so that owned can recognise the process.
func (c *pgInstance) start(tag, logPath string) (int, error) {
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.data, "-c", "sluice.testsvc_dir="+tag)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	cmd.Dir = c.home
	return spawn(cmd, logPath)
}

// reachable reports whether the server user can create files in dir,
// which needs search permission on every ancestor.
func reachable(ctx context.Context, dir string, cred *syscall.Credential) bool {
	probe := exec.CommandContext(ctx, "test", "-w", dir, "-a", "-x", dir)
	probe.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return probe.Run() == nil
}

// pgScratchHome is where the cluster of the checkout whose service
// directory is dir lives when the server user cannot reach dir.
func pgScratchHome(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), "sluice-testsvc-pg-"+hex.EncodeToString(sum[:6]))
}

// scratchDirs names directories outside dir that belong to the service.
func (postgres) scratchDirs(dir string) []string { return []string{pgScratchHome(dir)} }

func touchOwned(p string, uid, gid int) error {
	if _, err := os.Stat(p); os.IsNotExist(err) {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return fmt.Errorf("create %s: %w", p, err)
		}
	}
	if err := os.Chown(p, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}

func pgDSN(port int, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(pgUser, pgPassword),
		Host:     "127.0.0.1:" + strconv.Itoa(port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func (postgres) ping(ctx context.Context, st *State) error {
	conn, err := pgx.Connect(ctx, st.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var level string
	if err := conn.QueryRow(ctx, "SHOW wal_level").Scan(&level); err != nil {
		return err
	}
	if level != "logical" {
		return fmt.Errorf("wal_level is %q, want logical", level)
	}
	return nil
}

func (postgres) ready(context.Context, *State) error { return nil }
