// Package value owns Sluice's runtime data: the Value that holds one SQL
// datum, the Row that carries key columns, value columns and the pseudo
// columns (ROWTIME, ROWPARTITION, ROWOFFSET, window bounds, headers), and
// their comparison, hashing, printing and binary encodings.
//
// A Value is a small tagged struct, not an interface: primitives and strings
// live inline, so decoding a record and evaluating expressions over it does
// not allocate per field. Compound values (ARRAY, MAP, STRUCT) hold slices.
// A Value carries its kind but not its full SQL type; the schema that
// produced it knows the element types, DECIMAL precision and STRUCT field
// names.
package value

import (
	"math"
	"math/big"

	"github.com/sluicedb/sluice/internal/types"
)

// Value is one SQL datum. The zero Value is NULL.
type Value struct {
	kind  types.Kind
	scale int32  // DECIMAL scale
	n     int64  // BOOLEAN (0/1), INT, BIGINT, DOUBLE bits, DATE days, TIME ms, TIMESTAMP ms, small DECIMAL unscaled
	s     string // STRING
	ref   any    // BYTES []byte; large DECIMAL *big.Int; ARRAY/STRUCT []Value; MAP []Entry
}

// Entry is one MAP entry. Maps keep insertion order, which is the order
// ksqlDB's serializers emit.
type Entry struct {
	Key Value
	Val Value
}

// Null is the NULL value.
var Null = Value{}

// Constructors.

func Bool(b bool) Value {
	if b {
		return Value{kind: types.Boolean, n: 1}
	}
	return Value{kind: types.Boolean}
}
func Int(i int32) Value           { return Value{kind: types.Int, n: int64(i)} }
func Bigint(i int64) Value        { return Value{kind: types.Bigint, n: i} }
func Double(f float64) Value      { return Value{kind: types.Double, n: int64(math.Float64bits(f))} }
func String(s string) Value       { return Value{kind: types.String, s: s} }
func Date(days int64) Value       { return Value{kind: types.Date, n: days} }
func Time(ms int64) Value         { return Value{kind: types.Time, n: ms} }
func Timestamp(ms int64) Value    { return Value{kind: types.Timestamp, n: ms} }
func Array(elems []Value) Value   { return Value{kind: types.Array, ref: elems} }
func Struct(fields []Value) Value { return Value{kind: types.Struct, ref: fields} }
func Map(entries []Entry) Value   { return Value{kind: types.Map, ref: entries} }

// Bytes wraps b without copying; the caller must not modify b afterwards.
func Bytes(b []byte) Value {
	if b == nil {
		b = []byte{}
	}
	return Value{kind: types.Bytes, ref: b}
}

// DecimalInt64 returns the DECIMAL unscaled × 10^-scale.
func DecimalInt64(unscaled int64, scale int32) Value {
	return Value{kind: types.Decimal, n: unscaled, scale: scale}
}

// DecimalBig returns the DECIMAL unscaled × 10^-scale. It keeps small
// values inline.
func DecimalBig(unscaled *big.Int, scale int32) Value {
	if unscaled.IsInt64() {
		return Value{kind: types.Decimal, n: unscaled.Int64(), scale: scale}
	}
	return Value{kind: types.Decimal, scale: scale, ref: new(big.Int).Set(unscaled)}
}

// Accessors. Each assumes the caller checked the kind; on another kind it
// returns the zero value of its result.

func (v Value) Kind() types.Kind { return v.kind }
func (v Value) IsNull() bool     { return v.kind == types.Null }
func (v Value) Bool() bool       { return v.n != 0 }
func (v Value) Int() int32       { return int32(v.n) }
func (v Value) Bigint() int64    { return v.n }
func (v Value) Double() float64  { return math.Float64frombits(uint64(v.n)) }
func (v Value) Str() string      { return v.s }
func (v Value) Days() int64      { return v.n }
func (v Value) Millis() int64    { return v.n }

// BytesVal returns the BYTES content; callers must not modify it.
func (v Value) BytesVal() []byte {
	b, _ := v.ref.([]byte)
	return b
}

// Elems returns the ARRAY elements or STRUCT fields; callers must not modify them.
func (v Value) Elems() []Value {
	e, _ := v.ref.([]Value)
	return e
}

// Entries returns the MAP entries; callers must not modify them.
func (v Value) Entries() []Entry {
	e, _ := v.ref.([]Entry)
	return e
}

// Scale returns a DECIMAL's scale.
func (v Value) Scale() int32 { return v.scale }

// Unscaled returns a DECIMAL's unscaled value as a new big.Int.
func (v Value) Unscaled() *big.Int {
	if b, ok := v.ref.(*big.Int); ok {
		return new(big.Int).Set(b)
	}
	return big.NewInt(v.n)
}

// UnscaledInt64 returns the unscaled value when it fits in an int64.
func (v Value) UnscaledInt64() (int64, bool) {
	if v.ref != nil {
		return 0, false
	}
	return v.n, true
}

// Rat returns a DECIMAL as an exact rational, for arithmetic.
func (v Value) Rat() *big.Rat {
	r := new(big.Rat).SetInt(v.Unscaled())
	if v.scale != 0 {
		r.Quo(r, new(big.Rat).SetInt(pow10(int(v.scale))))
	}
	return r
}

// AsInt64 returns an integer-kind value widened to int64.
func (v Value) AsInt64() int64 { return v.n }

// AsFloat64 widens any numeric value to float64.
func (v Value) AsFloat64() float64 {
	switch v.kind {
	case types.Double:
		return v.Double()
	case types.Decimal:
		// Both operands of the division are exact doubles when the
		// unscaled value is below 2^53 and 10^scale below 10^23, so
		// IEEE division rounds once, exactly as the rational would: the
		// common case then costs no allocation.
		if v.ref == nil && v.scale >= 0 && v.scale <= 22 && v.n > -(1<<53) && v.n < 1<<53 {
			return float64(v.n) / pow10f[v.scale]
		}
		f, _ := v.Rat().Float64()
		return f
	}
	return float64(v.n)
}

// pow10f holds the powers of ten that are exact doubles.
var pow10f = [23]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

var pow10Cache [40]*big.Int

func init() {
	p := big.NewInt(1)
	for i := range pow10Cache {
		pow10Cache[i] = new(big.Int).Set(p)
		p.Mul(p, big.NewInt(10))
	}
}

// pow10 returns 10^n; callers must not modify the result.
func pow10(n int) *big.Int {
	if n < len(pow10Cache) {
		return pow10Cache[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// Pow10 returns a new big.Int holding 10^n.
func Pow10(n int) *big.Int { return new(big.Int).Set(pow10(n)) }
