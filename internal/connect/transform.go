package connect

import (
	"fmt"
	"strings"
	"sync"
)

// ExtractNewRecordStateClass is Debezium's unwrap SMT.
const ExtractNewRecordStateClass = "io.debezium.transforms.ExtractNewRecordState"

func addBuiltinTransforms(p *Plugins) {
	p.AddTransform(&TransformClass{
		Name:    ExtractNewRecordStateClass,
		Aliases: []string{"io.debezium.transforms.UnwrapFromEnvelope"},
		Spec:    unwrapSpec,
		New:     newUnwrap,
	})
	p.AddTransform(&TransformClass{Name: RegexRouterClass, Spec: regexRouterSpec, New: newRegexRouter})
}

var unwrapSpec = NewSpec(
	Key{Name: "drop.tombstones", Type: TypeBool, Default: "true",
		Doc: "Drop the tombstone that follows a delete event instead of passing it on."},
	Key{Name: "delete.handling.mode", Default: "drop", Allowed: []string{"drop", "rewrite", "none"},
		Doc: "What a delete event becomes: dropped, the old row with __deleted=true, or a record with a null value."},
	Key{Name: "delete.tombstone.handling.mode", Allowed: []string{"drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"},
		Doc: "Debezium 2.5+ spelling combining drop.tombstones and delete.handling.mode."},
	Key{Name: "add.fields", Type: TypeList,
		Doc: "Envelope or source fields to add to the value, prefixed with add.fields.prefix (op, table, lsn, source.ts_ms, ...)."},
	Key{Name: "add.fields.prefix", Default: "__", Doc: "Prefix of the added fields."},
	Key{Name: "add.headers", Type: TypeList, Doc: "Envelope or source fields to add as headers."},
	Key{Name: "add.headers.prefix", Default: "__", Doc: "Prefix of the added headers."},
	Key{Name: "route.by.field", Ignored: true, Doc: "Not supported."},
	Key{Name: "drop.fields.header.name", Ignored: true, Doc: "Not supported."},
	Key{Name: "drop.fields.from.key", Type: TypeBool, Ignored: true, Doc: "Not supported."},
	Key{Name: "drop.fields.keep.schema.compatible", Type: TypeBool, Ignored: true, Doc: "Not supported."},
)

// unwrap implements ExtractNewRecordState: a Debezium envelope becomes its
// after state (or before state for a rewritten delete).
type unwrap struct {
	dropTombstones bool
	mode           string // drop, rewrite, none
	fields         []addField
	fieldPrefix    string
	headers        []addField
	headerPrefix   string

	mu      sync.Mutex
	schemas map[*Schema]*Schema // row schema → output schema
}

// addField names an envelope field (op, ts_ms) or a source field
// (source.x, or a bare name that is not an envelope field).
type addField struct {
	path []string
	name string // the output name without prefix: op, source_ts_ms, ...
}

func parseAddFields(items []string) []addField {
	var out []addField
	for _, it := range items {
		switch {
		case strings.Contains(it, "."):
			// source.ts_ms is added as __source_ts_ms.
			path := strings.SplitN(it, ".", 2)
			out = append(out, addField{path: path, name: strings.Join(path, "_")})
		case it == "op" || it == "ts_ms":
			out = append(out, addField{path: []string{it}, name: it})
		default:
			// A bare name other than op and ts_ms is a source field:
			// table is added as __table.
			out = append(out, addField{path: []string{"source", it}, name: it})
		}
	}
	return out
}

func newUnwrap(cfg *Config) (Transform, error) {
	u := &unwrap{
		dropTombstones: cfg.Bool("drop.tombstones"),
		mode:           cfg.String("delete.handling.mode"),
		fields:         parseAddFields(cfg.List("add.fields")),
		fieldPrefix:    cfg.String("add.fields.prefix"),
		headers:        parseAddFields(cfg.List("add.headers")),
		headerPrefix:   cfg.String("add.headers.prefix"),
		schemas:        map[*Schema]*Schema{},
	}
	switch cfg.String("delete.tombstone.handling.mode") {
	case "drop":
		u.mode, u.dropTombstones = "drop", true
	case "tombstone":
		u.mode, u.dropTombstones = "none", true
	case "rewrite":
		u.mode, u.dropTombstones = "rewrite", true
	case "rewrite-with-tombstone":
		u.mode, u.dropTombstones = "rewrite", false
	case "delete-to-tombstone":
		u.mode, u.dropTombstones = "none", false
	}
	return u, nil
}

