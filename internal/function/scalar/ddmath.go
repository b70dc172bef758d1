package scalar

import "math"

// Java's Math.sin, cos and asin round to the nearest double where Go's
// (Cephes-derived) can be a unit in the last place off, and ksqlDB's
// vectors print every digit, GEO_DISTANCE's among them. The functions
// below evaluate in double-double arithmetic (about 104 bits) and round
// once, for the arguments where that is cheap; elsewhere they fall back
// to Go's.

// dd is an unevaluated sum hi+lo with |lo| ≤ ulp(hi)/2.
type dd struct{ hi, lo float64 }

func ddFrom(x float64) dd { return dd{x, 0} }

func (a dd) add(b dd) dd {
	s, e := twoSum(a.hi, b.hi)
	e += a.lo + b.lo
	hi := s + e
	return dd{hi, e - (hi - s)}
}

func (a dd) mul(b dd) dd {
	p := a.hi * b.hi
	e := math.FMA(a.hi, b.hi, -p)
	e += a.hi*b.lo + a.lo*b.hi
	hi := p + e
	return dd{hi, e - (hi - p)}
}

func (a dd) neg() dd { return dd{-a.hi, -a.lo} }

// divF divides by a double.
func (a dd) divF(b float64) dd {
	q := a.hi / b
	r := math.FMA(-q, b, a.hi) + a.lo
	q2 := r / b
	hi := q + q2
	return dd{hi, q2 - (hi - q)}
}

func (a dd) div(b dd) dd {
	q := a.hi / b.hi
	r := a.add(b.mul(ddFrom(q)).neg())
	q2 := r.hi / b.hi
	r = r.add(b.mul(ddFrom(q2)).neg())
	q3 := r.hi / b.hi
	return ddFrom(q).add(ddFrom(q2)).add(ddFrom(q3))
}

// sqrt is one Newton step from the double square root.
func (a dd) sqrt() dd {
	if a.hi <= 0 {
		return dd{}
	}
	x := math.Sqrt(a.hi)
	x2 := ddFrom(x).mul(ddFrom(x))
	return ddFrom(x).add(a.add(x2.neg()).divF(2 * x))
}

// ddPiHalf is π/2 as a double-double.
var ddPiHalf = dd{1.5707963267948966, 6.123233995736766e-17}

// ddTaylorLimit bounds the arguments the series serve: up to it the terms
// shrink fast and cancellation costs a few of the 104 bits.
const ddTaylorLimit = 4.0

// ddSinCos returns sin x and cos x by their Taylor series, |x| ≤ 4.
func ddSinCos(x float64) (dd, dd) {
	xx := ddFrom(x)
	x2 := xx.mul(xx)
	sin, cos := xx, ddFrom(1)
	st, ct := xx, ddFrom(1)
	for k := 1; k < 40; k++ {
		st = st.mul(x2).divF(-float64((2 * k) * (2*k + 1)))
		ct = ct.mul(x2).divF(-float64((2*k - 1) * (2 * k)))
		sin, cos = sin.add(st), cos.add(ct)
		if math.Abs(st.hi) < 0x1p-110*math.Abs(sin.hi) && math.Abs(ct.hi) < 0x1p-110 {
			break
		}
	}
	return sin, cos
}

// javaSin is Math.sin.
func javaSin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.Abs(x) > ddTaylorLimit {
		return math.Sin(x)
	}
	s, _ := ddSinCos(x)
	return s.hi + s.lo
}

// javaCos is Math.cos.
func javaCos(x float64) float64 {
	if math.IsNaN(x) || math.Abs(x) > ddTaylorLimit {
		return math.Cos(x)
	}
	_, c := ddSinCos(x)
	return c.hi + c.lo
}

// ddAsin is asin y for 0 ≤ y ≤ 1/2: a Newton step on sin from Go's
// estimate, which squares its relative error past 2^-100.
func ddAsin(y dd) dd {
	t := math.Asin(y.hi)
	s, c := ddSinCos(t)
	return ddFrom(t).add(y.add(s.neg()).div(c))
}

// javaAsin is Math.asin.
func javaAsin(y float64) float64 {
	a := math.Abs(y)
	switch {
	case math.IsNaN(y) || a > 1:
		return math.NaN()
	case y == 0:
		return y
	case a == 1:
		return math.Copysign(math.Pi/2, y)
	}
	var r dd
	if a <= 0.5 {
		r = ddAsin(ddFrom(a))
	} else {
		// asin a = π/2 − 2·asin √((1−a)/2), where the argument is small
		// and Newton stays well conditioned; 1−a is exact here.
		h := ddFrom((1 - a) / 2).sqrt()
		r = ddPiHalf.add(ddAsin(h).add(ddAsin(h)).neg())
	}
	return math.Copysign(r.hi+r.lo, y)
}
