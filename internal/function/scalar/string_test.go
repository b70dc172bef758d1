package scalar_test

import (
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func bytesV(s string) value.Value { return value.Bytes([]byte(s)) }

func TestString(t *testing.T) {
	s := types.StringType
	runCases(t, []tcase{
		{"substring", []any{str("hello world"), i32(7)}, "world"},
		{"substring", []any{str("hello world"), i32(-5)}, "world"},
		{"substring", []any{str("hello world"), i32(-5), i32(2)}, "wo"},
		{"substring", []any{str("hello"), i32(0), i32(2)}, "he"},
		{"substring", []any{str("hello"), i32(10)}, ""},
		{"substring", []any{str("hello"), i32(2), i32(-1)}, ""},
		{"substring", []any{str("héllo"), i32(2), i32(2)}, "él"},
		{"substring", []any{str("héllo"), i32(5)}, "o"},
		{"substring", []any{str("héllo"), i32(6)}, ""},
		{"substring", []any{str("héllo"), i32(-4)}, "éllo"},
		{"substring", []any{bytesV("hello"), i32(2), i32(2)}, `"el"`},
		{"substring", []any{nullOf(s), i32(1)}, "null"},
		{"concat", []any{str("a"), nullOf(s), str("c")}, "ac"},
		{"concat", []any{bytesV("a"), bytesV("b")}, `"ab"`},
		{"concat_ws", []any{str("-"), str("a"), nullOf(s), str("c")}, "a-c"},
		{"concat_ws", []any{nullOf(s), str("a"), str("c")}, "null"},
		{"elt", []any{i32(2), str("a"), str("b")}, "b"},
		{"elt", []any{i32(3), str("a"), str("b")}, "null"},
		{"field", []any{str("b"), str("a"), str("b")}, "2"},
		{"field", []any{nullOf(s), str("a")}, "0"},
		{"instr", []any{str("CORPORATE FLOOR"), str("OR")}, "2"},
		{"instr", []any{str("CORPORATE FLOOR"), str("OR"), i32(3)}, "5"},
		{"instr", []any{str("CORPORATE FLOOR"), str("OR"), i32(3), i32(2)}, "14"},
		{"instr", []any{str("CORPORATE FLOOR"), str("OR"), i32(-3)}, "5"},
		{"instr", []any{str("CORPORATE FLOOR"), str("OR"), i32(-3), i32(2)}, "2"},
		{"instr", []any{str("CORPORATE FLOOR"), str("MISSING")}, "0"},
		{"instr", []any{nullOf(s), str("x")}, "0"},
		{"lcase", []any{str("AbC")}, "abc"},
		{"ucase", []any{str("AbC")}, "ABC"},
		{"len", []any{str("héllo")}, "5"},
		{"len", []any{bytesV("abc")}, "3"},
		{"trim", []any{str("  a b \t")}, "a b"},
		{"initcap", []any{str("  the QUICK  brown")}, "The Quick  Brown"},
		{"replace", []any{str("abcabc"), str("b"), str("X")}, "aXcaXc"},
		{"lpad", []any{str("abc"), i32(6), str("xy")}, "xyxabc"},
		{"lpad", []any{str("abcdef"), i32(3), str("xy")}, "abc"},
		{"rpad", []any{str("abc"), i32(6), str("xy")}, "abcxyx"},
		{"rpad", []any{str("abc"), i32(6), str("")}, "null"},
		{"lpad", []any{str("abc"), i32(-1), str("x")}, "null"},
		{"lpad", []any{bytesV("ab"), i32(4), bytesV("x")}, `"xxab"`},
		{"split", []any{str("a,b,,c"), str(",")}, `["a", "b", "", "c"]`},
		{"split", []any{str("abc"), str("")}, `["a", "b", "c"]`},
		{"split", []any{str(""), str(",")}, `[""]`},
		{"split_to_map", []any{str("a=1;b=2;;c"), str(";"), str("=")}, `{"a"="1", "b"="2"}`},
		{"split_to_map", []any{str("a=1"), str("="), str("=")}, "null"},
		{"mask", []any{str("Abc-12")}, "Xxx-nn"},
		{"mask", []any{str("Abc-12"), str("*"), nullOf(s), str("#"), nullOf(s)}, "*bc-##"},
		{"mask_keep_left", []any{str("Abc-12"), i32(2)}, "Abx-nn"},
		{"mask_keep_right", []any{str("Abc-12"), i32(2)}, "Xxx-12"},
		{"mask_left", []any{str("Abc-12"), i32(2)}, "Xxc-12"},
		{"mask_right", []any{str("Abc-12"), i32(2)}, "Abc-nn"},
		{"mask_left", []any{str("Abc"), i32(-1)}, "ERR: non-negative"},
		{"mask", []any{str("Abc"), str("**"), nullOf(s), nullOf(s), nullOf(s)}, "ERR: Invalid mask character"},
		{"chr", []any{i32(75)}, "K"},
		{"chr", []any{str(`\u004b`)}, "K"},
		{"chr", []any{str(`\ud83d\ude00`)}, "😀"},
		{"chr", []any{str("x")}, "null"},
		{"encode", []any{str("Hello"), str("ascii"), str("hex")}, "48656c6c6f"},
		{"encode", []any{str("0x48656c6c6f"), str("hex"), str("utf8")}, "Hello"},
		{"encode", []any{str("SGVsbG8="), str("base64"), str("ascii")}, "Hello"},
		{"encode", []any{str("x"), str("foo"), str("hex")}, "ERR: Supported input and output encodings"},
		{"to_bytes", []any{str("AQID"), str("base64")}, `"\x01\x02\x03"`},
		{"from_bytes", []any{bytesV("\x01\xab"), str("hex")}, "01AB"},
		{"from_bytes", []any{bytesV("hi"), str("klingon")}, "ERR: Unknown encoding type"},
		{"int_from_bytes", []any{bytesV("\x00\x00\x01\x00")}, "256"},
		{"int_from_bytes", []any{bytesV("\x00\x01\x00\x00"), str("LITTLE_ENDIAN")}, "256"},
		{"int_from_bytes", []any{bytesV("\x00\x01")}, "ERR: Number of bytes must be equal to 4, but found 2"},
		{"md5", []any{str("hello")}, "5d41402abc4b2a76b9719d911017c592"},
		{"uuid", []any{bytesV("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef")}, "01234567-89ab-cdef-0123-456789abcdef"},
		{"regexp_extract", []any{str(`(\w+) (\w+)`), str("hello world"), i32(2)}, "world"},
		{"regexp_extract", []any{str(`x(\d)`), str("abc")}, "null"},
		{"regexp_extract", []any{str(`a`), str("abc"), i32(1)}, "null"},
		{"regexp_extract_all", []any{str(`\d+`), str("a1b22c333")}, `["1", "22", "333"]`},
		{"regexp_replace", []any{str("a1b22"), str(`(\d+)`), str("<$1>")}, "a<1>b<22>"},
		{"regexp_replace", []any{str("abc"), str(`(`), str("x")}, "ERR: Invalid regular expression pattern"},
		{"regexp_split_to_array", []any{str("a1b22c"), str(`\d+`)}, `["a", "b", "c"]`},
		{"regexp_split_to_array", []any{str("abc"), str(``)}, `["a", "b", "c"]`},
		{"regexp_split_to_array", []any{str("a,b,"), str(`,`)}, `["a", "b", ""]`},
	})
}

func TestNulls(t *testing.T) {
	runCases(t, []tcase{
		{"coalesce", []any{nullOf(types.IntType), i32(2), i32(3)}, "2"},
		{"coalesce", []any{nullOf(types.IntType)}, "null"},
		{"coalesce", []any{i32(1), i64(2)}, "ERR: does not accept parameters (INTEGER, BIGINT)"},
		{"ifnull", []any{nullOf(types.StringType), str("x")}, "x"},
		{"nullif", []any{str("x"), str("x")}, "null"},
		{"nullif", []any{str("x"), str("y")}, "x"},
		{"nullif", []any{str("x"), nullOf(types.StringType)}, "x"},
	})
	r := newRegistry(t)
	if _, err := r.ResolveScalar("coalesce", nil); err == nil || !strings.HasPrefix(err.Error(), "Function 'COALESCE' does not accept parameters ()") {
		t.Fatalf("coalesce(): %v", err)
	}
}
