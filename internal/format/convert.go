package format

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// ToJSON renders v, of type t, as the JSON-compatible Go value ksqlDB's
// test vectors use for records of every format: nil, bool, int64, float64
// (DOUBLE; NaN and infinities as strings), json.Number (DECIMAL, exact),
// string, []byte as base64 string, []any and map[string]any.
func ToJSON(v value.Value, t *types.Type) any {
	if v.IsNull() {
		return nil
	}
	switch t.Kind {
	case types.Boolean:
		return v.Bool()
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		return v.AsInt64()
	case types.Double:
		f := v.AsFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return value.FormatDouble(f)
		}
		return f
	case types.Decimal:
		if v.Kind() != types.Decimal {
			return json.Number(fmt.Sprint(v.AsFloat64()))
		}
		return json.Number(v.DecimalString())
	case types.String:
		return v.Str()
	case types.Bytes:
		return base64.StdEncoding.EncodeToString(v.BytesVal())
	case types.Array:
		es := v.Elems()
		out := make([]any, len(es))
		for i, e := range es {
			out[i] = ToJSON(e, t.Elem)
		}
		return out
	case types.Map:
		es := v.Entries()
		out := make(map[string]any, len(es))
		for _, e := range es {
			k := e.Key.Str()
			if e.Key.Kind() != types.String {
				k = e.Key.String()
			}
			out[k] = ToJSON(e.Val, t.Elem)
		}
		return out
	case types.Struct:
		fs := v.Elems()
		out := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			if i < len(fs) {
				out[f.Name] = ToJSON(fs[i], f.Type)
			}
		}
		return out
	}
	return nil
}

// FromJSON converts a JSON-compatible Go value (as encoding/json decodes
// it, with or without UseNumber) to a value of type t, applying the same
// coercions as the JSON format's deserializer.
func FromJSON(x any, t *types.Type) (value.Value, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return value.Null, fmt.Errorf("from JSON: %w", err)
	}
	r := jsonReader{b: b}
	v, err := r.read(newJSONTypeInfo(t), 0)
	if err == nil {
		err = r.end()
	}
	if err != nil {
		return value.Null, fmt.Errorf("from JSON: %w", withPath(err, "$"))
	}
	return v, nil
}

// RowToJSON renders a row as the vectors write a record: an object keyed
// by column name, or with unwrapped the single column's value. A nil row
// renders as nil.
func RowToJSON(cols []Column, row []value.Value, unwrapped bool) any {
	if row == nil {
		return nil
	}
	if unwrapped && len(cols) == 1 {
		return ToJSON(row[0], cols[0].Type)
	}
	out := make(map[string]any, len(cols))
	for i, c := range cols {
		if i < len(row) {
			out[c.Name] = ToJSON(row[i], c.Type)
		}
	}
	return out
}

// RowFromJSON is the inverse of RowToJSON: object properties match column
// names case-insensitively. A nil x is a nil row.
func RowFromJSON(cols []Column, x any, unwrapped bool) ([]value.Value, error) {
	if x == nil {
		return nil, nil
	}
	if len(cols) == 0 {
		// A schema without columns (a keyless stream's key, NONE) ignores
		// whatever the record holds.
		return []value.Value{}, nil
	}
	if unwrapped && len(cols) == 1 {
		v, err := FromJSON(x, cols[0].Type)
		if err != nil {
			return nil, err
		}
		return []value.Value{v}, nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("from JSON: %w", err)
	}
	names := make([]string, len(cols))
	infos := make([]*jsonTypeInfo, len(cols))
	for i, c := range cols {
		names[i], infos[i] = c.Name, newJSONTypeInfo(c.Type)
	}
	r := jsonReader{b: b}
	if r.peek() != '{' {
		return nil, fmt.Errorf("from JSON: %w", withPath(convErr(r.nodeName(), "STRUCT"), "$"))
	}
	out := make([]value.Value, len(cols))
	err = r.readObjectInto(newFields(names), infos, func(i int) string { return names[i] }, out, "$", 0)
	if err != nil {
		return nil, fmt.Errorf("from JSON: %w", err)
	}
	return out, nil
}
