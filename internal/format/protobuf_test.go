package format

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestProtobufSchemaFor(t *testing.T) {
	prims := cols("I", types.IntType, "L", types.BigintType, "D", types.DoubleType, "B", types.BooleanType, "S", types.StringType)
	tests := []struct {
		cols     []Column
		nullable string
		want     string
	}{
		{prims, "", "syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  int32 I = 1;\n  int64 L = 2;\n  double D = 3;\n  bool B = 4;\n  string S = 5;\n}\n"},
		{prims, "optional", "syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  optional int32 I = 1;\n  optional int64 L = 2;\n  optional double D = 3;\n  optional bool B = 4;\n  optional string S = 5;\n}\n"},
		{prims, "wrapper", "syntax = \"proto3\";\n\nimport \"google/protobuf/wrappers.proto\";\n\nmessage ConnectDefault1 {\n  google.protobuf.Int32Value I = 1;\n  google.protobuf.Int64Value L = 2;\n  google.protobuf.DoubleValue D = 3;\n  google.protobuf.BoolValue B = 4;\n  google.protobuf.StringValue S = 5;\n}\n"},
		{cols("ID", types.BigintType, "FILTERED_TRANSFORMED", types.MapOf(types.StringType, types.IntType)), "",
			"syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  int64 ID = 1;\n  repeated ConnectDefault2Entry FILTERED_TRANSFORMED = 2;\n\n  message ConnectDefault2Entry {\n    string key = 1;\n    int32 value = 2;\n  }\n}\n"},
		{cols("MYKEY", types.IntType, "MYHEADERS", types.ArrayOf(types.StructOf(types.Field{Name: "KEY", Type: types.StringType}, types.Field{Name: "VALUE", Type: types.BytesType}))), "",
			"syntax = \"proto3\";\n\nmessage ConnectDefault1 {\n  int32 MYKEY = 1;\n  repeated ConnectDefault2 MYHEADERS = 2;\n\n  message ConnectDefault2 {\n    string KEY = 1;\n    bytes VALUE = 2;\n  }\n}\n"},
	}
	for _, tc := range tests {
		got, err := ProtobufSchemaFor(tc.cols, "", tc.nullable)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
		}
		if _, err := compileProto(Schema{Text: got}); err != nil {
			t.Errorf("generated schema does not compile: %v", err)
		}
	}
}

