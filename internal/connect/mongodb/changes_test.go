package mongodb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
)

// TestEnvelope checks Debezium's MongoDB change events without the
// unwrap: op, after/patch/filter as extended JSON, the source block, the
// key and the tombstone after a delete.
func TestEnvelope(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.db.Collection("items")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "a"}, {Key: "n", Value: int64(1)}}); err != nil {
		t.Fatal(err)
	}
	e.create("src", e.config())
	e.read(e.topic("items"), 1, 30*time.Second)
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: "b"}, {Key: "n", Value: 2.5}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: "a"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: int64(3)}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: "b"}}); err != nil {
		t.Fatal(err)
	}
	recs := e.read(e.topic("items"), 5, 30*time.Second)
	var got []string
	for _, d := range recs {
		if d.value == nil {
			got = append(got, fmt.Sprintf("key=%s tombstone", field(d.key, "id")))
			continue
		}
		src := d.value.(*connect.Struct).Get("source")
		got = append(got, fmt.Sprintf("key=%s op=%s after=%s patch=%s filter=%s snapshot=%s db=%v collection=%s rs=%s",
			field(d.key, "id"), field(d.value, "op"), field(d.value, "after"), field(d.value, "patch"), field(d.value, "filter"),
			field(src, "snapshot"), field(src, "db") == e.dbName, field(src, "collection"), field(src, "rs")))
	}
	want := []string{
		`key="a" op=r after={"_id": "a", "n": {"$numberLong": "1"}} patch=<nil> filter=<nil> snapshot=last db=true collection=items rs=rs0`,
		`key="b" op=c after={"_id": "b", "n": 2.5} patch=<nil> filter=<nil> snapshot=false db=true collection=items rs=rs0`,
		`key="a" op=u after=<nil> patch={"$v": 1, "$set": {"_id": "a", "n": {"$numberLong": "3"}}} filter={"_id": "a"} snapshot=false db=true collection=items rs=rs0`,
		`key="b" op=d after=<nil> patch=<nil> filter=<nil> snapshot=false db=true collection=items rs=rs0`,
		`key="b" tombstone`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestDeleteHandling runs an insert, an update and a delete through the
// unwrap under each delete.handling.mode and drop.tombstones.
func TestDeleteHandling(t *testing.T) {
	for _, tc := range []struct {
		mode, dropTombstones string
		want                 string
	}{
		{"drop", "true", "c:x=1 u:x=2"},
		{"drop", "false", "c:x=1 u:x=2 tombstone"},
		{"none", "true", "c:x=1 u:x=2 null"},
		{"rewrite", "true", "c:x=1 __deleted=false u:x=2 __deleted=false d:__deleted=true"},
		{"rewrite", "false", "c:x=1 __deleted=false u:x=2 __deleted=false d:__deleted=true tombstone"},
	} {
		t.Run(tc.mode+"/drop.tombstones="+tc.dropTombstones, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			c := e.db.Collection("items")
			e.create("src", e.config(
				"transforms", "unwrap",
				"transforms.unwrap.type", "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
				"transforms.unwrap.delete.handling.mode", tc.mode,
				"transforms.unwrap.drop.tombstones", tc.dropTombstones,
				"transforms.unwrap.add.headers", "op",
			))
			waitStreaming(t, e)
			if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(7)}, {Key: "x", Value: int32(1)}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: int32(7)}}, bson.D{{Key: "$set", Value: bson.D{{Key: "x", Value: int32(2)}}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.DeleteOne(ctx, bson.D{{Key: "_id", Value: int32(7)}}); err != nil {
				t.Fatal(err)
			}
			// A marker insert shows that nothing more of the deleted
			// document is coming.
			if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(8)}}); err != nil {
				t.Fatal(err)
			}
			n := len(strings.Fields(tc.want)) + 1
			if strings.Contains(tc.want, "__deleted") {
				n = strings.Count(tc.want, ":") + strings.Count(tc.want, "tombstone") + 1
			}
			recs := e.read(e.topic("items"), n, 30*time.Second)
			var got []string
			for _, d := range recs[:len(recs)-1] {
				if field(d.key, "id") != "7" {
					t.Fatalf("key %v", d.key)
				}
				op := ""
				for _, h := range d.hdrs {
					if h.Key == "__op" {
						op = string(h.Value)
					}
				}
				switch {
				case d.value == nil && op == "":
					got = append(got, "tombstone")
				case d.value == nil:
					got = append(got, "null")
				default:
					got = append(got, op+":"+row(d.value))
				}
			}
			if g := strings.Join(got, " "); g != tc.want {
				t.Fatalf("got %s, want %s", g, tc.want)
			}
		})
	}
}

// waitStreaming waits until the connector has finished its (empty)
// snapshot and reads the oplog, by writing a probe to another collection
// until it arrives.
func waitStreaming(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if _, err := e.db.Collection("probe").InsertOne(ctx, bson.D{{Key: "i", Value: i}}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
		if o, err := e.log.ListOffsets(ctx, logstore.TopicPartition{Topic: e.topic("probe")}); err == nil && o.End > 0 {
			return
		}
	}
	t.Fatal("the connector never streamed")
}

