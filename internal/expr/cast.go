package expr

import (
	"math"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// castFunc converts one non-NULL value.
type castFunc func(v value.Value) (value.Value, error)

// canCast is CastEvaluator's table of supported casts, applied element-wise
// to compound types.
func canCast(from, to *types.Type) bool {
	if from.Kind == types.Null || from.Equal(to) {
		return true
	}
	f, t := from.Kind, to.Kind
	switch f {
	case types.Boolean:
		return t == types.String
	case types.Int, types.Bigint, types.Decimal, types.Double:
		return t == types.Int || t == types.Bigint || t == types.Decimal || t == types.Double || t == types.String
	case types.String:
		switch t {
		case types.Boolean, types.Int, types.Bigint, types.Decimal, types.Double, types.Timestamp, types.Time, types.Date, types.Bytes, types.String:
			return true
		}
	case types.Array:
		return t == types.String || (t == types.Array && canCast(from.Elem, to.Elem))
	case types.Map:
		return t == types.String || (t == types.Map && canCast(from.Key, to.Key) && canCast(from.Elem, to.Elem))
	case types.Struct:
		if t == types.String {
			return true
		}
		if t != types.Struct {
			return false
		}
		for _, ff := range from.Fields {
			if _, tf := to.Field(ff.Name); tf != nil && !canCast(ff.Type, tf.Type) {
				return false
			}
		}
		return true
	case types.Timestamp:
		return t == types.String || t == types.Time || t == types.Date
	case types.Date:
		return t == types.Timestamp || t == types.String
	case types.Time:
		return t == types.String
	}
	return false
}

func (c *compiler) cast(n *ast.Cast) (node, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	to, err := resolveTypeWith(n.Type, c.opts.Types)
	if err != nil {
		return node{}, &Error{Pos: n.Type.Pos, Msg: err.Error(), Kind: ErrType, Err: err}
	}
	if x.t.Kind == types.Null || x.t.Equal(to) {
		x.t = to
		return x, nil
	}
	cf, err := castFn(x.t, to)
	if err != nil {
		return node{}, &Error{Pos: n.Pos, Msg: err.Error(), Kind: ErrType}
	}
	return c.nullOnError(castNode(x, to, cf)), nil
}

func castNode(x node, to *types.Type, cf castFunc) node {
	f := x.fn
	return node{t: to, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := f(row, lam)
		if err != nil || v.IsNull() {
			return value.Null, err
		}
		return cf(v)
	}}
}

// implicitCast converts a node to a wider type, for coerced lists,
// function arguments and CASE branches. Only widening is implicit, except
// that a STRING literal may stand for a value of another type, as ksqlDB's
// literal coercion allows ('1' in an INT list, '2020-01-01' for a DATE).
func implicitCast(x node, to *types.Type) (node, error) {
	if x.t.Kind == types.Null || x.t.Equal(to) {
		x.t = to
		return x, nil
	}
	if !widens(x.t, to) && !(x.t.Kind == types.String && x.folded) {
		return node{}, &unsupportedCast{x.t, to}
	}
	cf, err := castFn(x.t, to)
	if err != nil {
		return node{}, err
	}
	n := castNode(x, to, cf)
	if x.folded && !x.val.IsNull() {
		if v, err := cf(x.val); err == nil {
			return constNode(to, v), nil
		}
	}
	return n, nil
}

// coerceCast converts an element of a coerced list to the list's common
// type: anything coercibleType allows, LAX for constants.
func coerceCast(x node, to *types.Type) (node, error) {
	if x.t.Kind == types.Null || x.t.Equal(to) {
		x.t = to
		return x, nil
	}
	if coercibleType(x.t, to, x.folded) == nil {
		return node{}, &unsupportedCast{x.t, to}
	}
	cf, err := castFn(x.t, to)
	if err != nil {
		return node{}, err
	}
	if x.folded && !x.val.IsNull() {
		if v, err := cf(x.val); err == nil {
			return constNode(to, v), nil
		}
	}
	return castNode(x, to, cf), nil
}

type unsupportedCast struct{ from, to *types.Type }

func (e *unsupportedCast) Error() string {
	return "Cast of " + typeString(e.from) + " to " + typeString(e.to) + " is not supported"
}

