package expr

import (
	"bytes"
	"cmp"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// The distinctness operators share the comparison machinery; these are
// their spellings as ComparisonExpression.Type.getValue renders them.
const (
	opDistinct    = "IS DISTINCT FROM"
	opNotDistinct = "IS NOT DISTINCT FROM"
)

// opNames are ComparisonExpression.Type's enum names, which ksqlDB's
// "Cannot compare" message prints.
var opNames = map[string]string{
	"=":           "EQUAL",
	"<>":          "NOT_EQUAL",
	"!=":          "NOT_EQUAL",
	"<":           "LESS_THAN",
	"<=":          "LESS_THAN_OR_EQUAL",
	">":           "GREATER_THAN",
	">=":          "GREATER_THAN_OR_EQUAL",
	opDistinct:    "IS_DISTINCT_FROM",
	opNotDistinct: "IS_NOT_DISTINCT_FROM",
}

func isEqualityOp(op string) bool {
	switch op {
	case "=", "<>", "!=", opDistinct, opNotDistinct:
		return true
	}
	return false
}

func isTemporal(k types.Kind) bool {
	return k == types.Date || k == types.Time || k == types.Timestamp
}

// canCompare is ComparisonUtil.isValidComparison: the left operand's kind
// picks the rule.
func canCompare(l *types.Type, op string, r *types.Type) bool {
	switch {
	case l.IsNumeric():
		return r.IsNumeric()
	case l.Kind == types.String:
		return r.Kind == types.String || isTemporal(r.Kind)
	case l.Kind == types.Boolean:
		return r.Kind == types.Boolean && isEqualityOp(op)
	case l.Kind == types.Array, l.Kind == types.Map, l.Kind == types.Struct:
		return r.Kind == l.Kind && isEqualityOp(op)
	case l.Kind == types.Time:
		return r.Kind == types.Time || r.Kind == types.String
	case l.Kind == types.Date, l.Kind == types.Timestamp:
		return r.Kind == types.Date || r.Kind == types.Timestamp || r.Kind == types.String
	case l.Kind == types.Bytes:
		return r.Kind == types.Bytes
	}
	return false
}

// cmpFn orders two non-NULL operands.
type cmpFn func(a, b value.Value) (int, error)

// comparer builds the ordering for two operand types that passed
// comparable. A folded STRING constant compared with a temporal operand is
// parsed once here, as ksqlDB's SqlTimeTypes would parse it per record.
func comparer(l, r node) cmpFn {
	lt, rt := l.t, r.t
	switch {
	case isInteger(lt.Kind) && isInteger(rt.Kind):
		return func(a, b value.Value) (int, error) { return cmp.Compare(a.AsInt64(), b.AsInt64()), nil }
	case lt.Kind == types.Double && rt.Kind == types.Double:
		return func(a, b value.Value) (int, error) { return compareDouble(a.Double(), b.Double()), nil }
	case lt.IsNumeric() && rt.IsNumeric() && lt.Kind != types.Double && rt.Kind != types.Double:
		// DECIMAL against DECIMAL or an integer: compare unscaled values
		// at a common scale when they fit in int64, which covers nearly
		// every real value without allocating.
		return func(a, b value.Value) (int, error) {
			if c, ok := compareDecimal64(asDecimal(a), asDecimal(b)); ok {
				return c, nil
			}
			return value.Compare(a, b), nil
		}
	case lt.IsNumeric() && rt.IsNumeric():
		return func(a, b value.Value) (int, error) { return value.Compare(a, b), nil }
	case isTemporal(lt.Kind) || isTemporal(rt.Kind):
		target := types.Date
		switch {
		case lt.Kind == types.Time || rt.Kind == types.Time:
			target = types.Time
		case lt.Kind == types.Timestamp || rt.Kind == types.Timestamp:
			target = types.Timestamp
		}
		la, ra := temporalOperand(l, target), temporalOperand(r, target)
		return func(a, b value.Value) (int, error) {
			x, err := la(a)
			if err != nil {
				return 0, err
			}
			y, err := ra(b)
			if err != nil {
				return 0, err
			}
			return cmp.Compare(x, y), nil
		}
	case lt.Kind == types.String:
		return func(a, b value.Value) (int, error) { return strings.Compare(a.Str(), b.Str()), nil }
	case lt.Kind == types.Boolean:
		return func(a, b value.Value) (int, error) { return cmp.Compare(a.AsInt64(), b.AsInt64()), nil }
	case lt.Kind == types.Bytes:
		return func(a, b value.Value) (int, error) { return bytes.Compare(a.BytesVal(), b.BytesVal()), nil }
	}
	// ARRAY, MAP, STRUCT: equality only, element-wise with NULL elements
	// equal to each other, as Java's List/Map/Struct equals.
	return func(a, b value.Value) (int, error) {
		if value.Equal(a, b) {
			return 0, nil
		}
		return 1, nil
	}
}

func isInteger(k types.Kind) bool { return k == types.Int || k == types.Bigint }

// compareDouble orders as Java's Double.compare: NaN above everything and
// equal to itself, which is how ksqlDB's boxed comparisons behave.
func compareDouble(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	case x != x && y != y:
		return 0
	case x != x:
		return 1
	}
	return -1
}

