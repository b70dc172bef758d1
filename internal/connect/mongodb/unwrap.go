package mongodb

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// UnwrapClass is Debezium's MongoDB unwrap SMT.
const UnwrapClass = "io.debezium.connector.mongodb.transforms.ExtractNewDocumentState"

// OperationHeader is the header operation.header=true adds, as Debezium
// names it.
const OperationHeader = "__debezium-operation"

var unwrapSpec = connect.NewSpec(
	connect.Key{Name: "drop.tombstones", Type: connect.TypeBool, Default: "true", Doc: "Drop the tombstone that follows a delete event instead of passing it on."},
	connect.Key{Name: "delete.handling.mode", Default: "drop", Allowed: []string{"drop", "rewrite", "none"}, Doc: "What a delete event becomes: dropped, a record of the _id with __deleted=true, or a record with a null value."},
	connect.Key{Name: "operation.header", Type: connect.TypeBool, Default: "false", Doc: "Add the operation (c, u, d, r) as the header " + OperationHeader + "."},
	connect.Key{Name: "add.fields", Type: connect.TypeList, Doc: "Envelope or source fields to add to the value, prefixed with add.fields.prefix (op, ts_ms, rs, collection, db, ord, source.ts_ms, ...)."},
	connect.Key{Name: "add.fields.prefix", Default: "__", Doc: "Prefix of the added fields."},
	connect.Key{Name: "add.headers", Type: connect.TypeList, Doc: "Envelope or source fields to add as headers."},
	connect.Key{Name: "add.headers.prefix", Default: "__", Doc: "Prefix of the added headers."},
	connect.Key{Name: "flatten.struct", Type: connect.TypeBool, Default: "false", Doc: "Flatten nested documents into top-level fields joined by flatten.struct.delimiter."},
	connect.Key{Name: "flatten.struct.delimiter", Default: "_", Doc: "Joins the names of flattened fields."},
	connect.Key{Name: "array.encoding", Default: "array", Allowed: []string{"array", "document"}, Doc: "Arrays as arrays (elements must share a type) or as structs with fields _0, _1, ..."},
	connect.Key{Name: "sanitize.field.names", Type: connect.TypeBool, Ignored: true},
)

// unwrap implements ExtractNewDocumentState: a MongoDB change event
// becomes the document as a flat record whose schema is inferred from it.
type unwrap struct {
	dropTombstones bool
	mode           string
	opHeader       bool
	fields         []addField
	fieldPrefix    string
	headers        []addField
	headerPrefix   string
	in             *inferrer
}

// addField names an envelope field (op, ts_ms) or a source field.
type addField struct {
	path []string
	name string
}

func parseAddFields(items []string) []addField {
	var out []addField
	for _, it := range items {
		switch {
		case strings.Contains(it, "."):
			path := strings.SplitN(it, ".", 2)
			out = append(out, addField{path: path, name: strings.Join(path, "_")})
		case it == "op" || it == "ts_ms":
			out = append(out, addField{path: []string{it}, name: it})
		default:
			out = append(out, addField{path: []string{"source", it}, name: it})
		}
	}
	return out
}

func newUnwrap(cfg *connect.Config) (connect.Transform, error) {
	return &unwrap{
		dropTombstones: cfg.Bool("drop.tombstones"),
		mode:           cfg.String("delete.handling.mode"),
		opHeader:       cfg.Bool("operation.header"),
		fields:         parseAddFields(cfg.List("add.fields")),
		fieldPrefix:    cfg.String("add.fields.prefix"),
		headers:        parseAddFields(cfg.List("add.headers")),
		headerPrefix:   cfg.String("add.headers.prefix"),
		in: &inferrer{
			flatten:   cfg.Bool("flatten.struct"),
			delimiter: cfg.String("flatten.struct.delimiter"),
			arrayDoc:  cfg.String("array.encoding") == "document",
		},
	}, nil
}

func isEnvelope(s *connect.Schema) bool {
	return s != nil && s.Type == connect.StructType && s.Field("patch") != nil && s.Field("after") != nil && s.Field("source") != nil
}

func (u *unwrap) Apply(r *connect.Record) (*connect.Record, error) {
	if r.Value == nil {
		if u.dropTombstones {
			return nil, nil
		}
		return r, nil
	}
	env, ok := r.Value.(*connect.Struct)
	if !ok || !isEnvelope(env.Schema) {
		return r, nil
	}
	op, _ := env.Get("op").(string)
	out := r.Copy()
	if u.opHeader {
		out.Headers = append(out.Headers, connect.Header{Key: OperationHeader, Schema: connect.StringSchema, Value: op})
	}
	for _, h := range u.headers {
		v, s := envelopeField(env, h.path)
		out.Headers = append(out.Headers, connect.Header{Key: u.headerPrefix + h.name, Schema: s, Value: v})
	}
	name := strings.TrimSuffix(env.Schema.Name, ".Envelope")
	var doc []byte
	var extra []field
	if op == "d" {
		switch u.mode {
		case "drop":
			return nil, nil
		case "none":
			out.ValueSchema, out.Value = nil, nil
			return out, nil
		}
		// rewrite: the record holds the _id and __deleted=true.
		id, err := keyID(r)
		if err != nil {
			return nil, err
		}
		doc = id
	} else {
		var err error
		if doc, err = u.document(env, r); err != nil {
			return nil, err
		}
	}
	if u.mode == "rewrite" {
		extra = append(extra, field{name: "__deleted", schema: connect.OptBoolean, value: op == "d"})
	}
	for _, f := range u.fields {
		v, s := envelopeField(env, f.path)
		if s == nil {
			return nil, fmt.Errorf("%s: add.fields names %s, which the envelope does not have", UnwrapClass, strings.Join(f.path, "."))
		}
		extra = append(extra, field{name: u.fieldPrefix + f.name, schema: s.WithOptional(true), value: v})
	}
	st, err := u.in.document(doc, name, extra)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", UnwrapClass, r.Topic, err)
	}
	out.ValueSchema, out.Value = st.Schema, st
	return out, nil
}

