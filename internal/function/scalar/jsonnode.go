package scalar

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonNode is a parsed JSON value that keeps what ksqlDB's Jackson tree
// keeps: object key order, and numbers exactly as written.
type jsonNode struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 't' true, 'f' false, 'z' null
	str   string
	keys  []string
	elems []*jsonNode // object values (parallel to keys) or array elements
}

var errJSON = errors.New("invalid JSON")

// parseJSON reads the first JSON value in s. It returns nil, nil for blank
// input (Jackson's "missing node"), and ignores anything after the value,
// as Jackson's readTree does by default.
func parseJSON(s string) (*jsonNode, error) {
	p := jsonParser{s: s}
	p.ws()
	if p.i >= len(s) {
		return nil, nil
	}
	return p.value(0)
}

type jsonParser struct {
	s string
	i int
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

func (p *jsonParser) value(depth int) (*jsonNode, error) {
	if depth > 1000 {
		return nil, errJSON
	}
	p.ws()
	if p.i >= len(p.s) {
		return nil, errJSON
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		n := &jsonNode{kind: 'o'}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return n, nil
		}
		for {
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return nil, errJSON
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			p.ws()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.set(k, v)
			p.ws()
			if p.i >= len(p.s) {
				return nil, errJSON
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == '}' {
				p.i++
				return n, nil
			}
			return nil, errJSON
		}
	case c == '[':
		p.i++
		n := &jsonNode{kind: 'a', elems: []*jsonNode{}}
		p.ws()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return n, nil
		}
		for {
			v, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.elems = append(n.elems, v)
			p.ws()
			if p.i >= len(p.s) {
				return nil, errJSON
			}
			if p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.s[p.i] == ']' {
				p.i++
				return n, nil
			}
			return nil, errJSON
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jsonNode{kind: 's', str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.i
		if c == '-' {
			p.i++
		}
		digits := func() int {
			n := 0
			for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
				p.i++
				n++
			}
			return n
		}
		if digits() == 0 {
			return nil, errJSON
		}
		if p.i < len(p.s) && p.s[p.i] == '.' {
			p.i++
			if digits() == 0 {
				return nil, errJSON
			}
		}
		if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
			p.i++
			if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
				p.i++
			}
			if digits() == 0 {
				return nil, errJSON
			}
		}
		return &jsonNode{kind: 'n', str: plainNumber(p.s[start:p.i])}, nil
	default:
		for _, lit := range []struct {
			word string
			kind byte
		}{{"true", 't'}, {"false", 'f'}, {"null", 'z'}} {
			if strings.HasPrefix(p.s[p.i:], lit.word) {
				p.i += len(lit.word)
				return &jsonNode{kind: lit.kind}, nil
			}
		}
	}
	return nil, errJSON
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' {
		if p.s[p.i] < 0x20 {
			return "", errJSON
		}
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '"' {
		p.i++
		return p.s[start : p.i-1], nil
	}
	var sb strings.Builder
	sb.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return sb.String(), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", errJSON
			}
			p.i++
			switch e := p.s[p.i]; e {
			case '"', '\\', '/':
				sb.WriteByte(e)
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case 'u':
				if p.i+4 >= len(p.s) {
					return "", errJSON
				}
				u, err := strconv.ParseUint(p.s[p.i+1:p.i+5], 16, 16)
				if err != nil {
					return "", errJSON
				}
				p.i += 4
				r := rune(u)
				if r >= 0xD800 && r < 0xDC00 && p.i+6 < len(p.s) && p.s[p.i+1] == '\\' && p.s[p.i+2] == 'u' {
					if lo, err := strconv.ParseUint(p.s[p.i+3:p.i+7], 16, 16); err == nil && lo >= 0xDC00 && lo < 0xE000 {
						r = (r-0xD800)<<10 + (rune(lo) - 0xDC00) + 0x10000
						p.i += 6
					}
				}
				sb.WriteRune(r)
			default:
				return "", errJSON
			}
			p.i++
		case c < 0x20:
			return "", errJSON
		default:
			sb.WriteByte(c)
			p.i++
		}
	}
	return "", errJSON
}

// set adds or replaces a key; a repeated key keeps its first position and
// takes the last value, as Jackson's ObjectNode does.
func (n *jsonNode) set(k string, v *jsonNode) {
	for i, kk := range n.keys {
		if kk == k {
			n.elems[i] = v
			return
		}
	}
	n.keys = append(n.keys, k)
	n.elems = append(n.elems, v)
}

func (n *jsonNode) get(k string) *jsonNode {
	for i, kk := range n.keys {
		if kk == k {
			return n.elems[i]
		}
	}
	return nil
}

// String renders the node compactly, as Jackson's JsonNode.toString does.
func (n *jsonNode) String() string {
	var sb strings.Builder
	n.write(&sb)
	return sb.String()
}

func (n *jsonNode) write(sb *strings.Builder) {
	switch n.kind {
	case 'o':
		sb.WriteByte('{')
		for i, k := range n.keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, k)
			sb.WriteByte(':')
			n.elems[i].write(sb)
		}
		sb.WriteByte('}')
	case 'a':
		sb.WriteByte('[')
		for i, e := range n.elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			e.write(sb)
		}
		sb.WriteByte(']')
	case 's':
		writeJSONString(sb, n.str)
	case 'n':
		sb.WriteString(n.str)
	case 't':
		sb.WriteString("true")
	case 'f':
		sb.WriteString("false")
	default:
		sb.WriteString("null")
	}
}

// writeJSONString quotes s as Jackson does: control characters, quote and
// backslash escaped, everything else (including non-ASCII) as is.
func writeJSONString(sb *strings.Builder, s string) {
	sb.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			sb.WriteRune(r)
			i += size
			continue
		}
		switch c {
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		case '\n':
			sb.WriteString(`\n`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		case '\f':
			sb.WriteString(`\f`)
		default:
			if c < 0x20 {
				sb.WriteString(`\u00`)
				sb.WriteByte("0123456789ABCDEF"[c>>4])
				sb.WriteByte("0123456789ABCDEF"[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
		i++
	}
	sb.WriteByte('"')
}

// plainNumber rewrites a number with an exponent the way Jackson writes
// the BigDecimal it parsed (WRITE_BIGDECIMAL_AS_PLAIN): 1.50E1 → 15.0,
// 1e-2 → 0.01. Numbers without an exponent are kept as written.
func plainNumber(s string) string {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return s
	}
	exp, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return s
	}
	mant := s[:i]
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	scale := 0
	if d := strings.IndexByte(mant, '.'); d >= 0 {
		scale = len(mant) - d - 1
		mant = mant[:d] + mant[d+1:]
	}
	scale -= exp
	digits := strings.TrimLeft(mant, "0")
	if digits == "" {
		digits = "0"
	}
	switch {
	case scale <= 0:
		if digits != "0" {
			digits += strings.Repeat("0", -scale)
		}
	default:
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}
