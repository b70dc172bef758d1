package format

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/types"
)

// InferOptions tune schema → columns inference.
type InferOptions struct {
	// Unwrapped maps the whole schema to one column, ROWKEY or ROWVAL, as
	// ksqlDB does for keys (unwrapped by default) and for values with
	// WRAP_SINGLE_VALUE=false, even when the schema is a record.
	Unwrapped bool
	// KeepNames keeps field names as the schema spells them. ksqlDB does
	// this when the schema was picked by id (KEY_SCHEMA_ID/VALUE_SCHEMA_ID)
	// and upper-cases them otherwise.
	KeepNames bool
	// FullSchemaName picks a Protobuf message other than the file's first.
	FullSchemaName string
	// ProtobufWrappersAsStructs keeps google.protobuf.*Value fields as
	// STRUCT<VALUE T> (the source's unwrapPrimitives=false).
	ProtobufWrappersAsStructs bool
}

// Inferred is the outcome of inference: the columns, and whether the
// schema is a bare value (an unwrapped single column named ROWKEY/ROWVAL).
type Inferred struct {
	Columns   []Column
	Unwrapped bool
	SchemaID  int
}

// InferColumns fetches a topic's key or value schema (by schemaId when
// set, else the subject's latest) and maps it to ksqlDB columns, for
// CREATE STREAM/TABLE statements that give no columns.
//
// wrap is the source's WRAP_SINGLE_VALUE (values) or the key's wrapping;
// with the format's default, keys infer as one ROWKEY column where the
// format unwraps keys (AVRO, JSON_SR) and as the message's fields where it
// cannot (PROTOBUF).
func InferColumns(ctx context.Context, reg Registry, format string, props map[string]string, topic string, isKey bool, wrap Wrapping) (Inferred, error) {
	f := strings.ToUpper(strings.TrimSpace(format))
	switch f {
	case Avro, Protobuf, JSONSR:
	default:
		return Inferred{}, newErr(ErrUnsupported, "%s does not support schema inference", f)
	}
	if reg == nil {
		return Inferred{}, needRegistry(f, reg)
	}
	p := normProps(props)
	id, err := schemaIDProp(p)
	if err != nil {
		return Inferred{}, err
	}
	what := "values"
	if isKey {
		what = "keys"
	}
	var s Schema
	if id != 0 {
		s, err = reg.SchemaByID(ctx, id)
	} else {
		id, s, err = reg.Latest(ctx, Subject(topic, isKey))
	}
	if err != nil {
		if errors.Is(err, registry.ErrSubjectNotFound) || errors.Is(err, registry.ErrSchemaNotFound) || errors.Is(err, registry.ErrVersionNotFound) {
			return Inferred{}, &Error{Kind: ErrSchema, Msg: fmt.Sprintf("Schema for message %s on topic '%s' does not exist in the Schema Registry.", what, topic), Err: err}
		}
		return Inferred{}, &Error{Kind: ErrSchema, Msg: fmt.Sprintf("fetch schema for message %s on topic '%s'", what, topic), Err: err}
	}
	sg := avroSingles
	switch f {
	case JSONSR:
		sg = jsonSRSingles
	case Protobuf:
		sg = singles{format: Protobuf, canWrap: true}
	}
	un, err := sg.unwrapped(Target{IsKey: isKey, Wrap: wrap, Columns: make([]Column, 1)})
	if err != nil {
		return Inferred{}, err
	}
	opts := InferOptions{KeepNames: p[PropSchemaID] != "", FullSchemaName: p[PropFullSchemaName], Unwrapped: un,
		ProtobufWrappersAsStructs: strings.EqualFold(strings.TrimSpace(p[PropUnwrapPrimitives]), "false")}
	out, err := Infer(s, isKey, opts)
	if err != nil {
		if f == Protobuf && opts.FullSchemaName != "" {
			return Inferred{}, &Error{Kind: ErrSchema, Msg: fmt.Sprintf("Schema for message %s on topic '%s' does not exist in the Schema Registry.", what, topic), Err: err}
		}
		return Inferred{}, err
	}
	out.SchemaID = id
	return out, nil
}

