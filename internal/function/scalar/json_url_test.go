package scalar_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestJSON(t *testing.T) {
	st := types.StructOf(types.Field{Name: "NAME", Type: types.StringType}, types.Field{Name: "ID", Type: types.IntType})
	runCases(t, []tcase{
		{"extractjsonfield", []any{str(`{"a":{"b":[1,{"c":"x"}]}}`), str("$.a.b[1].c")}, "x"},
		{"extractjsonfield", []any{str(`{"a":{"b":[1,2]}}`), str("$.a.b")}, "[1,2]"},
		{"extractjsonfield", []any{str(`{"a":1.50}`), str("$.a")}, "1.50"},
		{"extractjsonfield", []any{str(`{"a":1.50E1}`), str("$.a")}, "15.0"},
		{"extractjsonfield", []any{str(`{"a":1e-2}`), str("$.a")}, "0.01"},
		{"extractjsonfield", []any{str(`{"a":-12e2}`), str("$.a")}, "-1200"},
		{"extractjsonfield", []any{str(`{"a b":true}`), str(`$["a b"]`)}, "true"},
		{"extractjsonfield", []any{str(`{"@type":"t"}`), str(`$.@type`)}, "t"},
		{"extractjsonfield", []any{str(`{"a":1}`), str("$.b")}, "null"},
		{"extractjsonfield", []any{str(`{"a":[1]}`), str("$.a[-1]")}, "ERR: Invalid JSON path"},
		{"extractjsonfield", []any{str(`{bad`), str("$.a")}, "ERR: Invalid JSON format"},
		{"json_array_contains", []any{str(`[1, 2, 3]`), i32(2)}, "true"},
		{"json_array_contains", []any{str(`[1.0, 2]`), f64(1)}, "true"},
		{"json_array_contains", []any{str(`[1.0, 2]`), i64(1)}, "false"},
		{"json_array_contains", []any{str(`["a", null]`), nullOf(types.StringType)}, "true"},
		{"json_array_contains", []any{str(`{"a":1}`), i32(1)}, "false"},
		{"json_array_contains", []any{str(`[[1]]`), i32(1)}, "false"},
		{"is_json_string", []any{str(`{"a":1}`)}, "true"},
		{"is_json_string", []any{str(`abc`)}, "false"},
		{"is_json_string", []any{str(``)}, "false"},
		{"is_json_string", []any{nullOf(types.StringType)}, "false"},
		{"json_array_length", []any{str(`[1, [2], {}]`)}, "3"},
		{"json_array_length", []any{str(`{}`)}, "null"},
		{"json_concat", []any{str(`{"a":1}`), str(`{"b":2,"a":3}`)}, `{"a":3,"b":2}`},
		{"json_concat", []any{str(`[1]`), str(`2`), str(`[3]`)}, `[1,2,3]`},
		{"json_concat", []any{str(`[1]`), nullOf(types.StringType)}, "null"},
		{"json_keys", []any{str(`{"b":1,"a":2}`)}, `["b", "a"]`},
		{"json_keys", []any{str(`[1]`)}, "null"},
		{"json_records", []any{str(`{"a":"x","b":{"c":1}}`)}, `{"a"="x", "b"="{\"c\":1}"}`},
		{"json_items", []any{str(`[{"a":1}, "s", 2]`)}, `["{\"a\":1}", "\"s\"", "2"]`},
		{"to_json_string", []any{nullOf(types.IntType)}, "null"},
		{"to_json_string", []any{str("a\"b")}, `"a\"b"`},
		{"to_json_string", []any{f64(1)}, "1.0"},
		{"to_json_string", []any{dec("1.50")}, "1.50"},
		{"to_json_string", []any{value.Time(60040000)}, `"16:40:40"`},
		{"to_json_string", []any{value.Date(1000)}, `"1972-09-27"`},
		{"to_json_string", []any{value.Timestamp(60040000000)}, `"1971-11-26T21:46:40.000"`},
		{"to_json_string", []any{value.Bytes([]byte("!"))}, `"IQ=="`},
		{"to_json_string", []any{typed{value.Struct([]value.Value{str("Alice"), i32(1)}), st}}, `{"ID":1,"NAME":"Alice"}`},
		{"to_json_string", []any{smap("b", arr(i32(1)), "a", null)}, `{"a":null,"b":[1]}`},
	})
}

func TestURL(t *testing.T) {
	runCases(t, []tcase{
		{"url_encode_param", []any{str("?foo $bar")}, "%3Ffoo+%24bar"},
		{"url_encode_param", []any{str("a~b*c")}, "a%7Eb*c"},
		{"url_decode_param", []any{str("%3Ffoo+%24bar")}, "?foo $bar"},
		{"url_decode_param", []any{str("%zz")}, "ERR"},
		{"url_extract_fragment", []any{str("http://www.test.com/?query#fragment")}, "fragment"},
		{"url_extract_fragment", []any{str("http://www.nofragment.com")}, "null"},
		{"url_extract_host", []any{str("http://test@confluent.io:8080/path")}, "confluent.io"},
		{"url_extract_parameter", []any{str("http://www.test.com/?one=a&two=b&three"), str("two")}, "b"},
		{"url_extract_parameter", []any{str("http://www.test.com/?one=a&two=b&three"), str("three")}, ""},
		{"url_extract_parameter", []any{str("http://www.test.com/?one=a"), str("four")}, "null"},
		{"url_extract_path", []any{str("http://www.test.com/some%20path/file?q=1")}, "/some path/file"},
		{"url_extract_path", []any{str("http://www.test.com")}, ""},
		{"url_extract_port", []any{str("http://test@confluent.io:8080/path")}, "8080"},
		{"url_extract_port", []any{str("http://confluent.io/path")}, "null"},
		{"url_extract_protocol", []any{str("https://confluent.io")}, "https"},
		{"url_extract_protocol", []any{str("/just/a/path")}, "null"},
		{"url_extract_query", []any{str("http://www.test.com/?a=b%20c&d")}, "a=b c&d"},
		{"url_extract_query", []any{str("http://www.test.com/")}, "null"},
		{"url_extract_host", []any{str("http://bad host/")}, "ERR: URL input has invalid syntax"},
	})
}
