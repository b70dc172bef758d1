package expr

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// node is a compiled sub-expression.
type node struct {
	t        *types.Type
	fn       evalFn
	constant bool
	// folded is set when the node's value is known at compile time; val
	// holds it. LIKE patterns and string-to-temporal coercions use it.
	folded bool
	val    value.Value
	// pseudoTime marks ROWTIME, WINDOWSTART and WINDOWEND, which ksqlDB
	// compares with timestamp strings by converting the string.
	pseudoTime bool
}

// lambdaVar is a lambda parameter in scope; its slot is its index in the
// compiler's lambdas slice and in the lam slice at run time.
type lambdaVar struct {
	name string
	t    *types.Type
}

type compiler struct {
	scope   Scope
	opts    Options
	lambdas []lambdaVar
	cols    []Column
}

// exprString renders e for a message, with the scope's column names.
func (c *compiler) exprString(e ast.Expr) string {
	b := exprWriter{}
	if n, ok := c.scope.(Namer); ok {
		b.namer = n
	}
	writeExpr(&b, e)
	return b.String()
}

// compileSafe compiles the root. A panic inside compilation is a bug in
// this package, but it must not take the caller's statement (or server)
// down with it: it becomes an error at the root's position.
func (c *compiler) compileSafe(e ast.Expr) (n node, err error) {
	defer func() {
		if r := recover(); r != nil {
			pos := ast.Pos{}
			if e != nil {
				pos = e.Position()
			}
			err = &Error{Pos: pos, Msg: fmt.Sprintf("internal error compiling expression %s: %v", exprString(e), r), Kind: ErrUnsupported}
		}
	}()
	if e == nil {
		return node{}, &Error{Msg: "missing expression", Kind: ErrUnsupported}
	}
	return c.compile(e)
}

func constNode(t *types.Type, v value.Value) node {
	return node{t: t, constant: true, folded: true, val: v, fn: func(*value.Row, []value.Value) (value.Value, error) { return v, nil }}
}

func (c *compiler) compile(e ast.Expr) (node, error) {
	if es, ok := c.scope.(ExprScope); ok && !isLiteral(e) && !c.isLambdaVar(e) {
		if col, ok := es.ResolveExpr(e); ok {
			return c.columnNode(col), nil
		}
	}
	n, err := c.compileNode(e)
	if err != nil {
		return node{}, err
	}
	if n.constant && !n.folded {
		// Fold a constant sub-expression once. A failure is left to run
		// time, where ksqlDB reports it per record, rather than rejecting
		// the statement.
		if v, err := n.fn(&value.Row{}, nil); err == nil {
			t := n.t
			n = constNode(t, v)
		}
	}
	return n, nil
}

// isLambdaVar reports a reference to a lambda parameter in scope, which
// shadows any column or expression of the same name.
func (c *compiler) isLambdaVar(e ast.Expr) bool {
	ref, ok := e.(*ast.ColumnRef)
	if !ok || ref.Qualifier != nil {
		return false
	}
	for _, l := range c.lambdas {
		if l.name == ref.Name.Name {
			return true
		}
	}
	return false
}

func isLiteral(e ast.Expr) bool {
	switch e.(type) {
	case *ast.NullLit, *ast.BoolLit, *ast.StringLit, *ast.IntegerLit, *ast.DecimalLit, *ast.DoubleLit, *ast.TypedLit, *ast.IntervalUnit:
		return true
	}
	return false
}

