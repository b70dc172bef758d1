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
