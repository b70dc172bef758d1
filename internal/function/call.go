package function

import (
	"fmt"
	"math/big"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Widen converts v to the wider type to, following ksqlDB's implicit
// casts: INT → BIGINT → DECIMAL → DOUBLE, element-wise inside ARRAY and
// MAP. Values that need no change come back as they are.
func Widen(v value.Value, to *types.Type) value.Value {
	if v.IsNull() || to == nil {
		return v
	}
	switch to.Kind {
	case types.Bigint:
		if v.Kind() == types.Int {
			return value.Bigint(v.AsInt64())
		}
	case types.Double:
		switch v.Kind() {
		case types.Int, types.Bigint, types.Decimal:
			return value.Double(v.AsFloat64())
		}
	case types.Decimal:
		switch v.Kind() {
		case types.Int, types.Bigint:
			if to.Scale == 0 {
				return value.DecimalInt64(v.AsInt64(), 0)
			}
			u := new(big.Int).Mul(big.NewInt(v.AsInt64()), value.Pow10(to.Scale))
			return value.DecimalBig(u, int32(to.Scale))
		case types.Decimal:
			if d := to.Scale - int(v.Scale()); d > 0 && to.Precision > 0 {
				u := v.Unscaled()
				u.Mul(u, value.Pow10(d))
				return value.DecimalBig(u, int32(to.Scale))
			}
		}
	case types.Array:
		if v.Kind() == types.Array {
			in := v.Elems()
			out := make([]value.Value, len(in))
			for i, e := range in {
				out[i] = Widen(e, to.Elem)
			}
			return value.Array(out)
		}
	case types.Map:
		if v.Kind() == types.Map {
			in := v.Entries()
			out := make([]value.Entry, len(in))
			for i, e := range in {
				out[i] = value.Entry{Key: Widen(e.Key, to.Key), Val: Widen(e.Val, to.Elem)}
			}
			return value.Map(out)
		}
	}
	return v
}

// Coerce converts v to the type a resolution chose for it: numeric
// widening as Widen does, and a STRING parsed as a DATE, TIME or TIMESTAMP
// the way ksqlDB's implicit casts parse them.
func Coerce(v value.Value, to *types.Type) (value.Value, error) {
	if v.Kind() == types.String && to != nil {
		switch to.Kind {
		case types.Date, types.Time, types.Timestamp:
			return parseTemporal(v.Str(), to.Kind)
		}
	}
	return Widen(v, to), nil
}

// widenArgs applies the resolved casts to args in place.
func (r *Resolved) widenArgs(args []value.Value) error {
	if !r.hasCasts {
		return nil
	}
	for i, c := range r.Casts {
		if c != nil && i < len(args) {
			v, err := Coerce(args[i], c)
			if err != nil {
				return err
			}
			args[i] = v
		}
	}
	return nil
}

// Call invokes the overload. It widens args in place where the resolution
// chose an implicit cast, so the caller must pass a slice it owns for the
// duration of the call. If the overload is NullOnNull and an argument is
// NULL it returns NULL without calling the implementation.
func (r *ResolvedScalar) Call(args []value.Value, lambdas []Lambda) (value.Value, error) {
	if r.Overload.NullOnNull {
		for _, a := range args {
			if a.IsNull() {
				return value.Null, nil
			}
		}
	}
	if err := r.widenArgs(args); err != nil {
		return value.Null, err
	}
	if r.Overload.LambdaFn != nil {
		return r.Overload.LambdaFn(args, lambdas)
	}
	return r.Impl(args)
}

// Call invokes the table function; args are widened in place as for
// ResolvedScalar.Call.
func (r *ResolvedTable) Call(args []value.Value) ([]value.Value, error) {
	if err := r.widenArgs(args); err != nil {
		return nil, err
	}
	return r.Overload.Fn(args)
}

// New creates the aggregator for one call site. initArgs are the values
// of the Init parameters in order; props are the engine properties.
func (r *ResolvedAggregate) New(initArgs []value.Value, props map[string]string) (*Aggregator, error) {
	init := r.InitParams()
	var cols []*types.Type
	for i, t := range r.ArgTypes {
		if !init[i] {
			cols = append(cols, t)
		}
	}
	a, err := r.Overload.New(AggCall{ArgTypes: cols, InitArgs: initArgs, Generics: r.Generics, Props: props})
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", r.Name, err)
	}
	if a.ReturnType == nil {
		a.ReturnType = r.Return
	}
	return a, nil
}

// WidenColumns applies the resolved implicit casts to the column arguments
// of one row in place, before Aggregate or Undo.
func (r *ResolvedAggregate) WidenColumns(args []value.Value) error { return r.widenArgs(args) }
