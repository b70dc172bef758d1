package bsonx

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// ErrUnsupportedJSON is returned by ParseJSON for valid extended JSON it
// leaves to the driver's general parser (rare wrappers such as $code with
// $scope, ISO-string dates, canonical $numberInt).
var ErrUnsupportedJSON = errors.New("extended JSON form left to the driver")

// ParseJSON parses a document in the extended JSON AppendJSON writes (plain
// JSON numbers, strings, booleans, null, arrays and objects, and the
// $oid, $numberLong, $numberDouble, $numberDecimal, $date with a number,
// $timestamp, $binary, $regex, $minKey, $maxKey, $undefined and $symbol
// wrappers) and appends it to dst as BSON. Integers that fit in 32 bits
// become int32, others int64, numbers with a fraction or exponent double,
// as the relaxed form says. Anything else is ErrUnsupportedJSON, so the
// caller can fall back to bson.UnmarshalExtJSON.
func ParseJSON(dst, js []byte) ([]byte, error) {
	p := jsonParser{s: js}
	p.ws()
	if p.peek() != '{' {
		return dst, malformed("JSON document does not start with {")
	}
	dst, err := p.object(dst, 0)
	if err != nil {
		return dst, err
	}
	p.ws()
	if p.i != len(p.s) {
		return dst, malformed("trailing data after JSON document")
	}
	return dst, nil
}

type jsonParser struct {
	s   []byte
	i   int
	str []byte // scratch for decoded strings
}

func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonParser) expect(c byte) error {
	p.ws()
	if p.peek() != c {
		return malformed("expected %q at offset %d", c, p.i)
	}
	p.i++
	return nil
}

// object parses {...} as an embedded document (or, with array set, as
// BSON array keys) and appends it.
func (p *jsonParser) object(dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, malformed("nested deeper than %d", maxDepth)
	}
	if err := p.expect('{'); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	p.ws()
	if p.peek() == '}' {
		p.i++
		return finish(dst, start), nil
	}
	for {
		p.ws()
		key, err := p.string()
		if err != nil {
			return dst, err
		}
		if len(key) > 0 && key[0] == '$' {
			return dst, ErrUnsupportedJSON // a wrapper where a field was expected
		}
		if bytesContainNUL(key) {
			return dst, malformed("key with NUL")
		}
		if err := p.expect(':'); err != nil {
			return dst, err
		}
		typePos := len(dst)
		dst = append(dst, 0)
		dst = append(dst, key...)
		dst = append(dst, 0)
		var t byte
		if dst, t, err = p.value(dst, depth); err != nil {
			return dst, err
		}
		dst[typePos] = t
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return finish(dst, start), nil
		default:
			return dst, malformed("expected , or } at offset %d", p.i)
		}
	}
}

func finish(dst []byte, start int) []byte {
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}

func (p *jsonParser) array(dst []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return dst, malformed("nested deeper than %d", maxDepth)
	}
	p.i++ // [
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	p.ws()
	if p.peek() == ']' {
		p.i++
		return finish(dst, start), nil
	}
	for n := 0; ; n++ {
		typePos := len(dst)
		dst = append(dst, 0)
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, 0)
		var t byte
		var err error
		if dst, t, err = p.value(dst, depth); err != nil {
			return dst, err
		}
		dst[typePos] = t
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return finish(dst, start), nil
		default:
			return dst, malformed("expected , or ] at offset %d", p.i)
		}
	}
}

// value appends one value and returns its BSON type.
func (p *jsonParser) value(dst []byte, depth int) ([]byte, byte, error) {
	p.ws()
	switch c := p.peek(); {
	case c == '"':
		s, err := p.string()
		if err != nil {
			return dst, 0, err
		}
		return appendBSONString(dst, s), TypeString, nil
	case c == '{':
		return p.wrapperOrDoc(dst, depth)
	case c == '[':
		d, err := p.array(dst, depth+1)
		return d, TypeArray, err
	case c == 't' || c == 'f' || c == 'n':
		rest := p.s[p.i:]
		switch {
		case len(rest) >= 4 && string(rest[:4]) == "true":
			p.i += 4
			return append(dst, 1), TypeBoolean, nil
		case len(rest) >= 5 && string(rest[:5]) == "false":
			p.i += 5
			return append(dst, 0), TypeBoolean, nil
		case len(rest) >= 4 && string(rest[:4]) == "null":
			p.i += 4
			return dst, TypeNull, nil
		}
		return dst, 0, malformed("bad literal at offset %d", p.i)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(dst)
	}
	return dst, 0, malformed("unexpected %q at offset %d", p.peek(), p.i)
}

