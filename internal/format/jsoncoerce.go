package format

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/value"
)

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
		if bytes.ContainsAny(tok, "eE") {
			return value.String(javaBigDecimalString(string(tok))), nil
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

// javaBigDecimalString renders a number written with an exponent as
// Jackson's exact DecimalNode prints it (BigDecimal.toString): 1e3 is
// "1E+3", 1.5e2 is "1.5E+2", 1e-3 is "0.001".
func javaBigDecimalString(tok string) string {
	u, scale, err := parseDecimal(tok)
	if err != nil {
		return tok
	}
	neg := u.Sign() < 0
	digits := new(big.Int).Abs(u).String()
	adjusted := -scale + len(digits) - 1
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	if scale >= 0 && adjusted >= -6 {
		if scale == 0 {
			b.WriteString(digits)
		} else if len(digits) > scale {
			b.WriteString(digits[:len(digits)-scale] + "." + digits[len(digits)-scale:])
		} else {
			b.WriteString("0." + strings.Repeat("0", scale-len(digits)) + digits)
		}
		return b.String()
	}
	b.WriteString(digits[:1])
	if len(digits) > 1 {
		b.WriteString("." + digits[1:])
	}
	b.WriteByte('E')
	if adjusted >= 0 {
		b.WriteByte('+')
	}
	b.WriteString(strconv.Itoa(adjusted))
	return b.String()
}