// Infer maps a registry schema of any type to ksqlDB columns.
func Infer(s Schema, isKey bool, opts InferOptions) (Inferred, error) {
	if opts.Unwrapped && strings.ToUpper(s.Type) != SchemaProtobuf {
		return inferSingle(s, isKey, opts)
	}
	switch strings.ToUpper(s.Type) {
	case "", SchemaAvro:
		cols, un, err := inferAvro(s, isKey, opts.KeepNames)
		return Inferred{Columns: cols, Unwrapped: un}, err
	case SchemaProtobuf:
		cols, err := InferProtobufOpts(s, opts.FullSchemaName, ProtobufInferOptions{KeepNames: opts.KeepNames, WrappersAsStructs: opts.ProtobufWrappersAsStructs})
		return Inferred{Columns: cols}, err
	case SchemaJSON:
		return inferJSONSchema(s.Text, isKey, opts.KeepNames)
	}
	return Inferred{}, newErr(ErrSchema, "unknown schema type %s", s.Type)
}

// jnode is a JSON value that keeps object key order, which JSON Schema
// properties need: columns come out in the order they are written.
type jnode struct {
	keys []string
	vals []*jnode
	arr  []*jnode
	val  any  // string, json.Number, bool, nil
	kind byte // 'o', 'a', 'v'
}

func (n *jnode) get(k string) *jnode {
	if n == nil || n.kind != 'o' {
		return nil
	}
	for i, key := range n.keys {
		if key == k {
			return n.vals[i]
		}
	}
	return nil
}

func (n *jnode) str() string {
	if n == nil {
		return ""
	}
	s, _ := n.val.(string)
	return s
}

