package format

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// jsonFormat is ksqlDB's JSON: an object per row with one property per
// column, or the bare value when a single column is unwrapped.
type jsonFormat struct{}

var jsonSingles = singles{format: JSON, canWrap: true, canUnwrap: true, keyUnwrapped: true}

func (jsonFormat) Name() string { return JSON }

func (jsonFormat) Unwrapped(t Target) (bool, error) { return jsonSingles.unwrapped(t) }

func (jsonFormat) Validate(t Target) error {
	if err := checkStringMapKeys(t.Columns, "JSON only supports MAP types with STRING keys"); err != nil {
		return err
	}
	_, err := jsonSingles.unwrapped(t)
	return err
}

func (f jsonFormat) Serializer(_ context.Context, t Target) (Serializer, error) {
	return newJSONSerializer(t, jsonSingles, nil)
}

func (f jsonFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	return newJSONDeserializer(t, jsonSingles, false)
}

// jsonSerializer writes rows as JSON; with a header it writes the
// Confluent wire-format prefix first (JSON_SR).
type jsonSerializer struct {
	t         Target
	unwrapped bool
	header    []byte
	keys      [][]byte // `"NAME":` per column, quoted once
}

func newJSONSerializer(t Target, s singles, header []byte) (*jsonSerializer, error) {
	if err := checkStringMapKeys(t.Columns, "JSON only supports MAP types with STRING keys"); err != nil {
		return nil, err
	}
	un, err := s.unwrapped(t)
	if err != nil {
		return nil, err
	}
	keys := make([][]byte, len(t.Columns))
	for i, c := range t.Columns {
		keys[i] = append(AppendJSONString(nil, c.Name), ':')
	}
	return &jsonSerializer{t: t, unwrapped: un, header: header, keys: keys}, nil
}

func (s *jsonSerializer) Serialize(dst []byte, row []value.Value) ([]byte, error) {
	if row == nil {
		return nil, nil
	}
	if len(row) != len(s.t.Columns) {
		return nil, serErr(&s.t, fmt.Errorf("row has %d values for %d columns", len(row), len(s.t.Columns)))
	}
	if s.unwrapped && row[0].IsNull() {
		return nil, nil
	}
	if dst == nil {
		dst = make([]byte, 0, 128)
	}
	dst = append(dst, s.header...)
	var err error
	if s.unwrapped {
		dst, err = appendJSON(dst, row[0], s.t.Columns[0].Type)
		if err != nil {
			return nil, serErr(&s.t, err)
		}
		return dst, nil
	}
	dst = append(dst, '{')
	for i, c := range s.t.Columns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, s.keys[i]...)
		if dst, err = appendJSON(dst, row[i], c.Type); err != nil {
			return nil, serErr(&s.t, fmt.Errorf("column %s: %w", c.Name, err))
		}
	}
	return append(dst, '}'), nil
}

// jsonDeserializer reads JSON into columns, matching property names to
// column names case-insensitively and coercing values as ksqlDB does.
type jsonDeserializer struct {
	t         Target
	unwrapped bool
	sr        bool
	fields    *fields
	infos     []*jsonTypeInfo
	r         jsonReader
}

func newJSONDeserializer(t Target, s singles, sr bool) (*jsonDeserializer, error) {
	if err := checkStringMapKeys(t.Columns, "JSON only supports MAP types with STRING keys"); err != nil {
		return nil, err
	}
	un, err := s.unwrapped(t)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(t.Columns))
	infos := make([]*jsonTypeInfo, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
		infos[i] = newJSONTypeInfo(c.Type)
	}
	return &jsonDeserializer{t: t, unwrapped: un, sr: sr, fields: newFields(names), infos: infos}, nil
}

func (d *jsonDeserializer) Deserialize(data []byte, into []value.Value) ([]value.Value, error) {
	// No JSON document (nor JSON_SR message) is empty, so an empty payload
	// reads as a null record, the same as a missing one: stores and
	// producers that do not keep the two apart lose nothing.
	if len(data) == 0 {
		return nil, nil
	}
	if d.sr {
		if len(data) == 0 || data[0] != magicByte {
			return nil, deserErr(&d.t, fmt.Errorf("Got unexpected JSON serialization format that did not start with the magic byte. If this stream was not serialized using the JsonSchemaConverter, then make sure the stream is declared with JSON format (not JSON_SR)."))
		}
		if len(data) < headerSize {
			return nil, deserErr(&d.t, fmt.Errorf("message of %d bytes is shorter than the schema registry header", len(data)))
		}
		data = data[headerSize:]
	}
	d.r.b, d.r.i = data, 0
	defer func() { d.r.b = nil }()
	out := grow(into, len(d.t.Columns))
	if d.unwrapped {
		v, err := d.r.read(d.infos[0], 0)
		if err == nil {
			err = d.r.end()
		}
		if err != nil {
			return nil, deserErr(&d.t, withPath(err, "$"))
		}
		if v.IsNull() && !d.t.IsKey {
			return nil, nil
		}
		out[0] = v
		return out, nil
	}
	switch d.r.peek() {
	case 'n':
		if err := d.r.literal("null"); err != nil {
			return nil, deserErr(&d.t, err)
		}
		if err := d.r.end(); err != nil {
			return nil, deserErr(&d.t, err)
		}
		return nil, nil
	case '{':
	default:
		return nil, deserErr(&d.t, withPath(convErr(d.r.nodeName(), d.rowType()), "$"))
	}
	err := d.r.readObjectInto(d.fields, d.infos, func(i int) string { return d.t.Columns[i].Name }, out, "$", 0)
	if err == nil {
		err = d.r.end()
	}
	if err != nil {
		return nil, deserErr(&d.t, err)
	}
	return out, nil
}