// document returns the state the event leaves the document in: after
// when the event has it, otherwise what an oplog update's patch says
// ($set fields with the _id, or a replacement document), as Debezium 1.x
// unwraps updates.
func (u *unwrap) document(env *connect.Struct, r *connect.Record) ([]byte, error) {
	if after, ok := env.Get("after").(string); ok {
		return parseJSON(after)
	}
	patch, ok := env.Get("patch").(string)
	if !ok {
		return nil, fmt.Errorf("%s: %s: event has neither after nor patch", UnwrapClass, r.Topic)
	}
	p, err := parseJSON(patch)
	if err != nil {
		return nil, err
	}
	set, found, err := bsonx.Lookup(p, "$set")
	if err != nil {
		return nil, err
	}
	if !found {
		if _, isV2, _ := bsonx.Lookup(p, "diff"); isV2 {
			return u.diffDoc(p, r)
		}
		return p, nil
	}
	if set.Type != bsonx.TypeDocument {
		return nil, fmt.Errorf("%s: $set is not a document", UnwrapClass)
	}
	return withID(set.Value, r)
}

// diffDoc handles MongoDB 5's $v 2 patch: the updated and inserted
// top-level fields, with the _id.
func (u *unwrap) diffDoc(p []byte, r *connect.Record) ([]byte, error) {
	d, _, err := bsonx.Lookup(p, "diff")
	if err != nil || d.Type != bsonx.TypeDocument {
		return nil, fmt.Errorf("%s: bad diff patch: %v", UnwrapClass, err)
	}
	var merged bson.D
	for _, k := range []string{"u", "i"} {
		e, ok, _ := bsonx.Lookup(d.Value, k)
		if !ok || e.Type != bsonx.TypeDocument {
			continue
		}
		it := bsonx.NewIter(e.Value)
		for f, ok := it.Next(); ok; f, ok = it.Next() {
			merged = append(merged, bson.E{Key: f.Key, Value: bson.RawValue{Type: bson.Type(f.Type), Value: f.Value}})
		}
	}
	b, err := bson.Marshal(merged)
	if err != nil {
		return nil, err
	}
	return withID(b, r)
}

// withID puts the key's _id first in doc unless doc has one.
func withID(doc []byte, r *connect.Record) ([]byte, error) {
	if _, ok, _ := bsonx.Lookup(doc, "_id"); ok {
		return doc, nil
	}
	id, err := keyID(r)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), id[:len(id)-1]...)
	out = append(out, doc[4:]...)
	n := len(out)
	out[0], out[1], out[2], out[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return out, nil
}

// keyID returns {_id: <id>} from the record key's id (the _id as JSON).
func keyID(r *connect.Record) ([]byte, error) {
	k, ok := r.Key.(*connect.Struct)
	if !ok {
		return nil, fmt.Errorf("%s: record key is not the MongoDB key struct", UnwrapClass)
	}
	id, _ := k.Get("id").(string)
	return parseJSON(`{"_id": ` + id + `}`)
}

// parseJSON reads a document's extended JSON back into BSON: with bsonx's
// parser for the form the connector writes, and with the driver's for any
// other form a record from elsewhere may hold.
func parseJSON(s string) ([]byte, error) {
	// The BSON is about as long as its JSON (quotes and brackets become
	// lengths and type bytes), so one allocation usually holds it. The
	// parser only reads s, so it reads s's bytes in place.
	doc, err := bsonx.ParseJSON(make([]byte, 0, len(s)+16), unsafe.Slice(unsafe.StringData(s), len(s)))
	if err == nil {
		return doc, nil
	}
	if !errors.Is(err, bsonx.ErrUnsupportedJSON) {
		return nil, fmt.Errorf("%s: parse document JSON: %w", UnwrapClass, err)
	}
	var raw bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &raw); err != nil {
		return nil, fmt.Errorf("%s: parse document JSON: %w", UnwrapClass, err)
	}
	return bytes.Clone(raw), nil
}

// envelopeField reads op, ts_ms or a source field from an envelope.
func envelopeField(env *connect.Struct, path []string) (any, *connect.Schema) {
	st := env
	for i, p := range path {
		f := st.Schema.Field(p)
		if f == nil {
			return nil, nil
		}
		v := st.Values[f.Index]
		if i == len(path)-1 {
			return v, f.Schema
		}
		next, ok := v.(*connect.Struct)
		if !ok {
			return nil, f.Schema
		}
		st = next
	}
	return nil, nil
}