func isEnvelope(s *Schema) bool {
	return s != nil && s.Type == StructType && strings.HasSuffix(s.Name, ".Envelope") && s.Field("op") != nil
}

func (u *unwrap) Apply(r *Record) (*Record, error) {
	if r.Value == nil {
		if u.dropTombstones {
			return nil, nil
		}
		return r, nil
	}
	env, ok := r.Value.(*Struct)
	if !ok || !isEnvelope(r.ValueSchema) {
		return r, nil
	}
	op, _ := env.Get("op").(string)
	out := r.Copy()
	for _, h := range u.headers {
		v, s := envelopeField(env, h.path)
		out.Headers = append(out.Headers, Header{Key: u.headerPrefix + h.name, Schema: s, Value: v})
	}
	var row *Struct
	rowSchema := r.ValueSchema.Field("after").Schema
	if op == "d" {
		switch u.mode {
		case "drop":
			return nil, nil
		case "none":
			out.Value, out.ValueSchema = nil, nil
			return out, nil
		}
		row, _ = env.Get("before").(*Struct)
		rowSchema = r.ValueSchema.Field("before").Schema
	} else {
		row, _ = env.Get("after").(*Struct)
	}
	if row == nil {
		out.Value, out.ValueSchema = nil, nil
		return out, nil
	}
	schema, err := u.outSchema(rowSchema, r.ValueSchema)
	if err != nil {
		return nil, err
	}
	if schema == rowSchema {
		out.Value, out.ValueSchema = row, rowSchema
		return out, nil
	}
	st := NewStruct(schema)
	copy(st.Values, row.Values)
	i := len(row.Values)
	for _, f := range u.fields {
		v, _ := envelopeField(env, f.path)
		st.Values[i] = v
		i++
	}
	if u.mode == "rewrite" {
		st.Values[i] = fmt.Sprint(op == "d")
	}
	out.Value, out.ValueSchema = st, schema
	return out, nil
}

// outSchema is the row schema with the added fields and __deleted, cached
// per row schema so that converters see one schema object per version.
func (u *unwrap) outSchema(row, env *Schema) (*Schema, error) {
	if len(u.fields) == 0 && u.mode != "rewrite" {
		return row, nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.schemas[row]; ok {
		return s, nil
	}
	name := strings.TrimSuffix(env.Name, ".Envelope") + ".Value"
	if row.Name != "" {
		name = row.Name
	}
	b := NewStructSchema(name)
	b.s.Version, b.s.Doc = row.Version, row.Doc
	for _, f := range row.Fields {
		b.Field(f.Name, f.Schema)
	}
	for _, f := range u.fields {
		s := envelopeSchema(env, f.path)
		if s == nil {
			return nil, &ConfigError{Key: "add.fields", Msg: fmt.Sprintf("field %s is not in the change event", strings.Join(f.path, "."))}
		}
		b.Field(u.fieldPrefix+f.name, s.WithOptional(true))
	}
	if u.mode == "rewrite" {
		b.Field("__deleted", OptString)
	}
	s := b.Build()
	s.Optional = row.Optional
	u.schemas[row] = s
	return s, nil
}

func envelopeField(env *Struct, path []string) (any, *Schema) {
	cur := env
	for i, p := range path {
		f := cur.Schema.Field(p)
		if f == nil {
			return nil, OptString
		}
		v := cur.Values[f.Index]
		if i == len(path)-1 {
			return v, f.Schema.WithOptional(true)
		}
		next, ok := v.(*Struct)
		if !ok {
			return nil, OptString
		}
		cur = next
	}
	return nil, OptString
}

func envelopeSchema(env *Schema, path []string) *Schema {
	cur := env
	for _, p := range path {
		if cur == nil || cur.Type != StructType {
			return nil
		}
		f := cur.Field(p)
		if f == nil {
			return nil
		}
		cur = f.Schema
	}
	return cur
}
