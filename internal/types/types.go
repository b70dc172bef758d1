// Package types owns Sluice's SQL type system: the ksqlDB types BOOLEAN, INT,
// BIGINT, DOUBLE, DECIMAL(p,s), STRING, BYTES, DATE, TIME, TIMESTAMP, ARRAY,
// MAP and STRUCT, their canonical rendering, equality, and the implicit
// widening rules ksqlDB applies between them. It knows nothing of runtime
// values or execution.
package types

import (
	"fmt"
	"strings"
)

// Kind is the type constructor of a Type.
type Kind uint8

// The kinds. Null is the type of an untyped NULL literal: it is compatible
// with every other type and never appears in a source's schema.
const (
	Null Kind = iota
	Boolean
	Int
	Bigint
	Double
	Decimal
	String
	Bytes
	Date
	Time
	Timestamp
	Array
	Map
	Struct
)

var kindNames = [...]string{
	Null:      "NULL",
	Boolean:   "BOOLEAN",
	Int:       "INTEGER",
	Bigint:    "BIGINT",
	Double:    "DOUBLE",
	Decimal:   "DECIMAL",
	String:    "STRING",
	Bytes:     "BYTES",
	Date:      "DATE",
	Time:      "TIME",
	Timestamp: "TIMESTAMP",
	Array:     "ARRAY",
	Map:       "MAP",
	Struct:    "STRUCT",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Type is an immutable SQL type. Share *Type values freely; never mutate one
// after construction.
type Type struct {
	Kind      Kind
	Precision int     // DECIMAL
	Scale     int     // DECIMAL
	Key       *Type   // MAP key
	Elem      *Type   // ARRAY element, MAP value
	Fields    []Field // STRUCT, in declaration order
}

// Field is one STRUCT field. Names are case-sensitive, as in ksqlDB.
type Field struct {
	Name string
	Type *Type
}

// The primitive types, shared.
var (
	NullType      = &Type{Kind: Null}
	BooleanType   = &Type{Kind: Boolean}
	IntType       = &Type{Kind: Int}
	BigintType    = &Type{Kind: Bigint}
	DoubleType    = &Type{Kind: Double}
	StringType    = &Type{Kind: String}
	BytesType     = &Type{Kind: Bytes}
	DateType      = &Type{Kind: Date}
	TimeType      = &Type{Kind: Time}
	TimestampType = &Type{Kind: Timestamp}
)

// MaxDecimalPrecision is ksqlDB's limit on DECIMAL precision.
const MaxDecimalPrecision = 1000

// DecimalOf returns DECIMAL(precision, scale). It returns an error naming
// the bound that is violated, in ksqlDB's terms.
func DecimalOf(precision, scale int) (*Type, error) {
	if precision < 1 || precision > MaxDecimalPrecision {
		return nil, fmt.Errorf("DECIMAL precision must be >= 1 and <= %d: %d", MaxDecimalPrecision, precision)
	}
	if scale < 0 {
		return nil, fmt.Errorf("DECIMAL scale must be >= 0: %d", scale)
	}
	if scale > precision {
		return nil, fmt.Errorf("DECIMAL precision must be >= scale: precision=%d, scale=%d", precision, scale)
	}
	return &Type{Kind: Decimal, Precision: precision, Scale: scale}, nil
}

// MustDecimal is DecimalOf for arguments known to be valid.
func MustDecimal(precision, scale int) *Type {
	t, err := DecimalOf(precision, scale)
	if err != nil {
		// Callers pass constants; a bad constant is a programming error
		// inside this module, never user input.
		panic(err)
	}
	return t
}

// ArrayOf returns ARRAY<elem>.
func ArrayOf(elem *Type) *Type { return &Type{Kind: Array, Elem: elem} }

// MapOf returns MAP<key, val>.
func MapOf(key, val *Type) *Type { return &Type{Kind: Map, Key: key, Elem: val} }

// StructOf returns STRUCT<fields...>.
func StructOf(fields ...Field) *Type { return &Type{Kind: Struct, Fields: fields} }

// Primitive returns the shared Type of a primitive kind, or nil for
// DECIMAL and the compound kinds, which need parameters.
func Primitive(k Kind) *Type {
	switch k {
	case Null:
		return NullType
	case Boolean:
		return BooleanType
	case Int:
		return IntType
	case Bigint:
		return BigintType
	case Double:
		return DoubleType
	case String:
		return StringType
	case Bytes:
		return BytesType
	case Date:
		return DateType
	case Time:
		return TimeType
	case Timestamp:
		return TimestampType
	}
	return nil
}

// IsNumeric reports INT, BIGINT, DECIMAL and DOUBLE.
func (t *Type) IsNumeric() bool {
	switch t.Kind {
	case Int, Bigint, Decimal, Double:
		return true
	}
	return false
}

// IsPrimitive reports a type with no element or field types.
func (t *Type) IsPrimitive() bool {
	return t.Kind != Array && t.Kind != Map && t.Kind != Struct
}

// Field returns the struct field with the exact name, or nil.
func (t *Type) Field(name string) (int, *Field) {
	for i := range t.Fields {
		if t.Fields[i].Name == name {
			return i, &t.Fields[i]
		}
	}
	return -1, nil
}

// Equal reports structural equality. DECIMAL compares precision and scale;
// STRUCT compares field names and types in order.
func (t *Type) Equal(o *Type) bool {
	if t == o {
		return true
	}
	if t == nil || o == nil || t.Kind != o.Kind {
		return false
	}
	switch t.Kind {
	case Decimal:
		return t.Precision == o.Precision && t.Scale == o.Scale
	case Array:
		return t.Elem.Equal(o.Elem)
	case Map:
		return t.Key.Equal(o.Key) && t.Elem.Equal(o.Elem)
	case Struct:
		if len(t.Fields) != len(o.Fields) {
			return false
		}
		for i := range t.Fields {
			if t.Fields[i].Name != o.Fields[i].Name || !t.Fields[i].Type.Equal(o.Fields[i].Type) {
				return false
			}
		}
	}
	return true
}

// String renders the type as ksqlDB prints it in DESCRIBE output, e.g.
// `STRUCT<A INTEGER, B ARRAY<STRING>>` and `DECIMAL(4, 2)`.
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b, namesPlain)
	return b.String()
}

