package value

import (
	"hash/maphash"
	"math"
	"math/big"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b Value
		want int
	}{
		{Null, Int(1), -1},
		{Null, Null, 0},
		{Int(1), Bigint(1), 0},
		{Int(1), Double(1.5), -1},
		{DecimalInt64(150, 2), Double(1.5), 0},
		{DecimalInt64(150, 2), DecimalInt64(15, 1), 0},
		{DecimalInt64(151, 2), Int(1), 1},
		{Double(math.NaN()), Double(1e300), 1},
		{String("a"), String("b"), -1},
		{Array([]Value{Int(1), Int(2)}), Array([]Value{Int(1)}), 1},
	}
	for _, tc := range tests {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%v, %v) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestHashDecimalScale(t *testing.T) {
	seed := maphash.MakeSeed()
	var h1, h2 maphash.Hash
	h1.SetSeed(seed)
	h2.SetSeed(seed)
	Hash(&h1, DecimalInt64(10, 1))
	Hash(&h2, DecimalInt64(100, 2))
	if h1.Sum64() != h2.Sum64() {
		t.Fatal("1.0 and 1.00 hash differently")
	}
}

func TestFormatDouble(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{1, "1.0"},
		{-0.5, "-0.5"},
		{1e7, "1.0E7"},
		{1.2345e-5, "1.2345E-5"},
		{123456.789, "123456.789"},
		{0.001, "0.001"},
		{math.Inf(1), "Infinity"},
		{5e-324, "4.9E-324"},
		{-5e-324, "-4.9E-324"},
		{1e23, "9.999999999999999E22"},
		{2e22, "2.0E22"},
	}
	for _, tc := range tests {
		if got := FormatDouble(tc.f); got != tc.want {
			t.Errorf("FormatDouble(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestDecimalString(t *testing.T) {
	big1, _ := new(big.Int).SetString("-123456789012345678901234567890", 10)
	tests := []struct {
		v    Value
		want string
	}{
		{DecimalInt64(1234, 2), "12.34"},
		{DecimalInt64(-5, 3), "-0.005"},
		{DecimalInt64(7, 0), "7"},
		{DecimalBig(big1, 5), "-1234567890123456789012345.67890"},
	}
	for _, tc := range tests {
		if got := tc.v.DecimalString(); got != tc.want {
			t.Errorf("DecimalString = %q, want %q", got, tc.want)
		}
	}
}

func TestDecimalAsFloat64MatchesRational(t *testing.T) {
	for _, tc := range []struct {
		n     int64
		scale int32
	}{{505, 1}, {2571, 2}, {-1, 3}, {123456789012345, 7}, {1, 22}, {9007199254740991, 4}} {
		v := DecimalInt64(tc.n, tc.scale)
		want, _ := v.Rat().Float64()
		if got := v.AsFloat64(); got != want {
			t.Errorf("%s: AsFloat64 = %v, rational gives %v", v.DecimalString(), got, want)
		}
	}
}
