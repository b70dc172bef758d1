package expr

import (
	"math"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// numericRank orders the numeric kinds as SqlBaseType.canImplicitlyCast
// does: INT → BIGINT → DECIMAL → DOUBLE.
func numericRank(k types.Kind) int {
	switch k {
	case types.Int:
		return 1
	case types.Bigint:
		return 2
	case types.Decimal:
		return 3
	case types.Double:
		return 4
	}
	return 0
}

// arithType is Operator.resultType: the wider operand's type, or the
// SqlDecimal rule when the wider one is DECIMAL; STRING + STRING is STRING.
func arithType(op string, l, r *types.Type) (*types.Type, string) {
	if l.Kind == types.Null || r.Kind == types.Null {
		return nil, "Arithmetic on types " + typeString(l) + " and " + typeString(r) + " are not supported."
	}
	if op == "+" && l.Kind == types.String && r.Kind == types.String {
		return types.StringType, ""
	}
	if l.IsNumeric() && r.IsNumeric() {
		wide, other := r, l
		if numericRank(l.Kind) > numericRank(r.Kind) {
			wide, other = l, r
		}
		if wide.Kind != types.Decimal {
			return wide, ""
		}
		var t *types.Type
		var err error
		if wide == r {
			t, err = decimalArithType(op, decimalType(other), wide)
		} else {
			t, err = decimalArithType(op, wide, decimalType(other))
		}
		if err != nil {
			return nil, err.Error()
		}
		return t, ""
	}
	return nil, "Unsupported arithmetic types. " + l.Kind.String() + " " + r.Kind.String()
}

func (c *compiler) binary(n *ast.Binary) (node, error) {
	if n.Op == "||" {
		return c.concatOp(n)
	}
	ln, err := c.compile(n.L)
	if err != nil {
		return node{}, err
	}
	rn, err := c.compile(n.R)
	if err != nil {
		return node{}, err
	}
	rt, msg := arithType(n.Op, ln.t, rn.t)
	if msg != "" {
		return node{}, typeErr(n, "Error processing expression: %s. %s", exprString(n), msg)
	}
	op := arithOp(n.Op, ln.t, rn.t, rt)
	if op == nil {
		return node{}, typeErr(n, "Error processing expression: %s. Unknown operator %s", exprString(n), n.Op)
	}
	l, r := ln.fn, rn.fn
	onNull := nullOperand(n, rt)
	if rn.folded && !rn.val.IsNull() {
		// A constant right operand (x + 1, x * 2) is the common shape;
		// skipping its evaluation halves the calls.
		return node{t: rt, constant: ln.constant, fn: constRightArith(n.Op, rt, l, op, rn.val, onNull)}, nil
	}
	return node{t: rt, constant: ln.constant && rn.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := l(row, lam)
		if err != nil {
			return value.Null, err
		}
		b, err := r(row, lam)
		if err != nil {
			return value.Null, err
		}
		if a.IsNull() || b.IsNull() {
			return onNull(a, b)
		}
		return op(a, b)
	}}, nil
}

// nullOperand decides arithmetic with a NULL operand as ksqlDB's
// generated Java does: numbers are unboxed, so NULL fails the expression
// (a NullPointerException there; the engine logs it and uses NULL, and
// COALESCE(x + 1, 0) is NULL, not 0), while STRING + STRING is Java string
// concatenation, which spells NULL as "null". The error is built once per
// node so the failure path does not allocate.
func nullOperand(n ast.Expr, rt *types.Type) binOp {
	if rt.Kind == types.String {
		return func(a, b value.Value) (value.Value, error) {
			return value.String(javaStr(a) + javaStr(b)), nil
		}
	}
	err := &RuntimeError{Msg: "NULL operand in arithmetic: " + exprString(n)}
	return func(value.Value, value.Value) (value.Value, error) { return value.Null, err }
}

func javaStr(v value.Value) string {
	if v.IsNull() {
		return "null"
	}
	return v.Str()
}

type binOp func(a, b value.Value) (value.Value, error)

