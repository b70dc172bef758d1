package connect

import (
	"fmt"
	"math/big"
	"strings"
)

// Type is a Connect schema type.
type Type int

// The Connect schema types. The Go type of a value of each is: Int8 int8,
// Int16 int16, Int32 int32, Int64 int64, Float32 float32, Float64 float64,
// Boolean bool, String string, Bytes []byte, Array []any, Map map[any]any
// (or map[string]any for string keys), Struct *Struct. Logical types keep
// their base type's Go type except Decimal (Decimal), Date, Time and
// Timestamp (time.Time), as in Kafka Connect.
const (
	Int8 Type = iota + 1
	Int16
	Int32
	Int64
	Float32
	Float64
	Boolean
	String
	Bytes
	Array
	Map
	StructType
)

var typeNames = [...]string{"", "int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string", "bytes", "array", "map", "struct"}

func (t Type) String() string {
	if t > 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int(t))
}

// Logical type names Kafka Connect and Debezium define.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParam is the Decimal parameter holding the scale.
	DecimalScaleParam = "scale"
)

// Schema is a Connect schema. Schemas are immutable once built: share them
// freely between records, never modify one that a record refers to.
type Schema struct {
	Type     Type
	Optional bool
	// Name is the schema's full name (records, and logical types such as
	// org.apache.kafka.connect.data.Decimal or io.debezium.time.Date).
	Name    string
	Version int
	Doc     string
	// Default is the default value, or nil for none.
	Default any
	Params  map[string]string
	// Fields are a struct's fields, in order.
	Fields []Field
	// Elem is an array's element schema or a map's value schema; KeyS is
	// a map's key schema.
	Elem *Schema
	KeyS *Schema
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Field returns the named field, or nil.
func (s *Schema) Field(name string) *Field {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return &s.Fields[i]
		}
	}
	return nil
}

// Primitive schemas, shared.
var (
	Int8Schema    = &Schema{Type: Int8}
	Int16Schema   = &Schema{Type: Int16}
	Int32Schema   = &Schema{Type: Int32}
	Int64Schema   = &Schema{Type: Int64}
	Float32Schema = &Schema{Type: Float32}
	Float64Schema = &Schema{Type: Float64}
	BooleanSchema = &Schema{Type: Boolean}
	StringSchema  = &Schema{Type: String}
	BytesSchema   = &Schema{Type: Bytes}
	OptInt8       = &Schema{Type: Int8, Optional: true}
	OptInt16      = &Schema{Type: Int16, Optional: true}
	OptInt32      = &Schema{Type: Int32, Optional: true}
	OptInt64      = &Schema{Type: Int64, Optional: true}
	OptFloat32    = &Schema{Type: Float32, Optional: true}
	OptFloat64    = &Schema{Type: Float64, Optional: true}
	OptBoolean    = &Schema{Type: Boolean, Optional: true}
	OptString     = &Schema{Type: String, Optional: true}
	OptBytes      = &Schema{Type: Bytes, Optional: true}
)

// WithOptional returns a copy of s with Optional set.
func (s *Schema) WithOptional(opt bool) *Schema {
	if s.Optional == opt {
		return s
	}
	c := *s
	c.Optional = opt
	return &c
}

// DecimalSchema is Connect's Decimal logical type with a scale.
func DecimalSchema(scale int, optional bool) *Schema {
	return &Schema{Type: Bytes, Name: DecimalName, Version: 1, Optional: optional,
		Params: map[string]string{DecimalScaleParam: fmt.Sprint(scale)}}
}

// Decimal is a Decimal value: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int
}

// String formats d in plain notation.
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "0"
	}
	s := d.Unscaled.String()
	if d.Scale <= 0 {
		return s + strings.Repeat("0", -d.Scale)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for len(s) <= d.Scale {
		s = "0" + s
	}
	s = s[:len(s)-d.Scale] + "." + s[len(s)-d.Scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// Struct is a value of a struct schema: one value per field, in the
// schema's field order.
type Struct struct {
	Schema *Schema
	Values []any
}

// NewStruct returns an empty struct of schema s.
func NewStruct(s *Schema) *Struct {
	return &Struct{Schema: s, Values: make([]any, len(s.Fields))}
}

// Get returns the named field's value (nil when absent).
func (st *Struct) Get(name string) any {
	if f := st.Schema.Field(name); f != nil {
		return st.Values[f.Index]
	}
	return nil
}

// Put sets the named field's value; it reports false for an unknown field.
func (st *Struct) Put(name string, v any) bool {
	if f := st.Schema.Field(name); f != nil {
		st.Values[f.Index] = v
		return true
	}
	return false
}

// SchemaBuilder builds struct schemas field by field.
type SchemaBuilder struct{ s Schema }

// NewStructSchema starts a struct schema with a full name.
func NewStructSchema(name string) *SchemaBuilder {
	return &SchemaBuilder{s: Schema{Type: StructType, Name: name}}
}

// Field appends a field.
func (b *SchemaBuilder) Field(name string, s *Schema) *SchemaBuilder {
	b.s.Fields = append(b.s.Fields, Field{Name: name, Index: len(b.s.Fields), Schema: s})
	return b
}

// Optional marks the struct optional.
func (b *SchemaBuilder) Optional() *SchemaBuilder { b.s.Optional = true; return b }

// Version sets the schema version.
func (b *SchemaBuilder) Version(v int) *SchemaBuilder { b.s.Version = v; return b }

// Doc sets the schema doc.
func (b *SchemaBuilder) Doc(d string) *SchemaBuilder { b.s.Doc = d; return b }

// Build returns the schema.
func (b *SchemaBuilder) Build() *Schema { s := b.s; return &s }
