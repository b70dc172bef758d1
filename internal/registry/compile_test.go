package registry

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
)

func TestCompileHelpers(t *testing.T) {
	ctx := context.Background()
	r := openTestRegistry(t, newTestLog(t))
	mustRegister(t, r, "money", Schema{Type: Protobuf, Text: `syntax = "proto3"; package shop; message Money { int64 cents = 1; }`})
	order := Schema{Type: Protobuf, Text: `syntax = "proto3"; package shop; import "money.proto";
message Header { string id = 1; }
message Order {
  message Line { Money price = 1; message Tax { int32 bp = 1; } }
  repeated Line lines = 1;
}`, References: []Reference{{Name: "money.proto", Subject: "money", Version: 1}}}
	fd, err := ProtobufFile(ctx, r, order)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		indexes []int
	}{
		{"shop.Header", []int{0}},
		{"shop.Order", []int{1}},
		{"shop.Order.Line", []int{1, 0}},
		{"shop.Order.Line.Tax", []int{1, 0, 0}},
	} {
		md, err := MessageForIndexes(fd, tc.indexes)
		if err != nil || string(md.FullName()) != tc.name {
			t.Errorf("MessageForIndexes(%v) = %v, %v; want %s", tc.indexes, md, err, tc.name)
			continue
		}
		if got := MessageIndexes(md); !slices.Equal(got, tc.indexes) {
			t.Errorf("MessageIndexes(%s) = %v, want %v", tc.name, got, tc.indexes)
		}
	}
	if _, err := MessageForIndexes(fd, []int{5}); !errors.Is(err, ErrMessageIndex) {
		t.Errorf("out-of-range index: %v", err)
	}

	mustRegister(t, r, "line", Schema{Text: `{"type":"record","name":"Line","fields":[{"name":"sku","type":"string"}]}`})
	as, err := AvroSchema(ctx, r, Schema{Text: `{"type":"record","name":"Order","fields":[{"name":"l","type":"Line"}]}`,
		References: []Reference{{Name: "Line", Subject: "line", Version: Latest}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := as.String(); got != `{"name":"Order","type":"record","fields":[{"name":"l","type":{"name":"Line","type":"record","fields":[{"name":"sku","type":"string"}]}}]}` {
		t.Errorf("avro canonical form = %s", got)
	}
	_, err = AvroSchema(ctx, r, Schema{Type: JSON, Text: `{}`})
	wantCode(t, err, ErrInvalidSchema)
	_, err = AvroSchema(ctx, r, Schema{Text: `"int"`, References: []Reference{{Name: "X", Subject: "nope", Version: 1}}})
	wantCode(t, err, ErrSubjectNotFound)
}

// TestProtobufDescriptorForm registers a schema as .proto text and finds
// it again as a base64 FileDescriptorProto, the other form Confluent
// accepts: both are the same schema, so the same id.
func TestProtobufDescriptorForm(t *testing.T) {
	ctx := context.Background()
	r := openTestRegistry(t, newTestLog(t))
	id := mustRegister(t, r, "p", Schema{Type: Protobuf, Text: protoV1})
	fd, err := ProtobufFile(ctx, r, Schema{Type: Protobuf, Text: protoV1})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(protodesc.ToFileDescriptorProto(fd))
	if err != nil {
		t.Fatal(err)
	}
	if again := mustRegister(t, r, "p", Schema{Type: Protobuf, Text: base64.StdEncoding.EncodeToString(raw)}); again != id {
		t.Fatalf("descriptor form registered as id %d, want %d", again, id)
	}
}
