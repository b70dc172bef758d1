package format

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hamba/avro/v2"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// allTypesCols has a column of every type, with nesting.
func allTypesCols() []Column {
	return cols(
		"B", types.BooleanType, "I", types.IntType, "L", types.BigintType, "D", types.DoubleType,
		"X", types.MustDecimal(10, 3), "S", types.StringType, "Y", types.BytesType,
		"DT", types.DateType, "TM", types.TimeType, "TS", types.TimestampType,
		"A", types.ArrayOf(types.StringType), "M", types.MapOf(types.StringType, types.IntType),
		"ST", types.StructOf(types.Field{Name: "F1", Type: types.IntType}, types.Field{Name: "F2", Type: types.ArrayOf(types.MustDecimal(4, 2))}),
	)
}

func allTypesRow() []value.Value {
	return []value.Value{
		value.Bool(true), value.Int(-7), value.Bigint(1 << 50), value.Double(2.5),
		value.DecimalInt64(-123456, 3), value.String("héllo"), value.Bytes([]byte{0, 1, 2}),
		value.Date(19000), value.Time(3600000), value.Timestamp(1600000000000),
		value.Array([]value.Value{value.String("a"), value.Null}),
		value.Map([]value.Entry{{Key: value.String("k"), Val: value.Int(1)}, {Key: value.String("n"), Val: value.Null}}),
		value.Struct([]value.Value{value.Int(9), value.Array([]value.Value{value.DecimalInt64(150, 2)})}),
	}
}

