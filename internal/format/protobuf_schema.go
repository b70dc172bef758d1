package format

import (
	"context"
	"fmt"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/sluicedb/sluice/internal/registry"
)

// Nullable representations for generated Protobuf schemas, ksqlDB's
// PROTOBUF_NULLABLE_REPRESENTATION: none (proto3 defaults, NULL is lost),
// optional (explicit presence) or wrapper (google.protobuf.*Value).
const (
	nullableNone     = ""
	nullableOptional = "optional"
	nullableWrapper  = "wrapper"
)

// protoImports are the files Confluent resolves without references, as
// ksqlDB's generated schemas import them. google/protobuf/* comes from
// protocompile's standard imports.
var protoImports = map[string]string{
	"confluent/meta.proto": `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
`,
	// Schemas in the wild (and ksqlDB's tests) annotate decimals with
	// confluent.field_meta while importing only decimal.proto, which
	// Confluent's lenient parser accepts; a public import gives protocompile
	// the same view.
	"confluent/type/decimal.proto": `syntax = "proto3";
package confluent.type;
import public "confluent/meta.proto";
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`,
	"google/type/date.proto": `syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
`,
	"google/type/timeofday.proto": `syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
`,
}

// Well-known message names the converter maps to SQL types.
const (
	protoDecimal   = "confluent.type.Decimal"
	protoDate      = "google.type.Date"
	protoTimeOfDay = "google.type.TimeOfDay"
	protoTimestamp = "google.protobuf.Timestamp"
)

const protoRoot = "__sluice_format__.proto"

// compileProto compiles a schema, .proto text or a base64
// FileDescriptorProto, with its references into a file descriptor.
func compileProto(s Schema) (protoreflect.FileDescriptor, error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.ResolverFunc(
			func(path string) (protocompile.SearchResult, error) {
				// A schema registered by Confluent's own serializers is a
				// base64 FileDescriptorProto, not .proto text; both read.
				if path == protoRoot {
					return registry.ProtoSearchResult(path, registry.WithImplicitImports(s.Text)), nil
				}
				if t, ok := s.Refs[path]; ok {
					return registry.ProtoSearchResult(path, t), nil
				}
				if t, ok := protoImports[path]; ok {
					return protocompile.SearchResult{Source: strings.NewReader(t)}, nil
				}
				return protocompile.SearchResult{}, fmt.Errorf("import %q: %w", path, protoregistry.NotFound)
			})),
	}
	files, err := c.Compile(context.Background(), protoRoot)
	if err != nil {
		return nil, &Error{Kind: ErrSchema, Msg: "parse Protobuf schema", Err: err}
	}
	fd, err := nativeFile(files[0], new(protoregistry.Files))
	if err != nil {
		return nil, &Error{Kind: ErrSchema, Msg: "load Protobuf schema", Err: err}
	}
	return fd, nil
}

// nativeFile rebuilds a compiled file (and its imports) as the protobuf
// runtime's own descriptors. protocompile's descriptors resolve editions
// features on every HasPresence call, which made decoding several times
// slower.
func nativeFile(f protoreflect.FileDescriptor, files *protoregistry.Files) (protoreflect.FileDescriptor, error) {
	if d, err := files.FindFileByPath(f.Path()); err == nil {
		return d, nil
	}
	for i := 0; i < f.Imports().Len(); i++ {
		if _, err := nativeFile(f.Imports().Get(i).FileDescriptor, files); err != nil {
			return nil, err
		}
	}
	nf, err := protodesc.NewFile(protodesc.ToFileDescriptorProto(f), files)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path(), err)
	}
	if err := files.RegisterFile(nf); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path(), err)
	}
	return nf, nil
}

// findMessage picks the message a schema's records use: the one named by
// fullSchemaName (full or short name), or the file's first.
func findMessage(fd protoreflect.FileDescriptor, fullName string) (protoreflect.MessageDescriptor, []int, error) {
	if fullName == "" {
		if fd.Messages().Len() == 0 {
			return nil, nil, newErr(ErrSchema, "Protobuf schema declares no message")
		}
		return fd.Messages().Get(0), []int{0}, nil
	}
	var found protoreflect.MessageDescriptor
	var walk func(ms protoreflect.MessageDescriptors)
	walk = func(ms protoreflect.MessageDescriptors) {
		for i := 0; i < ms.Len() && found == nil; i++ {
			m := ms.Get(i)
			if string(m.FullName()) == fullName || string(m.Name()) == fullName {
				found = m
				return
			}
			walk(m.Messages())
		}
	}
	walk(fd.Messages())
	if found == nil {
		return nil, nil, newErr(ErrSchema, "Protobuf schema has no message named %s", fullName)
	}
	var rev []int
	for d := protoreflect.Descriptor(found); ; {
		rev = append(rev, d.Index())
		p, ok := d.Parent().(protoreflect.MessageDescriptor)
		if !ok {
			break
		}
		d = p
	}
	idx := make([]int, len(rev))
	for i, v := range rev {
		idx[len(rev)-1-i] = v
	}
	return found, idx, nil
}
