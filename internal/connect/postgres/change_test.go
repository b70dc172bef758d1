package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

// TestDeleteHandling runs insert, update and delete under every
// delete.handling.mode, with and without tombstones, plus add.fields and
// add.headers.
func TestDeleteHandling(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE items (id int PRIMARY KEY, name text)`)
	e.exec(`INSERT INTO items VALUES (1, 'a')`)
	for _, tc := range []struct {
		name, mode, tombstones string
		want                   string
	}{
		{"drop", "drop", "true", "1:a 2:b 2:c"},
		{"none", "none", "true", "1:a 2:b 2:c 2:<tombstone>"},
		{"rewrite", "rewrite", "false", "1:a/false 2:b/false 2:c/false 2:c/true 2:<tombstone>"},
		{"rewrite_fields", "rewrite", "true", "1:a/false/r/items 2:b/false/c/items 2:c/false/u/items 2:c/true/d/items"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "dh_" + tc.name
			cfg := e.config("topic.prefix", name, "slot.name", slotName(e.dbname+"_"+tc.name), "publication.name", "pub_"+tc.name,
				"transforms", "unwrap",
				"transforms.unwrap.type", "io.debezium.transforms.ExtractNewRecordState",
				"transforms.unwrap.delete.handling.mode", tc.mode,
				"transforms.unwrap.drop.tombstones", tc.tombstones)
			if strings.HasSuffix(tc.name, "_fields") {
				cfg["transforms.unwrap.add.fields"] = "op,table"
				cfg["transforms.unwrap.add.headers"] = "db"
			}
			e.create(name, cfg)
			defer e.rt.Drop(context.Background(), name)
			e.read(name+".public.items", 1, 30*time.Second)
			e.exec(`ALTER TABLE items REPLICA IDENTITY FULL`)
			e.exec(`INSERT INTO items VALUES (2, 'b')`)
			e.exec(`UPDATE items SET name = 'c' WHERE id = 2`)
			e.exec(`DELETE FROM items WHERE id = 2`)
			e.exec(`ALTER TABLE items REPLICA IDENTITY DEFAULT`)
			n := len(strings.Fields(tc.want))
			recs := e.read(name+".public.items", n, 30*time.Second)
			var got []string
			for _, r := range recs {
				k := field(r.key, "id")
				if r.value == nil {
					got = append(got, k+":<tombstone>")
					continue
				}
				s := k + ":" + field(r.value, "name")
				if tc.mode == "rewrite" {
					s += "/" + field(r.value, "__deleted")
				}
				if strings.HasSuffix(tc.name, "_fields") {
					s += "/" + field(r.value, "__op") + "/" + field(r.value, "__table")
					if len(r.hdrs) != 1 || r.hdrs[0].Key != "__db" || string(r.hdrs[0].Value) != e.dbname {
						t.Errorf("headers: %+v", r.hdrs)
					}
				}
				got = append(got, s)
			}
			// The DROP and re-CREATE of the test loop share the table;
			// delete the row the next case inserts again.
			e.exec(`DELETE FROM items WHERE id = 2`)
			if strings.Join(got, " ") != tc.want {
				t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), tc.want)
			}
		})
	}
}

// TestSchemaChange adds and drops a column while streaming: each shape
// gets its own schema version and the stream goes on.
func TestSchemaChange(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE evolve (id int PRIMARY KEY, a text)`)
	e.create("evolve", e.config())
	e.exec(`INSERT INTO evolve VALUES (1, 'x')`)
	e.read("srv.public.evolve", 1, 30*time.Second)
	e.exec(`ALTER TABLE evolve ADD COLUMN b int`)
	e.exec(`INSERT INTO evolve VALUES (2, 'y', 20)`)
	e.exec(`ALTER TABLE evolve DROP COLUMN a`)
	e.exec(`INSERT INTO evolve VALUES (3, 30)`)
	recs := e.read("srv.public.evolve", 3, 30*time.Second)
	var got []string
	for _, r := range recs {
		after := r.value.(*connect.Struct).Get("after").(*connect.Struct)
		var fs []string
		for i, f := range after.Schema.Fields {
			fs = append(fs, f.Name+"="+render(after.Values[i]))
		}
		got = append(got, strings.Join(fs, ","))
	}
	if want := `id=1,a="x" id=2,a="y",b=20 id=3,b=30`; strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
	versions, err := e.reg.Versions(context.Background(), "srv.public.evolve-value", false)
	if err != nil || len(versions) != 3 {
		t.Fatalf("value subject versions = %v, %v; want 3", versions, err)
	}
}

// TestToast checks unchanged TOASTed values: under REPLICA IDENTITY
// DEFAULT they become Debezium's placeholder, under FULL the old value.
func TestToast(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TABLE docs (id int PRIMARY KEY, n int, body text)`)
	e.exec(`ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL`)
	big := strings.Repeat("0123456789", 1000)
	e.exec(`INSERT INTO docs VALUES (1, 0, $1), (2, 0, $1)`, big)
	e.exec(`ALTER TABLE docs REPLICA IDENTITY DEFAULT`)
	e.create("docs", e.config())
	e.read("srv.public.docs", 2, 30*time.Second)
	e.exec(`UPDATE docs SET n = 1 WHERE id = 1`)
	e.exec(`ALTER TABLE docs REPLICA IDENTITY FULL`)
	e.exec(`UPDATE docs SET n = 1 WHERE id = 2`)
	recs := e.read("srv.public.docs", 4, 30*time.Second)
	body := func(r decoded, which string) string {
		s := field(r.value.(*connect.Struct).Get(which), "body")
		if len(s) > 30 {
			return s[:10] + "..."
		}
		return s
	}
	if got := body(recs[2], "after"); got != "__debezium_unavailable_value" {
		t.Errorf("default identity: after.body = %s", got)
	}
	if got := field(recs[2].value, "before"); got != "<nil>" {
		t.Errorf("default identity: before = %s", got)
	}
	if got := body(recs[3], "after"); got != "0123456789..." {
		t.Errorf("full identity: after.body = %s", got)
	}
	if got := body(recs[3], "before"); got != "0123456789..." {
		t.Errorf("full identity: before.body = %s", got)
	}
}
