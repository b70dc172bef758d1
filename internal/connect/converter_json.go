package connect

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"
)

// jsonConverter is Kafka's JsonConverter. With schemas.enable (the
// default) a message is {"schema": ..., "payload": ...}; without, it is
// the bare payload. Decimals are written as numbers under
// decimal.format=NUMERIC and base64 bytes otherwise, as Kafka does.
type jsonConverter struct {
	schemas bool
	numeric bool
}

func newJSONConverter(cfg map[string]string, _ ConverterEnv) (Converter, error) {
	c := &jsonConverter{schemas: true}
	if v, ok := cfg["schemas.enable"]; ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
		case "false":
			c.schemas = false
		default:
			return nil, &ConfigError{Key: "schemas.enable", Msg: fmt.Sprintf("%q is not a boolean (expected true or false)", v)}
		}
	}
	if v, ok := cfg["decimal.format"]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "BASE64":
		case "NUMERIC":
			c.numeric = true
		default:
			return nil, &ConfigError{Key: "decimal.format", Msg: fmt.Sprintf("%q is not one of the accepted values: BASE64, NUMERIC", v)}
		}
	}
	return c, nil
}

func (c *jsonConverter) FromConnect(_ context.Context, topic string, s *Schema, v any) ([]byte, error) {
	if v == nil && !c.schemas {
		return nil, nil
	}
	if v == nil && (s == nil || s.Optional) {
		return nil, nil
	}
	p, err := jsonValue(s, v, c.numeric)
	if err != nil {
		return nil, fmt.Errorf("json converter: topic %s: %w", topic, err)
	}
	if !c.schemas {
		return marshalJSON(p)
	}
	var js any
	if s != nil {
		js = jsonSchema(s, "")
	}
	return marshalJSON(ordered{{"schema", js}, {"payload", p}})
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// jsonSchema renders s in Kafka Connect's JSON schema form.
func jsonSchema(s *Schema, field string) any {
	o := ordered{{"type", s.Type.String()}}
	switch s.Type {
	case Array:
		o = append(o, kv{"items", jsonSchema(s.Elem, "")})
	case Map:
		o = append(o, kv{"keys", jsonSchema(s.KeyS, "")}, kv{"values", jsonSchema(s.Elem, "")})
	case StructType:
		fs := make([]any, len(s.Fields))
		for i, f := range s.Fields {
			fs[i] = jsonSchema(f.Schema, f.Name)
		}
		o = append(o, kv{"fields", fs})
	}
	o = append(o, kv{"optional", s.Optional})
	if s.Default != nil {
		if d, err := jsonValue(s, s.Default, false); err == nil {
			o = append(o, kv{"default", d})
		}
	}
	if s.Name != "" {
		o = append(o, kv{"name", s.Name})
	}
	if s.Version != 0 {
		o = append(o, kv{"version", s.Version})
	}
	if s.Doc != "" {
		o = append(o, kv{"doc", s.Doc})
	}
	if len(s.Params) > 0 {
		p := ordered{}
		for _, k := range sortedKeys(s.Params) {
			p = append(p, kv{k, s.Params[k]})
		}
		o = append(o, kv{"parameters", p})
	}
	if field != "" {
		o = append(o, kv{"field", field})
	}
	return o
}

// jsonValue turns a Connect value into what encoding/json writes. s may be
// nil for schemaless values.
func jsonValue(s *Schema, v any, numeric bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	if s != nil {
		switch s.Name {
		case DecimalName:
			d, ok := v.(Decimal)
			if !ok {
				return nil, fmt.Errorf("decimal needs a Decimal, got %T", v)
			}
			if numeric {
				return json.Number(d.String()), nil
			}
			return base64.StdEncoding.EncodeToString(decimalBytes(d)), nil
		case DateName:
			if t, ok := v.(time.Time); ok {
				return t.UTC().Unix() / 86400, nil
			}
		case TimeName:
			if t, ok := v.(time.Time); ok {
				t = t.UTC()
				return t.Hour()*3600000 + t.Minute()*60000 + t.Second()*1000 + t.Nanosecond()/1e6, nil
			}
		case TimestampName:
			if t, ok := v.(time.Time); ok {
				return t.UnixMilli(), nil
			}
		}
	}
	switch x := v.(type) {
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case *Struct:
		o := make(ordered, len(x.Schema.Fields))
		for i, f := range x.Schema.Fields {
			fv, err := jsonValue(f.Schema, x.Values[i], numeric)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			o[i] = kv{f.Name, fv}
		}
		return o, nil
	case []any:
		var es *Schema
		if s != nil {
			es = s.Elem
		}
		out := make([]any, len(x))
		for i, e := range x {
			jv, err := jsonValue(es, e, numeric)
			if err != nil {
				return nil, err
			}
			out[i] = jv
		}
		return out, nil
	case map[string]any:
		var es *Schema
		if s != nil {
			es = s.Elem
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			jv, err := jsonValue(es, e, numeric)
			if err != nil {
				return nil, err
			}
			out[k] = jv
		}
		return out, nil
	case map[any]any:
		var ks, es *Schema
		if s != nil {
			ks, es = s.KeyS, s.Elem
		}
		if ks == nil || ks.Type == String {
			out := make(map[string]any, len(x))
			for k, e := range x {
				jv, err := jsonValue(es, e, numeric)
				if err != nil {
					return nil, err
				}
				out[fmt.Sprint(k)] = jv
			}
			return out, nil
		}
		// Kafka writes maps with non-string keys as [[k, v], ...].
		out := make([]any, 0, len(x))
		for k, e := range x {
			jk, err := jsonValue(ks, k, numeric)
			if err != nil {
				return nil, err
			}
			jv, err := jsonValue(es, e, numeric)
			if err != nil {
				return nil, err
			}
			out = append(out, []any{jk, jv})
		}
		sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
		return out, nil
	case float32:
		return float64(x), nil
	}
	return v, nil
}

func (c *jsonConverter) ToConnect(_ context.Context, topic string, b []byte) (*Schema, any, error) {
	if b == nil {
		return nil, nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, nil, fmt.Errorf("json converter: topic %s: %w", topic, err)
	}
	if !c.schemas {
		return nil, schemaless(v), nil
	}
	env, ok := v.(map[string]any)
	if !ok || len(env) != 2 || !hasKeys(env, "schema", "payload") {
		return nil, nil, fmt.Errorf("json converter: topic %s: JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration", topic)
	}
	if env["schema"] == nil {
		return nil, schemaless(env["payload"]), nil
	}
	s, err := parseJSONSchema(env["schema"])
	if err != nil {
		return nil, nil, fmt.Errorf("json converter: topic %s: %w", topic, err)
	}
	val, err := fromJSON(s, env["payload"])
	if err != nil {
		return nil, nil, fmt.Errorf("json converter: topic %s: %w", topic, err)
	}
	return s, val, nil
}

func hasKeys(m map[string]any, keys ...string) bool {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

// schemaless turns decoded JSON into Connect values as Kafka's converter
// does without a schema: numbers become int64 or float64.
func schemaless(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = schemaless(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = schemaless(x[k])
		}
		return x
	}
	return v
}

func parseJSONSchema(v any) (*Schema, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema must be an object")
	}
	s := &Schema{}
	t, _ := m["type"].(string)
	for i, n := range typeNames {
		if n == t && i > 0 {
			s.Type = Type(i)
		}
	}
	if s.Type == 0 {
		return nil, fmt.Errorf("unknown schema type %q", t)
	}
	s.Optional, _ = m["optional"].(bool)
	s.Name, _ = m["name"].(string)
	s.Doc, _ = m["doc"].(string)
	if n, ok := m["version"].(json.Number); ok {
		v, _ := n.Int64()
		s.Version = int(v)
	}
	if p, ok := m["parameters"].(map[string]any); ok {
		s.Params = map[string]string{}
		for k, v := range p {
			s.Params[k] = fmt.Sprint(v)
		}
	}
	var err error
	switch s.Type {
	case Array:
		s.Elem, err = parseJSONSchema(m["items"])
	case Map:
		if s.KeyS, err = parseJSONSchema(m["keys"]); err == nil {
			s.Elem, err = parseJSONSchema(m["values"])
		}
	case StructType:
		for i, f := range asSlice(m["fields"]) {
			fs, ferr := parseJSONSchema(f)
			if ferr != nil {
				return nil, ferr
			}
			name, _ := f.(map[string]any)["field"].(string)
			s.Fields = append(s.Fields, Field{Name: name, Index: i, Schema: fs})
		}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// fromJSON converts a decoded JSON payload to a Connect value of schema s.
func fromJSON(s *Schema, v any) (any, error) {
	if v == nil {
		if s.Default != nil {
			return s.Default, nil
		}
		return nil, nil
	}
	num := func() (json.Number, error) {
		n, ok := v.(json.Number)
		if !ok {
			return "", fmt.Errorf("expected a number for %s, got %T", s.Type, v)
		}
		return n, nil
	}
	switch s.Name {
	case DecimalName:
		scale, _ := strconv.Atoi(s.Params[DecimalScaleParam])
		switch x := v.(type) {
		case string:
			raw, err := base64.StdEncoding.DecodeString(x)
			if err != nil {
				return nil, fmt.Errorf("decimal: %w", err)
			}
			return decimalFromBytes(raw, scale), nil
		case json.Number:
			r, ok := new(big.Rat).SetString(x.String())
			if !ok {
				return nil, fmt.Errorf("decimal: bad number %s", x)
			}
			m := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)
			r.Mul(r, new(big.Rat).SetInt(m))
			return Decimal{Unscaled: new(big.Int).Quo(r.Num(), r.Denom()), Scale: scale}, nil
		}
	case DateName, TimeName, TimestampName:
		n, err := num()
		if err != nil {
			return nil, err
		}
		i, _ := n.Int64()
		if s.Name == DateName {
			return time.Unix(i*86400, 0).UTC(), nil
		}
		return time.UnixMilli(i).UTC(), nil
	}
	switch s.Type {
	case Int8, Int16, Int32, Int64:
		n, err := num()
		if err != nil {
			return nil, err
		}
		i, err := n.Int64()
		if err != nil {
			return nil, fmt.Errorf("expected an integer for %s: %w", s.Type, err)
		}
		switch s.Type {
		case Int8:
			return int8(i), nil
		case Int16:
			return int16(i), nil
		case Int32:
			return int32(i), nil
		}
		return i, nil
	case Float32, Float64:
		n, err := num()
		if err != nil {
			return nil, err
		}
		f, _ := n.Float64()
		if s.Type == Float32 {
			return float32(f), nil
		}
		return f, nil
	case Boolean:
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("expected a boolean, got %T", v)
		}
		return b, nil
	case String:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected a string, got %T", v)
		}
		return str, nil
	case Bytes:
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("expected base64 bytes, got %T", v)
		}
		return base64.StdEncoding.DecodeString(str)
	case Array:
		items := asSlice(v)
		out := make([]any, len(items))
		for i, it := range items {
			x, err := fromJSON(s.Elem, it)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case Map:
		if m, ok := v.(map[string]any); ok {
			out := make(map[string]any, len(m))
			for k, it := range m {
				x, err := fromJSON(s.Elem, it)
				if err != nil {
					return nil, err
				}
				out[k] = x
			}
			return out, nil
		}
		out := map[any]any{}
		for _, e := range asSlice(v) {
			pair := asSlice(e)
			if len(pair) != 2 {
				return nil, fmt.Errorf("map entry must be [key, value]")
			}
			k, err := fromJSON(s.KeyS, pair[0])
			if err != nil {
				return nil, err
			}
			x, err := fromJSON(s.Elem, pair[1])
			if err != nil {
				return nil, err
			}
			out[k] = x
		}
		return out, nil
	case StructType:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("expected an object for struct %s, got %T", s.Name, v)
		}
		st := NewStruct(s)
		for i, f := range s.Fields {
			x, err := fromJSON(f.Schema, m[f.Name])
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			st.Values[i] = x
		}
		return st, nil
	}
	return nil, fmt.Errorf("unsupported schema type %s", s.Type)
}
