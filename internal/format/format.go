// Package format owns Sluice's record serialization: ksqlDB's key and value
// formats JSON, JSON_SR, AVRO, PROTOBUF, PROTOBUF_NOSR, DELIMITED, KAFKA and
// NONE. Given a logical schema (ordered columns) and a format with its
// properties, it builds serializers ([]value.Value → []byte) and
// deserializers ([]byte → []value.Value) that behave as ksqlDB's serdes do,
// including the WRAP_SINGLE_VALUE / UNWRAP_SINGLES features, the Confluent
// wire format for registry-backed formats, and schema → columns inference.
//
// It also converts between values and their JSON renderings (convert.go),
// which the conformance runner uses to feed and check records.
//
// The entry points:
//
//   - New(name, props, reg) configures a format; PropsFromWith and
//     WrappingFromWith turn a WITH clause into its props and wrapping.
//   - Format.Serializer / Format.Deserializer build the per-task serdes for
//     a Target (topic, key or value, columns, wrapping); Format.Validate
//     checks a schema at DDL time with ksqlDB's error texts.
//   - InferColumns reads a topic's key or value schema from the registry
//     and returns ksqlDB's columns for CREATE statements without columns.
//   - AvroSchemaFor, ProtobufSchemaFor and JSONSchemaFor show the schemas
//     the serializers register.
//   - FromRegistry adapts internal/registry to the Registry used here.
package format

