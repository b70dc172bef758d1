package format

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// appendJSON appends v, of type t, as ksqlDB's JSON serializer writes it:
// DOUBLE as Java prints it (1.0 stays 1.0, NaN as a string), DECIMAL as a
// plain number, TIMESTAMP/TIME as ms and DATE as days since the epoch,
// BYTES as base64, MAP and STRUCT as objects.
func appendJSON(b []byte, v value.Value, t *types.Type) ([]byte, error) {
	if v.IsNull() {
		return append(b, "null"...), nil
	}
	switch t.Kind {
	case types.Boolean:
		if v.Kind() != types.Boolean {
			break
		}
		return strconv.AppendBool(b, v.Bool()), nil
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		switch v.Kind() {
		case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
			return strconv.AppendInt(b, v.AsInt64(), 10), nil
		}
	case types.Double:
		if !isNum(v.Kind()) {
			break
		}
		f := v.AsFloat64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return AppendJSONString(b, value.FormatDouble(f)), nil
		}
		return value.AppendDouble(b, f), nil
	case types.Decimal:
		if v.Kind() != types.Decimal {
			break
		}
		return appendDecimal(b, v), nil
	case types.String:
		if v.Kind() != types.String {
			break
		}
		return AppendJSONString(b, v.Str()), nil
	case types.Bytes:
		if v.Kind() != types.Bytes {
			break
		}
		raw := v.BytesVal()
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"'), nil
	case types.Array:
		if v.Kind() != types.Array {
			break
		}
		b = append(b, '[')
		for i, e := range v.Elems() {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e, t.Elem); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case types.Map:
		if v.Kind() != types.Map {
			break
		}
		b = append(b, '{')
		for i, e := range v.Entries() {
			if i > 0 {
				b = append(b, ',')
			}
			switch {
			case e.Key.IsNull():
				// Connect's JsonConverter names an object field by the key's
				// String.valueOf, so a NULL key is the field "null".
				b = append(b, `"null"`...)
			case e.Key.Kind() != types.String:
				return b, fmt.Errorf("map key %s is not a STRING", e.Key)
			default:
				b = AppendJSONString(b, e.Key.Str())
			}
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, e.Val, t.Elem); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case types.Struct:
		if v.Kind() != types.Struct {
			break
		}
		fs := v.Elems()
		if len(fs) != len(t.Fields) {
			return b, fmt.Errorf("struct has %d fields, type %s has %d", len(fs), TypeString(t), len(t.Fields))
		}
		b = append(b, '{')
		for i, f := range t.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, f.Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, fs[i], f.Type); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	}
	return b, fmt.Errorf("value of kind %s does not fit type %s", v.Kind(), TypeString(t))
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s quoted, escaping as Jackson does (control
// characters as \u00XX, invalid UTF-8 replaced).
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func isNum(k types.Kind) bool {
	return k == types.Int || k == types.Bigint || k == types.Double || k == types.Decimal
}
