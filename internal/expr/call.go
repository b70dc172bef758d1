package expr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Functions is the function registry the compiler resolves calls through;
// *function.Registry implements it.
type Functions interface {
	KindOf(name string) (function.Kind, bool)
	ResolveScalarArgs(name string, args []function.Arg) (*function.ResolvedScalar, error)
}

// lambdaBody is one compiled lambda argument: its body under one set of
// parameter types, and where its parameters sit in the lam frame.
type lambdaBody struct {
	params []*types.Type
	node   node
	base   int // slots of enclosing lambdas
	arity  int
}

func (c *compiler) call(n *ast.FuncCall) (node, error) {
	name := n.Name.Name
	if c.opts.Functions == nil {
		return node{}, &Error{Pos: n.Pos, Kind: ErrFunction, Msg: fmt.Sprintf("Can't find any functions with the name '%s'", name)}
	}
	if k, ok := c.opts.Functions.KindOf(name); ok && k != function.Scalar {
		if k == function.Table {
			// Typed as ksqlDB's ExpressionTypeManager types it, so the
			// planner learns what the rows hold and resolution errors keep
			// ksqlDB's wording; evaluating it as a scalar is a planning bug.
			tc, err := c.tableCall(n)
			if err != nil {
				return node{}, err
			}
			msg := fmt.Sprintf("table function %s evaluated as a scalar: %s", strings.ToUpper(name), exprString(n))
			return node{t: tc.Type, fn: func(*value.Row, []value.Value) (value.Value, error) {
				return value.Null, evalErr("%s", msg)
			}}, nil
		}
		return node{}, &Error{Pos: n.Pos, Kind: ErrFunction,
			Msg: fmt.Sprintf("%s function %s cannot be used in this context: %s", strings.ToLower(k.String()), strings.ToUpper(name), exprString(n))}
	}
	args, nodes, lambdas, err := c.callArgs(n)
	if err != nil {
		return node{}, err
	}
	res, err := c.opts.Functions.ResolveScalarArgs(name, args)
	if err != nil {
		var le *Error
		if errors.As(err, &le) {
			// A lambda body failed to type-check; report that, not the call.
			return node{}, le
		}
		return node{}, &Error{Pos: n.Pos, Kind: ErrFunction, Msg: err.Error(), Err: err}
	}
	constant := !res.Overload.Volatile
	for i := range nodes {
		if lambdas[i] != nil {
			// Make sure the body compiled last is the one for the chosen
			// overload's parameter types.
			if res.LambdaParams != nil && res.LambdaParams[i] != nil && !sameTypes(lambdas[i].params, res.LambdaParams[i]) {
				if _, err := args[i].Lambda(res.LambdaParams[i]); err != nil {
					var le *Error
					if errors.As(err, &le) {
						return node{}, le
					}
					return node{}, &Error{Pos: n.Args[i].Position(), Kind: ErrType, Msg: err.Error(), Err: err}
				}
			}
			if lambdas[i].node.fn == nil {
				return node{}, &Error{Pos: n.Args[i].Position(), Kind: ErrFunction,
					Msg: fmt.Sprintf("Function '%s' does not take a lambda at argument %d", res.Name, i+1)}
			}
			constant = false
			continue
		}
		if i < len(res.Casts) && res.Casts[i] != nil {
			cn, err := implicitCast(nodes[i], res.Casts[i])
			if err != nil {
				return node{}, &Error{Pos: n.Args[i].Position(), Kind: ErrType, Msg: err.Error()}
			}
			nodes[i] = cn
		}
		switch n.Args[i].(type) {
		case *ast.FuncCall, *ast.Deref:
			nodes[i] = c.nullOnError(nodes[i])
		}
		constant = constant && nodes[i].constant
	}
	return node{t: res.Return, constant: constant, fn: callFn(res, nodes, lambdas)}, nil
}

