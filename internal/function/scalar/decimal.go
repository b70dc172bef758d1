package scalar

import (
	"math/big"
	"strconv"

	"github.com/sluicedb/sluice/internal/value"
)

// roundMode is the subset of Java's RoundingMode ksqlDB's functions use.
type roundMode uint8

const (
	roundDown     roundMode = iota // toward zero
	roundCeiling                   // toward +inf
	roundFloor                     // toward -inf
	roundHalfUp                    // ties away from zero
	roundHalfDown                  // ties toward zero
)

// setScale returns v (a DECIMAL) rescaled to scale with the rounding mode,
// as BigDecimal.setScale does.
func setScale(v value.Value, scale int, mode roundMode) value.Value {
	cur := int(v.Scale())
	if scale == cur {
		return v
	}
	u := v.Unscaled()
	if scale > cur {
		u.Mul(u, value.Pow10(scale-cur))
		return value.DecimalBig(u, int32(scale))
	}
	div := value.Pow10(cur - scale)
	q, r := new(big.Int).QuoRem(u, div, new(big.Int))
	if r.Sign() != 0 {
		neg := u.Sign() < 0
		inc := false
		switch mode {
		case roundCeiling:
			inc = !neg
		case roundFloor:
			inc = neg
		case roundHalfUp, roundHalfDown:
			twice := new(big.Int).Abs(r)
			twice.Lsh(twice, 1)
			c := twice.Cmp(div)
			inc = c > 0 || (c == 0 && mode == roundHalfUp)
		}
		if inc {
			if neg {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
	}
	if scale < 0 {
		// value.Value keeps scales non-negative: multiply back out.
		q.Mul(q, value.Pow10(-scale))
		return value.DecimalBig(q, 0)
	}
	return value.DecimalBig(q, int32(scale))
}

// decimalOfFloat converts f as Java's BigDecimal.valueOf(double) does: via
// the shortest decimal string that round-trips.
func decimalOfFloat(f float64) (value.Value, bool) {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	return parseDecimal(s)
}

// parseDecimal parses a plain decimal string into a DECIMAL whose scale is
// the number of fractional digits.
func parseDecimal(s string) (value.Value, bool) {
	scale := 0
	digits := s
	if i := indexByte(s, '.'); i >= 0 {
		scale = len(s) - i - 1
		digits = s[:i] + s[i+1:]
	}
	u, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return value.Null, false
	}
	return value.DecimalBig(u, int32(scale)), true
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// decimalFloat returns a DECIMAL as float64.
func decimalFloat(v value.Value) float64 { return v.AsFloat64() }
