package scalar

import (
	"math"
	"testing"
)

func TestJavaLog(t *testing.T) {
	tests := []struct{ x, want float64 }{
		{3, 1.0986122886681098}, // math.Log gives ...096
		{2, 0.6931471805599453},
		{10, 2.302585092994046},
		{0.5, -0.6931471805599453},
		{1e-5, -11.512925464970229},
		{123.456, 4.815884817283264},
		{1, 0},
		{math.MaxFloat64, 709.782712893384},
		{5e-324, -744.4400719213812},
	}
	for _, tc := range tests {
		if got := javaLog(tc.x); got != tc.want {
			t.Errorf("javaLog(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsNaN(javaLog(-1)) || !math.IsInf(javaLog(0), -1) || !math.IsInf(javaLog(math.Inf(1)), 1) {
		t.Error("special cases")
	}
	// Never more than one unit in the last place from math.Log.
	for x := 0.001; x < 1e6; x *= 1.37 {
		if d := math.Abs(javaLog(x) - math.Log(x)); d > 2*math.Abs(math.Nextafter(math.Log(x), math.Inf(1))-math.Log(x)) {
			t.Errorf("javaLog(%v) = %v, math.Log %v", x, javaLog(x), math.Log(x))
		}
	}
}

func BenchmarkJavaLog(b *testing.B) {
	for i := 0; i < b.N; i++ {
		javaLog(3 + float64(i&1023))
	}
}

// TestJavaLogPaths checks the fast path against the 128-bit one.
func TestJavaLogPaths(t *testing.T) {
	x := 1e-300
	for i := 0; i < 20000; i++ {
		x *= 1.0371
		if i%3 == 0 {
			x = math.Nextafter(x, math.Inf(1))
		}
		m, e := math.Frexp(x)
		if m < math.Sqrt2/2 {
			m *= 2
			e--
		}
		if got, want := javaLog(x), javaLogSlow(m, e); got != want {
			t.Fatalf("javaLog(%v) = %v, 128-bit %v", x, got, want)
		}
	}
}
