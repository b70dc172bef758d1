package expr

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// DECIMAL arithmetic as ksqlDB performs it: operands are exact, the result
// type comes from SqlDecimal's rules, and the operation runs with a
// MathContext of the result precision and RoundingMode.UNNECESSARY followed
// by setScale(scale). So a result that would need rounding (1.0 / 3.0) is a
// run-time error, which the engine turns into NULL, never a rounded value.

var pow10i64 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// asDecimal widens an INT, BIGINT or DECIMAL value to a DECIMAL value.
func asDecimal(v value.Value) value.Value {
	switch v.Kind() {
	case types.Int, types.Bigint:
		return value.DecimalInt64(v.AsInt64(), 0)
	}
	return v
}

func mulOK(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) || c/b != a {
		return 0, false
	}
	return c, true
}

func addOK(a, b int64) (int64, bool) {
	c := a + b
	return c, (a^c)&(b^c) >= 0
}

// rescaleInt64 multiplies u by 10^by when the product fits in an int64.
func rescaleInt64(u int64, by int32) (int64, bool) {
	if by == 0 {
		return u, true
	}
	if by < 0 || int(by) >= len(pow10i64) {
		return 0, false
	}
	return mulOK(u, pow10i64[by])
}

func bigUnscaledAt(v value.Value, scale int32) *big.Int {
	u := v.Unscaled()
	if d := scale - v.Scale(); d > 0 {
		u.Mul(u, value.Pow10(int(d)))
	}
	return u
}

// digits returns the number of decimal digits of |u| (1 for zero).
func digits(u *big.Int) int {
	if u.IsInt64() {
		return digits64(u.Int64())
	}
	return len(new(big.Int).Abs(u).String())
}

func digits64(u int64) int {
	a := u
	if a < 0 {
		if a == math.MinInt64 {
			return 19
		}
		a = -a
	}
	n := 1
	for n < len(pow10i64) && a >= pow10i64[n] {
		n++
	}
	return n
}

var errRounding error = &RuntimeError{Msg: "Rounding necessary"}

func decResult(u *big.Int, rt *types.Type) (value.Value, error) {
	if digits(u) > rt.Precision {
		return value.Null, errRounding
	}
	return value.DecimalBig(u, int32(rt.Scale)), nil
}

func decResult64(u int64, rt *types.Type) (value.Value, error) {
	if digits64(u) > rt.Precision {
		return value.Null, errRounding
	}
	return value.DecimalInt64(u, int32(rt.Scale)), nil
}

func decAdd(a, b value.Value, rt *types.Type, neg bool) (value.Value, error) {
	s := int32(rt.Scale)
	if ua, ok := a.UnscaledInt64(); ok {
		if ub, ok := b.UnscaledInt64(); ok {
			x, ok1 := rescaleInt64(ua, s-a.Scale())
			y, ok2 := rescaleInt64(ub, s-b.Scale())
			if ok1 && ok2 && y != math.MinInt64 {
				if neg {
					y = -y
				}
				if r, ok := addOK(x, y); ok {
					return decResult64(r, rt)
				}
			}
		}
	}
	x, y := bigUnscaledAt(a, s), bigUnscaledAt(b, s)
	if neg {
		x.Sub(x, y)
	} else {
		x.Add(x, y)
	}
	return decResult(x, rt)
}

func decMul(a, b value.Value, rt *types.Type) (value.Value, error) {
	if ua, ok := a.UnscaledInt64(); ok {
		if ub, ok := b.UnscaledInt64(); ok {
			if r, ok := mulOK(ua, ub); ok && int(a.Scale()+b.Scale()) == rt.Scale {
				return decResult64(r, rt)
			}
		}
	}
	x := a.Unscaled()
	x.Mul(x, b.Unscaled())
	if d := rt.Scale - int(a.Scale()+b.Scale()); d > 0 {
		x.Mul(x, value.Pow10(d))
	}
	return decResult(x, rt)
}

func decIsZero(v value.Value) bool {
	if u, ok := v.UnscaledInt64(); ok {
		return u == 0
	}
	return v.Unscaled().Sign() == 0
}