func (c *compiler) compileNode(e ast.Expr) (node, error) {
	switch n := e.(type) {
	case *ast.NullLit:
		return constNode(types.NullType, value.Null), nil
	case *ast.BoolLit:
		return constNode(types.BooleanType, value.Bool(n.Value)), nil
	case *ast.StringLit:
		return constNode(types.StringType, value.String(n.Value)), nil
	case *ast.IntegerLit:
		if n.Big || n.Value > math.MaxInt32 || n.Value < math.MinInt32 {
			return constNode(types.BigintType, value.Bigint(n.Value)), nil
		}
		return constNode(types.IntType, value.Int(int32(n.Value))), nil
	case *ast.DecimalLit:
		v, t, err := parseDecimalLiteral(n.Text)
		if err != nil {
			return node{}, typeErr(n, "Invalid decimal literal: %s", n.Text)
		}
		return constNode(t, v), nil
	case *ast.DoubleLit:
		return constNode(types.DoubleType, value.Double(n.Value)), nil
	case *ast.TypedLit:
		return c.typedLiteral(n)
	case *ast.VariableLit:
		return node{}, &Error{Pos: n.Pos, Msg: fmt.Sprintf("Unsubstituted variable: ${%s}", n.Name), Kind: ErrUnsupported}
	case *ast.IntervalUnit:
		return node{}, &Error{Pos: n.Pos, Msg: fmt.Sprintf("Interval unit %s is only valid as a function argument", n.Unit), Kind: ErrUnsupported}
	case *ast.ColumnRef:
		return c.columnRef(n)
	case *ast.Unary:
		return c.unary(n)
	case *ast.Binary:
		return c.binary(n)
	case *ast.Logical:
		return c.logical(n)
	case *ast.Not:
		return c.not(n)
	case *ast.Comparison:
		return c.comparison(n, n.Op, n.L, n.R)
	case *ast.IsDistinctFrom:
		op := opDistinct
		if n.Not {
			op = opNotDistinct
		}
		return c.comparison(n, op, n.L, n.R)
	case *ast.Between:
		return c.between(n)
	case *ast.InList:
		return c.inList(n)
	case *ast.Like:
		return c.like(n)
	case *ast.IsNull:
		return c.isNull(n)
	case *ast.Case:
		return c.caseExpr(n)
	case *ast.Cast:
		return c.cast(n)
	case *ast.ArrayCtor:
		return c.arrayCtor(n)
	case *ast.MapCtor:
		return c.mapCtor(n)
	case *ast.StructCtor:
		return c.structCtor(n)
	case *ast.Subscript:
		return c.subscript(n)
	case *ast.Deref:
		return c.deref(n)
	case *ast.FuncCall:
		return c.call(n)
	case *ast.Lambda:
		return node{}, &Error{Pos: n.Pos, Msg: "Lambda expressions are only valid as function arguments: " + exprString(n), Kind: ErrUnsupported}
	case *ast.AtTimeZone:
		return node{}, &Error{Pos: n.Pos, Msg: "AT TIME ZONE is not supported in expressions: " + exprString(n), Kind: ErrUnsupported}
	}
	return node{}, &Error{Pos: e.Position(), Msg: fmt.Sprintf("Unsupported expression %T", e), Kind: ErrUnsupported}
}

// parseDecimalLiteral types a literal such as 1.50 as ksqlDB's
// DecimalUtil.fromValue does: scale is the digits after the point and
// precision the significant digits, except that a value in (-1, 1) gets
// precision scale+1 (0.05 is DECIMAL(3, 2)).
func parseDecimalLiteral(text string) (value.Value, *types.Type, error) {
	v, err := parseDecimalText(text)
	if err != nil {
		return value.Null, nil, err
	}
	scale := int(v.Scale())
	u := v.Unscaled()
	if scale < 0 {
		u.Mul(u, value.Pow10(-scale))
		scale = 0
		v = value.DecimalBig(u, 0)
	}
	abs := new(big.Int).Abs(u)
	prec := len(abs.String())
	if abs.Cmp(value.Pow10(scale)) < 0 {
		prec = scale + 1
	}
	t, err := types.DecimalOf(prec, scale)
	if err != nil {
		return value.Null, nil, err
	}
	return v, t, nil
}