func parseJNode(dec *json.Decoder, depth int) (*jnode, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("JSON schema nests too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &jnode{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := parseJNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.keys, n.vals = append(n.keys, k), append(n.vals, v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &jnode{kind: 'a'}
			for dec.More() {
				v, err := parseJNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			_, err := dec.Token()
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return &jnode{kind: 'v', val: tok}, nil
}

// inferJSONSchema maps a JSON Schema (as Connect's JsonSchemaData writes
// it, or hand-written) to columns: an object's properties, ordered by
// connect.index when present, else as written.
func inferJSONSchema(text string, isKey bool, keep bool) (Inferred, error) {
	root, err := parseJSONSchemaText(text)
	if err != nil {
		return Inferred{}, err
	}
	root = jsonNonNull(root)
	if jsonType(root) == "object" && root.get("properties") != nil {
		t, err := jsonSchemaToSQL(root, keep, 0)
		if err != nil {
			return Inferred{}, &Error{Kind: ErrSchema, Msg: "infer columns", Err: err}
		}
		cols := make([]Column, len(t.Fields))
		for i, f := range t.Fields {
			cols[i] = Column{Name: f.Name, Type: f.Type}
		}
		return Inferred{Columns: cols}, nil
	}
	t, err := jsonSchemaToSQL(root, keep, 0)
	if err != nil {
		return Inferred{}, &Error{Kind: ErrSchema, Msg: "infer columns", Err: err}
	}
	name := "ROWVAL"
	if isKey {
		name = "ROWKEY"
	}
	return Inferred{Columns: []Column{{Name: name, Type: t}}, Unwrapped: true}, nil
}

// jsonNonNull unwraps oneOf/anyOf [null, X] to X.
func jsonNonNull(n *jnode) *jnode {
	for _, kw := range []string{"oneOf", "anyOf"} {
		if alts := n.get(kw); alts != nil && alts.kind == 'a' {
			var rest []*jnode
			for _, a := range alts.arr {
				if jsonType(a) != "null" {
					rest = append(rest, a)
				}
			}
			if len(rest) == 1 {
				return jsonNonNull(rest[0])
			}
		}
	}
	return n
}

// jsonType returns a schema's type, ignoring "null" in a type list.
func jsonType(n *jnode) string {
	t := n.get("type")
	if t == nil {
		return ""
	}
	if t.kind == 'a' {
		for _, e := range t.arr {
			if s := e.str(); s != "null" {
				return s
			}
		}
		return "null"
	}
	return t.str()
}

func jsonSchemaToSQL(n *jnode, keep bool, depth int) (*types.Type, error) {
	if depth > 64 {
		return nil, fmt.Errorf("schema nests too deeply")
	}
	n = jsonNonNull(n)
	connectType := n.get("connect.type").str()
	switch n.get("title").str() {
	case connectDecimal:
		p, s := 64, 0
		if params := n.get("connect.parameters"); params != nil {
			fmt.Sscan(params.get("connect.decimal.precision").str(), &p)
			fmt.Sscan(params.get("scale").str(), &s)
		}
		return types.DecimalOf(p, s)
	case connectDate:
		return types.DateType, nil
	case connectTime:
		return types.TimeType, nil
	case connectTimestamp:
		return types.TimestampType, nil
	}
	switch jsonType(n) {
	case "boolean":
		return types.BooleanType, nil
	case "integer":
		switch connectType {
		case "int8", "int16", "int32":
			return types.IntType, nil
		}
		return types.BigintType, nil
	case "number":
		return types.DoubleType, nil
	case "string":
		if connectType == "bytes" {
			return types.BytesType, nil
		}
		return types.StringType, nil
	case "array":
		items := n.get("items")
		if items == nil {
			return nil, fmt.Errorf("array without items")
		}
		e, err := jsonSchemaToSQL(items, keep, depth+1)
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(e), nil
	case "object":
		if props := n.get("properties"); props != nil && props.kind == 'o' {
			type prop struct {
				name  string
				index int
				t     *types.Type
			}
			ps := make([]prop, 0, len(props.keys))
			for i, k := range props.keys {
				t, err := jsonSchemaToSQL(props.vals[i], keep, depth+1)
				if err != nil {
					return nil, fmt.Errorf("property %s: %w", k, err)
				}
				idx := i
				if cn := props.vals[i].get("connect.index"); cn != nil {
					if ci, ok := cn.val.(json.Number); ok {
						if v, err := ci.Int64(); err == nil {
							idx = int(v)
						}
					}
				}
				ps = append(ps, prop{name: caseName(k, keep), index: idx, t: t})
			}
			sort.SliceStable(ps, func(a, b int) bool { return ps[a].index < ps[b].index })
			fs := make([]types.Field, len(ps))
			for i, p := range ps {
				fs[i] = types.Field{Name: p.name, Type: p.t}
			}
			return types.StructOf(fs...), nil
		}
		if ap := n.get("additionalProperties"); ap != nil && ap.kind == 'o' {
			v, err := jsonSchemaToSQL(ap, keep, depth+1)
			if err != nil {
				return nil, err
			}
			return types.MapOf(types.StringType, v), nil
		}
		return nil, fmt.Errorf("object without properties")
	}
	return nil, fmt.Errorf("JSON schema type %q is not supported", jsonType(n))
}

// inferSingle maps a whole Avro or JSON schema to one unwrapped column.
func inferSingle(s Schema, isKey bool, opts InferOptions) (Inferred, error) {
	name := "ROWVAL"
	if isKey {
		name = "ROWKEY"
	}
	var t *types.Type
	if strings.ToUpper(s.Type) == SchemaJSON {
		root, err := parseJSONSchemaText(s.Text)
		if err != nil {
			return Inferred{}, err
		}
		if t, err = jsonSchemaToSQL(root, opts.KeepNames, 0); err != nil {
			return Inferred{}, &Error{Kind: ErrSchema, Msg: "infer columns", Err: err}
		}
	} else {
		sch, err := parseAvro(s)
		if err != nil {
			return Inferred{}, err
		}
		if t, err = avroToSQL(sch, opts.KeepNames, 0); err != nil {
			return Inferred{}, &Error{Kind: ErrSchema, Msg: "infer columns", Err: err}
		}
	}
	return Inferred{Columns: []Column{{Name: name, Type: t}}, Unwrapped: true}, nil
}

func parseJSONSchemaText(text string) (*jnode, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	root, err := parseJNode(dec, 0)
	if err == nil {
		if _, e := dec.Token(); e != io.EOF {
			err = fmt.Errorf("trailing data after the schema")
		}
	}
	if err != nil {
		return nil, &Error{Kind: ErrSchema, Msg: "parse JSON schema", Err: err}
	}
	return root, nil
}
