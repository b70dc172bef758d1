package expr

import (
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// FormatExpr renders e as ksqlDB's ExpressionFormatter does, for error
// messages that must match ksqlDB's ("Should evaluate to boolean but is
// (RANDOM() + 1.5) (DOUBLE) instead.").
func FormatExpr(e ast.Expr) string { return exprString(e) }

// FormatType renders t as ksqlDB's SqlType.toString does, struct field
// names back-quoted: STRUCT<`ID` INTEGER>.
func FormatType(t *types.Type) string { return typeString(t) }

// ResolveType turns a written type into a SQL type; custom resolves
// CREATE TYPE names and may be nil.
func ResolveType(t *ast.Type, custom func(name string) (*types.Type, bool)) (*types.Type, error) {
	return resolveTypeWith(t, custom)
}

// CanCast reports whether CAST(x AS to) is allowed for x of type from.
func CanCast(from, to *types.Type) bool { return canCast(from, to) }

// Cast converts v of type from to type to as CAST does. A NULL stays NULL.
func Cast(v value.Value, from, to *types.Type) (value.Value, error) {
	if v.IsNull() {
		return value.Null, nil
	}
	cf, err := castFn(from, to)
	if err != nil {
		return value.Null, &RuntimeError{Msg: err.Error(), Err: err}
	}
	return cf(v)
}

// CanCoerce reports an implicit conversion (numeric widening, element-wise
// for ARRAY and MAP, STRUCT into a STRUCT with the same or more fields).
func CanCoerce(from, to *types.Type) bool { return widens(from, to) }

// Coerce converts v of type from to the wider type to, as INSERT VALUES and
// function arguments do implicitly; it fails where CanCoerce is false.
func Coerce(v value.Value, from, to *types.Type) (value.Value, error) {
	if !widens(from, to) {
		err := &unsupportedCast{from, to}
		return value.Null, &RuntimeError{Msg: err.Error(), Err: err}
	}
	return Cast(v, from, to)
}

// String renders the compiled expression's source as ksqlDB would print it.
func (e *Expr) String() string { return exprString(e.Source) }

// Coerced returns an expression that evaluates e and widens its result to
// the type to, as INSERT INTO does for a sink column of a wider type
// (ksqlDB's compatibleSchema). It fails where CanCoerce is false.
func (e *Expr) Coerced(to *types.Type) (*Expr, error) {
	if e.Type.Equal(to) {
		return e, nil
	}
	if !widens(e.Type, to) {
		err := &unsupportedCast{e.Type, to}
		return nil, &Error{Msg: err.Error(), Kind: ErrType, Err: err}
	}
	out := *e
	out.Type = to
	if e.Type.Kind == types.Null {
		return &out, nil
	}
	cf, err := castFn(e.Type, to)
	if err != nil {
		return nil, &Error{Msg: err.Error(), Kind: ErrType, Err: err}
	}
	inner := e.fn
	out.fn = func(r *value.Row, lam []value.Value) (value.Value, error) {
		v, err := inner(r, lam)
		if err != nil || v.IsNull() {
			return v, err
		}
		return cf(v)
	}
	return &out, nil
}
