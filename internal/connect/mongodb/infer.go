package mongodb

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
)

// inferrer turns a BSON document into a Connect struct whose schema is
// inferred from that document, as Debezium's MongoDataConverter does:
// every field optional, named as in the document, nulls left out, nested
// documents as structs (or flattened), arrays as arrays (or, with
// array.encoding=document, as structs with fields _0, _1, ...).
//
// Schemas are interned by their shape, so documents of the same shape
// share one *Schema: converters cache by schema object, and a new object
// per record would register (and remember) a schema per record.
type inferrer struct {
	flatten   bool
	delimiter string
	arrayDoc  bool

	mu      sync.Mutex
	intern  map[string]*connect.Schema // arrays, by shapeKey
	structs map[string]*connect.Schema // structs, by name and field pointers
	keyBuf  []byte
}

var (
	optTimestamp = &connect.Schema{Type: connect.Int64, Optional: true, Name: connect.TimestampName, Version: 1}
	emptyArray   = &connect.Schema{Type: connect.Array, Optional: true, Elem: connect.OptString}
)

// ErrUnsupportedArray is returned (wrapped) for an array whose elements
// have different types under array.encoding=array, as Debezium refuses
// them.
var ErrUnsupportedArray = fmt.Errorf("array elements of different types; set array.encoding=document")

// field is one inferred field before its struct schema is built.
type field struct {
	name   string
	schema *connect.Schema
	value  any
}

// document infers a struct for doc, named name. extra fields are appended
// after the document's own.
//
// doc must not change afterwards: string values and field names alias it
// rather than copy it, which saves an allocation per string field (the
// unwrap hands over a document freshly parsed for this record alone).
func (in *inferrer) document(doc []byte, name string, extra []field) (*connect.Struct, error) {
	sc := scratchPool.Get().(*scratch)
	defer func() {
		clear(sc.fields) // drop the values' references before pooling
		sc.fields = sc.fields[:0]
		scratchPool.Put(sc)
	}()
	if err := in.fields(sc, doc, name, "", 0); err != nil {
		return nil, err
	}
	sc.fields = append(sc.fields, extra...)
	return in.build(name, sc.fields, false), nil
}

// scratch holds the fields of the documents being inferred as a stack:
// a nested document's fields go on top of its parent's and are popped
// once its struct is built, so one slice serves a whole document.
type scratch struct{ fields []field }

var scratchPool = sync.Pool{New: func() any { return &scratch{fields: make([]field, 0, 32)} }}

// fields pushes the inferred fields of doc onto sc.fields.
func (in *inferrer) fields(sc *scratch, doc []byte, name, prefix string, depth int) error {
	if depth > 100 {
		return fmt.Errorf("document nested deeper than 100 levels")
	}
	it := bsonx.NewIter(doc)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		fname := e.Key
		if prefix != "" {
			fname = prefix + e.Key
		}
		if e.Type == bsonx.TypeDocument && in.flatten {
			if err := in.fields(sc, e.Value, name, fname+in.delimiter, depth+1); err != nil {
				return err
			}
			continue
		}
		s, v, err := in.value(sc, e.Type, e.Value, name, fname, depth)
		if err != nil {
			return fmt.Errorf("field %s: %w", fname, err)
		}
		if s == nil {
			continue
		}
		sc.fields = append(sc.fields, field{name: fname, schema: s, value: v})
	}
	return it.Err()
}

// nested builds the struct of an embedded document from the fields it
// pushes, then pops them.
func (in *inferrer) nested(sc *scratch, doc []byte, name string, depth int) (*connect.Struct, error) {
	mark := len(sc.fields)
	if err := in.fields(sc, doc, name, "", depth); err != nil {
		return nil, err
	}
	st := in.build(name, sc.fields[mark:], true)
	clear(sc.fields[mark:])
	sc.fields = sc.fields[:mark]
	return st, nil
}