// temporalOperand converts one side of a temporal comparison to the
// target's scale: days for DATE, ms of day for TIME, epoch ms for TIMESTAMP.
func temporalOperand(n node, target types.Kind) func(value.Value) (int64, error) {
	switch n.t.Kind {
	case types.String:
		if n.folded && !n.val.IsNull() {
			v, err := castString(n.val.Str(), types.Primitive(target))
			return func(value.Value) (int64, error) {
				if err != nil {
					return 0, &RuntimeError{Msg: err.Error(), Err: err}
				}
				return v.AsInt64(), nil
			}
		}
		return func(a value.Value) (int64, error) {
			v, err := castString(a.Str(), types.Primitive(target))
			if err != nil {
				return 0, &RuntimeError{Msg: err.Error(), Err: err}
			}
			return v.AsInt64(), nil
		}
	case types.Date:
		if target == types.Timestamp {
			return func(a value.Value) (int64, error) { return a.Days() * msPerDay, nil }
		}
	}
	return func(a value.Value) (int64, error) { return a.AsInt64(), nil }
}

// predicate decides a comparison from the ordering.
func predicate(op string) func(c int) bool {
	switch op {
	case "=", opNotDistinct:
		return func(c int) bool { return c == 0 }
	case "<>", "!=", opDistinct:
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	case ">=":
		return func(c int) bool { return c >= 0 }
	}
	return nil
}

// checkComparison applies ksqlDB's type rules to l op r.
func (c *compiler) checkComparison(at ast.Node, op string, le, re ast.Expr, l, r node) error {
	if l.t.Kind == types.Null || r.t.Kind == types.Null {
		ln, rn := "NULL", "NULL"
		if l.t.Kind != types.Null {
			ln = l.t.Kind.String()
		}
		if r.t.Kind != types.Null {
			rn = r.t.Kind.String()
		}
		return typeErr(at, "Comparison with NULL not supported: %s %s %s\nUse 'IS NULL' or 'IS NOT NULL' instead.", ln, op, rn)
	}
	if predicate(op) == nil {
		return typeErr(at, "Unexpected comparison operator %s", op)
	}
	if !canCompare(l.t, op, r.t) {
		return typeErr(at, "Cannot compare %s (%s) to %s (%s) with %s.",
			c.exprString(le), typeString(l.t), c.exprString(re), typeString(r.t), opNames[op])
	}
	return nil
}

// boolPred is a compiled comparison over evaluated operands: ksqlDB's
// semantics, where a NULL operand makes the comparison FALSE and the
// distinctness operators treat NULLs as equal to each other.
func boolPred(op string, l, r node) func(a, b value.Value) (bool, error) {
	ord := comparer(l, r)
	pred := predicate(op)
	distinct := op == opDistinct || op == opNotDistinct
	return func(a, b value.Value) (bool, error) {
		if a.IsNull() || b.IsNull() {
			if distinct {
				bothNull := a.IsNull() && b.IsNull()
				return (op == opNotDistinct) == bothNull, nil
			}
			return false, nil
		}
		c, err := ord(a, b)
		if err != nil {
			return false, err
		}
		return pred(c), nil
	}
}

// magicTime is ksqlDB's StatementRewriteForMagicPseudoTimestamp: a STRING
// literal compared with ROWTIME, WINDOWSTART or WINDOWEND is read as a
// timestamp and compared as epoch milliseconds.
func magicTime(col, other node, otherExpr ast.Expr) (node, error) {
	if !col.pseudoTime || !other.folded || other.t.Kind != types.String || other.val.IsNull() {
		return other, nil
	}
	ms, err := parseTimestamp(strings.TrimSpace(other.val.Str()))
	if err != nil {
		return node{}, typeErr(otherExpr, "%s", err.Error())
	}
	return constNode(types.BigintType, value.Bigint(ms)), nil
}