func (p *jsonParser) number(dst []byte) ([]byte, byte, error) {
	start := p.i
	isFloat := false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '.' || c == 'e' || c == 'E' {
			isFloat = true
		} else if !(c == '-' || c == '+' || (c >= '0' && c <= '9')) {
			break
		}
		p.i++
	}
	text := bytesString(p.s[start:p.i])
	if !isFloat {
		n, err := strconv.ParseInt(text, 10, 64)
		if err == nil {
			if n >= math.MinInt32 && n <= math.MaxInt32 {
				return binary.LittleEndian.AppendUint32(dst, uint32(int32(n))), TypeInt32, nil
			}
			return binary.LittleEndian.AppendUint64(dst, uint64(n)), TypeInt64, nil
		}
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return dst, 0, malformed("bad number %q", text)
	}
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), TypeDouble, nil
}

// wrapperOrDoc parses an object: a known extended JSON wrapper becomes its
// BSON value, anything else an embedded document.
func (p *jsonParser) wrapperOrDoc(dst []byte, depth int) ([]byte, byte, error) {
	save := p.i
	p.i++
	p.ws()
	if p.peek() != '"' || p.i+1 >= len(p.s) || p.s[p.i+1] != '$' {
		p.i = save
		d, err := p.object(dst, depth+1)
		return d, TypeDocument, err
	}
	key, err := p.string()
	if err != nil {
		return dst, 0, err
	}
	// The wrapper's name is matched before the next p.string call, which
	// may reuse the bytes key points to.
	w := wrapperKind(key)
	if err := p.expect(':'); err != nil {
		return dst, 0, err
	}
	p.ws()
	strVal := func() (string, error) {
		s, err := p.string()
		return string(s), err
	}
	switch w {
	case "$oid":
		s, err := p.string()
		if err != nil {
			return dst, 0, err
		}
		mark := len(dst)
		if len(s) != 24 {
			return dst, 0, malformed("bad $oid %q", s)
		}
		if dst, err = hex.AppendDecode(dst, s); err != nil {
			return dst[:mark], 0, malformed("bad $oid %q", s)
		}
		return dst, TypeObjectID, p.expect('}')
	case "$numberLong":
		s, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return dst, 0, malformed("bad $numberLong %q", s)
		}
		return binary.LittleEndian.AppendUint64(dst, uint64(n)), TypeInt64, p.expect('}')
	case "$numberDouble":
		s, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		var f float64
		switch s {
		case "NaN":
			f = math.NaN()
		case "Infinity":
			f = math.Inf(1)
		case "-Infinity":
			f = math.Inf(-1)
		default:
			if f, err = strconv.ParseFloat(s, 64); err != nil {
				return dst, 0, malformed("bad $numberDouble %q", s)
			}
		}
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f)), TypeDouble, p.expect('}')
	case "$numberDecimal":
		s, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		d, err := bson.ParseDecimal128(s)
		if err != nil {
			return dst, 0, malformed("bad $numberDecimal %q", s)
		}
		h, l := d.GetBytes()
		dst = binary.LittleEndian.AppendUint64(dst, l)
		return binary.LittleEndian.AppendUint64(dst, h), TypeDecimal128, p.expect('}')
	case "$date":
		if c := p.peek(); c != '-' && (c < '0' || c > '9') {
			return dst, 0, ErrUnsupportedJSON
		}
		var t byte
		mark := len(dst)
		if dst, t, err = p.number(dst); err != nil {
			return dst, 0, err
		}
		var ms int64
		switch t {
		case TypeInt32:
			ms = int64(int32(binary.LittleEndian.Uint32(dst[mark:])))
		case TypeInt64:
			ms = int64(binary.LittleEndian.Uint64(dst[mark:]))
		default:
			return dst, 0, ErrUnsupportedJSON
		}
		dst = binary.LittleEndian.AppendUint64(dst[:mark], uint64(ms))
		return dst, TypeDateTime, p.expect('}')
	case "$timestamp":
		var ts [2]uint32
		if err := p.expect('{'); err != nil {
			return dst, 0, err
		}
		for j := 0; j < 2; j++ {
			p.ws()
			name, err := p.string()
			if err != nil {
				return dst, 0, err
			}
			if err := p.expect(':'); err != nil {
				return dst, 0, err
			}
			p.ws()
			start := p.i
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
			}
			n, err := strconv.ParseUint(bytesString(p.s[start:p.i]), 10, 32)
			if err != nil {
				return dst, 0, malformed("bad $timestamp")
			}
			switch string(name) {
			case "t":
				ts[0] = uint32(n)
			case "i":
				ts[1] = uint32(n)
			default:
				return dst, 0, malformed("bad $timestamp field %q", name)
			}
			if j == 0 {
				if err := p.expect(','); err != nil {
					return dst, 0, err
				}
			}
		}
		if err := p.expect('}'); err != nil {
			return dst, 0, err
		}
		dst = binary.LittleEndian.AppendUint32(dst, ts[1])
		dst = binary.LittleEndian.AppendUint32(dst, ts[0])
		return dst, TypeTimestamp, p.expect('}')
	case "$binary":
		if p.peek() != '"' {
			return dst, 0, ErrUnsupportedJSON // the canonical {base64, subType} form
		}
		s, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		if err := p.expect(','); err != nil {
			return dst, 0, err
		}
		p.ws()
		if k2, err := p.string(); err != nil || string(k2) != "$type" {
			return dst, 0, malformed("$binary without $type")
		}
		if err := p.expect(':'); err != nil {
			return dst, 0, err
		}
		p.ws()
		sub, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return dst, 0, malformed("bad $binary base64")
		}
		st, err := strconv.ParseUint(sub, 16, 8)
		if err != nil {
			return dst, 0, malformed("bad $binary $type %q", sub)
		}
		if st == 2 {
			return dst, 0, ErrUnsupportedJSON // the old binary subtype nests a length
		}
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(data)))
		dst = append(dst, byte(st))
		dst = append(dst, data...)
		return dst, TypeBinary, p.expect('}')
	case "$regex":
		if p.peek() != '"' {
			return dst, 0, ErrUnsupportedJSON
		}
		pat, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		if err := p.expect(','); err != nil {
			return dst, 0, err
		}
		p.ws()
		if k2, err := p.string(); err != nil || string(k2) != "$options" {
			return dst, 0, ErrUnsupportedJSON
		}
		if err := p.expect(':'); err != nil {
			return dst, 0, err
		}
		p.ws()
		opts, err := strVal()
		if err != nil {
			return dst, 0, err
		}
		if containsNUL(pat) || containsNUL(opts) {
			return dst, 0, malformed("regex with NUL")
		}
		dst = append(append(dst, pat...), 0)
		dst = append(append(dst, opts...), 0)
		return dst, TypeRegex, p.expect('}')
	case "$minKey", "$maxKey", "$undefined":
		t := map[string]byte{"$minKey": TypeMinKey, "$maxKey": TypeMaxKey, "$undefined": TypeUndefined}[w]
		if _, _, err := p.value(nil, depth); err != nil {
			return dst, 0, err
		}
		return dst, t, p.expect('}')
	case "$symbol":
		s, err := p.string()
		if err != nil {
			return dst, 0, err
		}
		return appendBSONString(dst, s), TypeSymbol, p.expect('}')
	}
	return dst, 0, ErrUnsupportedJSON
}

