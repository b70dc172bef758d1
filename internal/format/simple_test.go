package format

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestKafka(t *testing.T) {
	tests := []struct {
		typ  *types.Type
		v    value.Value
		want []byte
	}{
		{types.IntType, value.Int(-2), []byte{0xff, 0xff, 0xff, 0xfe}},
		{types.BigintType, value.Bigint(1), []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		{types.DoubleType, value.Double(1.5), []byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}},
		{types.StringType, value.String("héllo"), []byte("héllo")},
		{types.StringType, value.String(""), []byte{}},
		{types.BytesType, value.Bytes([]byte{0, 1}), []byte{0, 1}},
		{types.IntType, value.Null, nil},
	}
	f := mustFormat(t, "kafka", nil, nil)
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.typ.String()+"/"+tc.v.String(), func(t *testing.T) {
			tg := Target{Topic: "t", IsKey: true, Columns: cols("K", tc.typ)}
			s, err := f.Serializer(ctx, tg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := s.Serialize(nil, []value.Value{tc.v})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.want) || (b == nil) != (tc.want == nil) {
				t.Fatalf("got %x, want %x", b, tc.want)
			}
			d, _ := f.Deserializer(ctx, tg)
			row, err := d.Deserialize(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if row != nil {
					t.Fatalf("null key decoded as %v", row)
				}
				return
			}
			if value.Compare(row[0], tc.v) != 0 {
				t.Fatalf("round trip: got %v", row[0])
			}
		})
	}
	d, _ := f.Deserializer(ctx, Target{Topic: "t", Columns: cols("K", types.IntType)})
	if _, err := d.Deserialize([]byte{1, 2}, nil); err == nil || !strings.Contains(err.Error(), "Size of data received by IntegerDeserializer is not 4") {
		t.Fatalf("short INT: %v", err)
	}
}

func TestDelimited(t *testing.T) {
	c := cols("S", types.StringType, "I", types.IntType, "D", types.DoubleType, "X", types.MustDecimal(6, 4), "B", types.BooleanType, "Y", types.BytesType)
	tests := []struct {
		props map[string]string
		row   []value.Value
		want  string
	}{
		{nil, []value.Value{value.String("a"), value.Int(1), value.Double(2), value.DecimalInt64(100000, 4), value.Bool(true), value.Bytes([]byte("hi"))},
			`a,1,2.0,10.0000,true,aGk=`},
		{nil, []value.Value{value.String("a,b"), value.Null, value.Null, value.Null, value.Null, value.Null}, `"a,b",,,,,`},
		{nil, []value.Value{value.String(`say "hi"`), value.Null, value.Null, value.Null, value.Null, value.Null}, `"say ""hi""",,,,,`},
		{nil, []value.Value{value.String(" lead"), value.Null, value.Null, value.Null, value.Null, value.Null}, `" lead",,,,,`},
		{nil, []value.Value{value.String("#x"), value.Int(-1), value.Null, value.Null, value.Null, value.Null}, `"#x",-1,,,,`},
		{map[string]string{"delimiter": "TAB"}, []value.Value{value.String("a,b"), value.Int(1), value.Null, value.Null, value.Null, value.Null}, "a,b\t1\t\t\t\t"},
		{map[string]string{"delimiter": "|"}, []value.Value{value.String("x|y"), value.Int(1), value.Null, value.Null, value.Null, value.Null}, `"x|y"|1||||`},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			f := mustFormat(t, "DELIMITED", tc.props, nil)
			tg := Target{Topic: "t", Columns: c}
			s, _ := f.Serializer(ctx, tg)
			b, err := s.Serialize(nil, tc.row)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Fatalf("got %q, want %q", b, tc.want)
			}
			d, _ := f.Deserializer(ctx, tg)
			back, err := d.Deserialize(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.row {
				if value.Compare(back[i], tc.row[i]) != 0 {
					t.Fatalf("column %d: got %v, want %v", i, back[i], tc.row[i])
				}
			}
		})
	}
	f := mustFormat(t, "DELIMITED", nil, nil)
	d, _ := f.Deserializer(ctx, Target{Topic: "t", Columns: cols("A", types.IntType, "B", types.IntType)})
	for in, want := range map[string]string{
		"1":      "Column count mismatch on deserialization. topic: t, expected: 2, got: 1",
		"1,x":    `column B: For input string: "x"`,
		`"1,2`:   "EOF reached before encapsulated token finished",
		"1,2\n3": "Unexpected record count",
	} {
		if _, err := d.Deserialize([]byte(in), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
	s2, _ := mustFormat(t, "DELIMITED", nil, nil).Serializer(ctx, Target{Topic: "t", Columns: cols("A", types.StringType, "B", types.StringType)})
	if b, _ := s2.Serialize(nil, []value.Value{value.String(""), value.String("")}); string(b) != `"",` {
		t.Errorf("empty strings: got %q, want %q (an empty first token is quoted; NULL and later empties are not)", b, `"",`)
	}
	if row, err := d.Deserialize([]byte("1,2\r\n"), nil); err != nil || row[1].Int() != 2 {
		t.Errorf("trailing newline: %v %v", row, err)
	}
}

func TestNone(t *testing.T) {
	f := mustFormat(t, "NONE", nil, nil)
	d, err := f.Deserializer(context.Background(), Target{Topic: "t", IsKey: true})
	if err != nil {
		t.Fatal(err)
	}
	row, err := d.Deserialize([]byte("anything"), nil)
	if err != nil || len(row) != 0 {
		t.Fatalf("got %v %v", row, err)
	}
}
