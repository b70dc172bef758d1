package connect

import (
	"context"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/registry"
)

func testRegistry(t *testing.T) *registry.Embedded {
	t.Helper()
	l, err := embedded.Open(t.TempDir(), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reg, err := registry.Open(context.Background(), l, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// everything is a struct schema using every Connect type.
func everything() (*Schema, *Struct) {
	inner := NewStructSchema("x.Inner").Optional().Field("n", Int32Schema).Build()
	s := NewStructSchema("x.y-z.Value").
		Field("i8", Int8Schema).Field("i16", Int16Schema).Field("i32", Int32Schema).Field("i64", Int64Schema).
		Field("f32", Float32Schema).Field("f64", Float64Schema).Field("b", BooleanSchema).
		Field("s", OptString).Field("nil", OptString).Field("by", BytesSchema).
		Field("dec", DecimalSchema(2, false)).
		Field("date", &Schema{Type: Int32, Name: DateName, Version: 1}).
		Field("ts", &Schema{Type: Int64, Name: TimestampName, Version: 1}).
		Field("dbz", &Schema{Type: Int64, Name: "io.debezium.time.MicroTimestamp", Version: 1}).
		Field("arr", &Schema{Type: Array, Elem: OptInt64}).
		Field("map", &Schema{Type: Map, KeyS: StringSchema, Elem: OptString}).
		Field("imap", &Schema{Type: Map, KeyS: Int32Schema, Elem: StringSchema, Optional: true}).
		Field("inner", inner).
		Build()
	st := NewStruct(s)
	in := NewStruct(inner)
	in.Values[0] = int32(5)
	st.Values = []any{int8(-1), int16(300), int32(-70000), int64(1) << 40, float32(1.5), -2.25, true,
		"héllo", nil, []byte{0, 1, 255},
		Decimal{Unscaled: big.NewInt(-12345), Scale: 2},
		time.Date(2020, 3, 4, 0, 0, 0, 0, time.UTC),
		time.Date(2020, 3, 4, 5, 6, 7, 8000000, time.UTC),
		int64(1583327655123456),
		[]any{int64(1), nil, int64(3)},
		map[string]any{"a": "1", "b": nil},
		map[any]any{int32(7): "seven"},
		in,
	}
	return s, st
}

func TestAvroRoundTrip(t *testing.T) {
	reg := testRegistry(t)
	ctx := context.Background()
	c, err := newAvroConverter(nil, ConverterEnv{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	s, v := everything()
	b, err := c.FromConnect(ctx, "topic", s, v)
	if err != nil {
		t.Fatal(err)
	}
	gs, gv, err := c.ToConnect(ctx, "topic", b)
	if err != nil {
		t.Fatal(err)
	}
	// The Avro name is sanitised (hamba and Avro reject '-'), and
	// connect.name keeps the Connect name so that it round-trips.
	if gs.Name != "x.y-z.Value" {
		t.Errorf("schema name %q, want x.y-z.Value back from connect.name", gs.Name)
	}
	got := gv.(*Struct)
	for i, f := range s.Fields {
		want := v.Values[i]
		g := got.Values[i]
		if d, ok := want.(Decimal); ok {
			if g.(Decimal).String() != d.String() {
				t.Errorf("%s: got %v, want %v", f.Name, g, want)
			}
			continue
		}
		if st, ok := want.(*Struct); ok {
			if !reflect.DeepEqual(g.(*Struct).Values, st.Values) {
				t.Errorf("%s: got %v, want %v", f.Name, g, want)
			}
			continue
		}
		if f.Name == "ts" {
			want = want.(time.Time).Truncate(time.Millisecond)
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s: got %#v, want %#v", f.Name, g, want)
		}
		if gf := gs.Field(f.Name); gf == nil || gf.Schema.Type != f.Schema.Type || gf.Schema.Name != f.Schema.Name || gf.Schema.Optional != f.Schema.Optional {
			t.Errorf("%s: schema %+v, want %+v", f.Name, gf, f.Schema)
		}
	}
	// The same schema registers once.
	b2, _ := c.FromConnect(ctx, "topic", s, v)
	if !reflect.DeepEqual(b[:5], b2[:5]) {
		t.Errorf("schema ids differ")
	}
	if nilb, err := c.FromConnect(ctx, "topic", s.WithOptional(true), nil); err != nil || nilb != nil {
		t.Errorf("tombstone: %v %v", nilb, err)
	}
}

func TestAvroSchemaText(t *testing.T) {
	s := NewStructSchema("srv.public.t.Value").Optional().
		Field("id", Int32Schema).
		Field("name", OptString).
		Field("amount", DecimalSchema(2, true)).
		Field("day", &Schema{Type: Int32, Name: "io.debezium.time.Date", Version: 1, Optional: true}).
		Build()
	got, err := avroSchemaJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"record","name":"Value","namespace":"srv.public.t","fields":[` +
		`{"name":"id","type":"int"},` +
		`{"name":"name","type":["null","string"],"default":null},` +
		`{"name":"amount","type":["null",{"type":"bytes","scale":2,"precision":64,"connect.version":1,"connect.parameters":{"scale":"2"},"connect.name":"org.apache.kafka.connect.data.Decimal","logicalType":"decimal"}],"default":null},` +
		`{"name":"day","type":["null",{"type":"int","connect.version":1,"connect.name":"io.debezium.time.Date"}],"default":null}],` +
		`"connect.name":"srv.public.t.Value"}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, v := everything()
	for _, schemas := range []string{"true", "false"} {
		c, err := newJSONConverter(map[string]string{"schemas.enable": schemas}, ConverterEnv{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.FromConnect(ctx, "t", s, v)
		if err != nil {
			t.Fatal(err)
		}
		gs, gv, err := c.ToConnect(ctx, "t", b)
		if err != nil {
			t.Fatalf("schemas.enable=%s: %v\n%s", schemas, err, b)
		}
		if schemas == "false" {
			m := gv.(map[string]any)
			if gs != nil || m["i32"] != int64(-70000) || m["s"] != "héllo" {
				t.Errorf("schemaless: %v %v", gs, m)
			}
			continue
		}
		got := gv.(*Struct)
		if got.Get("i16") != int16(300) || got.Get("dec").(Decimal).String() != "-123.45" || got.Get("s") != "héllo" ||
			!reflect.DeepEqual(got.Get("arr"), []any{int64(1), nil, int64(3)}) || got.Get("imap").(map[any]any)[int32(7)] != "seven" {
			t.Errorf("with schemas: %+v\n%s", got.Values, b)
		}
	}
}

func TestAvroPlainKey(t *testing.T) {
	reg := testRegistry(t)
	ctx := context.Background()
	kc, _ := newAvroConverter(nil, ConverterEnv{Registry: reg, IsKey: true})
	if s, v, err := kc.ToConnect(ctx, "t", []byte("22")); err != nil || v != "22" || s.Type != String {
		t.Fatalf("plain key: %v %v %v", s, v, err)
	}
	vc, _ := newAvroConverter(nil, ConverterEnv{Registry: reg})
	if _, _, err := vc.ToConnect(ctx, "t", []byte("22")); err == nil {
		t.Fatal("a plain value must fail")
	}
}

// BenchmarkAvroFromConnect is the converter's per-record cost on a
// capture's hot path: the schema is registered once, then every record
// only looks its id up and encodes.
func BenchmarkAvroFromConnect(b *testing.B) {
	l, err := embedded.Open(b.TempDir(), embedded.Options{Sync: embedded.SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	reg, err := registry.Open(context.Background(), l, registry.Options{})
	if err != nil {
		b.Fatal(err)
	}
	c, err := newAvroConverter(nil, ConverterEnv{Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	s, v := everything()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.FromConnect(ctx, "dbserver1.public.orders", s, v); err != nil {
			b.Fatal(err)
		}
	}
}
