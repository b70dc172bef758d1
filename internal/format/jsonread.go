package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// jsonReader decodes JSON text straight into typed values, the way
// ksqlDB's KsqlJsonDeserializer coerces Jackson nodes, without building an
// intermediate tree. It keeps one scratch buffer across records.
type jsonReader struct {
	b       []byte
	i       int
	scratch []byte
}

var errJSONSyntax = errors.New("invalid JSON")

func (r *jsonReader) syntax(what string) error {
	return &CoercionError{Msg: "Invalid JSON: " + what + " at offset " + strconv.Itoa(r.i)}
}

func (r *jsonReader) ws() {
	for r.i < len(r.b) {
		switch r.b[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	r.ws()
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

// end checks that only whitespace remains.
func (r *jsonReader) end() error {
	if r.peek() != 0 {
		return r.syntax("trailing data")
	}
	return nil
}

// nodeName names the Jackson node type of the next token, for ksqlDB's
// "Can't convert type. sourceType: ..." errors.
func (r *jsonReader) nodeName() string {
	switch c := r.peek(); {
	case c == '"':
		return "TextNode"
	case c == '{':
		return "ObjectNode"
	case c == '[':
		return "ArrayNode"
	case c == 't' || c == 'f':
		return "BooleanNode"
	case c == 'n':
		return "NullNode"
	case c == '-' || (c >= '0' && c <= '9'):
		tok := r.peekNumber()
		if bytes.ContainsAny(tok, ".eE") {
			return "DecimalNode"
		}
		n, err := strconv.ParseInt(string(tok), 10, 64)
		switch {
		case err != nil:
			return "BigIntegerNode"
		case n == int64(int32(n)):
			return "IntNode"
		}
		return "LongNode"
	}
	return "MissingNode"
}

func (r *jsonReader) peekNumber() []byte {
	j := r.i
	for j < len(r.b) {
		c := r.b[j]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			j++
			continue
		}
		break
	}
	return r.b[r.i:j]
}

// number consumes a number token and returns its text.
func (r *jsonReader) number() ([]byte, error) {
	tok := r.peekNumber()
	if len(tok) == 0 || !validNumber(tok) {
		return nil, r.syntax("malformed number")
	}
	r.i += len(tok)
	return tok, nil
}

// validNumber checks RFC 8259's number grammar.
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return false
	}
	if b[i] == '0' {
		i++
	} else if b[i] >= '1' && b[i] <= '9' {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == s {
			return false
		}
	}
	return i == len(b)
}

func (r *jsonReader) literal(lit string) error {
	if !bytes.HasPrefix(r.b[r.i:], []byte(lit)) {
		return r.syntax("unexpected token")
	}
	r.i += len(lit)
	return nil
}

// stringBytes consumes a string token and returns its unescaped content.
// The result aliases the input or the scratch buffer and is valid only
// until the next call.
func (r *jsonReader) stringBytes() ([]byte, error) {
	if r.peek() != '"' {
		return nil, r.syntax("expected string")
	}
	r.i++
	start := r.i
	for r.i < len(r.b) {
		c := r.b[r.i]
		if c == '"' {
			s := r.b[start:r.i]
			r.i++
			return s, nil
		}
		if c == '\\' {
			return r.slowString(start)
		}
		if c < 0x20 {
			return nil, r.syntax("control character in string")
		}
		r.i++
	}
	return nil, r.syntax("unterminated string")
}

func (r *jsonReader) slowString(start int) ([]byte, error) {
	out := append(r.scratch[:0], r.b[start:r.i]...)
	for r.i < len(r.b) {
		c := r.b[r.i]
		switch {
		case c == '"':
			r.i++
			r.scratch = out
			return out, nil
		case c < 0x20:
			return nil, r.syntax("control character in string")
		case c != '\\':
			out = append(out, c)
			r.i++
			continue
		}
		if r.i+1 >= len(r.b) {
			return nil, r.syntax("unterminated escape")
		}
		e := r.b[r.i+1]
		r.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return nil, r.syntax("bad unicode escape")
			}
			ru := rune(c1)
			if utf16.IsSurrogate(ru) && r.i+1 < len(r.b) && r.b[r.i] == '\\' && r.b[r.i+1] == 'u' {
				save := r.i
				r.i += 2
				if c2, ok := r.hex4(); ok {
					if d := utf16.DecodeRune(ru, rune(c2)); d != utf8.RuneError {
						ru = d
					} else {
						r.i = save
					}
				} else {
					r.i = save
				}
			}
			out = utf8.AppendRune(out, ru)
		default:
			return nil, r.syntax("bad escape")
		}
	}
	return nil, r.syntax("unterminated string")
}

func (r *jsonReader) hex4() (uint16, bool) {
	if r.i+4 > len(r.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(r.b[r.i:r.i+4]), 16, 16)
	if err != nil {
		return 0, false
	}
	r.i += 4
	return uint16(n), true
}

