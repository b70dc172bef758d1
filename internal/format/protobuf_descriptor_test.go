package format

import (
	"encoding/base64"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// TestProtobufDescriptorSchema compiles schemas given as base64
// FileDescriptorProtos, root and reference, which is how Confluent's
// serializers register them, and checks they mean what the .proto text
// means.
func TestProtobufDescriptorSchema(t *testing.T) {
	const money = `syntax = "proto3";
package acme;
message Money { string currency = 1; int64 units = 2; }
`
	const order = `syntax = "proto3";
package acme;
import "acme/money.proto";
import "google/protobuf/timestamp.proto";
message Order { int64 id = 1; acme.Money price = 2; google.protobuf.Timestamp at = 3; }
`
	fromText, err := compileProto(Schema{Type: SchemaProtobuf, Text: order, Refs: map[string]string{"acme/money.proto": money}})
	if err != nil {
		t.Fatal(err)
	}
	moneyFile, err := compileProto(Schema{Type: SchemaProtobuf, Text: money})
	if err != nil {
		t.Fatal(err)
	}
	b64 := func(fd protoreflect.FileDescriptor) string {
		b, err := proto.Marshal(protodesc.ToFileDescriptorProto(fd))
		if err != nil {
			t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	fromDescriptor, err := compileProto(Schema{Type: SchemaProtobuf, Text: b64(fromText),
		Refs: map[string]string{"acme/money.proto": b64(moneyFile)}})
	if err != nil {
		t.Fatalf("compile a base64 descriptor: %v", err)
	}
	want, got := fromText.Messages().ByName("Order"), fromDescriptor.Messages().ByName("Order")
	if got == nil || got.Fields().Len() != want.Fields().Len() {
		t.Fatalf("descriptor schema has %v, want %v", got, want)
	}
	for i := 0; i < want.Fields().Len(); i++ {
		w, g := want.Fields().Get(i), got.Fields().Get(i)
		if w.Name() != g.Name() || w.Number() != g.Number() || w.Kind() != g.Kind() ||
			(w.Message() != nil && w.Message().FullName() != g.Message().FullName()) {
			t.Errorf("field %d: got %v, want %v", i, g, w)
		}
	}
}
