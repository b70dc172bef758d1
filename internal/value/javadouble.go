package value

import (
	"math"
	"math/big"
	"math/bits"
	"sync"
)

// This file renders a DOUBLE exactly as Double.toString did up to JDK 18
// (the FloatingDecimal algorithm). ksqlDB's expected outputs come from
// that algorithm, in CAST(x AS STRING) and in JSON, since Jackson writes
// doubles with Double.toString. It is not the shortest round-tripping
// form that strconv (and JDK 19+) produce: it stops generating digits on
// a symmetric half-ULP test, prints every significant digit of integers
// above 2^53, can keep a trailing zero after rounding up ("0.0020"), and
// always makes two digits in E-form (4.9E-324). Every result still parses
// back to the same double.

// jdkDigits holds the decimal digits FloatingDecimal develops for one
// double: the value is 0.d1d2...dn × 10^exp. Digits sit in buf[first:first+n].
type jdkDigits struct {
	buf   [24]byte
	first int
	n     int
	exp   int
}

// pow5 holds 5^i for every i that fits in an int64; n5bits[i] is the
// bit length FloatingDecimal assumes for 5^i (ceil(log2 5^i)).
var (
	pow5   [27]int64
	n5bits [27]int
)

func init() {
	pow5[0] = 1
	for i := 1; i < len(pow5); i++ {
		pow5[i] = pow5[i-1] * 5
		n5bits[i] = bits.Len64(uint64(pow5[i]))
	}
}

// bits5 estimates the bit length of 5^i as FloatingDecimal does: from
// the table while it lasts, then 3 bits per factor.
func bits5(i int) int {
	if i < len(n5bits) {
		return n5bits[i]
	}
	return i * 3
}

// AppendDouble appends f as JDK 8-18's Double.toString renders it.
func AppendDouble(b []byte, f float64) []byte { return appendDouble(b, f, false) }

// appendDouble is AppendDouble; mathBig runs the arbitrary-precision
// cases on math/big rather than fixed-width words, for tests to compare.
func appendDouble(b []byte, f float64, mathBig bool) []byte {
	u := math.Float64bits(f)
	neg := u>>63 != 0
	fract := u & (1<<52 - 1)
	binExp := int(u>>52) & 0x7ff
	switch {
	case binExp == 0x7ff && fract != 0:
		return append(b, "NaN"...)
	case binExp == 0x7ff && neg:
		return append(b, "-Infinity"...)
	case binExp == 0x7ff:
		return append(b, "Infinity"...)
	}
	if neg {
		b = append(b, '-')
	}
	if binExp == 0 && fract == 0 {
		return append(b, "0.0"...)
	}
	// Exact integers below 2^53 are the common case in data (counts,
	// sums of whole numbers). FloatingDecimal prints their exact digits,
	// so they need no digit generation.
	abs := math.Abs(f)
	if abs < 1e7 && abs == math.Trunc(abs) {
		n := int64(abs)
		b = appendInt(b, n)
		return append(b, '.', '0')
	}
	var d jdkDigits
	nSignificant := 53
	if binExp == 0 {
		// Subnormal: normalise so the highest set bit is bit 52.
		lz := bits.LeadingZeros64(fract)
		shift := lz - 11
		fract <<= uint(shift)
		binExp = 1 - shift
		nSignificant = 64 - lz
	} else {
		fract |= 1 << 52
	}
	d.dtoa(binExp-1023, fract, nSignificant, mathBig)
	return d.appendTo(b)
}

