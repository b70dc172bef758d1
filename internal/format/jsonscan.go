package format

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonReader decodes JSON text straight into typed values, the way
// ksqlDB's KsqlJsonDeserializer coerces Jackson nodes, without building an
// intermediate tree. It keeps one scratch buffer across records.
type jsonReader struct {
	b       []byte
	i       int
	scratch []byte
}

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
