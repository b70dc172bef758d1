package connect

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Avro schema properties Confluent's AvroConverter writes so that a schema
// round-trips to the same Connect schema.
const (
	avroConnectName    = "connect.name"
	avroConnectVersion = "connect.version"
	avroConnectDoc     = "connect.doc"
	avroConnectParams  = "connect.parameters"
	avroConnectType    = "connect.type"
	avroConnectDefault = "connect.default"
	avroDefaultName    = "ConnectDefault"
	avroDefaultNS      = "io.confluent.connect.avro"
)

// avroSchemaJSON renders s as an Avro schema the way Confluent's AvroData
// does (connect.* properties, optional values as ["null", T] unions with a
// null default), as compact JSON.
func avroSchemaJSON(s *Schema) (string, error) {
	g := &avroGen{named: map[string]bool{}}
	// A top-level optional schema stays bare, as Confluent's AvroData
	// writes it: a null value is a null message, not a union branch.
	v, err := g.base(s)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("avro schema: %w", err)
	}
	return string(b), nil
}

type avroGen struct {
	named   map[string]bool
	unnamed int
}

// ordered is a JSON object that keeps its keys in insertion order, so
// that schema text (and so registry identity) is deterministic.
type ordered []kv

type kv struct {
	k string
	v any
}

func (o ordered) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(e.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// SanitizeAvroName replaces characters Avro forbids in a name (anything
// but letters, digits and _; a leading digit) with _, as Debezium's
// schema.name.adjustment.mode=avro does. Dots separate namespace parts and
// are kept.
func SanitizeAvroName(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		var b strings.Builder
		for j, r := range p {
			ok := r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (j > 0 && r >= '0' && r <= '9')
			if ok {
				b.WriteRune(r)
			} else {
				b.WriteByte('_')
			}
		}
		if b.Len() == 0 {
			b.WriteByte('_')
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

func (g *avroGen) connectProps(o ordered, s *Schema, withName bool) ordered {
	if s.Doc != "" {
		o = append(o, kv{avroConnectDoc, s.Doc})
	}
	if s.Version != 0 {
		o = append(o, kv{avroConnectVersion, s.Version})
	}
	if len(s.Params) > 0 {
		keys := sortedKeys(s.Params)
		p := make(ordered, 0, len(keys))
		for _, k := range keys {
			p = append(p, kv{k, s.Params[k]})
		}
		o = append(o, kv{avroConnectParams, p})
	}
	if withName && s.Name != "" {
		o = append(o, kv{avroConnectName, s.Name})
	}
	return o
}

// schema returns the Avro schema for s; optional schemas become
// ["null", T] unions, as Confluent's AvroData writes them.
func (g *avroGen) schema(s *Schema) (any, error) {
	base, err := g.base(s)
	if err != nil {
		return nil, err
	}
	if s.Optional {
		return []any{"null", base}, nil
	}
	return base, nil
}

func (g *avroGen) base(s *Schema) (any, error) {
	prim := func(t string, extra ...kv) any {
		o := ordered{{"type", t}}
		o = append(o, extra...)
		o = g.connectProps(o, s, true)
		if len(o) == 1 {
			return t
		}
		return o
	}
	switch s.Name {
	case DecimalName:
		scale, _ := strconv.Atoi(s.Params[DecimalScaleParam])
		prec := 64
		if p, err := strconv.Atoi(s.Params["connect.decimal.precision"]); err == nil {
			prec = p
		}
		return g.connectProps(ordered{{"type", "bytes"}, {"scale", scale}, {"precision", prec}}, s, true).withLogical("decimal"), nil
	case DateName:
		return g.connectProps(ordered{{"type", "int"}}, s, true).withLogical("date"), nil
	case TimeName:
		return g.connectProps(ordered{{"type", "int"}}, s, true).withLogical("time-millis"), nil
	case TimestampName:
		return g.connectProps(ordered{{"type", "long"}}, s, true).withLogical("timestamp-millis"), nil
	}
	switch s.Type {
	case Int8:
		return prim("int", kv{avroConnectType, "int8"}), nil
	case Int16:
		return prim("int", kv{avroConnectType, "int16"}), nil
	case Int32:
		return prim("int"), nil
	case Int64:
		return prim("long"), nil
	case Float32:
		return prim("float"), nil
	case Float64:
		return prim("double"), nil
	case Boolean:
		return prim("boolean"), nil
	case String:
		return prim("string"), nil
	case Bytes:
		return prim("bytes"), nil
	case Array:
		items, err := g.schema(s.Elem)
		if err != nil {
			return nil, err
		}
		return g.connectProps(ordered{{"type", "array"}, {"items", items}}, s, true), nil
	case Map:
		vals, err := g.schema(s.Elem)
		if err != nil {
			return nil, err
		}
		if s.KeyS != nil && s.KeyS.Type == String && !s.KeyS.Optional {
			return g.connectProps(ordered{{"type", "map"}, {"values", vals}}, s, true), nil
		}
		keys, err := g.schema(s.KeyS)
		if err != nil {
			return nil, err
		}
		entry := ordered{{"type", "record"}, {"name", "MapEntry"}, {"namespace", avroDefaultNS},
			{"fields", []any{ordered{{"name", "key"}, {"type", keys}}, ordered{{"name", "value"}, {"type", vals}}}}}
		if g.named[avroDefaultNS+".MapEntry"] {
			entry = ordered{{"type", avroDefaultNS + ".MapEntry"}}
		}
		g.named[avroDefaultNS+".MapEntry"] = true
		return g.connectProps(ordered{{"type", "array"}, {"items", entry}}, s, true), nil
	case StructType:
		full := s.Name
		if full == "" {
			g.unnamed++
			full = avroDefaultNS + "." + avroDefaultName
			if g.unnamed > 1 {
				full += strconv.Itoa(g.unnamed - 1)
			}
		}
		full = SanitizeAvroName(full)
		if g.named[full] {
			return full, nil
		}
		g.named[full] = true
		ns, name := "", full
		if i := strings.LastIndexByte(full, '.'); i >= 0 {
			ns, name = full[:i], full[i+1:]
		}
		o := ordered{{"type", "record"}, {"name", name}}
		if ns != "" {
			o = append(o, kv{"namespace", ns})
		}
		fields := make([]any, 0, len(s.Fields))
		for _, f := range s.Fields {
			ft, err := g.schema(f.Schema)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", f.Name, err)
			}
			fo := ordered{{"name", SanitizeAvroName(f.Name)}, {"type", ft}}
			switch {
			case f.Schema.Default != nil:
				d, err := avroDefault(f.Schema, f.Schema.Default)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", f.Name, err)
				}
				fo = append(fo, kv{"default", d})
			case f.Schema.Optional:
				fo = append(fo, kv{"default", nil})
			}
			fields = append(fields, fo)
		}
		o = append(o, kv{"fields", fields})
		if s.Name != "" {
			o = g.connectProps(o, s, true)
		} else {
			o = g.connectProps(o, s, false)
		}
		return o, nil
	}
	return nil, fmt.Errorf("avro schema: unsupported connect type %v", s.Type)
}

func (o ordered) withLogical(l string) ordered { return append(o, kv{"logicalType", l}) }

// avroDefault renders a default value as Avro JSON. An optional field's
// union starts with null, so Confluent writes a non-null default for it
// only by reordering; Sluice keeps null first and so defaults optional
// fields to null.
func avroDefault(s *Schema, v any) (any, error) {
	if s.Optional {
		return nil, nil
	}
	switch x := v.(type) {
	case []byte:
		return string(x), nil
	case Decimal, *Struct:
		return nil, fmt.Errorf("avro schema: default of %T is not supported", v)
	}
	return v, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
