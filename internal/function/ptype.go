package function

import (
	"strings"

	"github.com/sluicedb/sluice/internal/types"
)

// PKind is the constructor of a parameter type pattern.
type PKind uint8

// The parameter type patterns. A concrete pattern matches one SQL type,
// except that a concrete DECIMAL matches every precision and scale and a
// STRUCT with no fields matches every struct, as in ksqlDB's ParamTypes.
const (
	PConcrete PKind = iota
	PGeneric
	PArray
	PMap
	PLambda
	PIntervalUnit
	PAny
)

// PType is the declared type of a parameter or return value: a concrete
// SQL type, a generic (T, K, V), a compound of those, a lambda, or the
// interval unit that DATEADD and friends take.
type PType struct {
	Kind     PKind
	Type     *types.Type // PConcrete
	Name     string      // PGeneric
	Elem     *PType      // PArray element, PMap value, PLambda result
	Key      *PType      // PMap key
	LambdaIn []*PType    // PLambda parameters
}

// Patterns for the common concrete types.
var (
	PBoolean   = Of(types.BooleanType)
	PInt       = Of(types.IntType)
	PBigint    = Of(types.BigintType)
	PDouble    = Of(types.DoubleType)
	PString    = Of(types.StringType)
	PBytes     = Of(types.BytesType)
	PDate      = Of(types.DateType)
	PTime      = Of(types.TimeType)
	PTimestamp = Of(types.TimestampType)
	// PDecimal matches a DECIMAL of any precision and scale.
	PDecimal = Of(&types.Type{Kind: types.Decimal})
	// PStruct matches any STRUCT.
	PStruct = Of(&types.Type{Kind: types.Struct})
	// PInterval is the interval unit argument (DAYS, HOURS, ...).
	PInterval = &PType{Kind: PIntervalUnit}
	// PAnyType matches any argument without binding it.
	PAnyType = &PType{Kind: PAny}
)

// Of returns the pattern that matches t.
func Of(t *types.Type) *PType { return &PType{Kind: PConcrete, Type: t} }

// Generic returns the generic type variable name (T, K, V, ...).
func Generic(name string) *PType { return &PType{Kind: PGeneric, Name: name} }

// ArrayP returns ARRAY<elem>.
func ArrayP(elem *PType) *PType { return &PType{Kind: PArray, Elem: elem} }

// MapP returns MAP<key, val>.
func MapP(key, val *PType) *PType { return &PType{Kind: PMap, Key: key, Elem: val} }

// LambdaP returns the lambda (in...) => out.
func LambdaP(out *PType, in ...*PType) *PType {
	return &PType{Kind: PLambda, Elem: out, LambdaIn: in}
}

// HasGenerics reports whether the pattern mentions a generic.
func (p *PType) HasGenerics() bool {
	switch p.Kind {
	case PGeneric:
		return true
	case PArray:
		return p.Elem.HasGenerics()
	case PMap:
		return p.Key.HasGenerics() || p.Elem.HasGenerics()
	case PLambda:
		for _, in := range p.LambdaIn {
			if in.HasGenerics() {
				return true
			}
		}
		return p.Elem.HasGenerics()
	case PConcrete:
		return false
	}
	return false
}

// String renders the pattern as ksqlDB does in "Valid alternatives" lists
// and DESCRIBE FUNCTION: ARRAY<T>, DECIMAL, LAMBDA (T) => U.
func (p *PType) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p *PType) write(b *strings.Builder) {
	switch p.Kind {
	case PConcrete:
		switch {
		case p.Type.Kind == types.Decimal && p.Type.Precision == 0:
			b.WriteString("DECIMAL")
		case p.Type.Kind == types.Struct && len(p.Type.Fields) == 0:
			b.WriteString("STRUCT")
		default:
			b.WriteString(p.Type.String())
		}
	case PGeneric:
		b.WriteString(p.Name)
	case PArray:
		b.WriteString("ARRAY<")
		p.Elem.write(b)
		b.WriteByte('>')
	case PMap:
		b.WriteString("MAP<")
		p.Key.write(b)
		b.WriteString(", ")
		p.Elem.write(b)
		b.WriteByte('>')
	case PLambda:
		b.WriteString("LAMBDA (")
		for i, in := range p.LambdaIn {
			if i > 0 {
				b.WriteString(", ")
			}
			in.write(b)
		}
		b.WriteString(") => ")
		p.Elem.write(b)
	case PIntervalUnit:
		b.WriteString("INTERVALUNIT")
	case PAny:
		b.WriteString("ANY")
	}
}

// Bind returns the SQL type the pattern denotes under the generic
// bindings, or nil if it mentions an unbound generic or is not a value type.
func (p *PType) Bind(generics map[string]*types.Type) *types.Type {
	switch p.Kind {
	case PConcrete:
		return p.Type
	case PGeneric:
		return generics[p.Name]
	case PArray:
		if e := p.Elem.Bind(generics); e != nil {
			return types.ArrayOf(e)
		}
	case PMap:
		k, v := p.Key.Bind(generics), p.Elem.Bind(generics)
		if k != nil && v != nil {
			return types.MapOf(k, v)
		}
	}
	return nil
}