// TestBSONTypes inserts one document of every BSON type the connector
// maps and checks the unwrapped record's schema and values. decimal128
// is covered by TestUnwrapOffline (testdata/unwrap) instead: FerretDB
// v1.24.2 cannot store it at all. Re-checked on 2026-11-25: an insert of
// a decimal128, top-level, nested or in an array, makes FerretDB log
// "invalid BSON type wirebson.Decimal128" and close the connection, and
// the driver's retries fail the same way; nothing reaches the oplog.
func TestBSONTypes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	oid, _ := bson.ObjectIDFromHex("5e8a1c2b9d3f4a0012345678")
	doc := bson.D{
		{Key: "_id", Value: oid},
		{Key: "s", Value: "text"},
		{Key: "i32", Value: int32(-5)},
		{Key: "i64", Value: int64(1) << 40},
		{Key: "f", Value: 2.25},
		{Key: "b", Value: true},
		{Key: "date", Value: bson.NewDateTimeFromTime(time.Date(2020, 4, 3, 11, 20, 0, 0, time.UTC))},
		{Key: "ts", Value: bson.Timestamp{T: 1585912800, I: 1}},
		{Key: "nil", Value: nil},
		{Key: "doc", Value: bson.D{{Key: "city", Value: "Zürich"}, {Key: "zip", Value: int32(8001)}}},
		{Key: "arr", Value: bson.A{"a", "b"}},
		{Key: "docs", Value: bson.A{bson.D{{Key: "k", Value: int32(1)}}, bson.D{{Key: "v", Value: "x"}}}},
		{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte{0, 1, 2}}},
	}
	if _, err := e.db.Collection("types").InsertOne(ctx, doc); err != nil {
		t.Fatal(err)
	}
	e.create("src", e.config(
		"transforms", "unwrap",
		"transforms.unwrap.type", "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
	))
	d := e.read(e.topic("types"), 1, 30*time.Second)[0]
	var got []string
	st := d.value.(*connect.Struct)
	for i, f := range st.Schema.Fields {
		got = append(got, fmt.Sprintf("%s %s%s = %v", f.Name, f.Schema.Type, logical(f.Schema), render(st.Values[i])))
	}
	want := []string{
		"_id string = 5e8a1c2b9d3f4a0012345678",
		"s string = text",
		"i32 int32 = -5",
		"i64 int64 = 1099511627776",
		"f float64 = 2.25",
		"b boolean = true",
		"date int64(" + connect.TimestampName + ") = 2020-04-03T11:20:00Z",
		"ts int64(" + connect.TimestampName + ") = 2020-04-03T11:20:00Z",
		"doc struct = {city=Zürich zip=8001}",
		"arr array(string) = [a b]",
		"docs array(struct) = [{k=1 v=<nil>} {k=<nil> v=x}]",
		"bin bytes = [0 1 2]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("fields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func logical(s *connect.Schema) string {
	switch {
	case s.Name != "" && s.Type != connect.StructType:
		return "(" + s.Name + ")"
	case s.Type == connect.Array:
		return "(" + s.Elem.Type.String() + ")"
	}
	return ""
}

func render(v any) string {
	switch x := v.(type) {
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case *connect.Struct:
		var parts []string
		for i, f := range x.Schema.Fields {
			parts = append(parts, fmt.Sprintf("%s=%v", f.Name, render(x.Values[i])))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case []any:
		var parts []string
		for _, el := range x {
			parts = append(parts, render(el))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

// TestSchemaEvolution checks that a document with a new field registers
// a new schema version the registry accepts and ksqlDB's inference sees.
func TestSchemaEvolution(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.db.Collection("evolve")
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(1)}, {Key: "a", Value: "x"}}); err != nil {
		t.Fatal(err)
	}
	e.create("src", e.config(
		"transforms", "unwrap",
		"transforms.unwrap.type", "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState",
	))
	e.read(e.topic("evolve"), 1, 30*time.Second)
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(2)}, {Key: "a", Value: "y"}, {Key: "b", Value: int64(9)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: int32(3)}, {Key: "b", Value: int64(10)}}); err != nil {
		t.Fatal(err)
	}
	recs := e.read(e.topic("evolve"), 3, 30*time.Second)
	var got []string
	for _, d := range recs {
		got = append(got, row(d.value))
	}
	if want := "a=x|a=y b=9|b=10"; strings.Join(got, "|") != want {
		t.Fatalf("rows %s, want %s", strings.Join(got, "|"), want)
	}
	inf, err := format.InferColumns(ctx, format.FromRegistry(e.reg), "AVRO", nil, e.topic("evolve"), false, format.WrapDefault)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range inf.Columns {
		cols = append(cols, c.Name+" "+c.Type.String())
	}
	if want := "_ID INTEGER, B BIGINT"; strings.Join(cols, ", ") != want {
		t.Fatalf("latest columns %s, want %s", strings.Join(cols, ", "), want)
	}
}
