package testsvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestPostgresLogicalDecoding proves the cluster is real and configured for
// CDC: a logical slot decodes an insert, and a password-authenticated
// replication connection is accepted.
func TestPostgresLogicalDecoding(t *testing.T) {
	pg := Postgres(t)
	dsn := pg.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		`CREATE TABLE orders (id int PRIMARY KEY, item text)`,
		`SELECT pg_create_logical_replication_slot('smoke', 'test_decoding')`,
		`INSERT INTO orders VALUES (1, 'widget')`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	rows, err := conn.Query(ctx, `SELECT data FROM pg_logical_slot_get_changes('smoke', NULL, NULL)`)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := `table public.orders: INSERT: id[integer]:1 item[text]:'widget'`
	if !contains(changes, want) {
		t.Fatalf("decoded changes %q lack %q", changes, want)
	}

	rconn, err := pgconn.Connect(ctx, dsn+"&replication=database")
	if err != nil {
		t.Fatalf("replication connection: %v", err)
	}
	defer rconn.Close(context.Background())
	sys, err := pglogrepl.IdentifySystem(ctx, rconn)
	if err != nil {
		t.Fatalf("IDENTIFY_SYSTEM: %v", err)
	}
	if !strings.Contains(dsn, "/"+sys.DBName+"?") || sys.XLogPos == 0 {
		t.Fatalf("IDENTIFY_SYSTEM = %+v for %s", sys, dsn)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDBName(t *testing.T) {
	for _, tc := range []struct{ test, prefix string }{
		{"TestX", "t_testx_"},
		{"TestX/sub case", "t_testx_sub_case_"},
		{strings.Repeat("A", 100), "t_" + strings.Repeat("a", 43) + "_"},
	} {
		got := dbName(tc.test)
		if !strings.HasPrefix(got, tc.prefix) || len(got) > 63 || len(got) != len(tc.prefix)+8 {
			t.Errorf("dbName(%q) = %q, want prefix %q and 8 hex digits", tc.test, got, tc.prefix)
		}
	}
}
