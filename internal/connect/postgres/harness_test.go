package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/connecttest"
	"github.com/sluicedb/sluice/internal/connect/postgres"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// env is one test's PostgreSQL database, log, registry and runtime.
type env struct {
	t      testing.TB
	dsn    string
	host   string
	port   int
	user   string
	pass   string
	dbname string
	db     *pgx.Conn
	log    logstore.Log
	reg    *registry.Embedded
	rt     *connect.Runtime
	dir    string
	// logger, when set before open, receives the runtime's log.
	logger *slog.Logger
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvOn(t, testsvc.Postgres(t))
}

// newEnvOn is newEnv on a given cluster.
func newEnvOn(t testing.TB, pg *testsvc.PG) *env {
	t.Helper()
	dsn := pg.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	e := &env{t: t, dsn: dsn, host: u.Hostname(), port: port, user: pg.User, pass: pg.Password, dbname: u.Path[1:], dir: t.TempDir()}
	ctx := context.Background()
	if e.db, err = pgx.Connect(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close(context.Background()) })
	e.open()
	return e
}

// open (re)opens the log, registry and runtime over the test's directory.
func (e *env) open() {
	e.t.Helper()
	var err error
	// Tests trade power-loss durability for speed; SLUICE_TEST_SYNC=always
	// measures with an fsync per commit.
	sync := embedded.SyncNever
	if os.Getenv("SLUICE_TEST_SYNC") == "always" {
		sync = embedded.SyncAlways
	}
	if e.log, err = embedded.Open(e.dir, embedded.Options{Sync: sync}); err != nil {
		e.t.Fatal(err)
	}
	if e.reg, err = registry.Open(context.Background(), e.log, registry.Options{}); err != nil {
		e.t.Fatal(err)
	}
	e.rt = connect.NewRuntime(connect.Options{Log: e.log, Registry: e.reg, Plugins: plugins(), Logger: e.logger, RestartBackoff: 100 * time.Millisecond})
	e.t.Cleanup(e.close)
}

// plugins holds the runtime's converters and transforms and this
// connector only, so that these tests do not depend on other connectors.
func plugins() *connect.Plugins {
	p := connect.NewPlugins()
	postgres.Register(p)
	return p
}

func (e *env) close() {
	if e.rt != nil {
		e.rt.Close()
		e.rt = nil
	}
	if e.log != nil {
		e.log.Close()
		e.log = nil
	}
}

func (e *env) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// config is a connector config for the test database.
func (e *env) config(extra ...string) map[string]string {
	c := map[string]string{
		"connector.class":   "io.debezium.connector.postgresql.PostgresConnector",
		"database.hostname": e.host,
		"database.port":     strconv.Itoa(e.port),
		"database.user":     e.user,
		"database.password": e.pass,
		"database.dbname":   e.dbname,
		"topic.prefix":      "srv",
		"slot.name":         slotName(e.dbname),
		"poll.interval.ms":  "50",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

func slotName(db string) string {
	b := []byte("s_" + db)
	for i, c := range b {
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			b[i] = '_'
		}
	}
	if len(b) > 60 {
		b = b[len(b)-60:]
	}
	return string(b)
}

func (e *env) create(name string, cfg map[string]string) {
	e.t.Helper()
	if err := e.rt.Create(context.Background(), name, false, cfg); err != nil {
		e.t.Fatalf("create connector: %v", err)
	}
}

// decoded is a record read back through converters.
type decoded struct {
	offset int64
	key    any
	value  any
	vs     *connect.Schema
	hdrs   []logstore.Header
}

// read waits until topic holds at least n records and returns them all,
// decoded with the given value converter (Avro by default).
func (e *env) read(topic string, n int, timeout time.Duration) []decoded {
	e.t.Helper()
	return e.readUpTo(topic, n, timeout, true)
}

// readUpTo is read that, unless strict, returns what it has at the
// deadline instead of failing.
func (e *env) readUpTo(topic string, n int, timeout time.Duration, strict bool) []decoded {
	e.t.Helper()
	recs, err := connecttest.ReadAvro(e.t, e.log, e.reg, topic, n, timeout)
	if len(recs) < n && strict {
		st, _ := e.rt.Describe(firstConnector(e.rt))
		e.t.Fatalf("topic %s: got %d records, want %d (fetch error %v; connector %+v)", topic, len(recs), n, err, st)
	}
	out := make([]decoded, len(recs))
	for i, r := range recs {
		out[i] = decoded{offset: r.Offset, key: r.Key, value: r.Value, vs: r.ValueSchema, hdrs: r.Headers}
	}
	return out
}

func firstConnector(rt *connect.Runtime) string {
	l := rt.List()
	if len(l) == 0 {
		return ""
	}
	return l[0].Name
}

// field returns a struct's field as text, for compact assertions.
func field(v any, name string) string {
	st, ok := v.(*connect.Struct)
	if !ok || st == nil {
		return "<nil>"
	}
	return fmt.Sprint(st.Get(name))
}
