package format

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// TestSerializerReusesSubjectSchema: when a sink's subject already holds a
// schema the generated one is incompatible with, serializers write with
// the subject's schema if the columns fit it.
func TestSerializerReusesSubjectSchema(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	entries := `{"type":"array","items":{"type":"record","name":"test","fields":[{"name":"key","type":["null","string"],"default":null},{"name":"value","type":["null","double"],"default":null}]}}`
	avroID, err := reg.Register(ctx, "amap-value", Schema{Type: SchemaAvro, Text: entries})
	if err != nil {
		t.Fatal(err)
	}
	pbID, err := reg.Register(ctx, "pb-value", Schema{Type: SchemaProtobuf, Text: `syntax = "proto3"; message ProtobufValue1 {uint32 x = 1;} message ProtobufValue2 {float c1 = 1; uint32 c2 = 2;}`})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		format string
		props  map[string]string
		tg     Target
		row    []value.Value
		id     int
		want   string
	}{
		{"AVRO", nil, Target{Topic: "amap", Columns: cols("FOO", types.MapOf(types.StringType, types.DoubleType)), Wrap: Unwrapped},
			[]value.Value{value.Map([]value.Entry{{Key: value.String("a"), Val: value.Double(1.1)}, {Key: value.String("c"), Val: value.Null}})},
			avroID, `{"a":1.1,"c":null}`},
		{"PROTOBUF", map[string]string{"fullSchemaName": "ProtobufValue2"}, Target{Topic: "pb", Columns: cols("C1", types.DoubleType, "C2", types.BigintType)},
			[]value.Value{value.Double(1.1234), value.Bigint(100)}, pbID, `{"C1":1.1233999729156494,"C2":100}`},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			f := mustFormat(t, tc.format, tc.props, reg)
			s, err := f.Serializer(ctx, tc.tg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Serialize(nil, tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if id := int(binary.BigEndian.Uint32(b[1:5])); id != tc.id {
				t.Fatalf("wrote schema id %d, want the subject's %d", id, tc.id)
			}
			d, _ := f.Deserializer(ctx, tc.tg)
			row, err := d.Deserialize(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			un, _ := f.Unwrapped(tc.tg)
			if got := render(t, tc.tg.Columns, row, un); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	// A subject schema the columns cannot fill still fails, naming both.
	f := mustFormat(t, "AVRO", nil, reg)
	if _, err := f.Serializer(ctx, Target{Topic: "amap", Columns: cols("FOO", types.BooleanType), Wrap: Unwrapped}); err == nil {
		t.Fatal("incompatible subject schema accepted")
	}
}
