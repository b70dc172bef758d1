package mongodb_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/connecttest"
	"github.com/sluicedb/sluice/internal/connect/mongodb"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/testsvc"
)

// env is one test's MongoDB database, log, registry and runtime.
type env struct {
	t      testing.TB
	uri    string
	hosts  string
	dbName string
	cl     *mongo.Client
	db     *mongo.Database
	log    logstore.Log
	reg    *registry.Embedded
	rt     *connect.Runtime
	dir    string
}

func plugins() *connect.Plugins {
	p := connect.NewPlugins()
	mongodb.Register(p)
	return p
}

func newEnv(t testing.TB) *env {
	t.Helper()
	uri := testsvc.Mongo(t)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, uri: uri, hosts: u.Host, dbName: fmt.Sprintf("t%d", time.Now().UnixNano()), dir: t.TempDir()}
	if e.cl, err = mongo.Connect(options.Client().ApplyURI(uri)); err != nil {
		t.Fatal(err)
	}
	e.db = e.cl.Database(e.dbName)
	t.Cleanup(func() {
		_ = e.db.Drop(context.Background())
		_ = e.cl.Disconnect(context.Background())
	})
	e.open()
	return e
}

// open (re)opens the log, registry and runtime over the test's directory.
func (e *env) open() {
	e.t.Helper()
	var err error
	if e.log, err = embedded.Open(e.dir, embedded.Options{Sync: embedded.SyncNever}); err != nil {
		e.t.Fatal(err)
	}
	if e.reg, err = registry.Open(context.Background(), e.log, registry.Options{}); err != nil {
		e.t.Fatal(err)
	}
	e.rt = connect.NewRuntime(connect.Options{Log: e.log, Registry: e.reg, Plugins: plugins(), RestartBackoff: 100 * time.Millisecond})
	e.t.Cleanup(e.close)
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

// config is a connector config capturing the test's database, in the
// seed's Debezium 1.x spelling.
func (e *env) config(extra ...string) map[string]string {
	c := map[string]string{
		"connector.class":      mongodb.ClassName,
		"mongodb.hosts":        "rs0/" + e.hosts,
		"mongodb.name":         "my-replica-set",
		"collection.whitelist": e.dbName + ".*",
		"poll.interval.ms":     "100",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i]] = extra[i+1]
	}
	return c
}

func (e *env) create(name string, cfg map[string]string) {
	e.t.Helper()
	if err := e.rt.Create(context.Background(), name, false, cfg); err != nil {
		e.t.Fatalf("create connector: %v", err)
	}
}

func (e *env) topic(coll string) string { return "my-replica-set." + e.dbName + "." + coll }

// decoded is a record read back through the Avro converters.
type decoded struct {
	offset int64
	key    any
	value  any
	vs     *connect.Schema
	hdrs   []logstore.Header
}

// read waits until topic holds at least n records and returns them all.
func (e *env) read(topic string, n int, timeout time.Duration) []decoded {
	e.t.Helper()
	recs, err := connecttest.ReadAvro(e.t, e.log, e.reg, topic, n, timeout)
	if len(recs) < n {
		var st []connect.Status
		if e.rt != nil {
			st = e.rt.List()
		}
		e.t.Fatalf("topic %s: got %d records, want %d (fetch error %v; connectors %+v)", topic, len(recs), n, err, st)
	}
	out := make([]decoded, len(recs))
	for i, r := range recs {
		out[i] = decoded{offset: r.Offset, key: r.Key, value: r.Value, vs: r.ValueSchema, hdrs: r.Headers}
	}
	return out
}

// field returns a struct's field as text, for compact assertions.
func field(v any, name string) string {
	st, ok := v.(*connect.Struct)
	if !ok || st == nil {
		return "<nil>"
	}
	return fmt.Sprint(st.Get(name))
}

// row renders a flattened record's fields in schema order.
func row(v any) string {
	st, ok := v.(*connect.Struct)
	if !ok || st == nil {
		return "<nil>"
	}
	var parts []string
	for i, f := range st.Schema.Fields {
		if f.Name == "_id" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%v", f.Name, st.Values[i]))
	}
	return strings.Join(parts, " ")
}
