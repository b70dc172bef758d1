package format

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// delimitedFormat is ksqlDB's DELIMITED: one CSV record per row (Apache
// commons-csv's default dialect with a configurable delimiter), an empty
// field for NULL, primitives only.
type delimitedFormat struct {
	delim byte
}

var delimitedSingles = singles{format: Delimited, canUnwrap: true, alwaysUnwraps: true}

func newDelimited(p map[string]string) (Format, error) {
	d := byte(',')
	if s, ok := p[PropDelimiter]; ok {
		switch {
		case strings.EqualFold(s, "TAB"):
			d = '\t'
		case strings.EqualFold(s, "SPACE"):
			d = ' '
		case len(s) == 1 && s[0] < utf8.RuneSelf:
			d = s[0]
		case s == "":
			return nil, newErr(ErrUnsupported, "Delimiter cannot be empty, if you meant to have a tab or space for delimiter, please use the special values 'TAB' or 'SPACE'")
		default:
			return nil, newErr(ErrUnsupported, "Invalid delimiter value: '%s'. Delimiter must be a single character or TAB or SPACE", s)
		}
	}
	return &delimitedFormat{delim: d}, nil
}

func (f *delimitedFormat) Name() string { return Delimited }

func (f *delimitedFormat) Unwrapped(t Target) (bool, error) { return delimitedSingles.unwrapped(t) }

func (f *delimitedFormat) Validate(t Target) error {
	for _, c := range t.Columns {
		switch c.Type.Kind {
		case types.Array, types.Map, types.Struct:
			return newErr(ErrUnsupported, "The 'DELIMITED' format does not support type '%s', column: `%s`", c.Type.Kind, c.Name)
		}
	}
	if t.Wrap == Wrapped {
		_, err := delimitedSingles.unwrapped(t)
		return err
	}
	return nil
}

func (f *delimitedFormat) Serializer(_ context.Context, t Target) (Serializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return &delimitedSerde{t: t, delim: f.delim}, nil
}

func (f *delimitedFormat) Deserializer(_ context.Context, t Target) (Deserializer, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	return &delimitedSerde{t: t, delim: f.delim}, nil
}

type delimitedSerde struct {
	t       Target
	delim   byte
	spans   [][2]int // reused per record
	buf     []byte   // unquoted field text, reused per record
	scratch []byte   // one field's text while serializing
}

func (s *delimitedSerde) Serialize(dst []byte, row []value.Value) ([]byte, error) {
	if row == nil {
		return nil, nil
	}
	if len(row) != len(s.t.Columns) {
		return nil, serErr(&s.t, fmt.Errorf("row has %d values for %d columns", len(row), len(s.t.Columns)))
	}
	if len(row) == 1 && row[0].IsNull() {
		// A lone NULL is a null record, as ksqlDB writes it.
		return nil, nil
	}
	if dst == nil {
		dst = make([]byte, 0, 64)
	}
	for i, v := range row {
		if i > 0 {
			dst = append(dst, s.delim)
		}
		if v.IsNull() {
			continue
		}
		var err error
		if s.scratch, err = appendDelimitedText(s.scratch[:0], v, s.t.Columns[i].Type); err != nil {
			return nil, serErr(&s.t, fmt.Errorf("column %s: %w", s.t.Columns[i].Name, err))
		}
		dst = s.appendField(dst, s.scratch, i == 0)
	}
	return dst, nil
}

