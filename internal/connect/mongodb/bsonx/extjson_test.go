package bsonx

import (
	"bytes"
	"math"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendJSON(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("5e8a1c2b9d3f4a0012345678")
	dec, _ := bson.ParseDecimal128("123.4500")
	tests := []struct {
		name string
		val  any
		want string
	}{
		{"string", "usd", `"usd"`},
		{"escapes", "a\"b\\c\n\x01é", `"a\"b\\c\n\u0001é"`},
		{"int32", int32(-7), `-7`},
		{"int64", int64(1 << 40), `{"$numberLong": "1099511627776"}`},
		{"double fraction", 50.5, `50.5`},
		{"double whole", 15.0, `15.0`},
		{"double large", 1.5e10, `1.5E10`},
		{"double small", 0.0001, `1.0E-4`},
		{"double NaN", math.NaN(), `{"$numberDouble": "NaN"}`},
		{"bool", true, `true`},
		{"null", nil, `null`},
		{"objectid", oid, `{"$oid": "5e8a1c2b9d3f4a0012345678"}`},
		{"date", bson.DateTime(1585912800000), `{"$date": 1585912800000}`},
		{"timestamp", bson.Timestamp{T: 1585912800, I: 3}, `{"$timestamp": {"t": 1585912800, "i": 3}}`},
		{"decimal", dec, `{"$numberDecimal": "123.4500"}`},
		{"binary", bson.Binary{Subtype: 4, Data: []byte{1, 2, 3}}, `{"$binary": "AQID", "$type": "04"}`},
		{"nested", bson.D{{Key: "a", Value: int32(1)}, {Key: "b", Value: bson.A{"x", int32(2)}}}, `{"a": 1, "b": ["x", 2]}`},
		{"regex", bson.Regex{Pattern: "^a", Options: "i"}, `{"$regex": "^a", "$options": "i"}`},
		{"minkey", bson.MinKey{}, `{"$minKey": 1}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := mustMarshal(t, bson.D{{Key: "v", Value: tc.val}})
			got, err := AppendJSON(nil, doc)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"v": ` + tc.want + `}`; string(got) != want {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestAppendJSONRoundTrip checks that the driver's extended JSON parser
// reads what AppendJSON writes back into the same BSON bytes, so the
// unwrap transform (and any Debezium consumer) recovers every type.
func TestAppendJSONRoundTrip(t *testing.T) {
	doc := mustMarshal(t, allTypes(t))
	js, err := AppendJSON(nil, doc)
	if err != nil {
		t.Fatal(err)
	}
	var back bson.Raw
	if err := bson.UnmarshalExtJSON(js, false, &back); err != nil {
		t.Fatalf("parse %s: %v", js, err)
	}
	if !bytes.Equal(back, doc) {
		t.Fatalf("round trip changed the document:\n json %s\n got  %v\n want %v", js, back, bson.Raw(doc))
	}
}

func allTypes(t testing.TB) bson.D {
	oid, _ := bson.ObjectIDFromHex("5e8a1c2b9d3f4a0012345678")
	dec, _ := bson.ParseDecimal128("-0.000123")
	return bson.D{
		{Key: "_id", Value: oid},
		{Key: "s", Value: "héllo \"q\""},
		{Key: "i32", Value: int32(42)},
		{Key: "i64", Value: int64(-9007199254740993)},
		{Key: "f", Value: 29.71},
		{Key: "fw", Value: 13.0},
		{Key: "dec", Value: dec},
		{Key: "b", Value: false},
		{Key: "date", Value: bson.NewDateTimeFromTime(time.Date(2020, 4, 3, 11, 20, 0, 0, time.UTC))},
		{Key: "ts", Value: bson.Timestamp{T: 1585912800, I: 7}},
		{Key: "nil", Value: nil},
		{Key: "doc", Value: bson.D{{Key: "x", Value: int32(1)}, {Key: "y", Value: bson.D{{Key: "z", Value: "deep"}}}}},
		{Key: "arr", Value: bson.A{int32(1), "two", bson.D{{Key: "three", Value: 3.5}}}},
		{Key: "bin", Value: bson.Binary{Subtype: 0, Data: []byte("raw\x00bytes")}},
	}
}

func TestWithout(t *testing.T) {
	doc := mustMarshal(t, bson.D{{Key: "_id", Value: 1}, {Key: "secret", Value: "x"}, {Key: "addr", Value: bson.D{{Key: "zip", Value: "1"}, {Key: "city", Value: "c"}}}})
	for _, tc := range []struct {
		paths [][]string
		want  string
	}{
		{nil, `{"_id": 1, "secret": "x", "addr": {"zip": "1", "city": "c"}}`},
		{[][]string{{"secret"}}, `{"_id": 1, "addr": {"zip": "1", "city": "c"}}`},
		{[][]string{{"addr", "zip"}, {"nope"}}, `{"_id": 1, "secret": "x", "addr": {"city": "c"}}`},
		{[][]string{{"_id"}, {"secret"}, {"addr"}}, `{}`},
	} {
		out, err := Without(doc, tc.paths)
		if err != nil {
			t.Fatal(err)
		}
		if bson.Raw(out).Validate() != nil {
			t.Fatalf("invalid output %x", out)
		}
		js, _ := AppendJSON(nil, out)
		if string(js) != tc.want {
			t.Errorf("%v: got %s want %s", tc.paths, js, tc.want)
		}
	}
}