// value returns the schema and Connect value of one BSON value; a nil
// schema means the value is left out (null, undefined, min/max key).
// Nested structs are named parent.field; the name is joined only for
// them, since scalars do not need it.
func (in *inferrer) value(sc *scratch, t byte, v []byte, parent, fname string, depth int) (*connect.Schema, any, error) {
	switch t {
	case bsonx.TypeDouble:
		return connect.OptFloat64, math.Float64frombits(binary.LittleEndian.Uint64(v)), nil
	case bsonx.TypeString, bsonx.TypeJavaScript, bsonx.TypeSymbol:
		return connect.OptString, aliasString(v[4 : len(v)-1]), nil
	case bsonx.TypeObjectID:
		return connect.OptString, hex.EncodeToString(v), nil
	case bsonx.TypeInt32:
		return connect.OptInt32, int32(binary.LittleEndian.Uint32(v)), nil
	case bsonx.TypeInt64:
		return connect.OptInt64, int64(binary.LittleEndian.Uint64(v)), nil
	case bsonx.TypeBoolean:
		return connect.OptBoolean, v[0] != 0, nil
	case bsonx.TypeDateTime:
		return optTimestamp, time.UnixMilli(int64(binary.LittleEndian.Uint64(v))).UTC(), nil
	case bsonx.TypeTimestamp:
		return optTimestamp, time.Unix(int64(binary.LittleEndian.Uint32(v[4:])), 0).UTC(), nil
	case bsonx.TypeDecimal128:
		return connect.OptString, bsonx.Decimal128(v).String(), nil
	case bsonx.TypeBinary:
		n := int(binary.LittleEndian.Uint32(v))
		return connect.OptBytes, v[5 : 5+n : 5+n], nil
	case bsonx.TypeRegex:
		js, err := bsonx.AppendValueJSON(nil, t, v)
		return connect.OptString, string(js), err
	}
	name := parent
	if fname != "" {
		name = parent + "." + fname
	}
	switch t {
	case bsonx.TypeDocument:
		st, err := in.nested(sc, v, name, depth+1)
		if err != nil {
			return nil, nil, err
		}
		return st.Schema, st, nil
	case bsonx.TypeArray:
		if in.arrayDoc {
			mark := len(sc.fields)
			it := bsonx.NewIter(v)
			i := 0
			for e, ok := it.Next(); ok; e, ok = it.Next() {
				ename := "_" + strconv.Itoa(i)
				s, ev, err := in.value(sc, e.Type, e.Value, name, ename, depth+1)
				if err != nil {
					return nil, nil, err
				}
				if s != nil {
					sc.fields = append(sc.fields, field{name: ename, schema: s, value: ev})
				}
				i++
			}
			if err := it.Err(); err != nil {
				return nil, nil, err
			}
			st := in.build(name, sc.fields[mark:], true)
			clear(sc.fields[mark:])
			sc.fields = sc.fields[:mark]
			return st.Schema, st, nil
		}
		return in.array(sc, v, name, depth)
	}
	return nil, nil, nil
}