// wrapperKind returns the extended JSON wrapper key names, as a constant
// string so that matching it allocates nothing, or "" for any other key.
func wrapperKind(key []byte) string {
	for _, w := range wrappers {
		if string(key) == w {
			return w
		}
	}
	return ""
}

var wrappers = [...]string{"$oid", "$numberLong", "$numberDouble", "$numberDecimal", "$date", "$timestamp", "$binary", "$regex", "$minKey", "$maxKey", "$undefined", "$symbol"}

func bytesContainNUL(b []byte) bool { return containsNUL(bytesString(b)) }

func containsNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func appendBSONString(dst, s []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)+1))
	dst = append(dst, s...)
	return append(dst, 0)
}

// string parses a JSON string at the cursor and returns its decoded bytes
// (valid until the next call).
func (p *jsonParser) string() ([]byte, error) {
	if p.peek() != '"' {
		return nil, malformed("expected a string at offset %d", p.i)
	}
	p.i++
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			s := p.s[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, malformed("control character in string")
		}
		p.i++
	}
	// Slow path: the string has escapes.
	p.str = append(p.str[:0], p.s[start:p.i]...)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return p.str, nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return nil, malformed("unterminated escape")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				p.str = append(p.str, e)
			case 'n':
				p.str = append(p.str, '\n')
			case 'r':
				p.str = append(p.str, '\r')
			case 't':
				p.str = append(p.str, '\t')
			case 'b':
				p.str = append(p.str, '\b')
			case 'f':
				p.str = append(p.str, '\f')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return nil, err
				}
				if utf16.IsSurrogate(r) {
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						p.i += 2
						r2, err := p.hex4()
						if err != nil {
							return nil, err
						}
						r = utf16.DecodeRune(r, r2)
					} else {
						r = utf8.RuneError
					}
				}
				p.str = utf8.AppendRune(p.str, r)
			default:
				return nil, malformed("bad escape \\%c", e)
			}
		case c < 0x20:
			return nil, malformed("control character in string")
		default:
			p.str = append(p.str, c)
			p.i++
		}
	}
	return nil, malformed("unterminated string")
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, malformed("short \\u escape")
	}
	n, err := strconv.ParseUint(bytesString(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, malformed("bad \\u escape")
	}
	p.i += 4
	return rune(n), nil
}