func appendInt(b []byte, n int64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// developLong writes the digits of the integer v, first dropping (with
// rounding half up) the low `insignificant` decimal digits, which carry no
// information for integers above 2^53. Trailing zeros are not digits: they
// move the exponent instead.
func (d *jdkDigits) developLong(v uint64, insignificant int) {
	exp := 0
	if insignificant != 0 {
		p := uint64(pow5[insignificant]) << uint(insignificant)
		rem := v % p
		v /= p
		exp += insignificant
		if rem >= p>>1 {
			v++
		}
	}
	i := len(d.buf) - 1
	c := v % 10
	v /= 10
	for c == 0 {
		exp++
		c = v % 10
		v /= 10
	}
	for v != 0 {
		d.buf[i] = byte('0' + c)
		i--
		exp++
		c = v % 10
		v /= 10
	}
	d.buf[i] = byte('0' + c)
	d.first = i
	d.n = len(d.buf) - i
	d.exp = exp + 1
}

// estimateDecExp returns FloatingDecimal's estimate of floor(log10(v)):
// a tangent to log10 at 1.5 plus binExp·log10(2). The tangent lies above
// the curve, so the estimate is exact or one too high; the first digit
// then comes out 0 and the exponent is corrected. The explicit float64
// conversions stop the compiler fusing the multiply-adds, which would
// change the rounding Java performs.
func estimateDecExp(fract uint64, binExp int) int {
	d2 := math.Float64frombits(1023<<52 | fract&(1<<52-1))
	t := float64((d2 - 1.5) * 0.289529654)
	t = float64(t + 0.176091259)
	e := float64(float64(binExp) * 0.301029995663981)
	return int(math.Floor(t + e))
}

// dtoa develops the digits of fract × 2^(binExp-52), where fract has bit
// 52 set and nSignificant bits of precision (53 unless subnormal).
func (d *jdkDigits) dtoa(binExp int, fract uint64, nSignificant int, mathBig bool) {
	tailZeros := bits.TrailingZeros64(fract)
	nFractBits := 53 - tailZeros
	nTinyBits := max(0, nFractBits-binExp-1)
	if binExp <= 62 && binExp >= -21 && nTinyBits == 0 {
		// An integer: its digits are exact (or, above 2^53, exact up to
		// the digits the precision cannot carry).
		insignificant := 0
		if binExp > nSignificant {
			insignificant = decimalDigits(uint64(1)<<uint(binExp-nSignificant-1)) - 1
		}
		if binExp >= 52 {
			fract <<= uint(binExp - 52)
		} else {
			fract >>= uint(52 - binExp)
		}
		d.developLong(fract, insignificant)
		return
	}

	// v = B/S × 10^decExp with 1 <= B/S < 10, and M is half an ULP scaled
	// like B. Each is kept as powers of 2 and 5 until built.
	decExp := estimateDecExp(fract, binExp)
	b5 := max(0, -decExp)
	b2 := b5 + nTinyBits + binExp
	s5 := max(0, decExp)
	s2 := s5 + nTinyBits
	m5 := b5
	m2 := b2 - nSignificant

	fract >>= uint(tailZeros)
	b2 -= nFractBits - 1
	common := min(b2, s2)
	b2 -= common
	s2 -= common
	m2 -= common
	// Below a power of two the next double down is half as far away.
	// FloatingDecimal accounts for it by halving M on both sides, so its
	// stopping test stays symmetric.
	if nFractBits == 1 {
		m2--
	}
	if m2 < 0 {
		b2 -= m2
		s2 -= m2
		m2 = 0
	}

	bBits := nFractBits + b2 + bits5(b5)
	tenSBits := s2 + 1 + bits5(s5+1)
	var high, low bool
	var lowDiff int64
	switch {
	case bBits < 32 && tenSBits < 32:
		high, low, lowDiff, decExp = d.digits32(fract, b5, b2, s5, s2, m5, m2, decExp)
	case bBits < 64 && tenSBits < 64:
		high, low, lowDiff, decExp = d.digits64(fract, b5, b2, s5, s2, m5, m2, decExp)
	case natFits(bBits, tenSBits) && !mathBig:
		high, low, lowDiff, decExp = d.digitsNat(fract, b5, b2, s5, s2, m5, m2, decExp)
	default:
		high, low, lowDiff, decExp = d.digitsBig(fract, b5, b2, s5, s2, m5, m2, decExp)
	}
	d.exp = decExp + 1
	d.first = 0
	// The last digit rounds up when the remainder is past half way,
	// or exactly half way and the digit is odd.
	if high {
		if !low || lowDiff > 0 || (lowDiff == 0 && d.buf[d.n-1]&1 != 0) {
			d.roundUp()
		}
	}
}

// eForm reports whether the exponent puts the output in E-form, where
// FloatingDecimal wants at least two digits. Its bound is decExp >= 8,
// one more than the form's real bound; that is what it does.
func eForm(decExp int) bool { return decExp < -3 || decExp >= 8 }

// digits32 is the digit loop in 32-bit arithmetic, used when B and 10·S
// fit in 31 bits. The arithmetic wraps as Java's int does, and the
// overflow of M is treated as FloatingDecimal treats it.
func (d *jdkDigits) digits32(fract uint64, b5, b2, s5, s2, m5, m2, decExp int) (high, low bool, lowDiff int64, exp int) {
	b := (int32(fract) * int32(pow5[b5])) << uint(b2)
	return digitLoop(d, b, int32(pow5[s5])<<uint(s2), int32(pow5[m5])<<uint(m2), decExp)
}

// digits64 is digits32 in 64-bit arithmetic.
func (d *jdkDigits) digits64(fract uint64, b5, b2, s5, s2, m5, m2, decExp int) (high, low bool, lowDiff int64, exp int) {
	b := (int64(fract) * pow5[b5]) << uint(b2)
	return digitLoop(d, b, pow5[s5]<<uint(s2), pow5[m5]<<uint(m2), decExp)
}

// digitLoop generates digits from B/S with the error bound M, wrapping in
// T's width as Java's int or long arithmetic does.
func digitLoop[T int32 | int64](d *jdkDigits, b, s, m T, decExp int) (high, low bool, lowDiff int64, exp int) {
	tens := s * 10
	q := b / s
	b = 10 * (b % s)
	m *= 10
	low = b < m
	high = b+m > tens
	if q == 0 && !high {
		decExp--
	} else {
		d.buf[d.n] = byte('0' + q)
		d.n++
	}
	if eForm(decExp) {
		high, low = false, false
	}
	for !low && !high {
		q = b / s
		b = 10 * (b % s)
		m *= 10
		if m > 0 {
			low = b < m
			high = b+m > tens
		} else {
			low, high = true, true
		}
		d.buf[d.n] = byte('0' + q)
		d.n++
	}
	return high, low, int64((b << 1) - tens), decExp
}

// bigScratch holds the big integers of one digitsBig call, reused so the
// loop does not allocate once warm.
type bigScratch struct {
	b, s, m, tenS, t, p big.Int
}

var bigPool = sync.Pool{New: func() any { return new(bigScratch) }}

// bigPow5 caches 5^k for k up to 400, enough for every double: the loop
// needs at most 5^325 (for 4.9E-324).
var bigPow5 = sync.OnceValue(func() []*big.Int {
	out := make([]*big.Int, 401)
	out[0] = big.NewInt(1)
	five := big.NewInt(5)
	for i := 1; i < len(out); i++ {
		out[i] = new(big.Int).Mul(out[i-1], five)
	}
	return out
})

// setPow52 sets z = mult × 5^p5 × 2^p2.
func setPow52(z, tmp *big.Int, mult uint64, p5, p2 int) {
	tmp.SetUint64(mult)
	pows := bigPow5()
	if p5 < len(pows) {
		z.Mul(pows[p5], tmp)
	} else {
		z.Exp(big.NewInt(5), big.NewInt(int64(p5)), nil)
		z.Mul(z, tmp)
	}
	z.Lsh(z, uint(p2))
}

// mul10 sets x = 10x without the allocation an aliased Mul makes.
func mul10(x, tmp *big.Int) {
	tmp.Lsh(x, 1)
	x.Lsh(x, 3)
	x.Add(x, tmp)
}

// digitsBig is the digit loop in arbitrary precision. Unlike the fixed
// width loops, FloatingDecimal's test for rounding up here is B+M >= 10·S,
// not >, and it measures the final remainder only when both tests hold.
func (d *jdkDigits) digitsBig(fract uint64, b5, b2, s5, s2, m5, m2, decExp int) (high, low bool, lowDiff int64, exp int) {
	z := bigPool.Get().(*bigScratch)
	defer bigPool.Put(z)
	setPow52(&z.s, &z.t, 1, s5, s2)
	setPow52(&z.b, &z.t, fract, b5, b2)
	setPow52(&z.m, &z.t, 1, m5+1, m2+1) // 10·M
	setPow52(&z.tenS, &z.t, 1, s5+1, s2+1)
	// step takes the next digit, B/S, which is below 10, by subtraction,
	// and leaves B = 10·(B mod S).
	step := func() int {
		q := 0
		for z.b.Cmp(&z.s) >= 0 {
			z.b.Sub(&z.b, &z.s)
			q++
		}
		mul10(&z.b, &z.t)
		return q
	}
	test := func() (bool, bool) {
		z.p.Add(&z.b, &z.m)
		return z.p.Cmp(&z.tenS) >= 0, z.b.Cmp(&z.m) < 0
	}
	high, low, decExp = d.wideLoop(step, func() { mul10(&z.m, &z.t) }, test, decExp)
	if high && low {
		z.b.Lsh(&z.b, 1)
		lowDiff = int64(z.b.Cmp(&z.tenS))
	}
	return high, low, lowDiff, decExp
}

// wideLoop is the digit loop of digitsBig and digitsNat: step yields the
// next digit and scales B, mulM scales M, test reports (high, low). It
// returns them and the decimal exponent.
func (d *jdkDigits) wideLoop(step func() int, mulM func(), test func() (bool, bool), decExp int) (high, low bool, exp int) {
	q := step()
	high, low = test()
	if q == 0 && !high {
		decExp--
	} else {
		d.buf[d.n] = byte('0' + q)
		d.n++
	}
	if eForm(decExp) {
		high, low = false, false
	}
	for !low && !high {
		q = step()
		mulM()
		high, low = test()
		d.buf[d.n] = byte('0' + q)
		d.n++
	}
	return high, low, decExp
}

// roundUp adds one to the last digit. A carry turns trailing nines into
// zeros that stay digits (hence "0.0020"); a carry out of the first digit
// makes it 1 with a larger exponent.
func (d *jdkDigits) roundUp() {
	i := d.first + d.n - 1
	c := d.buf[i]
	if c == '9' {
		for c == '9' && i > d.first {
			d.buf[i] = '0'
			i--
			c = d.buf[i]
		}
		if c == '9' {
			d.exp++
			d.buf[d.first] = '1'
			return
		}
	}
	d.buf[i] = c + 1
}

// decimalDigits returns the number of decimal digits of v > 0.
func decimalDigits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// appendTo lays the digits out as Double.toString does: plain notation
// for 10^-3 <= |v| < 10^7, with at least one digit after the point, and
// E-form with a mantissa in [1, 10) otherwise.
func (d *jdkDigits) appendTo(b []byte) []byte {
	digits := d.buf[d.first : d.first+d.n]
	switch {
	case d.exp > 0 && d.exp < 8:
		whole := min(d.n, d.exp)
		b = append(b, digits[:whole]...)
		if whole < d.exp {
			for i := whole; i < d.exp; i++ {
				b = append(b, '0')
			}
			return append(b, '.', '0')
		}
		b = append(b, '.')
		if whole < d.n {
			return append(b, digits[whole:]...)
		}
		return append(b, '0')
	case d.exp <= 0 && d.exp > -3:
		b = append(b, '0', '.')
		for i := d.exp; i < 0; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	b = append(b, digits[0], '.')
	if d.n > 1 {
		b = append(b, digits[1:]...)
	} else {
		b = append(b, '0')
	}
	b = append(b, 'E')
	e := d.exp - 1
	if d.exp <= 0 {
		b = append(b, '-')
		e = -d.exp + 1
	}
	return appendInt(b, int64(e))
}
