package expr

import (
	"errors"
	"fmt"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// TableFunctions is the part of the registry that resolves table functions
// (EXPLODE); *function.Registry implements it. Options.Functions must
// implement it for CompileTableCall and for typing table calls in Compile.
type TableFunctions interface {
	ResolveTableArgs(name string, args []function.Arg) (*function.ResolvedTable, error)
}

// TableCall is a compiled table function call, the work of a flat-map
// operator: per input row, Eval returns the values of the rows it
// produces (possibly none).
type TableCall struct {
	// Type is the type of each produced value.
	Type   *types.Type
	Source *ast.FuncCall
	Func   *function.ResolvedTable

	args []evalFn
	cols []Column
}

// Columns returns the distinct columns the call's arguments read.
func (t *TableCall) Columns() []Column { return t.cols }

// Eval evaluates the arguments over row and calls the function. A NULL or
// failing argument is the function's business, as in ksqlDB, except that
// an argument's run-time error is returned as is.
func (t *TableCall) Eval(row *value.Row) (out []value.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &RuntimeError{Msg: fmt.Sprintf("internal error evaluating %s: %v", exprString(t.Source), r)}
		}
	}()
	args := make([]value.Value, len(t.args))
	for i, f := range t.args {
		v, err := f(row, nil)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	out, err = t.Func.Call(args)
	if err != nil && !errors.Is(err, ErrEval) {
		err = &RuntimeError{Msg: err.Error(), Err: err}
	}
	return out, err
}

// CompileTableCall compiles a table function call such as EXPLODE(arr)
// against scope: arguments are type-checked, widened to the chosen
// overload and compiled to closures.
func CompileTableCall(call *ast.FuncCall, scope Scope, opts Options) (*TableCall, error) {
	c := &compiler{scope: scope, opts: opts}
	var tc *TableCall
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = &Error{Pos: call.Pos, Msg: fmt.Sprintf("internal error compiling expression %s: %v", exprString(call), r), Kind: ErrUnsupported}
			}
		}()
		tc, err = c.tableCall(call)
		return err
	}()
	if err != nil {
		return nil, err
	}
	tc.cols = c.cols
	return tc, nil
}

func (c *compiler) tableCall(n *ast.FuncCall) (*TableCall, error) {
	tf, ok := c.opts.Functions.(TableFunctions)
	if !ok || c.opts.Functions == nil {
		return nil, &Error{Pos: n.Pos, Kind: ErrFunction, Msg: fmt.Sprintf("Can't find any functions with the name '%s'", n.Name.Name)}
	}
	args, nodes, lambdas, err := c.callArgs(n)
	if err != nil {
		return nil, err
	}
	for i := range lambdas {
		if lambdas[i] != nil {
			return nil, &Error{Pos: n.Args[i].Position(), Kind: ErrFunction, Msg: "Table functions do not take lambda arguments: " + exprString(n)}
		}
	}
	res, err := tf.ResolveTableArgs(n.Name.Name, args)
	if err != nil {
		return nil, &Error{Pos: n.Pos, Kind: ErrFunction, Msg: err.Error(), Err: err}
	}
	fns := make([]evalFn, len(nodes))
	for i := range nodes {
		if i < len(res.Casts) && res.Casts[i] != nil {
			cn, err := implicitCast(nodes[i], res.Casts[i])
			if err != nil {
				return nil, &Error{Pos: n.Args[i].Position(), Kind: ErrType, Msg: err.Error()}
			}
			nodes[i] = cn
		}
		fns[i] = nodes[i].fn
	}
	return &TableCall{Type: res.Return, Source: n, Func: res, args: fns}, nil
}
