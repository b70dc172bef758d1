package server

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// restValue renders v as ksqlDB's REST API does: like the JSON format,
// except that DATE, TIME and TIMESTAMP are ISO-8601 strings.
func restValue(v value.Value, t *types.Type) any {
	if v.IsNull() || t == nil {
		if t == nil && !v.IsNull() {
			return v.String()
		}
		return nil
	}
	switch t.Kind {
	case types.Double:
		// Jackson writes a double as Java's Double.toString does, always
		// with a fraction or exponent, so clients read it as a double.
		f := v.AsFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return value.FormatDouble(f)
		}
		return json.Number(value.FormatDouble(f))
	case types.Date:
		return time.UnixMilli(v.Days() * 86400000).UTC().Format("2006-01-02")
	case types.Time:
		return time.UnixMilli(v.Millis()).UTC().Format("15:04:05.000")
	case types.Timestamp:
		return time.UnixMilli(v.Millis()).UTC().Format("2006-01-02T15:04:05.000")
	case types.Array:
		es := v.Elems()
		out := make([]any, len(es))
		for i, e := range es {
			out[i] = restValue(e, t.Elem)
		}
		return out
	case types.Map:
		out := map[string]any{}
		for _, e := range v.Entries() {
			k := e.Key.Str()
			if e.Key.Kind() != types.String {
				k = e.Key.String()
			}
			out[k] = restValue(e.Val, t.Elem)
		}
		return out
	case types.Struct:
		fs := v.Elems()
		out := make(map[string]any, len(t.Fields))
		for i, f := range t.Fields {
			if i < len(fs) {
				out[f.Name] = restValue(fs[i], f.Type)
			}
		}
		return out
	}
	return format.ToJSON(v, t)
}

func restRow(cols []Column, row []value.Value) []any {
	out := make([]any, len(row))
	for i, v := range row {
		var t *types.Type
		if i < len(cols) {
			t = cols[i].Type
		}
		out[i] = restValue(v, t)
	}
	return out
}

// schemaString renders columns as ksqlDB's /query header schema:
// "`ID` INTEGER KEY, `NAME` STRING".
func schemaString(cols []Column) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "`%s` %s", c.Name, c.Type.Quoted())
		if c.Key {
			b.WriteString(" KEY")
		}
	}
	return b.String()
}

// sqlLiteral renders a JSON value from /inserts-stream as a SQL literal of
// type t, so that a row can be inserted through INSERT VALUES and follow
// exactly the coercions that statement applies.
func sqlLiteral(x any, t *types.Type) (string, error) {
	if x == nil {
		return "NULL", nil
	}
	switch v := x.(type) {
	case bool:
		if v {
			return "TRUE", nil
		}
		return "FALSE", nil
	case json.Number:
		return v.String(), nil
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'", nil
	case []any:
		var elem *types.Type
		if t != nil {
			elem = t.Elem
		}
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := sqlLiteral(e, elem)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "ARRAY[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		if t != nil && t.Kind == types.Struct {
			var parts []string
			for _, f := range t.Fields {
				fv, ok := lookupFold(v, f.Name)
				if !ok {
					continue
				}
				s, err := sqlLiteral(fv, f.Type)
				if err != nil {
					return "", err
				}
				parts = append(parts, types.QuoteIdent(f.Name)+" := "+s)
			}
			return "STRUCT(" + strings.Join(parts, ", ") + ")", nil
		}
		var elem *types.Type
		if t != nil {
			elem = t.Elem
		}
		var parts []string
		for k, e := range v {
			s, err := sqlLiteral(e, elem)
			if err != nil {
				return "", err
			}
			parts = append(parts, "'"+strings.ReplaceAll(k, "'", "''")+"' := "+s)
		}
		return "MAP(" + strings.Join(parts, ", ") + ")", nil
	}
	return "", fmt.Errorf("unsupported JSON value %T", x)
}

func lookupFold(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}
