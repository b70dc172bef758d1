package format

import (
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sluicedb/sluice/internal/types"
)

// InferProtobuf maps a Protobuf schema's message (fullName, or the first)
// to ksqlDB columns. Names are upper-cased unless keepNames, which ksqlDB
// does when the schema was chosen by id.
//
// Wrapper messages (google.protobuf.*Value) infer as their primitive, as
// ksqlDB's unwrapPrimitives=true (its default for new sources) has it;
// InferProtobufOpts can keep them as STRUCT<VALUE ...> instead.
func InferProtobuf(s Schema, fullName string, keepNames bool) ([]Column, error) {
	return InferProtobufOpts(s, fullName, ProtobufInferOptions{KeepNames: keepNames})
}

// ProtobufInferOptions tune InferProtobufOpts.
type ProtobufInferOptions struct {
	KeepNames bool
	// WrappersAsStructs reads wrapper messages as STRUCT<VALUE T>, as ksqlDB
	// does for a source with unwrapPrimitives=false.
	WrappersAsStructs bool
}

// InferProtobufOpts is InferProtobuf with all its options.
func InferProtobufOpts(s Schema, fullName string, o ProtobufInferOptions) ([]Column, error) {
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
		t, err := protoToSQL(f, o, 0)
		if err != nil {
			return nil, &Error{Kind: ErrSchema, Msg: "field " + string(f.Name()), Err: err}
		}
		cols = append(cols, Column{Name: caseName(string(f.Name()), o.KeepNames), Type: t})
	}
	return cols, nil
}

func caseName(n string, keep bool) string {
	if keep {
		return n
	}
	return strings.ToUpper(n)
}

func protoToSQL(f protoreflect.FieldDescriptor, o ProtobufInferOptions, depth int) (*types.Type, error) {
	if f.IsMap() {
		k, err := protoScalarToSQL(f.MapKey(), o, depth)
		if err != nil {
			return nil, err
		}
		if k.Kind != types.String {
			return nil, fmt.Errorf("PROTOBUF format only supports MAP types with STRING keys")
		}
		v, err := protoScalarToSQL(f.MapValue(), o, depth)
		if err != nil {
			return nil, err
		}
		return types.MapOf(k, v), nil
	}
	t, err := protoScalarToSQL(f, o, depth)
	if err != nil {
		return nil, err
	}
	if f.IsList() {
		return types.ArrayOf(t), nil
	}
	return t, nil
}

func protoScalarToSQL(f protoreflect.FieldDescriptor, o ProtobufInferOptions, depth int) (*types.Type, error) {
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
		return protoMessageToSQL(f, f.Message(), o, depth)
	}
	return nil, fmt.Errorf("Protobuf kind %s is not supported", f.Kind())
}

func protoMessageToSQL(f protoreflect.FieldDescriptor, md protoreflect.MessageDescriptor, o ProtobufInferOptions, depth int) (*types.Type, error) {
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
	if w, ok := protoWrapperKind(md); ok && !o.WrappersAsStructs {
		return protoScalarToSQL(w, o, depth)
	}
	fs := make([]types.Field, 0, md.Fields().Len())
	for i := 0; i < md.Fields().Len(); i++ {
		sub := md.Fields().Get(i)
		t, err := protoToSQL(sub, o, depth+1)
		if err != nil {
			return nil, err
		}
		fs = append(fs, types.Field{Name: caseName(string(sub.Name()), o.KeepNames), Type: t})
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
