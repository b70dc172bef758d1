// Package scalar holds ksqlDB's built-in scalar functions, one file per
// family (math, string, regex, json, url, date/time, collections, lambdas,
// nulls, conversions), with ksqlDB's names, overloads, NULL handling and
// error behaviour. Register adds them all to a function.Registry.
//
// A function that throws in ksqlDB returns an error here; the engine turns
// it into NULL and a processing-log entry, as ksqlDB does.
package scalar

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Register adds every built-in scalar function to r.
func Register(r *function.Registry) error {
	b := &builder{r: r, patterns: &javatime.Cache{}}
	registerMath(b)
	registerString(b)
	registerRegex(b)
	registerBytes(b)
	registerNulls(b)
	registerJSON(b)
	registerURL(b)
	registerDateTime(b)
	registerArray(b)
	registerMap(b)
	registerLambda(b)
	return b.err
}

// builder collects registration errors so family files read as tables.
type builder struct {
	r        *function.Registry
	err      error
	patterns *javatime.Cache // shared by the date/time family, per registry
}

func (b *builder) add(name, category, desc string, ovs ...*function.ScalarOverload) {
	if b.err != nil {
		return
	}
	err := b.r.RegisterScalar(&function.ScalarFunction{
		Info:      function.Info{Name: name, Category: category, Description: desc},
		Overloads: ovs,
	})
	if err != nil {
		b.err = fmt.Errorf("register %s: %w", name, err)
	}
}

// p declares a parameter.
func p(name string, t *function.PType) function.Param { return function.Param{Name: name, Type: t} }

// vp declares a variadic parameter of element type t.
func vp(name string, t *function.PType) function.Param {
	return function.Param{Name: name, Type: t, Variadic: true}
}

// ps is a shorthand for a parameter list.
func ps(params ...function.Param) []function.Param { return params }

// ov is an overload that returns NULL on any NULL argument.
func ov(ret *function.PType, params []function.Param, fn function.ScalarFn) *function.ScalarOverload {
	return &function.ScalarOverload{Signature: function.Signature{Params: params, Return: ret}, NullOnNull: true, Fn: fn}
}

// ovn is an overload that sees NULL arguments itself.
func ovn(ret *function.PType, params []function.Param, fn function.ScalarFn) *function.ScalarOverload {
	return &function.ScalarOverload{Signature: function.Signature{Params: params, Return: ret}, Fn: fn}
}

// ovf is an overload whose return type is computed; it returns NULL on
// any NULL argument.
func ovf(ret function.ReturnFunc, doc string, params []function.Param, fn function.ScalarFn) *function.ScalarOverload {
	return &function.ScalarOverload{Signature: function.Signature{Params: params, ReturnFn: ret, ReturnDoc: doc}, NullOnNull: true, Fn: fn}
}

// describe sets an overload's description and returns it.
func describe(o *function.ScalarOverload, desc string) *function.ScalarOverload {
	o.Description = desc
	return o
}

// argType returns argument i's type as the return type.
func argType(i int) function.ReturnFunc {
	return func(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
		if i >= len(args) || args[i] == nil || args[i].Kind == types.Null {
			return nil, fmt.Errorf("cannot infer the return type from a NULL argument")
		}
		return args[i], nil
	}
}

// Shorthands for the common patterns.
var (
	pInt  = function.PInt
	pBig  = function.PBigint
	pDbl  = function.PDouble
	pDec  = function.PDecimal
	pStr  = function.PString
	pBool = function.PBoolean
	pByt  = function.PBytes
	pDate = function.PDate
	pTime = function.PTime
	pTs   = function.PTimestamp
	tT    = function.Generic("T")
	tU    = function.Generic("U")
	tK    = function.Generic("K")
	tV    = function.Generic("V")
)

var null = value.Null

func vstr(s string) value.Value { return value.String(s) }
