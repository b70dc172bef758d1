// Package expr owns the expression compiler: it binds an ast.Expr against a
// Scope, type-checks it with ksqlDB's rules (ExpressionTypeManager, Operator,
// ComparisonUtil, CastEvaluator) and compiles it once into a tree of Go
// closures over *value.Row, so that no syntax tree is walked per record.
//
// Run-time semantics follow ksqlDB's generated Java rather than textbook
// SQL where the two differ and the conformance vectors can tell: a
// comparison with a NULL operand is FALSE, not NULL; arithmetic on a NULL
// operand is an error (Java unboxing), as is integer division by zero (the
// engine logs it and uses NULL); DOUBLE division by zero gives Infinity or
// NaN; an error inside a CAST, a constructor element or a call-valued
// argument becomes NULL right there (ksql.nested.error.set.null).
package expr

import (
	"fmt"
	"slices"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// ColumnKind says where in a value.Row a column lives.
type ColumnKind uint8

// Column kinds.
const (
	KeyColumn    ColumnKind = iota // Row.Key[Index]
	ValueColumn                    // Row.Val[Index]
	RowTime                        // Row.Time, BIGINT
	RowPartition                   // Row.Partition, INT
	RowOffset                      // Row.Offset, BIGINT
	WindowStart                    // Row.Window.Start, BIGINT; NULL when the row is not windowed
	WindowEnd                      // Row.Window.End, BIGINT; NULL when the row is not windowed
)

// Column is a resolved column reference: what a Scope returns.
type Column struct {
	// Name is the column's canonical name, used by Expr.Columns and in
	// error messages (qualified joins may pass "L_A" style names here).
	Name string
	Kind ColumnKind
	// Index selects the key or value column; ignored for pseudo columns.
	Index int
	Type  *types.Type
}

// Namer is optionally implemented by a Scope whose rows carry columns
// under other names than the query writes them: after a join, I1.BAR is
// the column I1_BAR, and ksqlDB's messages print the latter.
// DisplayName returns the name to print, or false to print the reference
// as written.
type Namer interface {
	DisplayName(qualifier, name string) (string, bool)
}

// Scope resolves column references for the compiler. The planner implements
// it for a source, a join and an aggregation.
//
// Contract: names arrive canonical (unquoted identifiers upper-cased by the
// parser, quoted ones verbatim) and qualifier is "" for an unqualified
// reference. Resolve returns an error for an unknown or ambiguous name; the
// compiler adds the position. The compiler may call Resolve many times for
// the same name and never retains the Scope after Compile returns.
type Scope interface {
	Resolve(qualifier, name string) (Column, error)
}

// ExprScope is an optional extension of Scope. Before compiling any
// non-literal node the compiler offers it to ResolveExpr; when it reports ok
// the node is read from that column instead. Aggregations use it to map
// SUM(x) or a GROUP BY expression onto their output columns.
type ExprScope interface {
	Scope
	ResolveExpr(e ast.Expr) (Column, bool)
}

// Options configures Compile.
type Options struct {
	// Functions resolves function calls; nil rejects every call.
	Functions Functions
	// Types resolves custom type names (CREATE TYPE) in CAST; nil knows
	// only the built-in types.
	Types func(name string) (*types.Type, bool)
	// NestedErrors receives the run-time errors that ksqlDB's
	// ksql.nested.error.set.null (on by default) turns into NULL where they
	// happen: inside a CAST, an array element, a map key or value, a struct
	// field, or a function argument that is itself a call or a
	// dereference. The engine logs them to the processing log. It must be
	// safe for concurrent use; nil drops them.
	NestedErrors func(error)
	// NestedErrorsFail restores ksqlDB's legacy behaviour
	// (ksql.nested.error.set.null=false): a nested error fails the whole
	// expression.
	NestedErrorsFail bool
}

// evalFn is the compiled form of a node. lam holds the values of the lambda
// parameters in scope, outermost first; it is nil outside lambdas, which
// keeps top-level evaluation free of allocations.
type evalFn func(row *value.Row, lam []value.Value) (value.Value, error)

// Expr is a compiled expression. It is immutable and safe for concurrent use.
type Expr struct {
	// Type is the SQL type of the result. It is types.NullType only for
	// an expression that is the bare NULL literal (or built only of it).
	Type *types.Type
	// Source is the expression that was compiled.
	Source ast.Expr

	fn       evalFn
	cols     []Column
	constant bool
}

// Eval evaluates the expression over row. A non-nil error is a run-time
// failure (division by zero, a bad cast, a failing function); ksqlDB logs it
// to the processing log and uses NULL, and callers should do the same.
// Eval of a constant expression accepts a nil row.
func (e *Expr) Eval(row *value.Row) (v value.Value, err error) {
	// A panic here is a bug (ours or a function's), but it must cost one
	// record, not the query: it becomes that record's evaluation error.
	defer func() {
		if r := recover(); r != nil {
			v, err = value.Null, &RuntimeError{Msg: fmt.Sprintf("internal error evaluating %s: %v", exprString(e.Source), r)}
		}
	}()
	return e.fn(row, nil)
}

// Columns returns the distinct columns the expression reads, in order of
// first reference. Callers must not modify the slice.
func (e *Expr) Columns() []Column { return e.cols }

// IsConstant reports an expression that reads no column and calls no
// non-deterministic function, so its value is the same for every row.
func (e *Expr) IsConstant() bool { return e.constant }

// Compile binds, type-checks and compiles e. Errors are *Error values
// carrying ksqlDB's wording and the position of the offending node.
func Compile(e ast.Expr, scope Scope, opts Options) (*Expr, error) {
	c := &compiler{scope: scope, opts: opts}
	n, err := c.compileSafe(e)
	if err != nil {
		return nil, err
	}
	return &Expr{Type: n.t, Source: e, fn: n.fn, cols: c.cols, constant: n.constant}, nil
}

// EvalConstant compiles and evaluates an expression that must not reference
// columns, as INSERT VALUES, WITH properties and pull-query key bounds need.
// It returns the value and its type.
func EvalConstant(e ast.Expr, opts Options) (value.Value, *types.Type, error) {
	x, err := Compile(e, noColumns{}, opts)
	if err != nil {
		return value.Null, nil, err
	}
	v, err := x.Eval(&value.Row{})
	if err != nil {
		return value.Null, nil, &Error{Pos: e.Position(), Msg: err.Error(), Kind: ErrEval, Err: err}
	}
	return v, x.Type, nil
}

// noColumns is the Scope of a constant expression.
type noColumns struct{}

func (noColumns) Resolve(qualifier, name string) (Column, error) {
	return Column{}, UnknownColumn(qualifier, name)
}

func (c *compiler) addColumn(col Column) {
	if !slices.ContainsFunc(c.cols, func(o Column) bool {
		return o.Kind == col.Kind && o.Index == col.Index && o.Name == col.Name
	}) {
		c.cols = append(c.cols, col)
	}
}