func (c *compiler) comparison(at ast.Node, op string, le, re ast.Expr) (node, error) {
	l, err := c.compile(le)
	if err != nil {
		return node{}, err
	}
	r, err := c.compile(re)
	if err != nil {
		return node{}, err
	}
	if r, err = magicTime(l, r, re); err != nil {
		return node{}, err
	}
	if l, err = magicTime(r, l, le); err != nil {
		return node{}, err
	}
	if err := c.checkComparison(at, op, le, re, l, r); err != nil {
		return node{}, err
	}
	lf, rf := l.fn, r.fn
	// The common case, integers against integers, gets a closure of its
	// own: it is the hot path of most filters.
	if isInteger(l.t.Kind) && isInteger(r.t.Kind) && (op == "=" || op == "<>" || op == "<" || op == "<=" || op == ">" || op == ">=") {
		if r.folded && !r.val.IsNull() {
			return node{t: types.BooleanType, constant: l.constant, fn: intComparisonConst(op, lf, r.val.AsInt64())}, nil
		}
		return node{t: types.BooleanType, constant: l.constant && r.constant, fn: intComparison(op, lf, rf)}, nil
	}
	p := boolPred(op, l, r)
	return node{t: types.BooleanType, constant: l.constant && r.constant, fn: func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := lf(row, lam)
		if err != nil {
			return value.Null, err
		}
		b, err := rf(row, lam)
		if err != nil {
			return value.Null, err
		}
		ok, err := p(a, b)
		if err != nil {
			return value.Null, err
		}
		return value.Bool(ok), nil
	}}, nil
}

func intComparison(op string, lf, rf evalFn) evalFn {
	var test func(x, y int64) bool
	switch op {
	case "=":
		test = func(x, y int64) bool { return x == y }
	case "<>":
		test = func(x, y int64) bool { return x != y }
	case "<":
		test = func(x, y int64) bool { return x < y }
	case "<=":
		test = func(x, y int64) bool { return x <= y }
	case ">":
		test = func(x, y int64) bool { return x > y }
	default:
		test = func(x, y int64) bool { return x >= y }
	}
	return func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := lf(row, lam)
		if err != nil {
			return value.Null, err
		}
		b, err := rf(row, lam)
		if err != nil {
			return value.Null, err
		}
		if a.IsNull() || b.IsNull() {
			return value.Bool(false), nil
		}
		return value.Bool(test(a.AsInt64(), b.AsInt64())), nil
	}
}

// intComparisonConst is intComparison against a constant, with the
// operator resolved at compile time: the shape of most filters.
func intComparisonConst(op string, lf evalFn, y int64) evalFn {
	var test func(x int64) bool
	switch op {
	case "=":
		test = func(x int64) bool { return x == y }
	case "<>":
		test = func(x int64) bool { return x != y }
	case "<":
		test = func(x int64) bool { return x < y }
	case "<=":
		test = func(x int64) bool { return x <= y }
	case ">":
		return func(row *value.Row, lam []value.Value) (value.Value, error) {
			a, err := lf(row, lam)
			if err != nil {
				return value.Null, err
			}
			return value.Bool(!a.IsNull() && a.AsInt64() > y), nil
		}
	default:
		test = func(x int64) bool { return x >= y }
	}
	return func(row *value.Row, lam []value.Value) (value.Value, error) {
		a, err := lf(row, lam)
		if err != nil {
			return value.Null, err
		}
		return value.Bool(!a.IsNull() && test(a.AsInt64())), nil
	}
}

func compareDecimal64(a, b value.Value) (int, bool) {
	ua, ok1 := a.UnscaledInt64()
	ub, ok2 := b.UnscaledInt64()
	if !ok1 || !ok2 {
		return 0, false
	}
	s := max(a.Scale(), b.Scale())
	x, ok1 := rescaleInt64(ua, s-a.Scale())
	y, ok2 := rescaleInt64(ub, s-b.Scale())
	if !ok1 || !ok2 {
		return 0, false
	}
	return cmp.Compare(x, y), true
}