// appendField quotes as the commons-csv ksqlDB ships (1.4) does in its
// MINIMAL quote mode: when the field holds the delimiter, a quote or a line
// break, starts with a character at or below '#', ends in whitespace, is
// an empty first field, or is a first field that does not start with a
// letter or digit (so a record starting -5 is written "-5").
func (s *delimitedSerde) appendField(dst []byte, f []byte, first bool) []byte {
	quote := false
	if len(f) == 0 {
		// commons-csv quotes an empty first token, so that a record of
		// one empty string is not an empty line. (NULLs never get here.)
		quote = first
	} else {
		if c := f[0]; c <= '#' || (first && !isASCIIAlnum(c)) {
			quote = true
		}
		for i := 0; i < len(f) && !quote; i++ {
			c := f[i]
			if c == '\n' || c == '\r' || c == '"' || c == s.delim {
				quote = true
			}
		}
		if !quote && f[len(f)-1] <= ' ' {
			quote = true
		}
	}
	if !quote {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(f); i++ {
		if f[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, f[i])
	}
	return append(dst, '"')
}

// appendDelimitedText appends a non-NULL value's text, as ksqlDB's
// delimited serializer prints it.
func appendDelimitedText(b []byte, v value.Value, t *types.Type) ([]byte, error) {
	switch t.Kind {
	case types.Boolean:
		return strconv.AppendBool(b, v.Bool()), nil
	case types.Int, types.Bigint, types.Date, types.Time, types.Timestamp:
		return strconv.AppendInt(b, v.AsInt64(), 10), nil
	case types.Double:
		return value.AppendDouble(b, v.AsFloat64()), nil
	case types.Decimal:
		d, err := rescale(v, t)
		if err != nil {
			return b, err
		}
		return appendDecimal(b, d), nil
	case types.String:
		return append(b, v.Str()...), nil
	case types.Bytes:
		return base64.StdEncoding.AppendEncode(b, v.BytesVal()), nil
	}
	return b, fmt.Errorf("type %s is not supported", t)
}

func (s *delimitedSerde) Deserialize(data []byte, into []value.Value) ([]value.Value, error) {
	if data == nil {
		return nil, nil
	}
	spans, err := s.parse(data)
	if err != nil {
		return nil, deserErr(&s.t, err)
	}
	if len(spans) != len(s.t.Columns) {
		return nil, deserErr(&s.t, fmt.Errorf("Column count mismatch on deserialization. topic: %s, expected: %d, got: %d",
			s.t.Topic, len(s.t.Columns), len(spans)))
	}
	out := grow(into, len(s.t.Columns))
	for i, sp := range spans {
		f := s.buf[sp[0]:sp[1]]
		if len(f) == 0 {
			continue
		}
		v, err := parseDelimited(f, s.t.Columns[i].Type)
		if err != nil {
			return nil, deserErr(&s.t, fmt.Errorf("column %s: %w", s.t.Columns[i].Name, err))
		}
		out[i] = v
	}
	return out, nil
}

// parse splits one CSV record into fields, unquoted into s.buf and located
// by the returned spans. Quoted fields may hold the delimiter, line breaks
// and doubled quotes; a trailing line break is ignored and a second record
// is an error.
func (s *delimitedSerde) parse(data []byte) ([][2]int, error) {
	spans := s.spans[:0]
	buf := s.buf[:0]
	i := 0
	for {
		start := len(buf)
		if i < len(data) && data[i] == '"' {
			i++
			closed := false
			for i < len(data) {
				c := data[i]
				if c == '"' {
					if i+1 < len(data) && data[i+1] == '"' {
						buf = append(buf, '"')
						i += 2
						continue
					}
					i++
					closed = true
					break
				}
				buf = append(buf, c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("EOF reached before encapsulated token finished")
			}
			if i < len(data) && data[i] != s.delim && data[i] != '\n' && data[i] != '\r' {
				return nil, fmt.Errorf("invalid char between encapsulated token and delimiter")
			}
		} else {
			j := i
			for j < len(data) && data[j] != s.delim && data[j] != '\n' && data[j] != '\r' {
				j++
			}
			buf = append(buf, data[i:j]...)
			i = j
		}
		spans = append(spans, [2]int{start, len(buf)})
		if i >= len(data) {
			break
		}
		if data[i] == s.delim {
			i++
			if i == len(data) {
				spans = append(spans, [2]int{len(buf), len(buf)})
				break
			}
			continue
		}
		// A line break ends the record; only more line breaks may follow.
		for i < len(data) && (data[i] == '\n' || data[i] == '\r') {
			i++
		}
		if i < len(data) {
			return nil, fmt.Errorf("Unexpected record count %d", 2)
		}
		break
	}
	s.spans, s.buf = spans, buf
	return spans, nil
}

func parseDelimited(f []byte, t *types.Type) (value.Value, error) {
	switch t.Kind {
	case types.Boolean:
		return value.Bool(string(f) == "true" || strings.EqualFold(string(f), "true")), nil
	case types.Int, types.Date, types.Time:
		n, err := strconv.ParseInt(string(f), 10, 32)
		if err != nil {
			return value.Null, fmt.Errorf("For input string: \"%s\"", f)
		}
		switch t.Kind {
		case types.Date:
			return value.Date(n), nil
		case types.Time:
			return value.Time(n), nil
		}
		return value.Int(int32(n)), nil
	case types.Bigint, types.Timestamp:
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return value.Null, fmt.Errorf("For input string: \"%s\"", f)
		}
		if t.Kind == types.Timestamp {
			return value.Timestamp(n), nil
		}
		return value.Bigint(n), nil
	case types.Double:
		d, err := parseJavaDouble(string(f))
		if err != nil {
			return value.Null, fmt.Errorf("For input string: \"%s\"", f)
		}
		return value.Double(d), nil
	case types.Decimal:
		if v, ok := fastDecimal(f, t); ok {
			return v, nil
		}
		u, sc, err := parseDecimal(strings.TrimSpace(string(f)))
		if err != nil {
			return value.Null, err
		}
		return fitDecimal(u, sc, t)
	case types.String:
		return value.String(string(f)), nil
	case types.Bytes:
		b, err := decodeBase64(f)
		if err != nil {
			return value.Null, fmt.Errorf("Value is not a valid base64 encoded string: %w", err)
		}
		return value.Bytes(b), nil
	}
	return value.Null, fmt.Errorf("type %s is not supported", t)
}

func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}