func decDiv(a, b value.Value, rt *types.Type) (value.Value, error) {
	if decIsZero(b) {
		if decIsZero(a) {
			return value.Null, evalErr("Division undefined")
		}
		return value.Null, evalErr("Division by zero")
	}
	// q = a/b scaled to rt.Scale: ua * 10^(rs - sa + sb) / ub, exact.
	num := a.Unscaled()
	den := b.Unscaled()
	k := rt.Scale - int(a.Scale()) + int(b.Scale())
	if k >= 0 {
		num.Mul(num, value.Pow10(k))
	} else {
		den.Mul(den, value.Pow10(-k))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Sign() != 0 {
		return value.Null, errRounding
	}
	return decResult(q, rt)
}

func decMod(a, b value.Value, rt *types.Type) (value.Value, error) {
	if decIsZero(b) {
		if decIsZero(a) {
			return value.Null, evalErr("Division undefined")
		}
		return value.Null, evalErr("Division by zero")
	}
	s := int32(rt.Scale)
	x, y := bigUnscaledAt(a, s), bigUnscaledAt(b, s)
	x.Rem(x, y)
	return decResult(x, rt)
}

func decNeg(v value.Value) value.Value {
	if u, ok := v.UnscaledInt64(); ok && u != math.MinInt64 {
		return value.DecimalInt64(-u, v.Scale())
	}
	u := v.Unscaled()
	return value.DecimalBig(u.Neg(u), v.Scale())
}

// decimalType widens an integer or decimal type to the DECIMAL that holds
// it exactly, as DecimalUtil.toSqlDecimal does.
func decimalType(t *types.Type) *types.Type {
	if t.Kind == types.Decimal {
		return t
	}
	return types.DecimalForInteger(t.Kind)
}

// decimalArithType applies SqlDecimal's result rules.
func decimalArithType(op string, l, r *types.Type) (*types.Type, error) {
	p1, s1, p2, s2 := l.Precision, l.Scale, r.Precision, r.Scale
	var p, s int
	switch op {
	case "+", "-":
		s = max(s1, s2)
		p = s + max(p1-s1, p2-s2) + 1
	case "*":
		p, s = p1+p2+1, s1+s2
	case "/":
		s = max(6, s1+p2+1)
		p = p1 - s1 + s2 + s
	case "%":
		s = max(s1, s2)
		p = min(p1-s1, p2-s2) + s
	}
	return types.DecimalOf(p, s)
}

// castToDecimal converts a number to DECIMAL(p, s) as DecimalUtil.cast
// does: HALF_UP rounding to the scale, and an overflow error when the
// integer part needs more than p-s digits.
func castToDecimal(v value.Value, to *types.Type) (value.Value, error) {
	var r *big.Rat
	switch v.Kind() {
	case types.Int, types.Bigint:
		if ok, res, err := castInt64ToDecimal(v.AsInt64(), to); ok {
			return res, err
		}
		r = new(big.Rat).SetInt64(v.AsInt64())
	case types.Double:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return value.Null, evalErr("Character %s is neither a decimal digit number, decimal point, nor \"e\" notation exponential mark.", value.FormatDouble(f))
		}
		// new BigDecimal(double, MathContext(p)) rounds the exact binary
		// value to p significant digits (HALF_UP) before setScale rounds
		// again, so 2.675 (really 2.67499999...) becomes 2.68 at scale 2.
		r = new(big.Rat)
		r.SetFloat64(f)
		r = roundSignificant(r, to.Precision)
	case types.Decimal:
		if int(v.Scale()) == to.Scale {
			if _, err := decResult(v.Unscaled(), to); err != nil {
				return value.Null, overflowErr(v, to)
			}
			return v, nil
		}
		r = v.Rat()
	case types.String:
		d, err := parseDecimalText(v.Str())
		if err != nil {
			return value.Null, evalErr("Character array is missing \"exponent\" mark 'e' or 'E'.")
		}
		r = d.Rat()
	default:
		return value.Null, evalErr("Cannot cast %s to %s", v.Kind(), typeString(to))
	}
	u := roundHalfUp(r, to.Scale)
	// The integer part must stay below 10^(p-s), i.e. the unscaled value
	// below 10^p.
	lim := value.Pow10(to.Precision)
	if new(big.Int).Abs(u).Cmp(lim) >= 0 {
		return value.Null, overflowErr(v, to)
	}
	return value.DecimalBig(u, int32(to.Scale)), nil
}