// castFn builds the conversion from one type to another.
func castFn(from, to *types.Type) (castFunc, error) {
	if !canCast(from, to) {
		return nil, &unsupportedCast{from, to}
	}
	if from.Equal(to) || from.Kind == types.Null {
		return func(v value.Value) (value.Value, error) { return v, nil }, nil
	}
	if to.Kind == types.String {
		return func(v value.Value) (value.Value, error) { return value.String(javaString(v, from)), nil }, nil
	}
	switch from.Kind {
	case types.String:
		return func(v value.Value) (value.Value, error) {
			r, err := castString(v.Str(), to)
			if err != nil {
				return value.Null, &RuntimeError{Msg: err.Error(), Err: err}
			}
			return r, nil
		}, nil
	case types.Int, types.Bigint, types.Decimal, types.Double:
		return numericCast(from, to), nil
	case types.Timestamp:
		if to.Kind == types.Date {
			return func(v value.Value) (value.Value, error) { return value.Date(floorDiv(v.Millis(), msPerDay)), nil }, nil
		}
		return func(v value.Value) (value.Value, error) {
			return value.Time(v.Millis() - floorDiv(v.Millis(), msPerDay)*msPerDay), nil
		}, nil
	case types.Date:
		return func(v value.Value) (value.Value, error) { return value.Timestamp(v.Days() * msPerDay), nil }, nil
	case types.Array:
		ef, err := castFn(from.Elem, to.Elem)
		if err != nil {
			return nil, &unsupportedCast{from, to}
		}
		return func(v value.Value) (value.Value, error) {
			in := v.Elems()
			out := make([]value.Value, len(in))
			for i, e := range in {
				if e.IsNull() {
					continue
				}
				r, err := ef(e)
				if err != nil {
					return value.Null, err
				}
				out[i] = r
			}
			return value.Array(out), nil
		}, nil
	case types.Map:
		kf, err := castFn(from.Key, to.Key)
		if err != nil {
			return nil, &unsupportedCast{from, to}
		}
		vf, err := castFn(from.Elem, to.Elem)
		if err != nil {
			return nil, &unsupportedCast{from, to}
		}
		return func(v value.Value) (value.Value, error) {
			in := v.Entries()
			out := make([]value.Entry, len(in))
			for i, e := range in {
				if !e.Key.IsNull() {
					k, err := kf(e.Key)
					if err != nil {
						return value.Null, err
					}
					out[i].Key = k
				}
				if !e.Val.IsNull() {
					x, err := vf(e.Val)
					if err != nil {
						return value.Null, err
					}
					out[i].Val = x
				}
			}
			return value.Map(out), nil
		}, nil
	case types.Struct:
		// Fields of the target missing from the source stay NULL, as in
		// ksqlDB's castStruct.
		type fieldCast struct {
			src int
			fn  castFunc
		}
		plan := make([]fieldCast, len(to.Fields))
		for i, tf := range to.Fields {
			j, ff := from.Field(tf.Name)
			if ff == nil {
				plan[i] = fieldCast{src: -1}
				continue
			}
			f, err := castFn(ff.Type, tf.Type)
			if err != nil {
				return nil, &unsupportedCast{from, to}
			}
			plan[i] = fieldCast{src: j, fn: f}
		}
		return func(v value.Value) (value.Value, error) {
			in := v.Elems()
			out := make([]value.Value, len(plan))
			for i, p := range plan {
				if p.src < 0 || p.src >= len(in) || in[p.src].IsNull() {
					continue
				}
				r, err := p.fn(in[p.src])
				if err != nil {
					return value.Null, err
				}
				out[i] = r
			}
			return value.Struct(out), nil
		}, nil
	}
	return nil, &unsupportedCast{from, to}
}