// parseDecimalText parses [+-]digits[.digits][E[+-]exp] exactly, as Java's
// new BigDecimal(String) does, keeping the written scale.
func parseDecimalText(text string) (value.Value, error) {
	s := strings.TrimSpace(text)
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		var err error
		if _, err = fmt.Sscanf(s[i+1:], "%d", &exp); err != nil {
			return value.Null, fmt.Errorf("invalid decimal %q", text)
		}
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" {
		return value.Null, fmt.Errorf("invalid decimal %q", text)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return value.Null, fmt.Errorf("invalid decimal %q", text)
		}
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return value.Null, fmt.Errorf("invalid decimal %q", text)
	}
	if neg {
		u.Neg(u)
	}
	scale := len(frac) - exp
	if scale < 0 {
		// 2E+1 is 20: DECIMAL has no negative scale in Sluice (nor in SQL).
		u.Mul(u, value.Pow10(-scale))
		scale = 0
	}
	return value.DecimalBig(u, int32(scale)), nil
}

func (c *compiler) columnRef(n *ast.ColumnRef) (node, error) {
	if n.Qualifier == nil {
		for i := len(c.lambdas) - 1; i >= 0; i-- {
			if c.lambdas[i].name == n.Name.Name {
				slot := i
				return node{t: c.lambdas[i].t, fn: func(_ *value.Row, lam []value.Value) (value.Value, error) {
					return lam[slot], nil
				}}, nil
			}
		}
	}
	q := ""
	if n.Qualifier != nil {
		q = n.Qualifier.Name
	}
	col, err := c.scope.Resolve(q, n.Name.Name)
	if err != nil {
		kind := ErrUnknownColumn
		if !errors.Is(err, ErrUnknownColumn) {
			kind = ErrType
		}
		return node{}, &Error{Pos: n.Pos, Msg: err.Error(), Kind: kind, Err: err}
	}
	if col.Type == nil {
		return node{}, &Error{Pos: n.Pos, Msg: fmt.Sprintf("Column %s has no type", exprString(n)), Kind: ErrType}
	}
	return c.columnNode(col), nil
}

func (c *compiler) columnNode(col Column) node {
	c.addColumn(col)
	i := col.Index
	var fn evalFn
	switch col.Kind {
	case KeyColumn:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) {
			if i < len(r.Key) {
				return r.Key[i], nil
			}
			return value.Null, nil
		}
	case ValueColumn:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) {
			if i < len(r.Val) {
				return r.Val[i], nil
			}
			return value.Null, nil
		}
	case RowTime:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) { return value.Bigint(r.Time), nil }
	case RowPartition:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) { return value.Int(r.Partition), nil }
	case RowOffset:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) { return value.Bigint(r.Offset), nil }
	case WindowStart:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) {
			if r.Window == nil {
				return value.Null, nil
			}
			return value.Bigint(r.Window.Start), nil
		}
	case WindowEnd:
		fn = func(r *value.Row, _ []value.Value) (value.Value, error) {
			if r.Window == nil {
				return value.Null, nil
			}
			return value.Bigint(r.Window.End), nil
		}
	default:
		fn = func(*value.Row, []value.Value) (value.Value, error) {
			return value.Null, evalErr("unknown column kind %d", col.Kind)
		}
	}
	pt := col.Kind == RowTime || col.Kind == WindowStart || col.Kind == WindowEnd
	return node{t: col.Type, fn: fn, pseudoTime: pt}
}

// nullOnError makes a nested sub-expression yield NULL instead of failing
// the whole expression, reporting the error to Options.NestedErrors, as
// ksqlDB's evaluateOrReturnNull wrapper does.
func (c *compiler) nullOnError(n node) node {
	if c.opts.NestedErrorsFail || n.folded {
		return n
	}
	f, report := n.fn, c.opts.NestedErrors
	if n.constant {
		// A constant that fails (CAST('x' AS INT)) must fail per record,
		// as in ksqlDB, not once at compile time: it is kept out of
		// folding and reports its error on every evaluation.
		if _, err := f(&value.Row{}, nil); err != nil {
			return node{t: n.t, fn: func(*value.Row, []value.Value) (value.Value, error) {
				if report != nil {
					report(err)
				}
				return value.Null, nil
			}}
		}
		return n
	}
	n.fn = func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := f(row, lam)
		if err != nil {
			if report != nil {
				report(err)
			}
			return value.Null, nil
		}
		return v, nil
	}
	return n
}