// SQL renders the type as SQL that parses back to it, quoting struct field
// names with back-quotes where they are not plain upper-case identifiers.
func (t *Type) SQL() string {
	var b strings.Builder
	t.write(&b, namesAsSQL)
	return b.String()
}

// Quoted renders the type as ksqlDB's error messages and query response
// headers print it, with every struct field name in back-quotes.
func (t *Type) Quoted() string {
	var b strings.Builder
	t.write(&b, namesQuoted)
	return b.String()
}

// fieldNames says how write prints struct field names.
type fieldNames int

const (
	namesPlain  fieldNames = iota // as they are
	namesAsSQL                    // back-quoted where SQL needs it
	namesQuoted                   // always back-quoted
)

func (t *Type) write(b *strings.Builder, quote fieldNames) {
	if t == nil {
		b.WriteString("<nil>")
		return
	}
	switch t.Kind {
	case Decimal:
		fmt.Fprintf(b, "DECIMAL(%d, %d)", t.Precision, t.Scale)
	case Array:
		b.WriteString("ARRAY<")
		t.Elem.write(b, quote)
		b.WriteByte('>')
	case Map:
		b.WriteString("MAP<")
		t.Key.write(b, quote)
		b.WriteString(", ")
		t.Elem.write(b, quote)
		b.WriteByte('>')
	case Struct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			switch quote {
			case namesAsSQL:
				b.WriteString(QuoteIdent(f.Name))
			case namesQuoted:
				b.WriteString("`" + f.Name + "`")
			default:
				b.WriteString(f.Name)
			}
			b.WriteByte(' ')
			f.Type.write(b, quote)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.Kind.String())
	}
}

// QuoteIdent back-quotes a name unless it is a plain upper-case identifier
// that ksqlDB would read back unchanged.
func QuoteIdent(name string) string {
	plain := name != ""
	for i, r := range name {
		switch {
		case r >= 'A' && r <= 'Z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			plain = false
		}
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}
