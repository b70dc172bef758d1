package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testStartTimeout bounds what a test waits for a service, installs included:
// a cold install of everything takes minutes on a small machine.
const testStartTimeout = 15 * time.Minute

// require starts (or reuses) service n for a test. Under -short it skips
// the test; otherwise a service that cannot start fails the test with the
// reason and the tail of the service's log.
func require(t testing.TB, n Name) *State {
	t.Helper()
	if testing.Short() {
		t.Skipf("testsvc: %s needs a real service; skipped under -short", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testStartTimeout)
	defer cancel()
	o := Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	sts, err := Start(ctx, o, n)
	if err != nil {
		t.Fatalf("testsvc: %s is not available: %v", n, err)
	}
	return sts[n]
}

// testWriter sends log lines to the test log, where they show with -v or
// when the test fails.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// PG describes the test PostgreSQL cluster.
type PG struct {
	Host     string
	Port     int
	User     string
	Password string
	// DSN connects to the postgres database as the superuser.
	DSN string
}

// Postgres returns the shared test cluster: PostgreSQL with
// wal_level=logical, reached over TCP with a password.
func Postgres(t testing.TB) *PG {
	t.Helper()
	st := require(t, PostgresName)
	return pgFromState(st)
}

func pgFromState(st *State) *PG {
	return &PG{
		Host:     "127.0.0.1",
		Port:     st.Ports["postgres"],
		User:     pgUser,
		Password: pgPassword,
		DSN:      st.URL,
	}
}

// DSNFor returns a DSN for database db.
func (p *PG) DSNFor(db string) string { return pgDSN(p.Port, db) }

// NewDatabase creates an empty database for t and returns its DSN. The
// database, and any replication slot left in it, is dropped when t ends,
// so tests do not see each other's tables or slots.
func (p *PG) NewDatabase(t testing.TB) string {
	t.Helper()
	name := dbName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		t.Fatalf("testsvc: connect to postgres: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testsvc: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := p.dropDatabase(name); err != nil {
			t.Errorf("testsvc: %v", err)
		}
	})
	return p.DSNFor(name)
}

func (p *PG) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.DSN)
	if err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	defer conn.Close(context.Background())
	// A slot pins WAL forever and blocks DROP DATABASE; a walsender still
	// holding one is ended first.
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, name); err != nil {
		return fmt.Errorf("drop database %s: end walsenders: %w", name, err)
	}
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, name)
		if err == nil || attempt == 20 {
			break
		}
		// A terminated walsender releases its slot a moment later.
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("drop database %s: drop slots: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dbName turns a test name into a valid, unique database name of at most
// 63 bytes.
func dbName(test string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(test) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 45 {
			break
		}
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	return b.String() + "_" + hex.EncodeToString(suffix[:])
}

// Kafka returns the bootstrap address (host:port) of the shared
// single-node Kafka cluster.
func Kafka(t testing.TB) string {
	t.Helper()
	return require(t, KafkaName).URL
}

// Search returns the base URL (http://host:port) of the shared OpenSearch
// node.
func Search(t testing.TB) string {
	t.Helper()
	return require(t, SearchName).URL
}

// Elastic returns the base URL (http://host:port) of the shared
// Elasticsearch 7.10 node.
func Elastic(t testing.TB) string {
	t.Helper()
	return require(t, ElasticName).URL
}

// Mongo returns a mongodb:// URI for the shared FerretDB endpoint. Its
// oplog (local.oplog.rs) exists, so writes are recorded there.
func Mongo(t testing.TB) string {
	t.Helper()
	return require(t, MongoName).URL
}

// PrivateMongo starts a FerretDB endpoint of t's own, with an empty oplog,
// and stops it when t ends. A test that writes a large share of the
// oplog's 64 MiB uses one: FerretDB reads its whole oplog for every oplog
// query, so 100,000 leftover entries would slow every later test on the
// shared endpoint to tens of seconds per query.
func PrivateMongo(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skipf("testsvc: %s needs a real service; skipped under -short", MongoName)
	}
	shared := Options{}
	if err := shared.EnsureDefaults(); err != nil {
		t.Fatalf("testsvc: %v", err)
	}
	o := Options{Root: t.TempDir(), Cache: shared.Cache, Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), testStartTimeout)
	defer cancel()
	sts, err := Start(ctx, o, MongoName)
	if err != nil {
		t.Fatalf("testsvc: a private %s did not start: %v", MongoName, err)
	}
	t.Cleanup(func() {
		if err := Stop(context.Background(), o, MongoName); err != nil {
			t.Logf("testsvc: stop the private %s: %v", MongoName, err)
		}
	})
	return sts[MongoName].URL
}
