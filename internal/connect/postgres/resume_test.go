package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

func ids(recs []decoded) string {
	var out []string
	for _, r := range recs {
		if r.value == nil {
			out = append(out, "tomb")
			continue
		}
		env := r.value.(*connect.Struct)
		row := env.Get("after")
		if row == nil {
			row = env.Get("before")
		}
		out = append(out, fmt.Sprintf("%s%s", env.Get("op"), field(row, "id")))
	}
	return strings.Join(out, " ")
}

// TestServerGone ends the connector's sessions from the server side, as a
// PostgreSQL restart does, while changes keep coming: the task fails,
// restarts with backoff and resumes from its confirmed LSN with nothing
// lost or repeated. TestPostgresRestart restarts a real server, on a
// cluster of its own.
func TestServerGone(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE gone (id int PRIMARY KEY)`)
	e.exec(`INSERT INTO gone VALUES (1)`)
	e.create("gone", e.config())
	e.read("srv.public.gone", 1, 30*time.Second)
	for i := 0; i < 3; i++ {
		e.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'sluice-connect' OR pid = (SELECT active_pid FROM pg_replication_slots WHERE slot_name = $2)`, e.dbname, slotName(e.dbname))
		e.exec(`INSERT INTO gone VALUES ($1)`, 2+i)
	}
	recs := e.read("srv.public.gone", 4, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	recs = e.readUpTo("srv.public.gone", 5, 500*time.Millisecond, false)
	if got := ids(recs); got != "r1 c2 c3 c4" {
		t.Fatalf("got %s, want r1 c2 c3 c4", got)
	}
	st, _ := e.rt.Describe("gone")
	if st.LastError == "" {
		t.Errorf("expected the session loss to show as the last error: %+v", st)
	}
}

// TestResume stops the runtime and starts a new one over the same log:
// the connector resumes after the last change it wrote.
func TestResume(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE res (id int PRIMARY KEY)`)
	e.exec(`INSERT INTO res VALUES (1)`)
	e.create("res", e.config())
	e.read("srv.public.res", 1, 30*time.Second)
	e.exec(`INSERT INTO res VALUES (2)`)
	e.read("srv.public.res", 2, 30*time.Second)
	e.close()
	e.exec(`INSERT INTO res VALUES (3)`)
	e.exec(`DELETE FROM res WHERE id = 1`)
	e.open()
	e.create("res", e.config())
	recs := e.read("srv.public.res", 5, 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	recs = e.readUpTo("srv.public.res", 6, 300*time.Millisecond, false)
	if got := ids(recs); got != "r1 c2 c3 d1 tomb" {
		t.Fatalf("got %s", got)
	}
}

// TestSnapshotModes covers never, initial_only and always.
func TestSnapshotModes(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE sm (id int PRIMARY KEY)`)
	e.exec(`INSERT INTO sm VALUES (1)`)
	for _, tc := range []struct{ mode, want string }{
		{"never", "c2"},
		{"initial_only", "r1"},
		{"initial", "r1 c2"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			name := "sm_" + tc.mode
			e.create(name, e.config("snapshot.mode", tc.mode, "topic.prefix", name, "slot.name", slotName(e.dbname+tc.mode)))
			defer e.rt.Drop(context.Background(), name)
			if tc.mode != "never" {
				e.read(name+".public.sm", 1, 30*time.Second)
			} else {
				waitSlot(t, e, slotName(e.dbname+tc.mode))
			}
			e.exec(`INSERT INTO sm VALUES (2)`)
			defer e.exec(`DELETE FROM sm WHERE id = 2`)
			time.Sleep(500 * time.Millisecond)
			recs := e.readUpTo(name+".public.sm", 10, 300*time.Millisecond, false)
			if got := ids(recs); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	// always: a restart snapshots again.
	name := "sm_always"
	cfg := e.config("snapshot.mode", "always", "topic.prefix", name, "slot.name", slotName(e.dbname+"always"))
	e.create(name, cfg)
	e.read(name+".public.sm", 1, 30*time.Second)
	if err := e.rt.Drop(context.Background(), name); err != nil {
		t.Fatal(err)
	}
	e.create(name, cfg)
	recs := e.read(name+".public.sm", 2, 30*time.Second)
	if got := ids(recs); got != "r1 r1" {
		t.Fatalf("always: got %s", got)
	}
}

func waitSlot(t testing.TB, e *env, slot string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var active bool
		err := e.db.QueryRow(context.Background(), `SELECT active FROM pg_replication_slots WHERE slot_name = $1`, slot).Scan(&active)
		if err == nil && active {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot %s never became active", slot)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHeartbeat checks that heartbeats flow to __debezium-heartbeat.<prefix>
// while nothing changes.
func TestHeartbeat(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE hb (id int PRIMARY KEY)`)
	e.create("hb", e.config("heartbeat.interval.ms", "100"))
	recs := e.read("__debezium-heartbeat.srv", 2, 30*time.Second)
	if field(recs[0].key, "serverName") != "srv" || field(recs[0].value, "ts_ms") == "<nil>" {
		t.Fatalf("heartbeat: %v %v", recs[0].key, recs[0].value)
	}
}