// aliasString views b as a string without copying; see document.
func aliasString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// array infers a homogeneous array. Document elements may differ in their
// fields: the element schema is their union, in first-seen order.
func (in *inferrer) array(sc *scratch, v []byte, name string, depth int) (*connect.Schema, any, error) {
	var elemType byte
	var vals []any
	var schemas []*connect.Schema
	it := bsonx.NewIter(v)
	for e, ok := it.Next(); ok; e, ok = it.Next() {
		if e.Type == bsonx.TypeNull || e.Type == bsonx.TypeUndefined {
			vals = append(vals, nil)
			schemas = append(schemas, nil)
			continue
		}
		if elemType != 0 && !sameKind(elemType, e.Type) {
			return nil, nil, ErrUnsupportedArray
		}
		elemType = e.Type
		s, ev, err := in.value(sc, e.Type, e.Value, name, "", depth+1)
		if err != nil {
			return nil, nil, err
		}
		vals = append(vals, ev)
		schemas = append(schemas, s)
	}
	if err := it.Err(); err != nil {
		return nil, nil, err
	}
	if elemType == 0 {
		return emptyArray, vals, nil
	}
	var elem *connect.Schema
	if elemType == bsonx.TypeDocument && !in.arrayDoc {
		var union []field
		seen := map[string]int{}
		for _, s := range schemas {
			if s == nil {
				continue
			}
			for _, f := range s.Fields {
				if i, ok := seen[f.Name]; ok {
					if shapeKey(union[i].schema) != shapeKey(f.Schema) {
						return nil, nil, fmt.Errorf("%w: field %s", ErrUnsupportedArray, f.Name)
					}
					continue
				}
				seen[f.Name] = len(union)
				union = append(union, field{name: f.Name, schema: f.Schema})
			}
		}
		elem = in.build(name, union, true).Schema
		for i, v := range vals {
			if v == nil {
				continue
			}
			src := v.(*connect.Struct)
			dst := connect.NewStruct(elem)
			for j, f := range src.Schema.Fields {
				dst.Values[seen[f.Name]] = src.Values[j]
			}
			vals[i] = dst
		}
	} else {
		for _, s := range schemas {
			if s != nil {
				elem = s
				break
			}
		}
	}
	return in.internSchema(&connect.Schema{Type: connect.Array, Optional: true, Elem: elem}), vals, nil
}

func sameKind(a, b byte) bool {
	str := func(t byte) bool {
		return t == bsonx.TypeString || t == bsonx.TypeObjectID || t == bsonx.TypeJavaScript || t == bsonx.TypeSymbol || t == bsonx.TypeDecimal128
	}
	return a == b || (str(a) && str(b))
}

// build makes (or reuses) the struct schema of fields and fills a struct.
// Field schemas are interned (or shared primitives), so a struct's shape
// is its name, optionality and its fields' names and schema pointers.
func (in *inferrer) build(name string, fields []field, optional bool) *connect.Struct {
	in.mu.Lock()
	k := append(in.keyBuf[:0], name...)
	if optional {
		k = append(k, 0, 1)
	} else {
		k = append(k, 0, 0)
	}
	for _, f := range fields {
		k = append(k, f.name...)
		k = append(k, 0)
		k = strconv.AppendUint(k, uint64(uintptr(unsafe.Pointer(f.schema))), 36)
		k = append(k, 0)
	}
	in.keyBuf = k
	s, ok := in.structs[string(k)]
	if !ok {
		// The names may alias a document (see document); the schema
		// outlives it, so it keeps copies.
		b := connect.NewStructSchema(strings.Clone(name))
		for _, f := range fields {
			b.Field(strings.Clone(f.name), f.schema)
		}
		if optional {
			b.Optional()
		}
		s = b.Build()
		if in.structs == nil {
			in.structs = map[string]*connect.Schema{}
		}
		in.structs[string(k)] = s
	}
	in.mu.Unlock()
	st := connect.NewStruct(s)
	for i, f := range fields {
		st.Values[i] = f.value
	}
	return st
}

func (in *inferrer) internSchema(s *connect.Schema) *connect.Schema {
	k := shapeKey(s)
	in.mu.Lock()
	defer in.mu.Unlock()
	if c, ok := in.intern[k]; ok {
		return c
	}
	if in.intern == nil {
		in.intern = map[string]*connect.Schema{}
	}
	in.intern[k] = s
	return s
}

// shapeKey renders a schema's full shape; equal keys mean interchangeable
// schemas.
func shapeKey(s *connect.Schema) string {
	var b strings.Builder
	var walk func(*connect.Schema)
	walk = func(s *connect.Schema) {
		if s == nil {
			b.WriteString("nil")
			return
		}
		fmt.Fprintf(&b, "%d/%v/%s(", s.Type, s.Optional, s.Name)
		for _, f := range s.Fields {
			b.WriteString(f.Name)
			b.WriteByte(':')
			walk(f.Schema)
			b.WriteByte(',')
		}
		if s.Elem != nil {
			walk(s.Elem)
		}
		b.WriteByte(')')
	}
	walk(s)
	return b.String()
}
