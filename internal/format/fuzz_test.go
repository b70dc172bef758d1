package format

import (
	"context"
	"testing"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// fuzzCols covers every type, so decoders walk every code path.
func fuzzCols() []Column { return allTypesCols() }

// fuzzDecode feeds data to d and, when it decodes, checks the row
// re-encodes: decoders must return errors, never panic or loop.
func fuzzDecode(t *testing.T, d Deserializer, s Serializer, data []byte) {
	row, err := d.Deserialize(data, nil)
	if err != nil || row == nil || s == nil {
		return
	}
	if _, err := s.Serialize(nil, row); err != nil {
		// A decoded row may still not fit on the way out (e.g. a DECIMAL
		// the writer's precision rejects); that must be an error, which it is.
		return
	}
}

func seedRows(t testing.TB, s Serializer) [][]byte {
	var out [][]byte
	for _, row := range [][]value.Value{allTypesRow(), make([]value.Value, len(allTypesCols()))} {
		b, err := s.Serialize(nil, row)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func FuzzJSON(f *testing.F) {
	fm := mustFormat(f, "JSON", nil, nil)
	tg := Target{Topic: "t", Columns: fuzzCols()}
	s, _ := fm.Serializer(context.Background(), tg)
	d, _ := fm.Deserializer(context.Background(), tg)
	for _, b := range seedRows(f, s) {
		f.Add(b)
	}
	f.Add([]byte(`{"i": "12", "s": {"a": [1, {"b": null}]}, "A": [1, true, "x"], "ST": {"f2": ["1.5", 2]}}`))
	f.Add([]byte(`"\ud83d\ude00\u0000"`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDecode(t, d, s, data)
		u, _ := fm.Deserializer(context.Background(), Target{Topic: "t", Columns: cols("V", types.StringType), Wrap: Unwrapped})
		_, _ = u.Deserialize(data, nil)
	})
}

func FuzzAvro(f *testing.F) {
	reg, _ := newTestRegistry(f)
	fm := mustFormat(f, "AVRO", nil, reg)
	tg := Target{Topic: "t", Columns: fuzzCols()}
	s, err := fm.Serializer(context.Background(), tg)
	if err != nil {
		f.Fatal(err)
	}
	d, _ := fm.Deserializer(context.Background(), tg)
	for _, b := range seedRows(f, s) {
		f.Add(b)
	}
	// A foreign writer schema with the shapes generated schemas lack:
	// general unions, enums, fixed, Connect map entries, nested records.
	foreign := `{"type":"record","name":"r","fields":[{"name":"u","type":["null","int","string"]},{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},{"name":"fx","type":{"type":"fixed","name":"F","size":3}},{"name":"m","type":{"type":"array","items":{"type":"record","name":"MapEntry","namespace":"io.confluent.connect.avro","fields":[{"name":"key","type":"string"},{"name":"value","type":["null","long"]}]}}},{"name":"n","type":{"type":"record","name":"N","fields":[{"name":"x","type":{"type":"map","values":"float"}}]}}]}`
	fid, err := reg.Register(context.Background(), "foreign-value", Schema{Type: SchemaAvro, Text: foreign})
	if err != nil {
		f.Fatal(err)
	}
	inf, err := Infer(Schema{Type: SchemaAvro, Text: foreign}, false, InferOptions{})
	if err != nil {
		f.Fatal(err)
	}
	fd, _ := fm.Deserializer(context.Background(), Target{Topic: "foreign", Columns: inf.Columns})
	f.Add(append(appendHeader(nil, fid), 2, 10, 2, 1, 2, 3, 2, 2, 'k', 2, 4, 0, 2, 2, 'x', 0, 0, 128, 63, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Keep a registered header so the fuzzer explores the payload.
		if len(data) >= 5 {
			id := byte(1)
			if data[0]%2 == 1 {
				id = byte(fid)
			}
			copy(data, []byte{0, 0, 0, 0, id})
		}
		fuzzDecode(t, d, s, data)
		_, _ = fd.Deserialize(data, nil)
	})
}

func FuzzProtobuf(f *testing.F) {
	reg, _ := newTestRegistry(f)
	fm := mustFormat(f, "PROTOBUF", nil, reg)
	tg := Target{Topic: "t", Columns: fuzzCols()}
	s, err := fm.Serializer(context.Background(), tg)
	if err != nil {
		f.Fatal(err)
	}
	d, _ := fm.Deserializer(context.Background(), tg)
	nosr := mustFormat(f, "PROTOBUF_NOSR", nil, nil)
	nd, _ := nosr.Deserializer(context.Background(), tg)
	for _, b := range seedRows(f, s) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) >= 5 {
			copy(data, []byte{0, 0, 0, 0, 1})
		}
		fuzzDecode(t, d, s, data)
		if len(data) >= 6 {
			_, _ = nd.Deserialize(data[6:], nil)
		}
	})
}

func FuzzDelimited(f *testing.F) {
	fm := mustFormat(f, "DELIMITED", nil, nil)
	c := cols("S", types.StringType, "I", types.IntType, "D", types.DoubleType, "X", types.MustDecimal(6, 2), "Y", types.BytesType, "TS", types.TimestampType)
	tg := Target{Topic: "t", Columns: c}
	s, _ := fm.Serializer(context.Background(), tg)
	d, _ := fm.Deserializer(context.Background(), tg)
	f.Add([]byte(`"a,""b",1,2.5,3.25,aGk=,1600000000000`))
	f.Add([]byte(",,,,,\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		row, err := d.Deserialize(data, nil)
		if err != nil || row == nil {
			return
		}
		b, err := s.Serialize(nil, row)
		if err != nil {
			t.Fatalf("re-encode %q: %v", data, err)
		}
		back, err := d.Deserialize(b, nil)
		if err != nil {
			t.Fatalf("decode of re-encoded %q (%q): %v", data, b, err)
		}
		for i := range row {
			if value.Compare(back[i], row[i]) != 0 && !(row[i].Kind() == types.String && row[i].Str() == "") {
				t.Fatalf("column %d: %v != %v (%q → %q)", i, back[i], row[i], data, b)
			}
		}
	})
}

func FuzzKafka(f *testing.F) {
	fm := mustFormat(f, "KAFKA", nil, nil)
	var ds []Deserializer
	for _, ty := range []*types.Type{types.IntType, types.BigintType, types.DoubleType, types.StringType, types.BytesType} {
		d, _ := fm.Deserializer(context.Background(), Target{Topic: "t", Columns: cols("K", ty), IsKey: true})
		ds = append(ds, d)
	}
	f.Add([]byte{0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range ds {
			_, _ = d.Deserialize(data, nil)
		}
	})
}