func (d *jsonDeserializer) rowType() string {
	fs := make([]types.Field, len(d.t.Columns))
	for i, c := range d.t.Columns {
		fs[i] = types.Field{Name: c.Name, Type: c.Type}
	}
	return TypeString(types.StructOf(fs...))
}

// jsonSRFormat is JSON_SR: JSON behind the Confluent wire-format prefix,
// with a JSON Schema registered for the subject.
type jsonSRFormat struct {
	reg      Registry
	schemaID int // 0: generate and register
}

var jsonSRSingles = singles{format: JSONSR, canWrap: true, canUnwrap: true, keyUnwrapped: true}

func newJSONSR(p map[string]string, reg Registry) (Format, error) {
	if err := needRegistry(JSONSR, reg); err != nil {
		return nil, err
	}
	id, err := schemaIDProp(p)
	if err != nil {
		return nil, err
	}
	return &jsonSRFormat{reg: reg, schemaID: id}, nil
}

func (f *jsonSRFormat) Name() string { return JSONSR }

func (f *jsonSRFormat) Unwrapped(t Target) (bool, error) { return jsonSRSingles.unwrapped(t) }

func (f *jsonSRFormat) Validate(t Target) error {
	return jsonFormat{}.Validate(t)
}

func (f *jsonSRFormat) Serializer(ctx context.Context, t Target) (Serializer, error) {
	un, err := jsonSRSingles.unwrapped(t)
	if err != nil {
		return nil, err
	}
	id := f.schemaID
	if id == 0 {
		doc, err := JSONSchemaFor(t.Columns, un)
		if err != nil {
			return nil, err
		}
		// JSON is written the same whatever the schema says, so any schema
		// the subject already holds will do.
		id, _, err = registerOrReuse(ctx, f.reg, Subject(t.Topic, t.IsKey), Schema{Type: SchemaJSON, Text: doc},
			func(Schema, int) error { return nil })
		if err != nil {
			return nil, err
		}
	}
	return newJSONSerializer(t, jsonSRSingles, appendHeader(nil, id))
}

func (f *jsonSRFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	return newJSONDeserializer(t, jsonSRSingles, true)
}

// JSONSchemaFor returns the JSON Schema ksqlDB registers for columns (the
// shape Kafka Connect's JsonSchemaData produces: optional properties as
// oneOf null, connect.index and connect.type annotations).
func JSONSchemaFor(cols []Column, unwrapped bool) (string, error) {
	var doc any
	if unwrapped {
		doc = jsonSchemaOf(cols[0].Type)
	} else {
		props := make(map[string]any, len(cols))
		for i, c := range cols {
			s := jsonSchemaOf(c.Type)
			s["connect.index"] = i
			props[c.Name] = s
		}
		doc = map[string]any{"type": "object", "properties": props}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", &Error{Kind: ErrSchema, Msg: "generate JSON schema", Err: err}
	}
	return string(b), nil
}

func jsonSchemaOf(t *types.Type) map[string]any {
	var s map[string]any
	switch t.Kind {
	case types.Boolean:
		s = map[string]any{"type": "boolean"}
	case types.Int:
		s = map[string]any{"type": "integer", "connect.type": "int32"}
	case types.Bigint:
		s = map[string]any{"type": "integer", "connect.type": "int64"}
	case types.Double:
		s = map[string]any{"type": "number", "connect.type": "float64"}
	case types.Decimal:
		s = map[string]any{"type": "number", "title": "org.apache.kafka.connect.data.Decimal",
			"connect.version": 1, "connect.type": "bytes",
			"connect.parameters": map[string]any{"scale": fmt.Sprint(t.Scale), "connect.decimal.precision": fmt.Sprint(t.Precision)}}
	case types.String:
		s = map[string]any{"type": "string"}
	case types.Bytes:
		s = map[string]any{"type": "string", "connect.type": "bytes"}
	case types.Date:
		s = map[string]any{"type": "integer", "title": "org.apache.kafka.connect.data.Date", "connect.version": 1, "connect.type": "int32"}
	case types.Time:
		s = map[string]any{"type": "integer", "title": "org.apache.kafka.connect.data.Time", "connect.version": 1, "connect.type": "int32"}
	case types.Timestamp:
		s = map[string]any{"type": "integer", "title": "org.apache.kafka.connect.data.Timestamp", "connect.version": 1, "connect.type": "int64"}
	case types.Array:
		s = map[string]any{"type": "array", "items": jsonSchemaOf(t.Elem)}
	case types.Map:
		s = map[string]any{"type": "object", "additionalProperties": jsonSchemaOf(t.Elem), "connect.type": "map"}
	case types.Struct:
		props := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			fs := jsonSchemaOf(f.Type)
			fs["connect.index"] = i
			props[f.Name] = fs
		}
		s = map[string]any{"type": "object", "properties": props}
	default:
		s = map[string]any{}
	}
	return map[string]any{"oneOf": []any{map[string]any{"type": "null"}, s}}
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
