// Package aggregate holds ksqlDB's built-in aggregate functions (UDAFs):
// COUNT, COUNT_DISTINCT, SUM, SUM_LIST, AVG, MIN, MAX, LATEST_BY_OFFSET,
// EARLIEST_BY_OFFSET, COLLECT_LIST, COLLECT_SET, HISTOGRAM, TOPK,
// TOPKDISTINCT, STDDEV_SAMP, STDDEV_SAMPLE, CORRELATION and ATTR.
//
// Accumulators are value.Values shaped like ksqlDB's (STRUCT<SUM, COUNT>
// for AVG, an array of STRUCT<SEQ, VAL> for LATEST_BY_OFFSET with n), so
// the engine stores them with value.AppendValue. Every function returns a
// new accumulator rather than modifying the one it was given.
package aggregate

import (
	"fmt"
	"strconv"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Register adds every built-in aggregate function to r.
func Register(r *function.Registry) error {
	b := &builder{r: r}
	registerCount(b)
	registerSum(b)
	registerMinMax(b)
	registerOffset(b)
	registerCollect(b)
	registerTopK(b)
	registerStats(b)
	return b.err
}

type builder struct {
	r   *function.Registry
	err error
}

func (b *builder) add(name, desc string, ovs ...*function.AggregateOverload) {
	if b.err != nil {
		return
	}
	err := b.r.RegisterAggregate(&function.AggregateFunction{
		Info:      function.Info{Name: name, Category: function.CategoryAggregate, Description: desc},
		Overloads: ovs,
	})
	if err != nil {
		b.err = fmt.Errorf("register %s: %w", name, err)
	}
}

func p(name string, t *function.PType) function.Param { return function.Param{Name: name, Type: t} }

func initP(name string, t *function.PType) function.Param {
	return function.Param{Name: name, Type: t, Init: true}
}

// ov declares an overload with a fixed or generic return pattern.
func ov(ret *function.PType, params []function.Param, desc string, f func(function.AggCall) (*function.Aggregator, error)) *function.AggregateOverload {
	return &function.AggregateOverload{Signature: function.Signature{Params: params, Return: ret, Description: desc}, New: f}
}

// ovf declares an overload whose return type is computed.
func ovf(ret function.ReturnFunc, doc string, params []function.Param, desc string, f func(function.AggCall) (*function.Aggregator, error)) *function.AggregateOverload {
	return &function.AggregateOverload{Signature: function.Signature{Params: params, ReturnFn: ret, ReturnDoc: doc, Description: desc}, New: f}
}

func ps(params ...function.Param) []function.Param { return params }

var (
	tT   = function.Generic("T")
	null = value.Null
)

// propInt reads an integer engine property, accepting what Java's
// Integer.parseInt accepts.
func propInt(props map[string]string, key string, def int) (int, error) {
	s, ok := props[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("property %s: %w", key, err)
	}
	return n, nil
}

func argType(c function.AggCall, i int) *types.Type {
	if i < len(c.ArgTypes) {
		return c.ArgTypes[i]
	}
	return types.NullType
}

// firstArgType returns the first argument's type as the return type.
func firstArgType(args []*types.Type, _ map[string]*types.Type) (*types.Type, error) {
	if len(args) == 0 || args[0] == nil || args[0].Kind == types.Null {
		return nil, fmt.Errorf("cannot infer the return type from a NULL argument")
	}
	return args[0], nil
}

func struct2(a, b value.Value) value.Value { return value.Struct([]value.Value{a, b}) }
