package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/format"
)

// TestTutorial runs the seed tutorial's CREATE SOURCE CONNECTOR statement
// unchanged but for host, port, credentials and database, and checks that
// ksqlDB's schema inference sees ID, NAME, AGE, __DELETED.
func TestTutorial(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, age INT)`)
	e.exec(`INSERT INTO customers (id, name, age) VALUES ('5', 'fred', 34)`)
	e.exec(`INSERT INTO customers (id, name, age) VALUES ('7', 'sue', 25)`)
	e.exec(`INSERT INTO customers (id, name, age) VALUES ('2', 'bill', 51)`)
	cfg := map[string]string{
		"connector.class":                          "io.debezium.connector.postgresql.PostgresConnector",
		"database.hostname":                        e.host,
		"database.port":                            strconv.Itoa(e.port),
		"database.user":                            e.user,
		"database.password":                        e.pass,
		"database.dbname":                          e.dbname,
		"database.server.name":                     "customers",
		"database.history.kafka.bootstrap.servers": "broker:9092",
		"database.history.kafka.topic":             "customers",
		"table.whitelist":                          "public.customers",
		"transforms":                               "unwrap",
		"transforms.unwrap.type":                   "io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.drop.tombstones":        "false",
		"transforms.unwrap.delete.handling.mode":   "rewrite",
		// The test cluster is shared by every package's tests, and slot
		// names are cluster-wide: the tutorial's default "debezium" may
		// be taken by another test's database.
		"slot.name": slotName(e.dbname),
	}
	e.create("customers_reader", cfg)
	recs := e.read("customers.public.customers", 3, 30*time.Second)
	var got []string
	for _, r := range recs {
		got = append(got, field(r.value, "id")+"/"+field(r.value, "name")+"/"+field(r.value, "age")+"/"+field(r.value, "__deleted"))
	}
	if want := "5/fred/34/false 7/sue/25/false 2/bill/51/false"; strings.Join(got, " ") != want {
		t.Fatalf("snapshot rows: got %v, want %s", got, want)
	}
	inf, err := format.InferColumns(context.Background(), format.FromRegistry(e.reg), "AVRO", nil, "customers.public.customers", false, format.WrapDefault)
	if err != nil {
		t.Fatalf("infer: %v", err)
	}
	var cols []string
	for _, c := range inf.Columns {
		cols = append(cols, c.Name+" "+c.Type.String())
	}
	if want := "ID STRING, NAME STRING, AGE INTEGER, __DELETED STRING"; strings.Join(cols, ", ") != want {
		t.Fatalf("inferred columns: got %s, want %s", strings.Join(cols, ", "), want)
	}

	e.exec(`UPDATE customers SET age = 35 WHERE id = '5'`)
	e.exec(`DELETE FROM customers WHERE id = '7'`)
	recs = e.read("customers.public.customers", 6, 30*time.Second)
	got = got[:0]
	for _, r := range recs[3:] {
		got = append(got, field(r.key, "id")+":"+field(r.value, "name")+"/"+field(r.value, "age")+"/"+field(r.value, "__deleted"))
	}
	// The delete is rewritten with __deleted=true and followed by its
	// tombstone, kept because drop.tombstones=false. Under REPLICA
	// IDENTITY DEFAULT PostgreSQL sends only the key of a deleted row, so
	// the other columns are null, as with Debezium.
	if want := "5:fred/35/false 7:<nil>/<nil>/true 7:<nil>/<nil>/<nil>"; strings.Join(got, " ") != want {
		t.Fatalf("changes: got %v, want %s", got, want)
	}
	st, err := e.rt.Describe("customers_reader")
	if err != nil {
		t.Fatal(err)
	}
	if st.State != "RUNNING" || st.Config["database.password"] != "[hidden]" || len(st.Warnings) == 0 {
		t.Fatalf("describe: %+v", st)
	}
}