import (
	"context"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Column is one column of a logical schema. Names are case-sensitive and
// are written to the wire as given (ksqlDB upper-cases unquoted names
// before they get here).
type Column struct {
	Name string
	Type *types.Type
}

// Wrapping says how a single-column schema is laid out. It is ksqlDB's
// WRAP_SINGLE_VALUE property (values) and UNWRAP_SINGLES feature (keys).
type Wrapping uint8

const (
	// WrapDefault applies the format's default: keys unwrapped where the
	// format supports it, values wrapped.
	WrapDefault Wrapping = iota
	// Wrapped puts a single column in a record/object/message, named.
	Wrapped
	// Unwrapped writes a single column as the anonymous value itself.
	Unwrapped
)

// Target describes what a serde reads or writes: the topic (for subjects
// and errors), whether it is the key, the columns in order, and the
// requested single-value wrapping.
type Target struct {
	Topic   string
	IsKey   bool
	Columns []Column
	Wrap    Wrapping
}

func (t Target) what() string {
	if t.IsKey {
		return "key"
	}
	return "value"
}

// Serializer encodes one row of column values.
//
// Serialize appends the encoding of row to dst and returns the extended
// slice. A nil row (a tombstone, or a null key) encodes as nil. Serializers
// are not safe for concurrent use: each task builds its own.
type Serializer interface {
	Serialize(dst []byte, row []value.Value) ([]byte, error)
}

// Deserializer decodes one record's bytes into column values.
//
// Deserialize decodes data into into[:0] (growing it as needed) and returns
// the row, one value per column. nil data is a tombstone or null key and
// returns a nil row. The values may not alias data, so the caller may reuse
// data afterwards. Deserializers are not safe for concurrent use.
type Deserializer interface {
	Deserialize(data []byte, into []value.Value) ([]value.Value, error)
}

// Format is one configured format. Its methods validate the columns
// against what the format supports and return the error ksqlDB gives when
// they do not fit.
type Format interface {
	// Name is the format's canonical upper-case name, e.g. "AVRO".
	Name() string
	// Validate checks that the format can carry the target's columns and
	// wrapping, without touching the registry.
	Validate(t Target) error
	// Unwrapped reports whether the target's single column is written
	// bare (no record, object or message around it), after the format's
	// defaults and the requested wrapping; it errors where Validate would.
	Unwrapped(t Target) (bool, error)
	Serializer(ctx context.Context, t Target) (Serializer, error)
	Deserializer(ctx context.Context, t Target) (Deserializer, error)
}

// Format names.
const (
	JSON         = "JSON"
	JSONSR       = "JSON_SR"
	Avro         = "AVRO"
	Protobuf     = "PROTOBUF"
	ProtobufNoSR = "PROTOBUF_NOSR"
	Delimited    = "DELIMITED"
	Kafka        = "KAFKA"
	None         = "NONE"
)

// Property names, as ksqlDB's FormatInfo carries them. The engine maps the
// WITH clause (VALUE_AVRO_SCHEMA_FULL_NAME, VALUE_DELIMITER,
// VALUE_SCHEMA_ID, ...) onto these.
const (
	PropFullSchemaName   = "fullSchemaName"
	PropSchemaID         = "schemaId"
	PropDelimiter        = "delimiter"
	PropUnwrapPrimitives = "unwrapPrimitives"
)

var supportedProps = map[string][]string{
	JSON:         {},
	JSONSR:       {PropSchemaID},
	Avro:         {PropFullSchemaName, PropSchemaID},
	Protobuf:     {PropSchemaID, PropFullSchemaName, PropUnwrapPrimitives, PropNullableRepresentation},
	ProtobufNoSR: {PropUnwrapPrimitives, PropNullableRepresentation},
	Delimited:    {PropDelimiter},
	Kafka:        {},
	None:         {},
}

// New returns the named format (any case) configured with props. Formats
// backed by a schema registry need reg; the others ignore it.
func New(name string, props map[string]string, reg Registry) (Format, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	allowed, ok := supportedProps[n]
	if !ok {
		return nil, newErr(ErrUnknownFormat, "Unknown format: %s", name)
	}
	var bad []string
	for k := range props {
		found := false
		for _, a := range allowed {
			if strings.EqualFold(k, a) {
				found = true
			}
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, newErr(ErrUnsupported, "%s does not support the following configs: [%s]",
			n, strings.Join(bad, ", "))
	}
	p := normProps(props)
	switch n {
	case JSON:
		return &jsonFormat{}, nil
	case JSONSR:
		return newJSONSR(p, reg)
	case Avro:
		return newAvro(p, reg)
	case Protobuf:
		return newProtobuf(p, reg, true)
	case ProtobufNoSR:
		return newProtobuf(p, reg, false)
	case Delimited:
		return newDelimited(p)
	case Kafka:
		return kafkaFormat{}, nil
	case None:
		return noneFormat{}, nil
	}
	return nil, newErr(ErrUnknownFormat, "Unknown format: %s", name)
}

// normProps keys props by their canonical spelling.
func normProps(props map[string]string) map[string]string {
	out := make(map[string]string, len(props))
	for k, v := range props {
		for _, c := range []string{PropFullSchemaName, PropSchemaID, PropDelimiter, PropUnwrapPrimitives, PropNullableRepresentation} {
			if strings.EqualFold(k, c) {
				k = c
			}
		}
		out[k] = v
	}
	return out
}

// singles describes how a format treats single-column schemas.
type singles struct {
	format        string
	canWrap       bool // supports WRAP_SINGLES
	canUnwrap     bool // supports UNWRAP_SINGLES
	keyUnwrapped  bool // default for keys
	alwaysUnwraps bool // the format has no notion of wrapping (KAFKA, DELIMITED)
}

// unwrapped resolves the wrapping of t, returning whether the single column
// is written anonymously, or ksqlDB's error when the request is invalid.
func (s singles) unwrapped(t Target) (bool, error) {
	if t.Wrap != WrapDefault && len(t.Columns) != 1 {
		if t.IsKey {
			return false, newErr(ErrUnsupported, "'UNWRAP_SINGLES' is only valid for single-field key schemas")
		}
		return false, newErr(ErrUnsupported, "'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
	}
	switch t.Wrap {
	case Wrapped:
		if !s.canWrap {
			return false, newErr(ErrUnsupported, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", s.format)
		}
		return false, nil
	case Unwrapped:
		if !s.canUnwrap {
			return false, newErr(ErrUnsupported, "Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'false'.", s.format)
		}
		return true, nil
	}
	if s.alwaysUnwraps {
		return true, nil
	}
	return len(t.Columns) == 1 && t.IsKey && s.keyUnwrapped, nil
}

// FormatColumns renders columns as ksqlDB does in error messages:
// [`K` STRING KEY, `V` INTEGER].
func FormatColumns(cols []Column, isKey bool) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("`" + c.Name + "` ")
		b.WriteString(TypeString(c.Type))
		if isKey {
			b.WriteString(" KEY")
		}
	}
	b.WriteByte(']')
	return b.String()
}

// TypeString renders a type as ksqlDB's error messages do, with struct
// field names always back-quoted.
func TypeString(t *types.Type) string {
	switch t.Kind {
	case types.Array:
		return "ARRAY<" + TypeString(t.Elem) + ">"
	case types.Map:
		return "MAP<" + TypeString(t.Key) + ", " + TypeString(t.Elem) + ">"
	case types.Struct:
		var b strings.Builder
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + f.Name + "` " + TypeString(f.Type))
		}
		b.WriteByte('>')
		return b.String()
	}
	return t.String()
}

// checkStringMapKeys returns ksqlDB's error for a map with non-string keys
// anywhere in the columns, for formats whose maps are objects.
func checkStringMapKeys(cols []Column, msg string) error {
	for _, c := range cols {
		if !stringKeysOnly(c.Type) {
			return newErr(ErrUnsupported, "%s", msg)
		}
	}
	return nil
}

func stringKeysOnly(t *types.Type) bool {
	switch t.Kind {
	case types.Array:
		return stringKeysOnly(t.Elem)
	case types.Map:
		return t.Key.Kind == types.String && stringKeysOnly(t.Elem)
	case types.Struct:
		for _, f := range t.Fields {
			if !stringKeysOnly(f.Type) {
				return false
			}
		}
	}
	return true
}

// grow returns into[:n] with room for n values, all NULL.
func grow(into []value.Value, n int) []value.Value {
	if cap(into) < n {
		into = make([]value.Value, n)
	} else {
		into = into[:n]
		clear(into)
	}
	return into
}
