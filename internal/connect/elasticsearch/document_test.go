package elasticsearch

import (
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

func TestIndexName(t *testing.T) {
	for _, tc := range []struct{ topic, want string }{
		{"shipped_orders", "shipped_orders"},
		{"SHIPPED_ORDERS", "shipped_orders"},
		{"_private", "private"},
		{"-+x", "x"},
		{".", "dot"},
		{"..", "dotdot"},
		{"my-replica-set.logistics.Orders", "my-replica-set.logistics.orders"},
	} {
		if got := IndexName(tc.topic); got != tc.want {
			t.Errorf("IndexName(%q) = %q, want %q", tc.topic, got, tc.want)
		}
	}
}

func TestDocumentID(t *testing.T) {
	one := connect.NewStructSchema("k").Field("ID", connect.Int64Schema).Build()
	two := connect.NewStructSchema("k").Field("A", connect.StringSchema).Field("B", connect.Int32Schema).Build()
	for _, tc := range []struct {
		name    string
		schema  *connect.Schema
		key     any
		want    string
		invalid bool
	}{
		{"string", connect.StringSchema, "22", "22", false},
		{"int8", connect.Int8Schema, int8(-3), "-3", false},
		{"int32", connect.Int32Schema, int32(7), "7", false},
		{"int64", connect.Int64Schema, int64(1) << 40, "1099511627776", false},
		{"struct of one", one, &connect.Struct{Schema: one, Values: []any{int64(5)}}, "5", false},
		{"struct of two", two, &connect.Struct{Schema: two, Values: []any{"a", int32(1)}}, `{"A":"a","B":1}`, false},
		{"map", nil, map[string]any{"b": int64(1), "a": "x"}, `{"a":"x","b":1}`, false},
		{"null", nil, nil, "", true},
		{"float", connect.Float64Schema, 1.5, "", true},
		{"bool", connect.BooleanSchema, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DocumentID(tc.schema, tc.key)
			if tc.invalid {
				if !errors.Is(err, ErrInvalidRecord) {
					t.Fatalf("DocumentID = %q, %v; want ErrInvalidRecord", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DocumentID = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSource(t *testing.T) {
	inner := connect.NewStructSchema("in").Field("x", connect.OptInt32).Build()
	val := connect.NewStructSchema("v").
		Field("S", connect.OptString).
		Field("D", connect.DecimalSchema(2, true)).
		Field("DAY", &connect.Schema{Type: connect.Int32, Name: connect.DateName, Optional: true}).
		Field("TS", &connect.Schema{Type: connect.Int64, Name: connect.TimestampName, Optional: true}).
		Field("B", connect.OptBytes).
		Field("F", connect.OptFloat64).
		Field("A", &connect.Schema{Type: connect.Array, Elem: connect.OptString, Optional: true}).
		Field("IN", inner).Build()
	v := connect.NewStruct(val)
	copy(v.Values, []any{"q\"\n", connect.Decimal{Unscaled: big.NewInt(-1234), Scale: 2},
		time.Date(2020, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2020, 1, 2, 3, 4, 5, 6e6, time.UTC),
		[]byte("hi"), 15.0, []any{"a", nil}, &connect.Struct{Schema: inner, Values: []any{int32(4)}}})
	const body = `"S":"q\"\n","D":-12.34,"DAY":18263,"TS":1577934245006,"B":"aGk=","F":15.0,"A":["a",null],"IN":{"x":4}`
	key := connect.NewStructSchema("k").Field("ID", connect.StringSchema).Build()
	for _, tc := range []struct {
		name     string
		include  bool
		keyField string
		ks       *connect.Schema
		k        any
		want     string
	}{
		{"no key fields", false, "", key, &connect.Struct{Schema: key, Values: []any{"7"}}, "{" + body + "}"},
		{"struct key", true, "", key, &connect.Struct{Schema: key, Values: []any{"7"}}, `{"ID":"7",` + body + "}"},
		{"struct key already in value", true, "", connect.NewStructSchema("k").Field("S", connect.StringSchema).Build(), nil, "{" + body + "}"},
		{"primitive key without a name", true, "", connect.StringSchema, "7", "{" + body + "}"},
		{"primitive key named", true, "O_ORDER_ID", connect.StringSchema, "7", `{"O_ORDER_ID":"7",` + body + "}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := builder{s: &settings{keyInclude: tc.include, keyField: tc.keyField}}
			k := tc.k
			if k == nil {
				k = &connect.Struct{Schema: tc.ks, Values: []any{"other"}}
			}
			got, err := b.source(&connect.Record{KeySchema: tc.ks, Key: k, ValueSchema: val, Value: v})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("source:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestMapping(t *testing.T) {
	val := connect.NewStructSchema("v").
		Field("S", connect.OptString).
		Field("I", connect.OptInt32).
		Field("D", connect.DecimalSchema(2, true)).
		Field("TS", &connect.Schema{Type: connect.Int64, Name: connect.TimestampName}).
		Field("M", &connect.Schema{Type: connect.Map, KeyS: connect.StringSchema, Elem: connect.StringSchema}).
		Field("A", &connect.Schema{Type: connect.Array, Elem: connect.Float32Schema}).Build()
	got := string(Mapping(val, []keyField{{name: "K", schema: connect.Int64Schema}}))
	want := `{"properties":{"K":{"type":"long"},"S":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},"I":{"type":"integer"},"D":{"type":"double"},"TS":{"type":"date"},"A":{"type":"float"}}}`
	if got != want {
		t.Fatalf("Mapping:\n got %s\nwant %s", got, want)
	}
	if m := Mapping(connect.StringSchema, nil); m != nil {
		t.Fatalf("Mapping of a string = %s, want nil", m)
	}
}
