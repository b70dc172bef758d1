package value

import (
	"bytes"
	"math"
	"math/big"
	"sort"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
)

func sampleValues() []Value {
	huge, _ := new(big.Int).SetString("123456789012345678901234567890", 10)
	return []Value{
		Null, Bool(true), Int(-7), Bigint(1 << 40), Double(-2.5), String("héllo\x00x"),
		Bytes([]byte{0, 1, 2}), Date(18000), Time(3600000), Timestamp(1585912800000),
		DecimalInt64(-1234, 2), DecimalBig(huge, 3),
		Array([]Value{Int(1), Null}), Struct([]Value{String("a"), Double(1)}),
		Map([]Entry{{String("k"), Int(1)}}),
	}
}

func TestValueRoundTrip(t *testing.T) {
	vs := sampleValues()
	b := AppendValues(nil, vs)
	got, rest, err := DecodeValues(b, nil)
	if err != nil || len(rest) != 0 {
		t.Fatalf("decode: %v (rest %d)", err, len(rest))
	}
	for i := range vs {
		if Compare(vs[i], got[i]) != 0 || vs[i].Kind() != got[i].Kind() {
			t.Errorf("value %d: got %v, want %v", i, got[i], vs[i])
		}
	}
}

func TestKeyOrder(t *testing.T) {
	groups := []struct {
		typ  *types.Type
		vals []Value
	}{
		{types.BigintType, []Value{Null, Bigint(math.MinInt64), Bigint(-1), Bigint(0), Bigint(5), Bigint(math.MaxInt64)}},
		{types.DoubleType, []Value{Null, Double(math.Inf(-1)), Double(-2.5), Double(-0.1), Double(0), Double(1e-9), Double(3), Double(math.Inf(1))}},
		{types.StringType, []Value{Null, String(""), String("\x00"), String("\x00a"), String("a"), String("a\x00"), String("ab"), String("b")}},
		{types.MustDecimal(10, 2), []Value{Null, DecimalInt64(-100000, 2), DecimalInt64(-5, 2), DecimalInt64(0, 2), DecimalInt64(5, 2), DecimalInt64(300, 2), DecimalInt64(1000000, 2)}},
		{types.ArrayOf(types.IntType), []Value{Null, Array(nil), Array([]Value{Null}), Array([]Value{Int(1)}), Array([]Value{Int(1), Int(2)}), Array([]Value{Int(2)})}},
	}
	for _, g := range groups {
		enc := make([][]byte, len(g.vals))
		for i, v := range g.vals {
			enc[i] = AppendKey(nil, v)
			got, rest, err := DecodeKey(enc[i], g.typ)
			if err != nil || len(rest) != 0 || Compare(got, v) != 0 {
				t.Errorf("%s: DecodeKey(%v) = %v, %v, rest %d", g.typ, v, got, err, len(rest))
			}
		}
		if !sort.SliceIsSorted(enc, func(i, j int) bool { return bytes.Compare(enc[i], enc[j]) < 0 }) {
			t.Errorf("%s: encodings out of order", g.typ)
		}
	}
}

func FuzzDecodeValue(f *testing.F) {
	f.Add(AppendValues(nil, sampleValues()))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs, _, err := DecodeValues(b, nil)
		if err != nil {
			return
		}
		again, _, err := DecodeValues(AppendValues(nil, vs), nil)
		if err != nil || len(again) != len(vs) {
			t.Fatalf("re-decode: %v", err)
		}
	})
}