func TestProtobufRoundTrip(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	c := allTypesCols()
	for _, name := range []string{"PROTOBUF", "PROTOBUF_NOSR"} {
		for _, nullable := range []string{"", "optional", "wrapper"} {
			t.Run(name+"/"+nullable, func(t *testing.T) {
				props := map[string]string{}
				if nullable != "" {
					props["nullableRepresentation"] = nullable
				}
				f := mustFormat(t, name, props, reg)
				tg := Target{Topic: "pb" + nullable, Columns: c}
				s, err := f.Serializer(ctx, tg)
				if err != nil {
					t.Fatal(err)
				}
				d, err := f.Deserializer(ctx, tg)
				if err != nil {
					t.Fatal(err)
				}
				row := allTypesRow()
				b, err := s.Serialize(nil, row)
				if err != nil {
					t.Fatal(err)
				}
				if name == "PROTOBUF" && (b[0] != 0 || b[5] != 0) {
					t.Fatalf("missing wire header or message index: % x", b[:6])
				}
				back, err := d.Deserialize(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				// Proto maps and the null inside them come back as defaults.
				want := render(t, c, row, false)
				want = strings.Replace(want, `"n":null`, `"n":0`, 1)
				want = strings.Replace(want, `["a",null]`, `["a",""]`, 1)
				if got := render(t, c, back, false); got != want {
					t.Fatalf("\n got %s\nwant %s", got, want)
				}
				// NULLs: lost without presence, kept with it.
				b, err = s.Serialize(nil, make([]value.Value, len(c)))
				if err != nil {
					t.Fatal(err)
				}
				back, err = d.Deserialize(b, nil)
				if err != nil {
					t.Fatal(err)
				}
				got := render(t, c, back, false)
				if nullable == "" {
					// As in ksqlDB, an unset bytes field reads as NULL, not empty.
					if !strings.Contains(got, `"I":0`) || !strings.Contains(got, `"S":""`) || !strings.Contains(got, `"A":[]`) ||
						!strings.Contains(got, `"ST":null`) || !strings.Contains(got, `"Y":null`) {
						t.Fatalf("defaults: %s", got)
					}
				} else if !strings.Contains(got, `"I":null`) || !strings.Contains(got, `"S":null`) {
					t.Fatalf("nullable %s lost NULLs: %s", nullable, got)
				}
			})
		}
	}
}

// TestProtobufForeignWriter decodes a message written with the protobuf
// runtime from a user's schema, with columns inferred from that schema.
func TestProtobufForeignWriter(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	text := `syntax = "proto3"; import "confluent/meta.proto"; import "confluent/type/decimal.proto"; import "google/protobuf/wrappers.proto";
message Other { int32 x = 1; }
message ConfluentDefault1 {
  enum Suit { SPADES = 0; HEARTS = 1; }
  message Something { int32 f1 = 1; }
  float c1 = 1; uint32 c2 = 2; sint64 c3 = 3; Suit c4 = 4; Something c5 = 5;
  confluent.type.Decimal c6 = 6 [(confluent.field_meta) = { params: [{ value: "4", key: "precision" }, { value: "2", key: "scale" }]}];
  google.protobuf.Int32Value c7 = 7; map<string, int64> c8 = 8; repeated string c9 = 9;
}`
	id, err := reg.Register(ctx, "pbin-value", Schema{Type: SchemaProtobuf, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	fd, err := compileProto(Schema{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	md := fd.Messages().Get(1)
	m := dynamicpb.NewMessage(md)
	fs := md.Fields()
	m.Set(fs.ByName("c1"), protoreflect.ValueOfFloat32(1.1234))
	m.Set(fs.ByName("c2"), protoreflect.ValueOfUint32(4000000000))
	m.Set(fs.ByName("c3"), protoreflect.ValueOfInt64(-400000000000))
	m.Set(fs.ByName("c4"), protoreflect.ValueOfEnum(1))
	sub := m.Mutable(fs.ByName("c5")).Message()
	sub.Set(sub.Descriptor().Fields().ByName("f1"), protoreflect.ValueOfInt32(7))
	dec := m.Mutable(fs.ByName("c6")).Message()
	dec.Set(dec.Descriptor().Fields().ByName("value"), protoreflect.ValueOfBytes([]byte{0x03, 0xe9})) // 1001
	dec.Set(dec.Descriptor().Fields().ByName("scale"), protoreflect.ValueOfInt32(2))
	m.Mutable(fs.ByName("c8")).Map().Set(protoreflect.ValueOfString("k").MapKey(), protoreflect.ValueOfInt64(5))
	m.Mutable(fs.ByName("c9")).List().Append(protoreflect.ValueOfString("a"))
	payload, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	data := append(appendHeader(nil, id), 2, 2) // message index path [1]
	data = append(data, payload...)

	c, err := InferProtobuf(Schema{Type: SchemaProtobuf, Text: text}, "ConfluentDefault1", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := FormatColumns(c, false), "[`C1` DOUBLE, `C2` BIGINT, `C3` BIGINT, `C4` STRING, `C5` STRUCT<`F1` INTEGER>, `C6` DECIMAL(4, 2), `C7` INTEGER, `C8` MAP<STRING, BIGINT>, `C9` ARRAY<STRING>]"; got != want {
		t.Fatalf("inferred %s\nwant     %s", got, want)
	}
	f := mustFormat(t, "PROTOBUF", nil, reg)
	d, err := f.Deserializer(ctx, Target{Topic: "pbin", Columns: c})
	if err != nil {
		t.Fatal(err)
	}
	row, err := d.Deserialize(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"C1":1.1233999729156494,"C2":4000000000,"C3":-400000000000,"C4":"HEARTS","C5":{"F1":7},"C6":10.01,"C7":null,"C8":{"k":5},"C9":["a"]}`
	if got := render(t, c, row, false); got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	kept, err := InferProtobuf(Schema{Type: SchemaProtobuf, Text: text}, "ConfluentDefault1", true)
	if err != nil || kept[0].Name != "c1" || kept[4].Type.Fields[0].Name != "f1" {
		t.Fatalf("keepNames: %v %v", kept, err)
	}
}

func TestProtobufErrors(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	f := mustFormat(t, "PROTOBUF", nil, reg)
	for tg, want := range map[*Target]string{
		{Topic: "t", Columns: cols("FOO", types.IntType), Wrap: Unwrapped}:             "Format 'PROTOBUF' does not support 'WRAP_SINGLE_VALUE' set to 'false'.",
		{Topic: "t", Columns: cols("M", types.MapOf(types.IntType, types.DoubleType))}: "PROTOBUF format only supports MAP types with STRING keys",
	} {
		if _, err := f.Serializer(ctx, *tg); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
	d, _ := f.Deserializer(ctx, Target{Topic: "t", Columns: cols("A", types.IntType)})
	for _, in := range [][]byte{{0, 0, 0, 0, 1}, {0, 0, 0, 0, 77, 0, 8, 1}, {0, 0, 0, 0, 1, 0, 0xff}} {
		if _, err := d.Deserialize(in, nil); err == nil {
			t.Errorf("% x decoded without error", in)
		}
	}
}

// TestInferProtobufLenientImports infers from a schema shaped like ksqlDB's
// test vectors: field_meta used with only decimal.proto imported.
func TestInferProtobufLenientImports(t *testing.T) {
	text := `syntax = "proto3"; import "confluent/type/decimal.proto"; message ConfluentDefault1 {bool c1 = 1; confluent.type.Decimal c6 = 6 [(confluent.field_meta) = { params: [{ value: "4", key: "precision" }, { value: "2", key: "scale" }]}];}`
	c, err := InferProtobuf(Schema{Type: SchemaProtobuf, Text: text}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := FormatColumns(c, false), "[`C1` BOOLEAN, `C6` DECIMAL(4, 2)]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestProtobufWrappersAsStructs: with unwrapPrimitives=false a wrapper is
// a STRUCT<VALUE T>, and reads and writes as one.
func TestProtobufWrappersAsStructs(t *testing.T) {
	reg, _ := newTestRegistry(t)
	ctx := context.Background()
	text := `syntax = "proto3"; import "google/protobuf/wrappers.proto"; message M { google.protobuf.Int32Value c1 = 1; }`
	if _, err := reg.Register(ctx, "w-value", Schema{Type: SchemaProtobuf, Text: text}); err != nil {
		t.Fatal(err)
	}
	inf, err := InferColumns(ctx, reg, "PROTOBUF", map[string]string{"unwrapPrimitives": "false"}, "w", false, WrapDefault)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := FormatColumns(inf.Columns, false), "[`C1` STRUCT<`VALUE` INTEGER>]"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	f := mustFormat(t, "PROTOBUF", map[string]string{"schemaId": "1", "unwrapPrimitives": "false"}, reg)
	tg := Target{Topic: "w", Columns: inf.Columns}
	s, err := f.Serializer(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Serialize(nil, []value.Value{value.Struct([]value.Value{value.Int(4)})})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := f.Deserializer(ctx, tg)
	row, err := d.Deserialize(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, inf.Columns, row, false); got != `{"C1":{"VALUE":4}}` {
		t.Fatalf("got %s", got)
	}
}
