package value

import (
	"math/bits"
	"sync"
)

// The arbitrary-precision digit loop needs at most about 1,200 bits (B for
// 4.9E-324 carries 5^324), so it runs on fixed arrays of words instead of
// math/big: no allocation, and each digit costs a few passes over the
// words.

const natWords = 24 // 1,536 bits

// nat is a natural number in little-endian 64-bit words; w[n-1] != 0, or
// n == 0 for zero.
type nat struct {
	w [natWords]uint64
	n int
}

// pow5x27 is 5^27, the largest power of five in a word.
const pow5x27 = 7450580596923828125

func (z *nat) norm() {
	for z.n > 0 && z.w[z.n-1] == 0 {
		z.n--
	}
}

// mulSmall sets z = z·m.
func (z *nat) mulSmall(m uint64) {
	if m == 0 {
		z.n = 0
		return
	}
	var carry uint64
	for i := 0; i < z.n; i++ {
		hi, lo := bits.Mul64(z.w[i], m)
		lo, c := bits.Add64(lo, carry, 0)
		z.w[i] = lo
		carry = hi + c
	}
	if carry != 0 {
		z.w[z.n] = carry
		z.n++
	}
}

// shl sets z = z·2^s.
func (z *nat) shl(s int) {
	if z.n == 0 || s == 0 {
		return
	}
	ws, bs := s/64, uint(s%64)
	n := z.n
	if bs == 0 {
		copy(z.w[ws:ws+n], z.w[:n])
		z.n = n + ws
	} else {
		top := z.w[n-1] >> (64 - bs)
		for i := n - 1; i > 0; i-- {
			z.w[i+ws] = z.w[i]<<bs | z.w[i-1]>>(64-bs)
		}
		z.w[ws] = z.w[0] << bs
		z.n = n + ws
		if top != 0 {
			z.w[z.n] = top
			z.n++
		}
	}
	for i := 0; i < ws; i++ {
		z.w[i] = 0
	}
}

// natPow5 caches 5^k as nats for every k the loop meets (at most 326).
var natPow5 = sync.OnceValue(func() []nat {
	out := make([]nat, 340)
	out[0].w[0], out[0].n = 1, 1
	for i := 1; i < len(out); i++ {
		out[i] = out[i-1]
		out[i].mulSmall(5)
	}
	return out
})

// set sets z = x, copying only x's words.
func (z *nat) set(x *nat) {
	copy(z.w[:x.n], x.w[:x.n])
	z.n = x.n
}

// setPow52 sets z = mult·5^p5·2^p2.
func (z *nat) setPow52(mult uint64, p5, p2 int) {
	if pows := natPow5(); p5 < len(pows) {
		z.set(&pows[p5])
		z.mulSmall(mult)
	} else {
		z.w[0], z.n = mult, 1
		z.norm()
		for ; p5 >= 27; p5 -= 27 {
			z.mulSmall(pow5x27)
		}
		if p5 > 0 {
			z.mulSmall(uint64(pow5[p5]))
		}
	}
	z.shl(p2)
}

func (z *nat) bitLen() int {
	if z.n == 0 {
		return 0
	}
	return (z.n-1)*64 + bits.Len64(z.w[z.n-1])
}

// bitsAt returns z >> k, truncated to a word.
func (z *nat) bitsAt(k int) uint64 {
	ws, bs := k/64, uint(k%64)
	if ws >= z.n {
		return 0
	}
	v := z.w[ws] >> bs
	if bs != 0 && ws+1 < z.n {
		v |= z.w[ws+1] << (64 - bs)
	}
	return v
}

func cmpNat(a, b *nat) int {
	if a.n != b.n {
		if a.n < b.n {
			return -1
		}
		return 1
	}
	for i := a.n - 1; i >= 0; i-- {
		if a.w[i] != b.w[i] {
			if a.w[i] < b.w[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// sub sets z = z - x, for z >= x.
func (z *nat) sub(x *nat) {
	var borrow uint64
	for i := 0; i < z.n; i++ {
		var xi uint64
		if i < x.n {
			xi = x.w[i]
		}
		z.w[i], borrow = bits.Sub64(z.w[i], xi, borrow)
	}
	z.norm()
}

// add sets z = a + b.
func (z *nat) add(a, b *nat) {
	if a.n < b.n {
		a, b = b, a
	}
	var carry uint64
	for i := 0; i < a.n; i++ {
		var bi uint64
		if i < b.n {
			bi = b.w[i]
		}
		z.w[i], carry = bits.Add64(a.w[i], bi, carry)
	}
	z.n = a.n
	if carry != 0 {
		z.w[z.n] = carry
		z.n++
	}
}

// quoRem returns B/S, known to be below 10, and leaves B mod S in b. The
// quotient is estimated from the top 60 bits of each, which is off by at
// most one, and corrected.
func quoRem(b, s, t *nat) int {
	k := max(s.bitLen()-60, 0)
	q := b.bitsAt(k) / max(s.bitsAt(k), 1)
	t.set(s)
	t.mulSmall(q)
	for cmpNat(t, b) > 0 {
		t.sub(s)
		q--
	}
	b.sub(t)
	for cmpNat(b, s) >= 0 {
		b.sub(s)
		q++
	}
	return int(q)
}

// natFits reports whether the loop's numbers fit a nat: B and 10·S as
// estimated, and their growth by a factor of ten for each of at most 20
// digits, with room to spare.
func natFits(bBits, tenSBits int) bool {
	return max(bBits, tenSBits)+20*4+64 < natWords*64
}

// digitsNat is digitsBig on fixed-width numbers.
func (d *jdkDigits) digitsNat(fract uint64, b5, b2, s5, s2, m5, m2, decExp int) (high, low bool, lowDiff int64, exp int) {
	var b, s, m, tenS, t nat
	s.setPow52(1, s5, s2)
	b.setPow52(fract, b5, b2)
	m.setPow52(1, m5+1, m2+1) // 10·M
	tenS.setPow52(1, s5+1, s2+1)
	step := func() int {
		q := quoRem(&b, &s, &t)
		b.mulSmall(10)
		return q
	}
	test := func() (bool, bool) {
		t.add(&b, &m)
		return cmpNat(&t, &tenS) >= 0, cmpNat(&b, &m) < 0
	}
	high, low, decExp = d.wideLoop(step, func() { m.mulSmall(10) }, test, decExp)
	if high && low {
		b.shl(1)
		lowDiff = int64(cmpNat(&b, &tenS))
	}
	return high, low, lowDiff, decExp
}