func numericCast(from, to *types.Type) castFunc {
	switch to.Kind {
	case types.Int:
		switch from.Kind {
		case types.Double:
			return func(v value.Value) (value.Value, error) {
				return value.Int(int32(javaD2L(v.Double(), math.MinInt32, math.MaxInt32))), nil
			}
		case types.Decimal:
			return func(v value.Value) (value.Value, error) { return value.Int(int32(decimalToInt64(v))), nil }
		}
		return func(v value.Value) (value.Value, error) { return value.Int(int32(v.AsInt64())), nil }
	case types.Bigint:
		switch from.Kind {
		case types.Double:
			return func(v value.Value) (value.Value, error) {
				return value.Bigint(javaD2L(v.Double(), math.MinInt64, math.MaxInt64)), nil
			}
		case types.Decimal:
			return func(v value.Value) (value.Value, error) { return value.Bigint(decimalToInt64(v)), nil }
		}
		return func(v value.Value) (value.Value, error) { return value.Bigint(v.AsInt64()), nil }
	case types.Double:
		return func(v value.Value) (value.Value, error) { return value.Double(v.AsFloat64()), nil }
	case types.Decimal:
		return func(v value.Value) (value.Value, error) { return castToDecimal(v, to) }
	}
	return func(v value.Value) (value.Value, error) {
		return value.Null, evalErr("Cast of %s to %s is not supported", typeString(from), typeString(to))
	}
}

// javaD2L is Java's narrowing of a double to an integer type: truncation
// toward zero, NaN to 0, saturation at the bounds.
func javaD2L(f float64, lo, hi int64) int64 {
	switch {
	case f != f:
		return 0
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int64(f)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// javaString renders a value as ksqlDB's CAST(x AS STRING) does, which is
// Java's String.valueOf of its runtime object: doubles as Double.toString,
// decimals in plain notation, lists as [a, b], maps as {k=v}, structs as
// Connect's Struct{F=v,G=w} (NULL fields left out).
func javaString(v value.Value, t *types.Type) string {
	var b strings.Builder
	writeJava(&b, v, t)
	return b.String()
}

func writeJava(b *strings.Builder, v value.Value, t *types.Type) {
	if v.IsNull() {
		b.WriteString("null")
		return
	}
	switch v.Kind() {
	case types.Boolean:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case types.Int, types.Bigint:
		b.WriteString(strconv.FormatInt(v.AsInt64(), 10))
	case types.Double:
		b.WriteString(value.FormatDouble(v.Double()))
	case types.Decimal:
		b.WriteString(v.DecimalString())
	case types.String:
		b.WriteString(v.Str())
	case types.Bytes:
		b.WriteString(string(v.BytesVal()))
	case types.Date:
		b.WriteString(formatDate(v.Days()))
	case types.Time:
		b.WriteString(formatTime(v.Millis()))
	case types.Timestamp:
		b.WriteString(formatTimestamp(v.Millis()))
	case types.Array:
		var et *types.Type
		if t != nil {
			et = t.Elem
		}
		b.WriteByte('[')
		for i, e := range v.Elems() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJava(b, e, et)
		}
		b.WriteByte(']')
	case types.Map:
		var kt, vt *types.Type
		if t != nil {
			kt, vt = t.Key, t.Elem
		}
		b.WriteByte('{')
		for i, e := range v.Entries() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJava(b, e.Key, kt)
			b.WriteByte('=')
			writeJava(b, e.Val, vt)
		}
		b.WriteByte('}')
	case types.Struct:
		b.WriteString("Struct{")
		first := true
		for i, e := range v.Elems() {
			if e.IsNull() {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			var ft *types.Type
			if t != nil && i < len(t.Fields) {
				b.WriteString(t.Fields[i].Name)
				ft = t.Fields[i].Type
			}
			b.WriteByte('=')
			writeJava(b, e, ft)
		}
		b.WriteByte('}')
	}
}

// widens reports an implicit conversion: numeric widening, element-wise
// for ARRAY and MAP, and for STRUCT every source field widening to the
// target's field of the same name (the target may have more fields).
func widens(from, to *types.Type) bool {
	if from.Kind == types.Null || from.Equal(to) {
		return true
	}
	switch {
	case from.IsNumeric() && to.IsNumeric():
		return types.CanWiden(from, to)
	case from.Kind == types.Array && to.Kind == types.Array:
		return widens(from.Elem, to.Elem)
	case from.Kind == types.Map && to.Kind == types.Map:
		return widens(from.Key, to.Key) && widens(from.Elem, to.Elem)
	case from.Kind == types.Struct && to.Kind == types.Struct:
		for _, f := range from.Fields {
			_, g := to.Field(f.Name)
			if g == nil || !widens(f.Type, g.Type) {
				return false
			}
		}
		return true
	}
	return false
}
