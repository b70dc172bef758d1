package scalar

import (
	"math"
	"math/big"
	"sync"
)

// ln2Big is ln 2 to 60 digits, more than the 128 bits lnCorrect works in.
var ln2Big, _ = new(big.Float).SetPrec(256).SetString("0.693147180559945309417232121458176568075500134360255254120680009")

// javaLog is Java's Math.log: the natural logarithm, correctly rounded.
// HotSpot's intrinsic rounds correctly where Go's math.Log (FreeBSD's
// algorithm, or the amd64 assembly) can be one unit in the last place
// off, as for ln 3, and ksqlDB's vectors print every digit.
//
// For x = m·2^e with m in [√½, √2) and c the nearest 1 + i/128,
// ln x = e·ln 2 + ln c + 2·atanh((m−c)/(m+c)). The fast path carries
// about 66 bits in pairs of doubles, with ln c from a table built once in
// 128 bits; when its result lies too near the midpoint between two
// doubles to round with certainty, the slow path redoes it in 128 bits.
func javaLog(x float64) float64 {
	switch {
	case math.IsNaN(x) || x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	case math.IsInf(x, 1):
		return x
	case x == 1:
		return 0
	}
	m, e := math.Frexp(x)
	if m < math.Sqrt2/2 {
		m *= 2
		e--
	}
	lnTableOnce.Do(buildLnTable)
	i := int(math.Round((m - 1) * lnTableStep))
	c := 1 + float64(i)/lnTableStep
	ent := lnTable[i-lnTableMin]
	// s = (m-c)/(m+c) as a pair: m-c is exact, m+c may not be.
	num := m - c
	dh, dl := twoSum(m, c)
	sh := num / dh
	sl := (math.FMA(-sh, dh, num) - sh*dl) / dh
	// |s| < 2^-8, so the series' tail after its first term,
	// 2s³(1/3 + s²/5 + ...), is under 2^-17 of the whole.
	z := sh * sh
	tail := 2 * sh * z * (1.0/3 + z*(1.0/5+z*(1.0/7+z/9)))
	const (
		ln2Hi = 6.93147180369123816490e-01 // 32 trailing zero bits: e·ln2Hi is exact
		ln2Lo = 1.90821492927058770002e-10
	)
	fe := float64(e)
	h, l := twoSum(fe*ln2Hi, ent.hi)
	h, l2 := twoSum(h, 2*sh)
	l += l2 + (ent.lo + 2*sl + tail + fe*ln2Lo)
	h, l = twoSum(h, l)
	// h is l away from the true value, give or take the error bound;
	// it is the right rounding unless the true value may lie across the
	// midpoint to h's neighbour.
	ulp := math.Abs(math.Nextafter(h, math.Inf(1)) - h)
	if lo := math.Abs(h - math.Nextafter(h, 0)); lo < ulp {
		ulp = lo // at a power of two the gap below is half the gap above
	}
	if math.Abs(math.Abs(l)-ulp/2) > math.Abs(h)*0x1p-62+0x1p-1070 {
		return h
	}
	return javaLogSlow(m, e)
}

const (
	lnTableStep = 128
	lnTableMin  = -38 // 1 - 38/128 < √½
	lnTableMax  = 53  // 1 + 53/128 > √2
)

// lnTable holds ln(1 + i/128) as an unevaluated sum of two doubles.
var (
	lnTableOnce sync.Once
	lnTable     [lnTableMax - lnTableMin + 1]struct{ hi, lo float64 }
)

func buildLnTable() {
	for i := lnTableMin; i <= lnTableMax; i++ {
		m, e := math.Frexp(1 + float64(i)/lnTableStep)
		if m < math.Sqrt2/2 {
			m *= 2
			e--
		}
		v := lnBig(m, e)
		hi, _ := v.Float64()
		lo, _ := v.Sub(v, new(big.Float).SetFloat64(hi)).Float64()
		lnTable[i-lnTableMin].hi, lnTable[i-lnTableMin].lo = hi, lo
	}
}

// twoSum returns a+b as the rounded sum and its exact error.
func twoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

// javaLogSlow is javaLog in 128-bit arithmetic for m in [√½, √2).
func javaLogSlow(m float64, e int) float64 {
	f, _ := lnBig(m, e).Float64()
	return f
}

// lnBig is ln(m·2^e) to 128 bits, for m in [√½, √2).
func lnBig(m float64, e int) *big.Float {
	const prec = 128
	bm := new(big.Float).SetPrec(prec).SetFloat64(m)
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	num := new(big.Float).SetPrec(prec).Sub(bm, one)
	den := new(big.Float).SetPrec(prec).Add(bm, one)
	s := new(big.Float).SetPrec(prec).Quo(num, den)
	s2 := new(big.Float).SetPrec(prec).Mul(s, s)
	sum := new(big.Float).SetPrec(prec).Set(s)
	term := new(big.Float).SetPrec(prec).Set(s)
	q := new(big.Float).SetPrec(prec)
	for n := int64(3); term.Sign() != 0; n += 2 {
		term.Mul(term, s2)
		q.Quo(term, new(big.Float).SetPrec(prec).SetInt64(n))
		if q.Sign() == 0 || q.MantExp(nil) < sum.MantExp(nil)-prec-4 {
			break
		}
		sum.Add(sum, q)
	}
	sum.Mul(sum, new(big.Float).SetPrec(prec).SetInt64(2))
	if e != 0 {
		k := new(big.Float).SetPrec(prec).SetInt64(int64(e))
		sum.Add(sum, k.Mul(k, ln2Big))
	}
	return sum
}