// skip consumes one value of any type.
func (r *jsonReader) skip(depth int) error {
	if depth > maxDepth {
		return r.syntax("nesting too deep")
	}
	switch c := r.peek(); {
	case c == '"':
		_, err := r.stringBytes()
		return err
	case c == '{':
		r.i++
		if r.peek() == '}' {
			r.i++
			return nil
		}
		for {
			if _, err := r.stringBytes(); err != nil {
				return err
			}
			if r.peek() != ':' {
				return r.syntax("expected ':'")
			}
			r.i++
			if err := r.skip(depth + 1); err != nil {
				return err
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
	case c == '[':
		r.i++
		if r.peek() == ']' {
			r.i++
			return nil
		}
		for {
			if err := r.skip(depth + 1); err != nil {
				return err
			}
			switch r.peek() {
			case ',':
				r.i++
			case ']':
				r.i++
				return nil
			default:
				return r.syntax("expected ',' or ']'")
			}
		}
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, err := r.number()
		return err
	}
	return r.syntax("unexpected token")
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 200

// fields maps names to positions, exactly first and then upper-cased, as
// ksqlDB matches JSON object fields to columns and struct fields.
type fields struct {
	names []string
	exact map[string]int
	upper map[string]int
	n     int
}

func newFields(names []string) *fields {
	f := &fields{names: names, exact: make(map[string]int, len(names)), upper: make(map[string]int, len(names)), n: len(names)}
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

// jsonTypes caches per-type decoding state (field maps for structs).
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

// javaIntegral converts a JSON number token as Jackson's longValue does:
// integers keep their low 64 bits, fractions truncate toward zero.
func javaIntegral(tok []byte) int64 {
	if !bytes.ContainsAny(tok, ".eE") {
		if n, err := strconv.ParseInt(string(tok), 10, 64); err == nil {
			return n
		}
		b, ok := new(big.Int).SetString(string(tok), 10)
		if !ok {
			return 0
		}
		return int64(b.Uint64()) * int64(b.Sign())
	}
	u, sc, err := parseDecimal(string(tok))
	if err != nil {
		return 0
	}
	if sc > 0 {
		u.Quo(u, value.Pow10(sc))
	} else if sc < 0 {
		u.Mul(u, value.Pow10(-sc))
	}
	if u.IsInt64() {
		return u.Int64()
	}
	lo := new(big.Int).And(u, new(big.Int).SetUint64(math.MaxUint64))
	return int64(lo.Uint64())
}

// parseJavaDouble accepts what Double.parseDouble does for ordinary input.
func parseJavaDouble(s string) (float64, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity", "+Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	s = strings.TrimRight(s, "dDfF")
	if strings.ContainsAny(s, "xXpP_nNiI") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}

// readString coerces any JSON value to STRING as ksqlDB does: text as is,
// numbers and booleans as written, objects re-serialized compactly, arrays
// as "[a, b]".
func (r *jsonReader) readString(depth int) (value.Value, error) {
	if depth > maxDepth {
		return value.Null, r.syntax("nesting too deep")
	}
	switch c := r.peek(); {
	case c == '"':
		s, err := r.stringBytes()
		if err != nil {
			return value.Null, err
		}
		return value.String(string(s)), nil
	case c == '{':
		start := r.i
		if err := r.skip(depth); err != nil {
			return value.Null, err
		}
		var out bytes.Buffer
		if err := json.Compact(&out, r.b[start:r.i]); err != nil {
			return value.Null, r.syntax("malformed object")
		}
		return value.String(out.String()), nil
	case c == '[':
		r.i++
		var sb strings.Builder
		sb.WriteByte('[')
		if r.peek() == ']' {
			r.i++
			return value.String("[]"), nil
		}
		for n := 0; ; n++ {
			if n > 0 {
				sb.WriteString(", ")
			}
			if r.peek() == 'n' {
				if err := r.literal("null"); err != nil {
					return value.Null, err
				}
				sb.WriteString("null")
			} else {
				v, err := r.readString(depth + 1)
				if err != nil {
					return value.Null, err
				}
				sb.WriteString(v.Str())
			}
			switch r.peek() {
			case ',':
				r.i++
			case ']':
				r.i++
				sb.WriteByte(']')
				return value.String(sb.String()), nil
			default:
				return value.Null, r.syntax("expected ',' or ']'")
			}
		}
	case c == 't':
		return value.String("true"), r.literal("true")
	case c == 'f':
		return value.String("false"), r.literal("false")
	case c == '-' || (c >= '0' && c <= '9'):
		tok, err := r.number()
		if err != nil {
			return value.Null, err
		}
		return value.String(string(tok)), nil
	}
	return value.Null, r.syntax("unexpected token")
}

func (r *jsonReader) readArray(ti *jsonTypeInfo, depth int) (value.Value, error) {
	r.i++
	out := []value.Value{}
	if r.peek() == ']' {
		r.i++
		return value.Array(out), nil
	}
	for {
		v, err := r.read(ti.elem, depth+1)
		if err != nil {
			return value.Null, withPath(err, "$["+strconv.Itoa(len(out))+"]")
		}
		out = append(out, v)
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return value.Array(out), nil
		default:
			return value.Null, r.syntax("expected ',' or ']'")
		}
	}
}

func (r *jsonReader) readMap(ti *jsonTypeInfo, depth int) (value.Value, error) {
	r.i++
	out := []value.Entry{}
	if r.peek() == '}' {
		r.i++
		return value.Map(out), nil
	}
	for {
		kb, err := r.stringBytes()
		if err != nil {
			return value.Null, err
		}
		key := string(kb)
		if r.peek() != ':' {
			return value.Null, r.syntax("expected ':'")
		}
		r.i++
		v, err := r.read(ti.elem, depth+1)
		if err != nil {
			return value.Null, withPath(err, "$."+key+".value")
		}
		// A repeated key replaces the earlier entry, as a Java map does.
		replaced := false
		for i := range out {
			if out[i].Key.Str() == key {
				out[i].Val = v
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, value.Entry{Key: value.String(key), Val: v})
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return value.Map(out), nil
		default:
			return value.Null, r.syntax("expected ',' or '}'")
		}
	}
}

// decodeBase64 accepts padded or unpadded standard base64, as Jackson does.
func decodeBase64(s []byte) ([]byte, error) {
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(s))+2)
	n, err := base64.StdEncoding.Decode(out, s)
	if err != nil {
		n, err = base64.RawStdEncoding.Decode(out, s)
		if err != nil {
			return nil, err
		}
	}
	return out[:n], nil
}
