package format

import (
	"errors"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// fields maps names to positions, exactly first and then upper-cased, as
// ksqlDB matches JSON object fields (and Avro and Protobuf fields) to
// columns and struct fields.
type fields struct {
	names []string
	exact map[string]int
	upper map[string]int
}

func newFields(names []string) *fields {
	f := &fields{names: names, exact: make(map[string]int, len(names)), upper: make(map[string]int, len(names))}
	for i, n := range names {
		f.exact[n] = i
		if _, dup := f.upper[n]; !dup {
			f.upper[n] = i
		}
	}
	return f
}

// lookup returns the position for a JSON key and whether it matched
// exactly. ksqlDB upper-cases the JSON keys and looks the field name up
// among them, so a key matches a field whose name is its upper-case form.
func (f *fields) lookup(key []byte, buf *[64]byte) (int, bool) {
	if i, ok := f.exact[string(key)]; ok {
		return i, true
	}
	up, ok := upperASCII(key, buf)
	if !ok {
		i, found := f.upper[strings.ToUpper(string(key))]
		if !found {
			return -1, false
		}
		return i, false
	}
	if i, found := f.upper[string(up)]; found {
		return i, false
	}
	return -1, false
}

// upperASCII upper-cases key into buf when key is short ASCII.
func upperASCII(key []byte, buf *[64]byte) ([]byte, bool) {
	if len(key) > len(buf) {
		return nil, false
	}
	for i, c := range key {
		if c >= 0x80 {
			return nil, false
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(key)], true
}

// jsonTypeInfo caches per-type decoding state (field maps for structs).
type jsonTypeInfo struct {
	t      *types.Type
	fields *fields
	elem   *jsonTypeInfo
	subs   []*jsonTypeInfo
}

func newJSONTypeInfo(t *types.Type) *jsonTypeInfo {
	ti := &jsonTypeInfo{t: t}
	switch t.Kind {
	case types.Array, types.Map:
		ti.elem = newJSONTypeInfo(t.Elem)
	case types.Struct:
		names := make([]string, len(t.Fields))
		ti.subs = make([]*jsonTypeInfo, len(t.Fields))
		for i, f := range t.Fields {
			names[i] = f.Name
			ti.subs[i] = newJSONTypeInfo(f.Type)
		}
		ti.fields = newFields(names)
	}
	return ti
}

// readObjectInto decodes a JSON object whose keys select positions in out.
func (r *jsonReader) readObjectInto(f *fields, subs []*jsonTypeInfo, names func(int) string, out []value.Value, path string, depth int) error {
	if depth > maxDepth {
		return r.syntax("nesting too deep")
	}
	r.i++ // '{'
	var exactSet uint64
	var exactBig map[int]bool
	var buf [64]byte
	pos := 0
	if r.peek() == '}' {
		r.i++
		return nil
	}
	for {
		key, err := r.stringBytes()
		if err != nil {
			return err
		}
		// Producers usually write fields in column order: try the next
		// position before hashing.
		var idx int
		var exact bool
		if pos < len(f.names) && f.names[pos] == string(key) {
			idx, exact = pos, true
		} else {
			idx, exact = f.lookup(key, &buf)
		}
		pos++
		if r.peek() != ':' {
			return r.syntax("expected ':'")
		}
		r.i++
		if idx < 0 {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
		} else {
			already := false
			if idx < 64 {
				already = exactSet&(1<<idx) != 0
			} else {
				already = exactBig[idx]
			}
			if already && !exact {
				// An exact match wins over a case-insensitive one.
				if err := r.skip(depth + 1); err != nil {
					return err
				}
			} else {
				v, err := r.read(subs[idx], depth+1)
				if err != nil {
					return withPath(err, path+"."+names(idx))
				}
				out[idx] = v
				if exact {
					if idx < 64 {
						exactSet |= 1 << idx
					} else {
						if exactBig == nil {
							exactBig = map[int]bool{}
						}
						exactBig[idx] = true
					}
				}
			}
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return nil
		default:
			return r.syntax("expected ',' or '}'")
		}
	}
}

// withPath prefixes a coercion error's path as ksqlDB builds it, from the
// outside in.
func withPath(err error, prefix string) error {
	var ce *CoercionError
	if errors.As(err, &ce) {
		return &CoercionError{Msg: ce.Msg, Path: prefix + strings.TrimPrefix(ce.Path, "$")}
	}
	return err
}

// read decodes one value of ti's type.
func (r *jsonReader) read(ti *jsonTypeInfo, depth int) (value.Value, error) {
	if depth > maxDepth {
		return value.Null, r.syntax("nesting too deep")
	}
	c := r.peek()
	if c == 'n' {
		return value.Null, r.literal("null")
	}
	if c == 0 {
		return value.Null, r.syntax("unexpected end of input")
	}
	t := ti.t
	switch t.Kind {
	case types.Boolean:
		switch c {
		case 't':
			return value.Bool(true), r.literal("true")
		case 'f':
			return value.Bool(false), r.literal("false")
		case '"':
			s, err := r.stringBytes()
			if err != nil {
				return value.Null, err
			}
			switch strings.ToLower(string(s)) {
			case "true":
				return value.Bool(true), nil
			case "false":
				return value.Bool(false), nil
			}
			return value.Null, &CoercionError{Msg: "Can't coerce string to type. targetType: BOOLEAN"}
		}
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		return r.readInteger(t)
	case types.Double:
		switch {
		case c == '"':
			s, err := r.stringBytes()
			if err != nil {
				return value.Null, err
			}
			f, err := parseJavaDouble(string(s))
			if err != nil {
				return value.Null, &CoercionError{Msg: "Can't coerce string to type. targetType: DOUBLE"}
			}
			return value.Double(f), nil
		case c == '-' || (c >= '0' && c <= '9'):
			tok, err := r.number()
			if err != nil {
				return value.Null, err
			}
			f, _ := strconv.ParseFloat(string(tok), 64) // range errors give ±Inf, as Java does
			return value.Double(f), nil
		}
	case types.Decimal:
		var tok []byte
		var err error
		switch {
		case c == '"':
			tok, err = r.stringBytes()
		case c == '-' || (c >= '0' && c <= '9'):
			tok, err = r.number()
		default:
			return value.Null, convErr(r.nodeName(), TypeString(t))
		}
		if err != nil {
			return value.Null, err
		}
		if v, ok := fastDecimal(tok, t); ok {
			return v, nil
		}
		u, sc, err := parseDecimal(string(tok))
		if err != nil {
			return value.Null, &CoercionError{Msg: err.Error()}
		}
		v, err := fitDecimal(u, sc, t)
		if err != nil {
			return value.Null, &CoercionError{Msg: err.Error()}
		}
		return v, nil
	case types.String:
		return r.readString(depth)
	case types.Bytes:
		if c == '"' {
			s, err := r.stringBytes()
			if err != nil {
				return value.Null, err
			}
			b, err := decodeBase64(s)
			if err != nil {
				return value.Null, &CoercionError{Msg: "Value is not a valid base64 encoded string: " + err.Error()}
			}
			return value.Bytes(b), nil
		}
	case types.Array:
		if c == '[' {
			return r.readArray(ti, depth)
		}
	case types.Map:
		if c == '{' {
			return r.readMap(ti, depth)
		}
	case types.Struct:
		if c == '{' {
			out := make([]value.Value, len(t.Fields))
			err := r.readObjectInto(ti.fields, ti.subs, func(i int) string { return t.Fields[i].Name }, out, "$", depth)
			if err != nil {
				return value.Null, err
			}
			return value.Struct(out), nil
		}
	}
	return value.Null, convErr(r.nodeName(), TypeString(t))
}

func (r *jsonReader) readInteger(t *types.Type) (value.Value, error) {
	var n int64
	switch c := r.peek(); {
	case c == '"':
		s, err := r.stringBytes()
		if err != nil {
			return value.Null, err
		}
		bits := 64
		if t.Kind == types.Int || t.Kind == types.Date || t.Kind == types.Time {
			bits = 32
		}
		n, err = strconv.ParseInt(string(s), 10, bits)
		if err != nil {
			return value.Null, &CoercionError{Msg: "Can't coerce string to type. targetType: " + TypeString(t)}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		tok, err := r.number()
		if err != nil {
			return value.Null, err
		}
		n = javaIntegral(tok)
	default:
		return value.Null, convErr(r.nodeName(), TypeString(t))
	}
	switch t.Kind {
	case types.Int:
		return value.Int(int32(n)), nil
	case types.Bigint:
		return value.Bigint(n), nil
	case types.Date:
		return value.Date(int64(int32(n))), nil
	case types.Time:
		return value.Time(int64(int32(n))), nil
	}
	return value.Timestamp(n), nil
}
