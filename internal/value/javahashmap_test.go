package value

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestJavaHashMapOrder(t *testing.T) {
	strs := func(ks ...string) []Value {
		out := make([]Value, len(ks))
		for i, k := range ks {
			out[i] = String(k)
		}
		return out
	}
	var k20 []string
	for i := 0; i < 20; i++ {
		k20 = append(k20, "k"+strconv.Itoa(i))
	}
	var x7 []string
	for i := 0; i < 7; i++ {
		x7 = append(x7, "x"+strconv.Itoa(i*7))
	}
	var collide []Value
	for i := 0; i <= 8; i++ {
		collide = append(collide, Int(int32(i*16)))
	}
	collide = append(collide, Int(3))
	// want is HashMap.keySet() as JDK 17 prints it (the same algorithm as
	// JDK 8 and 11, which ksqlDB's expected outputs come from).
	tests := []struct {
		name    string
		initCap int
		puts    [][]Value // each a putAll, or one put per key when initCap says so
		want    string
	}{
		{"toMap", -1, [][]Value{strs("d", "q")}, "[q, d]"},
		{"grows twice", -1, [][]Value{strs(k20...)}, "[k0, k1, k2, k3, k4, k5, k11, k6, k10, k7, k13, k8, k12, k9, k15, k14, k17, k16, k19, k18]"},
		{"as_map capacity", 3, [][]Value{strs("b", "a", "c", "zz", "Q", "D")}, "[zz, a, Q, b, c, D]"},
		{"putAll presizes", -2, [][]Value{strs("apple", "banana", "cherry"), strs(x7...)}, "[banana, apple, cherry, x21, x42, x0, x14, x35, x7, x28]"},
		{"long bucket resizes", -1, [][]Value{collide}, "[0, 32, 64, 96, 128, 3, 16, 48, 80, 112]"},
		{"bigint", -1, [][]Value{{Bigint(1 << 32), Bigint(5), Bigint(-1), Bigint(1 << 40)}}, "[-1, 1099511627776, 4294967296, 5]"},
		{"utf16", -1, [][]Value{strs("😀a", "é", "Z")}, "[😀a, é, Z]"},
		{"null key", -1, [][]Value{{String("b"), Null, String("a")}}, "[null, a, b]"},
		{"boolean", -1, [][]Value{{Bool(true), Bool(false)}}, "[false, true]"},
		{"double", -1, [][]Value{{Double(1.5), Double(math.Copysign(0, -1)), Double(2), Double(1e300)}}, "[-0.0, 2.0, 1.0E300, 1.5]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m *JavaHashMap
			if tc.initCap == -2 {
				m = NewJavaHashMap(-1)
				for _, keys := range tc.puts {
					es := make([]Entry, len(keys))
					for i, k := range keys {
						es[i] = Entry{Key: k, Val: Int(1)}
					}
					m.PutAll(es)
				}
			} else {
				m = NewJavaHashMap(tc.initCap)
				for _, keys := range tc.puts {
					for _, k := range keys {
						m.Put(k, Int(1))
					}
				}
			}
			var got []string
			for _, e := range m.Map().Entries() {
				got = append(got, e.Key.String())
			}
			if s := "[" + strings.Join(got, ", ") + "]"; s != tc.want {
				t.Errorf("order %s, HashMap iterates %s", s, tc.want)
			}
		})
	}
}

func TestJavaHashMapPutReplaces(t *testing.T) {
	m := NewJavaHashMap(-1)
	m.Put(String("a"), Int(1))
	m.Put(String("b"), Int(2))
	m.Put(String("a"), Int(3))
	es := m.Map().Entries()
	if len(es) != 2 || es[0].Key.Str() != "a" || es[0].Val.AsInt64() != 3 {
		t.Fatalf("entries %v", es)
	}
}
