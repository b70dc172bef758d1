// Package function owns the descriptors of Sluice's SQL functions (scalar,
// table and aggregate) and the Registry that resolves a call to one
// overload the way ksqlDB's UdfIndex does. It registers nothing itself: the
// built-in families live in the scalar, table and aggregate sub-packages and
// register into a Registry the caller creates (builtin.New does all three),
// and users (or the conformance runner's test-only functions) register
// through the same API.
//
// A caller resolves once per call site and evaluates per row:
//
//	res, err := reg.ResolveScalarArgs("transform", args) // types, lambdas, units
//	...
//	v, err := res.Call(values, lambdas) // widens per res.Casts, honours NullOnNull
//
// Lambda arguments are typed during resolution through Arg.Lambda; interval
// units (DAYS, HOURS, ...) are passed at call time as STRING values holding
// the unit name. A function error means "this row failed": the engine
// logs it and uses NULL, as ksqlDB does when a UDF throws.
//
// Aggregates resolve with ResolveAggregate over the column arguments and
// then the literal initial arguments (InitParams tells which is which);
// ResolvedAggregate.New builds an Aggregator whose accumulators are
// value.Values.
package function

import (
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Categories, spelled as ksqlDB's FunctionCategory spells them because
// SHOW FUNCTIONS prints them.
const (
	CategoryConditional  = "CONDITIONAL"
	CategoryMathematical = "MATHEMATICAL"
	CategoryString       = "STRING"
	CategoryRegex        = "REGULAR EXPRESSION"
	CategoryJSON         = "JSON"
	CategoryDateTime     = "DATE / TIME"
	CategoryArray        = "ARRAY"
	CategoryMap          = "MAP"
	CategoryURL          = "URL"
	CategoryOther        = "OTHER"
	CategoryAggregate    = "AGGREGATE"
	CategoryTable        = "TABLE"
	CategoryLambda       = "LAMBDA"
	CategoryConversions  = "CONVERSIONS"
)

// ConfluentAuthor is the author ksqlDB's built-in functions report in
// DESCRIBE FUNCTION; Sluice's built-ins keep it so scripts that parse the
// output see what they expect.
const ConfluentAuthor = "Confluent"

// Kind says which family a function belongs to.
type Kind uint8

// The function kinds, as SHOW FUNCTIONS prints them.
const (
	Scalar Kind = iota
	Table
	Aggregate
)

func (k Kind) String() string {
	switch k {
	case Table:
		return "TABLE"
	case Aggregate:
		return "AGGREGATE"
	}
	return "SCALAR"
}

// Info is the metadata common to every kind, shown by SHOW FUNCTIONS and
// DESCRIBE FUNCTION.
type Info struct {
	Name        string // as declared; lookups ignore case, error messages keep this spelling
	Description string
	Category    string
	Author      string
	Version     string
	Path        string // where it came from: "internal" for built-ins, as ksqlDB's Jar field
}

// Param is one declared parameter of an overload.
type Param struct {
	Name        string
	Type        *PType
	Description string
	// Variadic marks the one parameter that takes zero or more arguments of
	// Type. It may sit anywhere, not only last ("middle variadic").
	Variadic bool
	// Init marks an aggregate's initial parameter (TOPK's k): the argument
	// must be a literal, and its value reaches the factory, not Aggregate.
	Init bool
}

// ReturnFunc computes an overload's return type from the argument types
// after implicit widening (types.NullType for a NULL argument, nil at a
// lambda or interval-unit position) and the generics bound while matching.
type ReturnFunc func(args []*types.Type, generics map[string]*types.Type) (*types.Type, error)

// Signature is what resolution looks at: the parameters and how the return
// type follows from the arguments. Return is used when ReturnFn is nil; it
// may mention generics bound by the parameters (ARRAY<T>).
type Signature struct {
	Params   []Param
	Return   *PType
	ReturnFn ReturnFunc
	// ReturnDoc is the return type DESCRIBE FUNCTION shows when ReturnFn
	// computes it (for example "DECIMAL").
	ReturnDoc   string
	Description string
}

// Lambda is a compiled lambda argument: it takes the lambda's parameters
// and returns its body's value.
type Lambda func(args ...value.Value) (value.Value, error)

// ScalarFn implements a scalar overload. args holds one value per argument
// (variadic arguments flattened, in call order), already widened to the
// declared parameter types. An error means "this row failed": the engine
// turns it into NULL and a processing-log entry, as ksqlDB does when a UDF
// throws.
type ScalarFn func(args []value.Value) (value.Value, error)

// LambdaFn implements a scalar overload with lambda parameters. args holds
// NULL at each lambda position; lambdas holds the compiled lambdas in order.
type LambdaFn func(args []value.Value, lambdas []Lambda) (value.Value, error)

// ScalarOverload is one variation of a scalar function.
type ScalarOverload struct {
	Signature
	// NullOnNull says the result is NULL whenever any argument is NULL, so
	// callers may skip the call; most functions are like this.
	NullOnNull bool
	Fn         ScalarFn
	LambdaFn   LambdaFn
	// Specialize, when set, builds the implementation for one call site
	// from the resolved argument and return types, for functions whose
	// behaviour depends on more than the values carry (TO_JSON_STRING
	// needs struct field names) or that precompute per call site. It
	// replaces Fn for that call site: the resolved overload is a copy with
	// Fn set to the specialised implementation.
	Specialize func(argTypes []*types.Type, ret *types.Type) (ScalarFn, error)
	// Volatile marks functions whose result changes between calls with the
	// same arguments (RANDOM, UUID, UNIX_TIMESTAMP()), so they are never
	// constant-folded.
	Volatile bool
}

// ScalarFunction is a scalar function and its overloads.
type ScalarFunction struct {
	Info
	Overloads []*ScalarOverload
}

// TableFn implements a table function overload: one output value per row
// it produces (zero rows is a valid answer).
type TableFn func(args []value.Value) ([]value.Value, error)

// TableOverload is one variation of a table function.
type TableOverload struct {
	Signature
	Fn TableFn
}

// TableFunction is a table function (UDTF) and its overloads.
type TableFunction struct {
	Info
	Overloads []*TableOverload
}

// AggCall is what an aggregate factory learns about one call site.
type AggCall struct {
	// ArgTypes are the types of the column arguments after widening.
	ArgTypes []*types.Type
	// InitArgs are the literal values of the Init parameters, in order.
	InitArgs []value.Value
	// Generics holds the generic bindings made while resolving.
	Generics map[string]*types.Type
	// Props are the engine properties in force (for example
	// ksql.functions.collect_list.limit); nil means none.
	Props map[string]string
}

// Aggregator is one instance of an aggregate function at one call site,
// shaped like a Kafka Streams aggregation. Accumulators are value.Values,
// so the engine stores them with value.AppendValue. Functions must not
// modify an accumulator in place: they return a new one, since the engine
// may still hold the old one (the previous result of a table aggregation).
type Aggregator struct {
	AccType    *types.Type
	ReturnType *types.Type
	Init       func() value.Value
	// Aggregate folds one row's column arguments into acc.
	Aggregate func(acc value.Value, args []value.Value) (value.Value, error)
	// Merge combines two session-window accumulators; nil if unsupported.
	Merge func(a, b value.Value) (value.Value, error)
	// Undo removes a row previously aggregated, for aggregations over a
	// table; nil where ksqlDB's function is not a TableUdaf.
	Undo func(acc value.Value, args []value.Value) (value.Value, error)
	// Map turns the accumulator into the result.
	Map func(acc value.Value) (value.Value, error)
}

// AggregateOverload is one variation of an aggregate function. Params
// lists the column parameters followed by the Init parameters.
type AggregateOverload struct {
	Signature
	New func(call AggCall) (*Aggregator, error)
}

// AggregateFunction is an aggregate function (UDAF) and its overloads.
type AggregateFunction struct {
	Info
	Overloads []*AggregateOverload
}
