package format

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
)

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