// arithOp picks the operation for the result type; operands of narrower
// kinds are widened on the fly, which for INT/BIGINT is free because
// value.Value stores both as int64.
func arithOp(op string, lt, rt, res *types.Type) binOp {
	switch res.Kind {
	case types.String:
		return func(a, b value.Value) (value.Value, error) { return value.String(a.Str() + b.Str()), nil }
	case types.Int:
		switch op {
		case "+":
			return func(a, b value.Value) (value.Value, error) { return value.Int(a.Int() + b.Int()), nil }
		case "-":
			return func(a, b value.Value) (value.Value, error) { return value.Int(a.Int() - b.Int()), nil }
		case "*":
			return func(a, b value.Value) (value.Value, error) { return value.Int(a.Int() * b.Int()), nil }
		case "/":
			return func(a, b value.Value) (value.Value, error) {
				if b.Int() == 0 {
					return value.Null, errDivByZero
				}
				return value.Int(a.Int() / b.Int()), nil
			}
		case "%":
			return func(a, b value.Value) (value.Value, error) {
				if b.Int() == 0 {
					return value.Null, errDivByZero
				}
				return value.Int(a.Int() % b.Int()), nil
			}
		}
	case types.Bigint:
		switch op {
		case "+":
			return func(a, b value.Value) (value.Value, error) { return value.Bigint(a.AsInt64() + b.AsInt64()), nil }
		case "-":
			return func(a, b value.Value) (value.Value, error) { return value.Bigint(a.AsInt64() - b.AsInt64()), nil }
		case "*":
			return func(a, b value.Value) (value.Value, error) { return value.Bigint(a.AsInt64() * b.AsInt64()), nil }
		case "/":
			return func(a, b value.Value) (value.Value, error) {
				if b.AsInt64() == 0 {
					return value.Null, errDivByZero
				}
				return value.Bigint(a.AsInt64() / b.AsInt64()), nil
			}
		case "%":
			return func(a, b value.Value) (value.Value, error) {
				if b.AsInt64() == 0 {
					return value.Null, errDivByZero
				}
				return value.Bigint(a.AsInt64() % b.AsInt64()), nil
			}
		}
	case types.Double:
		switch op {
		case "+":
			return func(a, b value.Value) (value.Value, error) { return value.Double(a.AsFloat64() + b.AsFloat64()), nil }
		case "-":
			return func(a, b value.Value) (value.Value, error) { return value.Double(a.AsFloat64() - b.AsFloat64()), nil }
		case "*":
			return func(a, b value.Value) (value.Value, error) { return value.Double(a.AsFloat64() * b.AsFloat64()), nil }
		case "/":
			return func(a, b value.Value) (value.Value, error) { return value.Double(a.AsFloat64() / b.AsFloat64()), nil }
		case "%":
			return func(a, b value.Value) (value.Value, error) {
				return value.Double(math.Mod(a.AsFloat64(), b.AsFloat64())), nil
			}
		}
	case types.Decimal:
		switch op {
		case "+":
			return func(a, b value.Value) (value.Value, error) { return decAdd(asDecimal(a), asDecimal(b), res, false) }
		case "-":
			return func(a, b value.Value) (value.Value, error) { return decAdd(asDecimal(a), asDecimal(b), res, true) }
		case "*":
			return func(a, b value.Value) (value.Value, error) { return decMul(asDecimal(a), asDecimal(b), res) }
		case "/":
			return func(a, b value.Value) (value.Value, error) { return decDiv(asDecimal(a), asDecimal(b), res) }
		case "%":
			return func(a, b value.Value) (value.Value, error) { return decMod(asDecimal(a), asDecimal(b), res) }
		}
	}
	return nil
}

