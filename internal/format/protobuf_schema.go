package format

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/sluicedb/sluice/internal/types"
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

// compileProto compiles schema text with its references into a file
// descriptor.
func compileProto(s Schema) (protoreflect.FileDescriptor, error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(protocompile.ResolverFunc(
			func(path string) (protocompile.SearchResult, error) {
				if path == protoRoot {
					return protocompile.SearchResult{Source: strings.NewReader(s.Text)}, nil
				}
				if t, ok := s.Refs[path]; ok {
					return protocompile.SearchResult{Source: strings.NewReader(t)}, nil
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

// ProtobufSchemaFor returns the .proto text ksqlDB registers for columns,
// in the layout Confluent's ProtobufData prints: message ConnectDefault1
// with fields numbered in column order, nested structs, map entries and
// array wrappers as nested ConnectDefaultN messages.
func ProtobufSchemaFor(cols []Column, fullName, nullable string) (string, error) {
	if err := checkProtoCols(cols); err != nil {
		return "", err
	}
	g := &protoGen{nullable: nullable, imports: map[string]bool{}, next: 2}
	pkg, name := "", "ConnectDefault1"
	if fullName != "" {
		name = fullName
		if i := strings.LastIndexByte(fullName, '.'); i >= 0 {
			pkg, name = fullName[:i], fullName[i+1:]
		}
	}
	fs := make([]types.Field, len(cols))
	for i, c := range cols {
		fs[i] = types.Field{Name: c.Name, Type: c.Type}
	}
	body := g.message(name, fs, "")
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n")
	if pkg != "" {
		b.WriteString("package " + pkg + ";\n")
	}
	b.WriteString("\n")
	if len(g.imports) > 0 {
		for _, imp := range sortedKeys(g.imports) {
			b.WriteString("import \"" + imp + "\";\n")
		}
		b.WriteString("\n")
	}
	b.WriteString(body)
	return b.String(), nil
}

func checkProtoCols(cols []Column) error {
	for _, c := range cols {
		if !stringKeysOnly(c.Type) {
			return newErr(ErrUnsupported, "PROTOBUF format only supports MAP types with STRING keys")
		}
	}
	return nil
}

type protoGen struct {
	nullable string
	imports  map[string]bool
	next     int
}

func (g *protoGen) message(name string, fs []types.Field, indent string) string {
	var fields, nested strings.Builder
	for i, f := range fs {
		typ, label := g.fieldType(f.Type, &nested, indent+"  ")
		fields.WriteString(indent + "  " + label + typ + " " + f.Name + " = " + strconv.Itoa(i+1))
		if f.Type.Kind == types.Decimal {
			g.imports["confluent/meta.proto"] = true
			fmt.Fprintf(&fields, ` [(confluent.field_meta) = {
%s    params: [
%s      {
%s        key: "precision",
%s        value: "%d"
%s      },
%s      {
%s        key: "scale",
%s        value: "%d"
%s      }
%s    ]
%s  }]`, indent, indent, indent, indent, f.Type.Precision, indent, indent, indent, indent, f.Type.Scale, indent, indent, indent)
		}
		fields.WriteString(";\n")
	}
	out := indent + "message " + name + " {\n" + fields.String()
	if nested.Len() > 0 {
		out += nested.String()
	}
	return out + indent + "}\n"
}

// fieldType returns a field's type and label, appending any nested message
// it needs to nested.
func (g *protoGen) fieldType(t *types.Type, nested *strings.Builder, indent string) (string, string) {
	opt := ""
	if g.nullable == nullableOptional {
		opt = "optional "
	}
	wrap := g.nullable == nullableWrapper
	wrapper := func(w string) string {
		g.imports["google/protobuf/wrappers.proto"] = true
		return "google.protobuf." + w
	}
	switch t.Kind {
	case types.Boolean:
		if wrap {
			return wrapper("BoolValue"), ""
		}
		return "bool", opt
	case types.Int:
		if wrap {
			return wrapper("Int32Value"), ""
		}
		return "int32", opt
	case types.Bigint:
		if wrap {
			return wrapper("Int64Value"), ""
		}
		return "int64", opt
	case types.Double:
		if wrap {
			return wrapper("DoubleValue"), ""
		}
		return "double", opt
	case types.String:
		if wrap {
			return wrapper("StringValue"), ""
		}
		return "string", opt
	case types.Bytes:
		if wrap {
			return wrapper("BytesValue"), ""
		}
		return "bytes", opt
	case types.Decimal:
		g.imports["confluent/type/decimal.proto"] = true
		return protoDecimal, ""
	case types.Date:
		g.imports["google/type/date.proto"] = true
		return protoDate, ""
	case types.Time:
		g.imports["google/type/timeofday.proto"] = true
		return protoTimeOfDay, ""
	case types.Timestamp:
		g.imports["google/protobuf/timestamp.proto"] = true
		return protoTimestamp, ""
	case types.Array:
		if t.Elem.Kind == types.Array {
			// Protobuf cannot repeat a repeated field: wrap the inner array.
			name := fmt.Sprintf("ConnectDefault%dArrayWrapper", g.next)
			g.next++
			nested.WriteString("\n")
			nested.WriteString(g.message(name, []types.Field{{Name: "value", Type: t.Elem}}, indent))
			return name, "repeated "
		}
		inner := *g
		inner.nullable = nullableNone
		typ, _ := inner.fieldType(t.Elem, nested, indent)
		g.next = inner.next
		return typ, "repeated "
	case types.Map:
		name := fmt.Sprintf("ConnectDefault%dEntry", g.next)
		g.next++
		nested.WriteString("\n")
		inner := *g
		inner.nullable = nullableNone
		nested.WriteString(inner.message(name, []types.Field{{Name: "key", Type: t.Key}, {Name: "value", Type: t.Elem}}, indent))
		g.next = inner.next
		return name, "repeated "
	case types.Struct:
		name := fmt.Sprintf("ConnectDefault%d", g.next)
		g.next++
		nested.WriteString("\n")
		nested.WriteString(g.message(name, t.Fields, indent))
		return name, ""
	}
	return "bytes", ""
}

// InferProtobuf maps a Protobuf schema's message (fullName, or the first)
// to ksqlDB columns. Names are upper-cased unless keepNames, which ksqlDB
// does when the schema was chosen by id.
func InferProtobuf(s Schema, fullName string, keepNames bool) ([]Column, error) {
	fd, err := compileProto(s)
	if err != nil {
		return nil, err
	}
	md, _, err := findMessage(fd, fullName)
	if err != nil {
		return nil, err
	}
	var cols []Column
	for i := 0; i < md.Fields().Len(); i++ {
		f := md.Fields().Get(i)
		t, err := protoToSQL(f, keepNames, 0)
		if err != nil {
			return nil, &Error{Kind: ErrSchema, Msg: "field " + string(f.Name()), Err: err}
		}
		cols = append(cols, Column{Name: caseName(string(f.Name()), keepNames), Type: t})
	}
	return cols, nil
}

func caseName(n string, keep bool) string {
	if keep {
		return n
	}
	return strings.ToUpper(n)
}

func protoToSQL(f protoreflect.FieldDescriptor, keep bool, depth int) (*types.Type, error) {
	if f.IsMap() {
		k, err := protoScalarToSQL(f.MapKey(), keep, depth)
		if err != nil {
			return nil, err
		}
		if k.Kind != types.String {
			return nil, fmt.Errorf("PROTOBUF format only supports MAP types with STRING keys")
		}
		v, err := protoScalarToSQL(f.MapValue(), keep, depth)
		if err != nil {
			return nil, err
		}
		return types.MapOf(k, v), nil
	}
	t, err := protoScalarToSQL(f, keep, depth)
	if err != nil {
		return nil, err
	}
	if f.IsList() {
		return types.ArrayOf(t), nil
	}
	return t, nil
}

func protoScalarToSQL(f protoreflect.FieldDescriptor, keep bool, depth int) (*types.Type, error) {
	switch f.Kind() {
	case protoreflect.BoolKind:
		return types.BooleanType, nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return types.IntType, nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind,
		protoreflect.Sfixed64Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return types.BigintType, nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return types.DoubleType, nil
	case protoreflect.StringKind, protoreflect.EnumKind:
		return types.StringType, nil
	case protoreflect.BytesKind:
		return types.BytesType, nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return protoMessageToSQL(f, f.Message(), keep, depth)
	}
	return nil, fmt.Errorf("Protobuf kind %s is not supported", f.Kind())
}

func protoMessageToSQL(f protoreflect.FieldDescriptor, md protoreflect.MessageDescriptor, keep bool, depth int) (*types.Type, error) {
	if depth > 32 {
		return nil, fmt.Errorf("schema nests too deeply (recursive messages are not supported)")
	}
	switch string(md.FullName()) {
	case protoTimestamp:
		return types.TimestampType, nil
	case protoDate:
		return types.DateType, nil
	case protoTimeOfDay:
		return types.TimeType, nil
	case protoDecimal:
		p, s := 64, 0
		if f != nil {
			if params := protoFieldMeta(f); params != nil {
				if v, err := strconv.Atoi(params["precision"]); err == nil {
					p = v
				}
				if v, err := strconv.Atoi(params["scale"]); err == nil {
					s = v
				}
			}
		}
		return types.DecimalOf(p, s)
	}
	if w, ok := protoWrapperKind(md); ok {
		return protoScalarToSQL(w, keep, depth)
	}
	fs := make([]types.Field, 0, md.Fields().Len())
	for i := 0; i < md.Fields().Len(); i++ {
		sub := md.Fields().Get(i)
		t, err := protoToSQL(sub, keep, depth+1)
		if err != nil {
			return nil, err
		}
		fs = append(fs, types.Field{Name: caseName(string(sub.Name()), keep), Type: t})
	}
	return types.StructOf(fs...), nil
}

// protoWrapperKind returns the value field of a google.protobuf wrapper.
func protoWrapperKind(md protoreflect.MessageDescriptor) (protoreflect.FieldDescriptor, bool) {
	n := string(md.FullName())
	if !strings.HasPrefix(n, "google.protobuf.") || !strings.HasSuffix(n, "Value") || md.Fields().Len() != 1 {
		return nil, false
	}
	f := md.Fields().Get(0)
	return f, f.Name() == "value"
}

// protoFieldMeta reads confluent.field_meta's params from a field's
// options. The options are scanned in wire form, since the extension is
// compiled per schema and not known to the global registry.
func protoFieldMeta(f protoreflect.FieldDescriptor) map[string]string {
	opts := f.Options()
	if opts == nil {
		return nil
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(opts)
	if err != nil {
		return nil
	}
	meta := protoSubMessage(b, 1088)
	if meta == nil {
		return nil
	}
	out := map[string]string{}
	for _, entry := range protoSubMessages(meta, 2) {
		k := string(protoSubMessage(entry, 1))
		v := string(protoSubMessage(entry, 2))
		out[k] = v
	}
	return out
}

// protoSubMessage returns the last length-delimited field num in b.
func protoSubMessage(b []byte, num protowire.Number) []byte {
	all := protoSubMessages(b, num)
	if len(all) == 0 {
		return nil
	}
	return all[len(all)-1]
}

func protoSubMessages(b []byte, num protowire.Number) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return out
		}
		b = b[l:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return out
			}
			if n == num {
				out = append(out, v)
			}
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(n, typ, b)
		if m < 0 {
			return out
		}
		b = b[m:]
	}
	return out
}