func TestAvroRoundTrip(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	f := mustFormat(t, "AVRO", nil, reg)
	c := allTypesCols()
	tg := Target{Topic: "orders", Columns: c}
	s, err := f.Serializer(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Deserializer(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]value.Value{allTypesRow(), make([]value.Value, len(c)), nil}
	for i, row := range rows {
		b, err := s.Serialize(nil, row)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		back, err := d.Deserialize(b, nil)
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if got, want := render(t, c, back, false), render(t, c, row, false); got != want {
			t.Fatalf("row %d:\n got %s\nwant %s", i, got, want)
		}
	}
	// The registered schema is ksqlDB's shape and parses as Avro.
	_, sch, err := reg.Latest(ctx, "orders-value")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"name":"KsqlDataSourceSchema"`, `"namespace":"io.confluent.ksql.avro_schemas"`,
		`{"default":null,"name":"B","type":["null","boolean"]}`,
		`"logicalType":"decimal"`, `"logicalType":"timestamp-millis"`,
		`"name":"KsqlDataSourceSchema_ST"`,
	} {
		if !strings.Contains(sch.Text, want) {
			t.Errorf("schema lacks %s:\n%s", want, sch.Text)
		}
	}
}

// TestAvroReadsForeignWriters decodes data written by hamba/avro's own
// encoder with user schemas, as other producers would write it.
func TestAvroReadsForeignWriters(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	tests := []struct {
		name   string
		schema string
		datum  any
		cols   []Column
		wrap   Wrapping
		want   string
	}{
		{"partial schema, case-insensitive", `{"name":"blah","type":"record","fields":[{"name":"c1","type":"boolean"},{"name":"c2","type":"int"},{"name":"c3","type":"long"},{"name":"c4","type":"double"},{"name":"c5","type":"string"}]}`,
			map[string]any{"c1": true, "c2": 1, "c3": int64(400000000000), "c4": 1.284765648, "c5": "hello"},
			cols("C1", types.BooleanType, "C3", types.BigintType, "C5", types.StringType, "C9", types.IntType), 0,
			`{"C1":true,"C3":400000000000,"C5":"hello","C9":null}`},
		{"enum to string", `{"name":"r","type":"record","fields":[{"name":"c1","type":{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS"]}}]}`,
			map[string]any{"c1": "HEARTS"}, cols("C1", types.StringType), 0, `{"C1":"HEARTS"}`},
		{"float to double", `{"name":"r","type":"record","fields":[{"name":"c1","type":"float"}]}`,
			map[string]any{"c1": float32(1.1234)}, cols("C1", types.DoubleType), 0, `{"C1":1.1233999729156494}`},
		{"record to struct", `{"name":"r","type":"record","fields":[{"name":"c1","type":{"type":"record","name":"x","fields":[{"name":"f1","type":"int"},{"name":"skip","type":{"type":"array","items":"string"}}]}}]}`,
			map[string]any{"c1": map[string]any{"f1": 1, "skip": []string{"a", "b"}}},
			cols("C1", types.StructOf(types.Field{Name: "F1", Type: types.IntType})), 0, `{"C1":{"F1":1}}`},
		{"map values coerced", `{"type":"map","values":["null","int"]}`, map[string]any{"a": 1},
			cols("FOO", types.MapOf(types.StringType, types.StringType)), Unwrapped, `{"a":"1"}`},
		{"anonymous int to string", `"int"`, 10, cols("FOO", types.StringType), Unwrapped, `"10"`},
		{"timestamp micros", `{"name":"r","type":"record","fields":[{"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}}]}`,
			map[string]any{"ts": int64(1600000000000000)}, cols("TS", types.TimestampType), 0, `{"TS":1600000000000}`},
		{"debezium micros into TIMESTAMP, raw into BIGINT", `{"name":"r","type":"record","fields":[{"name":"a","type":{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}},{"name":"b","type":{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}},{"name":"c","type":{"type":"long","connect.name":"io.debezium.time.NanoTimestamp"}}]}`,
			map[string]any{"a": int64(1600000000123456), "b": int64(1600000000123456), "c": int64(1600000000123456789)},
			cols("A", types.TimestampType, "B", types.BigintType, "C", types.TimestampType), 0, `{"A":1600000000123,"B":1600000000123456,"C":1600000000123}`},
		{"map as Connect's array of entries", `{"name":"r","type":"record","fields":[{"name":"m","type":{"type":"array","items":["null",{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":["null","string"]},{"name":"value","type":["null","double"]}]}]}}]}`,
			map[string]any{"m": []any{map[string]any{"io.confluent.connect.avro.MapEntry": map[string]any{"key": map[string]any{"string": "a"}, "value": map[string]any{"double": 1.5}}}, nil}},
			cols("M", types.MapOf(types.StringType, types.DoubleType)), 0, `{"M":{"a":1.5}}`},
		{"fixed decimal", `{"name":"r","type":"record","fields":[{"name":"d","type":{"type":"fixed","name":"f","size":4,"logicalType":"decimal","precision":6,"scale":2}}]}`,
			nil, cols("D", types.MustDecimal(6, 2)), 0, `{"D":-1.00}`},
		{"general union", `{"name":"r","type":"record","fields":[{"name":"u","type":["null","int","string"]}]}`,
			map[string]any{"u": map[string]any{"string": "x"}},
			cols("U", types.StructOf(types.Field{Name: "INT", Type: types.IntType}, types.Field{Name: "STRING", Type: types.StringType})), 0,
			`{"U":{"INT":null,"STRING":"x"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sch, err := avro.Parse(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			var payload []byte
			if tc.datum == nil {
				payload = []byte{0xff, 0xff, 0xff, 0x9c} // fixed(4) two's complement -100
			} else if payload, err = avro.Marshal(sch, tc.datum); err != nil {
				t.Fatal(err)
			}
			id, err := reg.Register(ctx, "foreign-"+strings.ReplaceAll(tc.name, " ", "_"), Schema{Type: SchemaAvro, Text: tc.schema})
			if err != nil {
				t.Fatal(err)
			}
			f := mustFormat(t, "avro", nil, reg)
			tg := Target{Topic: "t", Columns: tc.cols, Wrap: tc.wrap}
			d, err := f.Deserializer(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			row, err := d.Deserialize(append(appendHeader(nil, id), payload...), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := render(t, tc.cols, row, tc.wrap == Unwrapped); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestAvroSchemaIDSerializer writes with a user's schema chosen by id, so
// the bytes must follow that schema (non-optional fields, original case).
func TestAvroSchemaIDSerializer(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	text := `{"type":"record","name":"Transaction","namespace":"com.acme","fields":[{"name":"eventID","type":"string"},{"name":"amount","type":"int"},{"name":"opt","type":["null","long"],"default":null}]}`
	id, err := reg.Register(ctx, "model-value", Schema{Type: SchemaAvro, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	f := mustFormat(t, "AVRO", map[string]string{"schemaId": "1"}, reg)
	c := cols("eventID", types.StringType, "amount", types.IntType)
	s, err := f.Serializer(ctx, Target{Topic: "model", Columns: c})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Serialize(nil, []value.Value{value.String("e1"), value.Int(5)})
	if err != nil {
		t.Fatal(err)
	}
	sch := avro.MustParse(text)
	var got map[string]any
	if err := avro.Unmarshal(sch, b[5:], &got); err != nil {
		t.Fatal(err)
	}
	if got["eventID"] != "e1" || got["amount"] != 5 || got["opt"] != nil || int(b[4]) != id {
		t.Fatalf("decoded %v (id %d)", got, b[4])
	}
	if _, err := s.Serialize(nil, []value.Value{value.Null, value.Int(5)}); err == nil {
		t.Fatal("null for a required field was accepted")
	}
}

func TestInferAvro(t *testing.T) {
	tests := []struct {
		schema string
		key    bool
		want   string
	}{
		{`{"name":"blah","type":"record","fields":[{"name":"c1","type":"boolean"},{"name":"customer_id","type":["null","int"]},{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"m","type":{"type":"map","values":"long"}},{"name":"r","type":{"type":"record","name":"something","fields":[{"name":"f1","type":"int"}]}},{"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}},{"name":"fl","type":"float"},{"name":"dt","type":{"type":"int","logicalType":"date"}}]}`,
			false, "[`C1` BOOLEAN, `CUSTOMER_ID` INTEGER, `TS` TIMESTAMP, `E` STRING, `M` MAP<STRING, BIGINT>, `R` STRUCT<`F1` INTEGER>, `D` DECIMAL(4, 2), `FL` DOUBLE, `DT` DATE]"},
		{`{"type":"bytes","logicalType":"decimal","scale":2}`, true, "[`ROWKEY` DECIMAL(64, 2) KEY]"},
		{`"string"`, false, "[`ROWVAL` STRING]"},
		{`{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"int"},{"name":"value","type":"string"}]}}`,
			false, "[`ROWVAL` MAP<INTEGER, STRING>]"},
		{`{"type":"record","name":"Value","fields":[{"name":"ts","type":{"type":"long","connect.name":"io.debezium.time.MicroTimestamp"}},{"name":"d","type":{"type":"int","connect.name":"io.debezium.time.Date"}},{"name":"c","type":{"type":"int","connect.name":"org.apache.kafka.connect.data.Date","logicalType":"date"}}]}`,
			false, "[`TS` BIGINT, `D` INTEGER, `C` DATE]"},
	}
	for _, tc := range tests {
		inf, err := Infer(Schema{Type: SchemaAvro, Text: tc.schema}, tc.key, InferOptions{})
		c := inf.Columns
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatColumns(c, tc.key); got != tc.want {
			t.Errorf("got  %s\nwant %s", got, tc.want)
		}
	}
}

func TestAvroErrors(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	tests := []struct {
		props map[string]string
		cols  []Column
		want  string
	}{
		{nil, cols("1AvroDoesNotLikeFieldsThatStartWithNumbers", types.DoubleType), "Schema is not compatible with Avro: Illegal initial character: 1AvroDoesNotLikeFieldsThatStartWithNumbers"},
		{nil, cols("FOO", types.MapOf(types.IntType, types.DoubleType)), "Avro only supports MAPs with STRING keys"},
		{map[string]string{"VALUE_AVRO_SCHEMA_FULL_NAME": " "}, nil, "does not support the following configs"},
		{map[string]string{"fullSchemaName": " "}, nil, "fullSchemaName cannot be empty. Format configuration: {fullSchemaName=}"},
	}
	for _, tc := range tests {
		f, err := New("AVRO", tc.props, reg)
		if err == nil {
			_, err = f.Serializer(ctx, Target{Topic: "t", Columns: tc.cols})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	f := mustFormat(t, "AVRO", nil, reg)
	d, _ := f.Deserializer(ctx, Target{Topic: "t", Columns: cols("A", types.IntType)})
	if row, err := d.Deserialize([]byte{}, nil); row != nil || err != nil {
		t.Errorf("empty payload: %v %v, want a null record", row, err)
	}
	for _, in := range [][]byte{{1, 0, 0, 0, 1}, {0, 0}, {0, 0, 0, 0, 99, 2}} {
		if _, err := d.Deserialize(in, nil); err == nil {
			t.Errorf("% x decoded without error", in)
		}
	}
}

// TestAvroNullItemBomb: blocks of zero-byte items must not let a small
// record expand without limit.
func TestAvroNullItemBomb(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	id, err := reg.Register(ctx, "bomb-value", Schema{Type: SchemaAvro, Text: `{"type":"array","items":"null"}`})
	if err != nil {
		t.Fatal(err)
	}
	data := appendHeader(nil, id)
	for range 1000 {
		data = appendAvroLong(data, 60000)
	}
	data = append(data, 0)
	f := mustFormat(t, "AVRO", nil, reg)
	d, _ := f.Deserializer(ctx, Target{Topic: "bomb", Columns: cols("A", types.ArrayOf(types.IntType)), Wrap: Unwrapped})
	if _, err := d.Deserialize(data, nil); err == nil {
		t.Fatal("60M null items from 4KB decoded without error")
	}
}

// TestAvroSchemaNames checks the names ksqlDB's SchemaFullNameAppender
// gives: nested records after their path, _MapValue inside maps, dots of
// qualified column names as underscores.
func TestAvroSchemaNames(t *testing.T) {
	st := types.StructOf(types.Field{Name: "F", Type: types.IntType})
	text, err := AvroSchemaFor(cols("T.ID", types.IntType, "M", types.MapOf(types.StringType, st), "A", types.ArrayOf(st)), "ns.Rec", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"name":"T_ID"`, `"name":"Rec_M_MapValue"`, `"name":"Rec_A"`, `"namespace":"ns"`} {
		if !strings.Contains(text, want) {
			t.Errorf("schema lacks %s:\n%s", want, text)
		}
	}
	reg, _ := newTestRegistry(t)
	f := mustFormat(t, "AVRO", nil, reg)
	c := cols("T.ID", types.IntType)
	tg := Target{Topic: "dots", Columns: c}
	s, err := f.Serializer(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Serialize(nil, []value.Value{value.Int(5)})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.Deserializer(context.Background(), tg)
	if row, err := d.Deserialize(b, nil); err != nil || row[0].Int() != 5 {
		t.Fatalf("dotted column round trip: %v %v", row, err)
	}
}

// TestAvroSchemaIDDefaults: with a user's schema, a field the columns lack
// and a NULL in a field that cannot hold one both write the field's
// default, as Connect's Struct reads them.
func TestAvroSchemaIDDefaults(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	text := `{"type":"record","name":"T","fields":[{"name":"n","type":"int","default":7},{"name":"opt","type":"string","default":"foo"}]}`
	id, err := reg.Register(ctx, "defaults-value", Schema{Type: SchemaAvro, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	f := mustFormat(t, "AVRO", map[string]string{"schemaId": fmt.Sprint(id)}, reg)
	s, err := f.Serializer(ctx, Target{Topic: "defaults", Columns: cols("n", types.IntType)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Serialize(nil, []value.Value{value.Null})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := avro.Unmarshal(avro.MustParse(text), b[5:], &got); err != nil {
		t.Fatal(err)
	}
	if got["n"] != 7 || got["opt"] != "foo" {
		t.Fatalf("decoded %v, want n=7 opt=foo", got)
	}
}