func (c *compiler) unary(n *ast.Unary) (node, error) {
	x, err := c.compile(n.X)
	if err != nil {
		return node{}, err
	}
	if !x.t.IsNumeric() {
		return node{}, typeErr(n, "Error processing expression: %s. Unsupported arithmetic types. %s", exprString(n), x.t.Kind)
	}
	if n.Op == "+" {
		return x, nil
	}
	f := x.fn
	var neg func(value.Value) value.Value
	switch x.t.Kind {
	case types.Int:
		neg = func(v value.Value) value.Value { return value.Int(-v.Int()) }
	case types.Bigint:
		neg = func(v value.Value) value.Value { return value.Bigint(-v.Bigint()) }
	case types.Double:
		neg = func(v value.Value) value.Value { return value.Double(-v.Double()) }
	default:
		neg = decNeg
	}
	nullErr := &RuntimeError{Msg: "NULL operand in arithmetic: " + exprString(n)}
	return node{t: x.t, constant: x.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		v, err := f(row, lam)
		if err != nil {
			return value.Null, err
		}
		if v.IsNull() {
			return value.Null, nullErr
		}
		return neg(v), nil
	}}, nil
}

// concatOp compiles a || b. ksqlDB's parser turns || into CONCAT(a, b), so
// the registry's CONCAT is used when there is one; without a registry two
// strings (or two byte strings) are joined directly.
func (c *compiler) concatOp(n *ast.Binary) (node, error) {
	if c.opts.Functions != nil {
		return c.call(&ast.FuncCall{Pos: n.Pos, Name: ast.Ident{Pos: n.Pos, Name: "CONCAT", Raw: "CONCAT"}, Args: []ast.Expr{n.L, n.R}})
	}
	ln, err := c.compile(n.L)
	if err != nil {
		return node{}, err
	}
	rn, err := c.compile(n.R)
	if err != nil {
		return node{}, err
	}
	if !(ln.t.Kind == types.String || ln.t.Kind == types.Null) || !(rn.t.Kind == types.String || rn.t.Kind == types.Null) {
		return node{}, &Error{Pos: n.Pos, Kind: ErrFunction, Msg: "Function 'concat' does not accept parameters (" + typeString(ln.t) + ", " + typeString(rn.t) + ")."}
	}
	l, r := ln.fn, rn.fn
	return node{t: types.StringType, constant: ln.constant && rn.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := l(row, lam)
		if err != nil {
			return value.Null, err
		}
		b, err := r(row, lam)
		if err != nil {
			return value.Null, err
		}
		// CONCAT skips NULL arguments.
		return value.String(a.Str() + b.Str()), nil
	}}, nil
}

func constRightArith(opName string, rt *types.Type, l evalFn, op binOp, b value.Value, onNull binOp) evalFn {
	if rt.Kind == types.Int && b.Kind() == types.Int {
		c := b.Int()
		switch opName {
		case "+":
			return func(row *value.Row, lam []value.Value) (value.Value, error) {
				a, err := l(row, lam)
				if err != nil {
					return value.Null, err
				}
				if a.IsNull() {
					return onNull(a, b)
				}
				return value.Int(a.Int() + c), nil
			}
		case "-":
			return func(row *value.Row, lam []value.Value) (value.Value, error) {
				a, err := l(row, lam)
				if err != nil {
					return value.Null, err
				}
				if a.IsNull() {
					return onNull(a, b)
				}
				return value.Int(a.Int() - c), nil
			}
		}
	}
	if rt.Kind == types.Bigint && isInteger(b.Kind()) {
		c := b.AsInt64()
		switch opName {
		case "+":
			return func(row *value.Row, lam []value.Value) (value.Value, error) {
				a, err := l(row, lam)
				if err != nil {
					return value.Null, err
				}
				if a.IsNull() {
					return onNull(a, b)
				}
				return value.Bigint(a.AsInt64() + c), nil
			}
		case "-":
			return func(row *value.Row, lam []value.Value) (value.Value, error) {
				a, err := l(row, lam)
				if err != nil {
					return value.Null, err
				}
				if a.IsNull() {
					return onNull(a, b)
				}
				return value.Bigint(a.AsInt64() - c), nil
			}
		}
	}
	return func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := l(row, lam)
		if err != nil {
			return value.Null, err
		}
		if a.IsNull() {
			return onNull(a, b)
		}
		return op(a, b)
	}
}