// callArgs compiles a call's arguments: values, interval units (passed as
// their canonical name, DAYS or SECONDS) and lambdas, which compile when
// the registry proposes their parameter types.
func (c *compiler) callArgs(n *ast.FuncCall) ([]function.Arg, []node, []*lambdaBody, error) {
	args := make([]function.Arg, len(n.Args))
	nodes := make([]node, len(n.Args))
	lambdas := make([]*lambdaBody, len(n.Args))
	for i, a := range n.Args {
		switch x := a.(type) {
		case *ast.IntervalUnit:
			args[i] = function.Arg{IntervalUnit: true}
			nodes[i] = constNode(types.StringType, value.String(x.Unit))
		case *ast.Lambda:
			lb := &lambdaBody{arity: len(x.Params)}
			lambdas[i] = lb
			args[i] = function.Arg{LambdaArity: len(x.Params), Lambda: c.lambdaTyper(x, lb)}
		default:
			an, err := c.compile(a)
			if err != nil {
				return nil, nil, nil, err
			}
			nodes[i] = an
			args[i] = function.Arg{Type: an.t}
		}
	}
	return args, nodes, lambdas, nil
}

func sameTypes(a, b []*types.Type) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// lambdaTyper compiles the lambda's body with its parameters in scope under
// the types the registry proposes, keeping the last compilation.
func (c *compiler) lambdaTyper(l *ast.Lambda, lb *lambdaBody) function.LambdaTyper {
	return func(params []*types.Type) (*types.Type, error) {
		if len(params) != len(l.Params) {
			return nil, &Error{Pos: l.Pos, Kind: ErrType, Msg: fmt.Sprintf("Lambda %s takes %d parameters, but %d were supplied", exprString(l), len(l.Params), len(params))}
		}
		base := len(c.lambdas)
		for i, p := range l.Params {
			c.lambdas = append(c.lambdas, lambdaVar{name: p.Name, t: params[i]})
		}
		body, err := c.compile(l.Body)
		c.lambdas = c.lambdas[:base]
		if err != nil {
			return nil, err
		}
		lb.params, lb.node, lb.base = params, body, base
		return body.t, nil
	}
}

func callFn(res *function.ResolvedScalar, nodes []node, lambdas []*lambdaBody) evalFn {
	fns := make([]evalFn, len(nodes))
	hasLambda := false
	for i := range nodes {
		if lambdas[i] != nil {
			hasLambda = true
			continue
		}
		fns[i] = nodes[i].fn
	}
	ov := res.Overload
	nullOnNull := ov.NullOnNull
	if !hasLambda {
		fn := ov.Fn
		return func(row *value.Row, lam []value.Value) (value.Value, error) {
			args := make([]value.Value, len(fns))
			for i, f := range fns {
				v, err := f(row, lam)
				if err != nil {
					return value.Null, err
				}
				if nullOnNull && v.IsNull() {
					return value.Null, nil
				}
				args[i] = v
			}
			if fn == nil {
				return value.Null, evalErr("function %s has no implementation", res.Name)
			}
			return wrapFnErr(fn(args))
		}
	}
	lfn := ov.LambdaFn
	return func(row *value.Row, lam []value.Value) (value.Value, error) {
		args := make([]value.Value, len(fns))
		var ls []function.Lambda
		for i, f := range fns {
			if lb := lambdas[i]; lb != nil {
				ls = append(ls, bindLambda(lb, row, lam))
				continue
			}
			v, err := f(row, lam)
			if err != nil {
				return value.Null, err
			}
			if nullOnNull && v.IsNull() {
				return value.Null, nil
			}
			args[i] = v
		}
		if lfn == nil {
			return value.Null, evalErr("function %s takes no lambdas", res.Name)
		}
		return wrapFnErr(lfn(args, ls))
	}
}

// bindLambda closes a compiled lambda over the current row and the values
// of the enclosing lambdas' parameters. The frame is reused between calls:
// the body only reads it, and functions call their lambdas one at a time.
func bindLambda(lb *lambdaBody, row *value.Row, outer []value.Value) function.Lambda {
	frame := make([]value.Value, lb.base+lb.arity)
	copy(frame, outer)
	body := lb.node.fn
	return func(args ...value.Value) (value.Value, error) {
		if len(args) != lb.arity {
			return value.Null, evalErr("lambda takes %d arguments, got %d", lb.arity, len(args))
		}
		copy(frame[lb.base:], args)
		return body(row, frame)
	}
}

// wrapFnErr marks a function's failure as an evaluation error while
// keeping the function's own message and cause.
func wrapFnErr(v value.Value, err error) (value.Value, error) {
	if err == nil || errors.Is(err, ErrEval) {
		return v, err
	}
	return value.Null, &RuntimeError{Msg: err.Error(), Err: err}
}
