package format

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// parseDecimal reads a decimal literal ("-12.50", "1e3", "7") as Java's
// BigDecimal(String) does, returning the unscaled value and scale.
func parseDecimal(s string) (*big.Int, int, error) {
	orig := s
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil {
			return nil, 0, fmt.Errorf("invalid decimal %q", orig)
		}
		exp = e
		s = s[:i]
	}
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	digits := intPart + frac
	if digits == "" || (hasDot && intPart == "" && frac == "") {
		return nil, 0, fmt.Errorf("invalid decimal %q", orig)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return nil, 0, fmt.Errorf("invalid decimal %q", orig)
		}
	}
	u := new(big.Int)
	if len(digits) < 19 {
		n, _ := strconv.ParseInt(digits, 10, 64)
		u.SetInt64(n)
	} else {
		u.SetString(digits, 10)
	}
	if neg {
		u.Neg(u)
	}
	scale := len(frac) - exp
	if scale > types.MaxDecimalPrecision*2 || scale < -types.MaxDecimalPrecision*2 {
		return nil, 0, fmt.Errorf("invalid decimal %q: exponent out of range", orig)
	}
	return u, scale, nil
}

// fitDecimal rescales unscaled×10^-scale to t's scale. Like ksqlDB's
// DecimalUtil.ensureFit, it refuses values that would need rounding or
// that have more integer digits than t allows.
func fitDecimal(u *big.Int, scale int, t *types.Type) (value.Value, error) {
	if t.Kind != types.Decimal {
		return value.Null, fmt.Errorf("not a decimal column: %s", t)
	}
	r := new(big.Int).Set(u)
	switch {
	case scale < t.Scale:
		r.Mul(r, value.Pow10(t.Scale-scale))
	case scale > t.Scale:
		q, m := new(big.Int).QuoRem(r, value.Pow10(scale-t.Scale), new(big.Int))
		if m.Sign() != 0 {
			return value.Null, fitErr(u, scale, t)
		}
		r = q
	}
	if digitCount(r) > t.Precision {
		return value.Null, fitErr(u, scale, t)
	}
	return value.DecimalBig(r, int32(t.Scale)), nil
}

func fitErr(u *big.Int, scale int, t *types.Type) error {
	v := value.DecimalBig(u, int32(scale))
	prec := digitCount(u)
	if prec < scale {
		prec = scale
	}
	return fmt.Errorf("Cannot fit decimal '%s' into DECIMAL(%d, %d) without rounding. (Requires %d,%d)",
		v.DecimalString(), t.Precision, t.Scale, prec, scale)
}

func digitCount(u *big.Int) int {
	if u.IsInt64() {
		n := u.Int64()
		if n < 0 {
			n = -n
		}
		if n < 0 { // MinInt64
			return 19
		}
		d := 1
		for n >= 10 {
			n /= 10
			d++
		}
		return d
	}
	return len(new(big.Int).Abs(u).String())
}

// rescale returns v (any DECIMAL) at t's scale, or an error when it does not fit.
func rescale(v value.Value, t *types.Type) (value.Value, error) {
	if int(v.Scale()) == t.Scale {
		if u, ok := v.UnscaledInt64(); ok && digitCountInt(u) <= t.Precision {
			return v, nil
		}
	}
	return fitDecimal(v.Unscaled(), int(v.Scale()), t)
}

func digitCountInt(n int64) int {
	if n == math.MinInt64 {
		return 19
	}
	if n < 0 {
		n = -n
	}
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

// decimalFromFloat converts a double, by its shortest decimal rendering,
// to t's scale; it fails rather than round.
func decimalFromFloat(f float64, t *types.Type) (value.Value, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return value.Null, fmt.Errorf("cannot convert %v to DECIMAL", f)
	}
	u, sc, err := parseDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	if err != nil {
		return value.Null, err
	}
	return fitDecimal(u, sc, t)
}

// fastDecimal parses a plain decimal literal ("-12.5", no exponent) of up
// to 18 digits straight to t's scale without big.Int, which is the common
// case on hot paths. ok is false when the slow path must decide.
func fastDecimal(s []byte, t *types.Type) (value.Value, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, i = s[0] == '-', 1
	}
	var n int64
	digits, scale, dot, saw := 0, 0, false, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			saw = true
			if digits >= 18 {
				return value.Null, false
			}
			n = n*10 + int64(c-'0')
			if n != 0 {
				digits++
			}
			if dot {
				scale++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return value.Null, false
		}
	}
	if !saw {
		return value.Null, false
	}
	for scale < t.Scale {
		if digits >= 18 {
			return value.Null, false
		}
		n *= 10
		scale++
		if n != 0 {
			digits++
		}
	}
	for scale > t.Scale {
		if n%10 != 0 {
			return value.Null, false // needs rounding: the slow path reports it
		}
		n /= 10
		scale--
	}
	if digitCountInt(n) > t.Precision {
		return value.Null, false
	}
	if neg {
		n = -n
	}
	return value.DecimalInt64(n, int32(t.Scale)), true
}

// appendDecimal appends a DECIMAL's plain text (BigDecimal.toPlainString).
func appendDecimal(b []byte, v value.Value) []byte {
	n, ok := v.UnscaledInt64()
	sc := int(v.Scale())
	if !ok || sc < 0 || n == math.MinInt64 {
		return append(b, v.DecimalString()...)
	}
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var tmp [24]byte
	d := strconv.AppendInt(tmp[:0], n, 10)
	if sc == 0 {
		return append(b, d...)
	}
	if len(d) <= sc {
		b = append(b, '0', '.')
		for i := len(d); i < sc; i++ {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[:len(d)-sc]...)
	b = append(b, '.')
	return append(b, d[len(d)-sc:]...)
}
