package postgres_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

// render prints a Connect value compactly and deterministically.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case *connect.Struct:
		var parts []string
		for i, f := range x.Schema.Fields {
			parts = append(parts, f.Name+"="+render(x.Values[i]))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, render(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case []byte:
		return fmt.Sprintf("0x%x", x)
	case connect.Decimal:
		return x.String()
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		var keys []string
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+":"+render(x[k]))
		}
		return "map[" + strings.Join(parts, " ") + "]"
	}
	return fmt.Sprint(v)
}

// TestTypes checks every type the brief lists against Debezium's default
// mappings, through the snapshot and the stream (whose text forms differ
// only in who formats them).
func TestTypes(t *testing.T) {
	e := newEnv(t)
	e.exec(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
	e.exec(`CREATE TABLE typed (
		id serial PRIMARY KEY,
		i2 smallint, i4 integer, i8 bigint,
		n numeric(10,2), nv numeric,
		r real, d double precision, b boolean,
		t text, vc varchar(10), c char(3),
		dt date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz,
		iv interval, u uuid, j json, jb jsonb, by bytea,
		ai int[], at text[], m mood, ms mood[],
		nn integer NOT NULL DEFAULT 7
	)`)
	row := `(i2, i4, i8, n, nv, r, d, b, t, vc, c, dt, tm, tm3, ts, ts3, tstz, iv, u, j, jb, by, ai, at, m, ms) VALUES
		(-2, 40000, 9000000000, 12345.67, -0.000123, 1.5, -2.25, true, 'héllo', 'v', 'ab',
		 '2020-03-04', '13:14:15.123456', '01:02:03.5', '2020-03-04 13:14:15.123456', '2020-03-04 13:14:15.5', '2020-03-04 13:14:15.25+02',
		 '1 year 2 mons 3 days 04:05:06.5', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}', '\x00ff10',
		 '{1,NULL,3}', '{"x y","z,w",NULL}', 'happy', '{sad,ok}')`
	e.exec(`INSERT INTO typed ` + row)
	e.exec(`INSERT INTO typed (nn) VALUES (1)`)
	e.create("typed", e.config("table.include.list", "public.typed", "value.converter", "io.confluent.connect.avro.AvroConverter"))
	recs := e.read("srv.public.typed", 2, 30*time.Second)
	e.exec(`INSERT INTO typed ` + row)
	recs = e.read("srv.public.typed", 3, 30*time.Second)

	want := `{id=%d i2=-2 i4=40000 i8=9000000000 n=12345.67 nv={scale=6 value=0x85} r=1.5 d=-2.25 b=true t="héllo" vc="v" c="ab " dt=18325 tm=47655123456 tm3=3723500 ts=1583327655123456 ts3=1583327655500 tstz="2020-03-04T11:14:15.25Z" iv=37091106500000 u="a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" j="{\"a\": 1}" jb="{\"b\": [1, 2]}" by=0x00ff10 ai=[1,null,3] at=["x y","z,w",null] m="happy" ms=["sad","ok"] nn=7}`
	for i, id := range []int{1, 3} {
		r := recs[[]int{0, 2}[i]]
		after := r.value.(*connect.Struct).Get("after")
		if got := render(after); got != fmt.Sprintf(want, id) {
			t.Errorf("row %d:\n got %s\nwant %s", id, got, fmt.Sprintf(want, id))
		}
	}
	nulls := render(recs[1].value.(*connect.Struct).Get("after"))
	if want := `{id=2 i2=null i4=null i8=null n=null nv=null r=null d=null b=null t=null vc=null c=null dt=null tm=null tm3=null ts=null ts3=null tstz=null iv=null u=null j=null jb=null by=null ai=null at=null m=null ms=null nn=1}`; nulls != want {
		t.Errorf("nulls:\n got %s\nwant %s", nulls, want)
	}
	// The schema carries Debezium's semantic names and parameters.
	after := recs[0].vs.Field("after").Schema
	var names []string
	for _, f := range after.Fields {
		s := f.Schema
		d := f.Name + ":" + s.Type.String()
		if s.Name != "" {
			d += "/" + s.Name
		}
		if s.Type == connect.Array {
			d += "<" + s.Elem.Type.String() + ">"
		}
		if !s.Optional {
			d += "!"
		}
		names = append(names, d)
	}
	wantSchema := "id:int32! i2:int16 i4:int32 i8:int64 n:bytes/org.apache.kafka.connect.data.Decimal nv:struct/io.debezium.data.VariableScaleDecimal r:float32 d:float64 b:boolean t:string vc:string c:string dt:int32/io.debezium.time.Date tm:int64/io.debezium.time.MicroTime tm3:int32/io.debezium.time.Time ts:int64/io.debezium.time.MicroTimestamp ts3:int64/io.debezium.time.Timestamp tstz:string/io.debezium.time.ZonedTimestamp iv:int64/io.debezium.time.MicroDuration u:string/io.debezium.data.Uuid j:string/io.debezium.data.Json jb:string/io.debezium.data.Json by:bytes ai:array<int32> at:array<string> m:string/io.debezium.data.Enum ms:array<string> nn:int32!"
	if got := strings.Join(names, " "); got != wantSchema {
		t.Errorf("schema:\n got %s\nwant %s", got, wantSchema)
	}
	if p := after.Field("m").Schema.Params["allowed"]; p != "sad,ok,happy" {
		t.Errorf("enum allowed = %q", p)
	}
	if p := after.Field("n").Schema.Params["scale"]; p != "2" {
		t.Errorf("decimal scale = %q", p)
	}
	src := recs[2].value.(*connect.Struct).Get("source").(*connect.Struct)
	if src.Get("snapshot") != "false" || src.Get("table") != "typed" || src.Get("connector") != "postgresql" || src.Get("lsn") == nil || src.Get("txId") == nil {
		t.Errorf("source: %s", render(src))
	}
	if op := recs[0].value.(*connect.Struct).Get("op"); op != "r" {
		t.Errorf("snapshot op = %v", op)
	}
	if op := recs[2].value.(*connect.Struct).Get("op"); op != "c" {
		t.Errorf("stream op = %v", op)
	}
}