func castInt64ToDecimal(i int64, to *types.Type) (bool, value.Value, error) {
	if to.Precision-to.Scale < 19 && digits64(i) > to.Precision-to.Scale && i != 0 {
		return true, value.Null, overflowErr(value.Bigint(i), to)
	}
	u, ok := rescaleInt64(i, int32(to.Scale))
	if !ok {
		return false, value.Null, nil
	}
	return true, value.DecimalInt64(u, int32(to.Scale)), nil
}

func overflowErr(v value.Value, to *types.Type) error {
	return evalErr("Numeric field overflow: A field with precision %d and scale %d must round to an absolute value less than 10^%d. Got %s",
		to.Precision, to.Scale, to.Precision-to.Scale, plainString(v))
}

func plainString(v value.Value) string {
	if v.Kind() == types.Double {
		return value.FormatDouble(v.Double())
	}
	return v.String()
}

// roundSignificant rounds r to p significant digits, half away from zero.
func roundSignificant(r *big.Rat, p int) *big.Rat {
	if r.Sign() == 0 {
		return r
	}
	abs := new(big.Rat).Abs(r)
	f, _ := abs.Float64()
	e := int(math.Floor(math.Log10(f)))
	// Correct the float estimate so that 10^e <= |r| < 10^(e+1).
	for abs.Cmp(ratPow10(e)) < 0 {
		e--
	}
	for abs.Cmp(ratPow10(e+1)) >= 0 {
		e++
	}
	scale := p - 1 - e
	u := roundHalfUp(r, scale)
	return new(big.Rat).Mul(new(big.Rat).SetInt(u), ratPow10(-scale))
}

func ratPow10(e int) *big.Rat {
	if e >= 0 {
		return new(big.Rat).SetInt(value.Pow10(e))
	}
	return new(big.Rat).SetFrac(big.NewInt(1), value.Pow10(-e))
}

// roundHalfUp returns r × 10^scale rounded half away from zero; scale may
// be negative.
func roundHalfUp(r *big.Rat, scale int) *big.Int {
	n := new(big.Int).Set(r.Num())
	d := new(big.Int).Set(r.Denom())
	if scale >= 0 {
		n.Mul(n, value.Pow10(scale))
	} else {
		d.Mul(d, value.Pow10(-scale))
	}
	q, rem := new(big.Int).QuoRem(n, d, new(big.Int))
	// |rem|*2 >= d rounds away from zero.
	rem.Abs(rem)
	rem.Lsh(rem, 1)
	if rem.Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// decimalToInt64 truncates a DECIMAL toward zero, as BigDecimal.longValue
// does (keeping the low 64 bits on overflow).
func decimalToInt64(v value.Value) int64 {
	if u, ok := v.UnscaledInt64(); ok {
		s := v.Scale()
		if s <= 0 {
			x, _ := rescaleInt64(u, -s)
			return x
		}
		if int(s) < len(pow10i64) {
			return u / pow10i64[s]
		}
		return 0
	}
	u := v.Unscaled()
	if s := int(v.Scale()); s > 0 {
		u.Quo(u, value.Pow10(s))
	} else if s < 0 {
		u.Mul(u, value.Pow10(-s))
	}
	lo := u.Bits()
	var w uint64
	if len(lo) > 0 {
		w = uint64(lo[0])
		if bits.UintSize == 32 && len(lo) > 1 {
			w |= uint64(lo[1]) << 32
		}
	}
	if u.Sign() < 0 {
		return -int64(w)
	}
	return int64(w)
}
