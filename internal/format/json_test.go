package format

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func cols(spec ...any) []Column {
	var out []Column
	for i := 0; i < len(spec); i += 2 {
		out = append(out, Column{Name: spec[i].(string), Type: spec[i+1].(*types.Type)})
	}
	return out
}

func mustFormat(t testing.TB, name string, props map[string]string, reg Registry) Format {
	t.Helper()
	f, err := New(name, props, reg)
	if err != nil {
		t.Fatalf("New(%s): %v", name, err)
	}
	return f
}

// render shows a decoded row as the vectors would: JSON of RowToJSON.
func render(t testing.TB, c []Column, row []value.Value, unwrapped bool) string {
	t.Helper()
	b, err := json.Marshal(RowToJSON(c, row, unwrapped))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJSONDeserialize(t *testing.T) {
	dec := types.MustDecimal(6, 4)
	tests := []struct {
		name string
		cols []Column
		wrap Wrapping
		in   string
		want string // rendered row, or error substring after "ERR "
	}{
		{"case-insensitive", cols("FOO", types.IntType, "BAR", types.StringType), 0,
			`{"foo": 1, "Bar": "x"}`, `{"BAR":"x","FOO":1}`},
		{"exact wins", cols("FOO", types.IntType), 0, `{"FOO": 1, "foo": 2}`, `{"FOO":1}`},
		{"exact wins after", cols("FOO", types.IntType), 0, `{"foo": 2, "FOO": 1}`, `{"FOO":1}`},
		{"quoted lower", cols("foo", types.IntType), 0, `{"FOO": 1}`, `{"foo":null}`},
		{"missing is null", cols("A", types.IntType, "B", types.BigintType), 0, `{"A": 1}`, `{"A":1,"B":null}`},
		{"int from string", cols("A", types.IntType), 0, `{"A": "10"}`, `{"A":10}`},
		{"int truncates double", cols("A", types.IntType), 0, `{"A": 1.9}`, `{"A":1}`},
		{"bad int string", cols("A", types.IntType), 0, `{"A": "x"}`, `ERR Can't coerce string to type. targetType: INTEGER, path: $.A`},
		{"int from bool", cols("A", types.IntType), 0, `{"A": true}`, `ERR Can't convert type. sourceType: BooleanNode, requiredType: INTEGER, path: $.A`},
		{"string from number", cols("A", types.StringType), 0, `{"A": 1.50}`, `{"A":"1.50"}`},
		{"string from object", cols("A", types.StringType), 0, `{"A": {"x": [1, 2]}}`, `{"A":"{\"x\":[1,2]}"}`},
		{"string from exponent", cols("A", types.StringType, "B", types.StringType, "C", types.StringType, "D", types.StringType), 0,
			`{"A": 1e3, "B": 1.5E2, "C": 1e-3, "D": -12.5e-9}`, `{"A":"1E+3","B":"1.5E+2","C":"0.001","D":"-1.25E-8"}`},
		{"string from array", cols("A", types.StringType), 0, `{"A": ["a", 1, null]}`, `{"A":"[a, 1, null]"}`},
		{"double", cols("A", types.DoubleType), 0, `{"A": 1}`, `{"A":1}`},
		{"double from string", cols("A", types.DoubleType), 0, `{"A": "1.5"}`, `{"A":1.5}`},
		{"decimal number", cols("A", dec), 0, `{"A": 1.5}`, `{"A":1.5000}`},
		{"decimal string", cols("A", dec), 0, `{"A": "-10"}`, `{"A":-10.0000}`},
		{"decimal too big", cols("A", dec), 0, `{"A": 123.5}`, `ERR Cannot fit decimal '123.5' into DECIMAL(6, 4)`},
		{"decimal rounding", cols("A", dec), 0, `{"A": 0.00001}`, `ERR Cannot fit decimal`},
		{"boolean", cols("A", types.BooleanType), 0, `{"A": true}`, `{"A":true}`},
		{"bytes", cols("A", types.BytesType), 0, `{"A": "aGk="}`, `{"A":"aGk="}`},
		{"temporal", cols("D", types.DateType, "T", types.TimeType, "TS", types.TimestampType), 0,
			`{"d": 19000, "t": 1000, "ts": 1600000000000}`, `{"D":19000,"T":1000,"TS":1600000000000}`},
		{"array", cols("A", types.ArrayOf(types.IntType)), 0, `{"A": [1, "2", null]}`, `{"A":[1,2,null]}`},
		{"array element error", cols("A", types.ArrayOf(types.IntType)), 0, `{"A": [1, {}]}`,
			`ERR Can't convert type. sourceType: ObjectNode, requiredType: INTEGER, path: $.A[1]`},
		{"map", cols("A", types.MapOf(types.StringType, types.BigintType)), 0, `{"A": {"k": 1, "K": 2}}`, `{"A":{"K":2,"k":1}}`},
		{"struct", cols("S", types.StructOf(types.Field{Name: "F1", Type: types.IntType}, types.Field{Name: "f2", Type: types.StringType})), 0,
			`{"s": {"f1": 1, "f2": "x", "extra": [1]}}`, `{"S":{"F1":1,"f2":"x"}}`},
		{"nested path", cols("S", types.StructOf(types.Field{Name: "F1", Type: types.IntType})), 0,
			`{"S": {"F1": []}}`, `ERR Can't convert type. sourceType: ArrayNode, requiredType: INTEGER, path: $.S.F1`},
		{"null record", cols("A", types.IntType), 0, `null`, `null`},
		{"not an object", cols("A", types.IntType, "B", types.IntType), 0, `[1]`,
			"ERR Can't convert type. sourceType: ArrayNode, requiredType: STRUCT<`A` INTEGER, `B` INTEGER>, path: $"},
		{"unwrapped primitive", cols("A", types.IntType), Unwrapped, `10`, `10`},
		{"unwrapped array", cols("A", types.ArrayOf(types.StringType)), Unwrapped, `["a"]`, `["a"]`},
		{"unwrapped error path", cols("A", types.IntType), Unwrapped, `{}`, `ERR Can't convert type. sourceType: ObjectNode, requiredType: INTEGER, path: $`},
		{"escapes", cols("A", types.StringType), 0, `{"A": "a\"b\\\u00e9\ud83d\ude00\n"}`, `{"A":"a\"b\\é😀\n"}`},
		{"syntax", cols("A", types.IntType), 0, `{"A": 1`, `ERR Invalid JSON`},
		{"trailing", cols("A", types.IntType), 0, `{"A": 1} x`, `ERR Invalid JSON: trailing data`},
		{"bad number", cols("A", types.IntType), 0, `{"A": 01}`, `ERR Invalid JSON`},
	}
	f := mustFormat(t, "json", nil, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := Target{Topic: "t", Columns: tc.cols, Wrap: tc.wrap}
			d, err := f.Deserializer(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			row, err := d.Deserialize([]byte(tc.in), nil)
			if strings.HasPrefix(tc.want, "ERR ") {
				if err == nil {
					t.Fatalf("want error %q, got row %s", tc.want, render(t, tc.cols, row, tc.wrap == Unwrapped))
				}
				if !strings.Contains(err.Error(), tc.want[4:]) || !errors.Is(err, ErrDeserialize) {
					t.Fatalf("error %q does not contain %q", err, tc.want[4:])
				}
				if !strings.HasPrefix(err.Error(), "Failed to deserialize value from topic: t") {
					t.Fatalf("error %q lacks ksqlDB's prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := render(t, tc.cols, row, tc.wrap == Unwrapped); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestJSONSerialize(t *testing.T) {
	big := types.MustDecimal(4, 2)
	tests := []struct {
		name string
		cols []Column
		wrap Wrapping
		key  bool
		row  []value.Value
		want string
	}{
		{"primitives", cols("B", types.BooleanType, "I", types.IntType, "L", types.BigintType, "D", types.DoubleType, "S", types.StringType),
			0, false, []value.Value{value.Bool(true), value.Int(-1), value.Bigint(1 << 40), value.Double(1), value.String("é\"\n")},
			`{"B":true,"I":-1,"L":1099511627776,"D":1.0,"S":"é\"\n"}`},
		{"java doubles", cols("A", types.DoubleType, "B", types.DoubleType, "C", types.DoubleType),
			0, false, []value.Value{value.Double(1e7), value.Double(0.0001), value.Double(1.5)}, `{"A":1.0E7,"B":1.0E-4,"C":1.5}`},
		{"decimal bytes temporal", cols("X", big, "Y", types.BytesType, "D", types.DateType, "T", types.TimeType, "TS", types.TimestampType),
			0, false, []value.Value{value.DecimalInt64(150, 2), value.Bytes([]byte("hi")), value.Date(3), value.Time(4), value.Timestamp(5)},
			`{"X":1.50,"Y":"aGk=","D":3,"T":4,"TS":5}`},
		{"nulls", cols("A", types.IntType, "B", types.StringType), 0, false, []value.Value{value.Null, value.Null}, `{"A":null,"B":null}`},
		{"compound", cols("A", types.ArrayOf(types.IntType), "M", types.MapOf(types.StringType, types.IntType),
			"S", types.StructOf(types.Field{Name: "f", Type: types.IntType})), 0, false,
			[]value.Value{value.Array([]value.Value{value.Int(1), value.Null}),
				value.Map([]value.Entry{{Key: value.String("z"), Val: value.Int(1)}, {Key: value.String("a"), Val: value.Int(2)}}),
				value.Struct([]value.Value{value.Int(3)})},
			`{"A":[1,null],"M":{"z":1,"a":2},"S":{"f":3}}`},
		{"key unwrapped by default", cols("K", types.StringType), 0, true, []value.Value{value.String("k")}, `"k"`},
		{"value wrapped by default", cols("V", types.StringType), 0, false, []value.Value{value.String("v")}, `{"V":"v"}`},
		{"value unwrapped", cols("V", types.IntType), Unwrapped, false, []value.Value{value.Int(3)}, `3`},
		{"key wrapped", cols("K", types.IntType), Wrapped, true, []value.Value{value.Int(3)}, `{"K":3}`},
		{"unwrapped null", cols("V", types.IntType), Unwrapped, false, []value.Value{value.Null}, ``},
		{"tombstone", cols("V", types.IntType), 0, false, nil, ``},
	}
	f := mustFormat(t, "JSON", nil, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tg := Target{Topic: "t", Columns: tc.cols, Wrap: tc.wrap, IsKey: tc.key}
			s, err := f.Serializer(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Serialize(nil, tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got %s, want %s", b, tc.want)
			}
			if b == nil {
				return
			}
			d, err := f.Deserializer(context.Background(), tg)
			if err != nil {
				t.Fatal(err)
			}
			back, err := d.Deserialize(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.row {
				if value.Compare(back[i], tc.row[i]) != 0 {
					t.Fatalf("round trip column %d: got %v, want %v", i, back[i], tc.row[i])
				}
			}
		})
	}
}

func TestFormatErrors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		format string
		props  map[string]string
		tg     Target
		want   string
	}{
		{"FOO", nil, Target{}, "Unknown format: FOO"},
		{"JSON", map[string]string{"fullSchemaName": "x"}, Target{}, "JSON does not support the following configs: [fullSchemaName]"},
		{"JSON", nil, Target{Columns: cols("A", types.IntType, "B", types.IntType), Wrap: Unwrapped},
			"'WRAP_SINGLE_VALUE' is only valid for single-field value schemas"},
		{"JSON", nil, Target{Columns: cols("M", types.MapOf(types.IntType, types.IntType))}, "JSON only supports MAP types with STRING keys"},
		{"KAFKA", nil, Target{Columns: cols("K", types.BooleanType), IsKey: true}, "The 'KAFKA' format does not support type 'BOOLEAN'"},
		{"KAFKA", nil, Target{Columns: cols("K1", types.IntType, "K2", types.IntType), IsKey: true},
			"The 'KAFKA' format only supports a single field. Got: [`K1` INTEGER KEY, `K2` INTEGER KEY]"},
		{"KAFKA", nil, Target{Columns: cols("V", types.IntType), Wrap: Wrapped}, "Format 'KAFKA' does not support 'WRAP_SINGLE_VALUE' set to 'true'."},
		{"NONE", nil, Target{Columns: cols("K", types.StringType), IsKey: true},
			"The 'NONE' format can only be used when no columns are defined. Got: [`K` STRING KEY]"},
		{"DELIMITED", nil, Target{Columns: cols("ROWKEY", types.StructOf(types.Field{Name: "F", Type: types.IntType}))},
			"The 'DELIMITED' format does not support type 'STRUCT', column: `ROWKEY`"},
		{"DELIMITED", map[string]string{"delimiter": "ab"}, Target{}, "Invalid delimiter value: 'ab'"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			f, err := New(tc.format, tc.props, nil)
			if err == nil {
				_, err = f.Serializer(ctx, tc.tg)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
			if !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("error %v has no kind", err)
			}
		})
	}
}

func TestJSONDeepNesting(t *testing.T) {
	f := mustFormat(t, "JSON", nil, nil)
	for _, c := range [][]Column{cols("V", types.StringType), cols("V", types.ArrayOf(types.IntType))} {
		d, _ := f.Deserializer(context.Background(), Target{Topic: "t", Columns: c, Wrap: Unwrapped})
		deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
		if _, err := d.Deserialize([]byte(deep), nil); err == nil {
			t.Errorf("%s: got %v", c[0].Type, err)
		}
	}
}

func TestDecimalFastPaths(t *testing.T) {
	dec := types.MustDecimal(6, 4)
	for _, in := range []string{"0", "1", "-1", "10.5", "-0.0001", "99.9999", "1.50000", "0.00001", "100", "-", "+1", "1.", ".5", "00012.3400", "+", "", "."} {
		fast, ok := fastDecimal([]byte(in), dec)
		u, sc, err := parseDecimal(in)
		var slow value.Value
		if err == nil {
			slow, err = fitDecimal(u, sc, dec)
		}
		if ok != (err == nil) && in != "0.00001" && in != "100" {
			t.Errorf("%q: fast ok=%v, slow err=%v", in, ok, err)
		}
		if ok && (err != nil || value.Compare(fast, slow) != 0 || fast.Scale() != slow.Scale()) {
			t.Errorf("%q: fast %v, slow %v (%v)", in, fast, slow, err)
		}
	}
	for _, v := range []value.Value{value.DecimalInt64(5, 3), value.DecimalInt64(-12345, 2), value.DecimalInt64(7, 0), value.DecimalInt64(-1, 1)} {
		if got := string(appendDecimal(nil, v)); got != v.DecimalString() {
			t.Errorf("appendDecimal %s = %s", v.DecimalString(), got)
		}
	}
}
