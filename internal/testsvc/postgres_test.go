package testsvc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
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

// TestPostgresPgoutput streams an insert through the replication protocol
// with pgoutput, the path the PostgreSQL source takes.
func TestPostgresPgoutput(t *testing.T) {
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
		`CREATE PUBLICATION smoke_pub FOR TABLE orders`,
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	rconn, err := pgconn.Connect(ctx, dsn+"&replication=database")
	if err != nil {
		t.Fatalf("replication connection: %v", err)
	}
	defer rconn.Close(context.Background())
	slot, err := pglogrepl.CreateReplicationSlot(ctx, rconn, "smoke_pgoutput", "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Temporary: true})
	if err != nil {
		t.Fatalf("create slot: %v", err)
	}
	start, err := pglogrepl.ParseLSN(slot.ConsistentPoint)
	if err != nil {
		t.Fatal(err)
	}
	if err := pglogrepl.StartReplication(ctx, rconn, slot.SlotName, start, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names 'smoke_pub'"},
	}); err != nil {
		t.Fatalf("start replication: %v", err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO orders VALUES (7, 'gizmo')`); err != nil {
		t.Fatal(err)
	}

	for {
		msg, err := rconn.ReceiveMessage(ctx)
		if err != nil {
			t.Fatalf("no insert decoded: %v", err)
		}
		cd, ok := msg.(*pgproto3.CopyData)
		if !ok || len(cd.Data) == 0 || cd.Data[0] != pglogrepl.XLogDataByteID {
			continue
		}
		xld, err := pglogrepl.ParseXLogData(cd.Data[1:])
		if err != nil {
			t.Fatal(err)
		}
		lm, err := pglogrepl.Parse(xld.WALData)
		if err != nil {
			t.Fatal(err)
		}
		ins, ok := lm.(*pglogrepl.InsertMessage)
		if !ok {
			continue
		}
		cols := ins.Tuple.Columns
		if len(cols) != 2 || string(cols[0].Data) != "7" || string(cols[1].Data) != "gizmo" {
			t.Fatalf("decoded insert columns %+v", cols)
		}
		return
	}
}

// TestPostgresClusterRestart checks a private cluster keeps its data
// across both kinds of restart and comes back on the same port.
func TestPostgresClusterRestart(t *testing.T) {
	cl := NewPostgresCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := cl.NewDatabase(t)
	db := strings.TrimPrefix(dsn[strings.LastIndex(dsn, "/"):strings.Index(dsn, "?")], "/")
	conn, err := cl.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE kept (id int); INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	for _, mode := range []StopMode{Fast, Immediate} {
		if err := cl.Restart(ctx, mode, 0); err != nil {
			t.Fatalf("restart (mode %d): %v", mode, err)
		}
		conn, err := cl.Connect(ctx, db)
		if err != nil {
			t.Fatalf("after restart (mode %d): %v", mode, err)
		}
		var n int
		err = conn.QueryRow(ctx, `SELECT count(*) FROM kept`).Scan(&n)
		conn.Close(ctx)
		if err != nil || n != 1 {
			t.Fatalf("after restart (mode %d): %d rows, %v", mode, n, err)
		}
	}
}
