package scalar

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const catJSON = function.CategoryJSON

func parseJSONArg(s string) (*jsonNode, error) {
	n, err := parseJSON(s)
	if err != nil {
		return nil, fmt.Errorf("Invalid JSON format:%s", s)
	}
	return n, nil
}

func registerJSON(b *builder) {
	b.add("extractjsonfield", catJSON, "Given a STRING that contains JSON data, extract the value at the specified JSONPath or NULL if the specified path does not exist.",
		ov(pStr, ps(p("input", pStr), p("path", pStr)), func(a []value.Value) (value.Value, error) {
			tokens, err := jsonPathTokens(a[1].Str())
			if err != nil {
				return null, err
			}
			n, err := parseJSONArg(a[0].Str())
			if err != nil {
				return null, err
			}
			if n == nil {
				return null, nil
			}
			for _, t := range tokens {
				switch n.kind {
				case 'a':
					i, err := strconv.Atoi(t)
					if err != nil || i < 0 || i >= len(n.elems) {
						return null, nil
					}
					n = n.elems[i]
				case 'o':
					n = n.get(t)
				default:
					n = nil
				}
				if n == nil {
					return null, nil
				}
			}
			if n.kind == 's' {
				return vstr(n.str), nil
			}
			return vstr(n.String()), nil
		}))
	b.add("JSON_ARRAY_CONTAINS", catJSON, "Parses a JSON array and determines whether or not the supplied value is contained within the array.",
		ovn(pBool, ps(p("jsonArray", pStr), p("val", tT)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return value.Bool(false), nil
			}
			n, err := parseJSON(a[0].Str())
			if err != nil || n == nil || n.kind != 'a' {
				return value.Bool(false), nil
			}
			v := a[1]
			for _, e := range n.elems {
				if jsonElemEquals(e, v) {
					return value.Bool(true), nil
				}
			}
			return value.Bool(false), nil
		}))
	b.add("IS_JSON_STRING", catJSON, "Given a string, returns true if it can be parsed as a valid JSON value, false otherwise.",
		ovn(pBool, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return value.Bool(false), nil
			}
			n, err := parseJSON(a[0].Str())
			return value.Bool(err == nil && n != nil), nil
		}))
	b.add("JSON_ARRAY_LENGTH", catJSON, "Given a string, parses it as a JSON value and returns the length of the top-level array. Returns NULL if the string can't be interpreted as a JSON array.",
		ov(pInt, ps(p("jsonArray", pStr)), func(a []value.Value) (value.Value, error) {
			n, err := parseJSONArg(a[0].Str())
			if err != nil || n == nil || n.kind != 'a' {
				return null, err
			}
			return value.Int(int32(len(n.elems))), nil
		}))
	b.add("JSON_CONCAT", catJSON, "Given N strings, parse them as JSON values and return a string representing their concatenation. Concatenation rules are identical to PostgreSQL's || operator: if all inputs are JSON objects, the result is an object with the union of their keys; otherwise each non-array is wrapped in an array and the arrays are concatenated.",
		ovn(pStr, ps(vp("jsonStrings", pStr)), func(a []value.Value) (value.Value, error) {
			if len(a) == 0 {
				return null, nil
			}
			nodes := make([]*jsonNode, len(a))
			allObjects := true
			for i, v := range a {
				if v.IsNull() {
					return null, nil
				}
				n, err := parseJSONArg(v.Str())
				if err != nil {
					return null, err
				}
				if n == nil {
					return null, nil
				}
				allObjects = allObjects && n.kind == 'o'
				nodes[i] = n
			}
			if allObjects {
				out := &jsonNode{kind: 'o'}
				for _, n := range nodes {
					for i, k := range n.keys {
						out.set(k, n.elems[i])
					}
				}
				return vstr(out.String()), nil
			}
			out := &jsonNode{kind: 'a', elems: []*jsonNode{}}
			for _, n := range nodes {
				if n.kind == 'a' {
					out.elems = append(out.elems, n.elems...)
				} else {
					out.elems = append(out.elems, n)
				}
			}
			return vstr(out.String()), nil
		}))
	b.add("JSON_KEYS", catJSON, "Given a string, parses it as a JSON object and returns a ksqlDB array of strings representing the top-level keys. Returns NULL if the string can't be interpreted as a JSON object.",
		ov(function.ArrayP(pStr), ps(p("jsonObj", pStr)), func(a []value.Value) (value.Value, error) {
			n, err := parseJSONArg(a[0].Str())
			if err != nil || n == nil || n.kind != 'o' {
				return null, err
			}
			out := make([]value.Value, len(n.keys))
			for i, k := range n.keys {
				out[i] = vstr(k)
			}
			return value.Array(out), nil
		}))
	b.add("JSON_RECORDS", catJSON, "Given a string, parses it as a JSON object and returns a map representing the top-level keys and values. Returns NULL if the string can't be interpreted as a JSON object.",
		ov(function.MapP(pStr, pStr), ps(p("jsonObj", pStr)), func(a []value.Value) (value.Value, error) {
			n, err := parseJSONArg(a[0].Str())
			if err != nil || n == nil || n.kind != 'o' {
				return null, err
			}
			out := make([]value.Entry, len(n.keys))
			for i, k := range n.keys {
				v := n.elems[i]
				s := v.String()
				if v.kind == 's' {
					s = v.str
				}
				out[i] = value.Entry{Key: vstr(k), Val: vstr(s)}
			}
			return value.Map(out), nil
		}))
	b.add("JSON_ITEMS", catJSON, "Given a string with JSON array, converts it to a ksqlDB array of JSON strings.",
		ov(function.ArrayP(pStr), ps(p("jsonItems", pStr)), func(a []value.Value) (value.Value, error) {
			n, err := parseJSONArg(a[0].Str())
			if err != nil {
				return null, err
			}
			if n == nil || n.kind != 'a' {
				return null, fmt.Errorf("Invalid JSON format:%s", a[0].Str())
			}
			out := make([]value.Value, len(n.elems))
			for i, e := range n.elems {
				out[i] = vstr(e.String())
			}
			return value.Array(out), nil
		}))
	toJSON := &function.ScalarOverload{
		Signature: function.Signature{Params: ps(p("input", tT)), Return: pStr},
		Specialize: func(argTypes []*types.Type, _ *types.Type) (function.ScalarFn, error) {
			t := argTypes[0]
			return func(a []value.Value) (value.Value, error) {
				var sb strings.Builder
				writeValueJSON(&sb, a[0], t)
				return vstr(sb.String()), nil
			}, nil
		},
	}
	b.add("TO_JSON_STRING", catJSON, "Given any ksqlDB type returns the equivalent JSON string.", toJSON)
}

// jsonElemEquals is JSON_ARRAY_CONTAINS's test: a JSON token matches only
// a value of the corresponding SQL kind.
func jsonElemEquals(e *jsonNode, v value.Value) bool {
	switch e.kind {
	case 'z':
		return v.IsNull()
	case 't', 'f':
		return v.Kind() == types.Boolean && v.Bool() == (e.kind == 't')
	case 's':
		return v.Kind() == types.String && v.Str() == e.str
	case 'n':
		isInt := !strings.ContainsAny(e.str, ".eE")
		switch v.Kind() {
		case types.Int, types.Bigint:
			if !isInt {
				return false
			}
			n, err := strconv.ParseInt(e.str, 10, 64)
			if err != nil || (v.Kind() == types.Int && (n < -1<<31 || n > 1<<31-1)) {
				return false
			}
			return n == v.AsInt64()
		case types.Double:
			if isInt {
				return false
			}
			f, err := strconv.ParseFloat(e.str, 64)
			return err == nil && f == v.Double()
		}
	}
	return false
}

// jsonPathTokens splits a JSONPath as ksqlDB's JsonPathTokenizer does:
// $.a.b, $.a[0], $["quoted key"].
func jsonPathTokens(path string) ([]string, error) {
	bad := fmt.Errorf("Invalid JSON path: '%s'", path)
	if path == "" || path[0] != '$' {
		return nil, bad
	}
	r := []rune(path)
	i := 1
	var out []string
	unquoted := func(extra bool) (string, error) {
		start := i
		for i < len(r) && (r[i] == '_' || unicode.IsLetter(r[i]) || unicode.IsDigit(r[i]) || (extra && (r[i] == ':' || r[i] == '@'))) {
			i++
		}
		if i == start {
			return "", bad
		}
		return string(r[start:i]), nil
	}
	for i < len(r) {
		switch r[i] {
		case '.':
			i++
			t, err := unquoted(true)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		case '[':
			i++
			var t string
			if i < len(r) && r[i] == '"' {
				i++
				var sb strings.Builder
				for {
					if i >= len(r) {
						return nil, bad
					}
					c := r[i]
					if c == '"' {
						break
					}
					if c == '\\' {
						i++
						if i >= len(r) || (r[i] != '"' && r[i] != '\\') {
							return nil, bad
						}
						c = r[i]
					}
					sb.WriteRune(c)
					i++
				}
				i++
				t = sb.String()
			} else {
				var err error
				if t, err = unquoted(false); err != nil {
					return nil, err
				}
			}
			if i >= len(r) || r[i] != ']' {
				return nil, bad
			}
			i++
			out = append(out, t)
		default:
			return nil, bad
		}
	}
	return out, nil
}

// writeValueJSON renders v of type t as TO_JSON_STRING does: temporal
// values as ISO strings, BYTES as base64, struct fields and map keys in
// sorted order.
func writeValueJSON(sb *strings.Builder, v value.Value, t *types.Type) {
	if v.IsNull() {
		sb.WriteString("null")
		return
	}
	switch v.Kind() {
	case types.Boolean:
		sb.WriteString(strconv.FormatBool(v.Bool()))
	case types.Int, types.Bigint:
		sb.WriteString(strconv.FormatInt(v.AsInt64(), 10))
	case types.Double:
		sb.WriteString(value.FormatDouble(v.Double()))
	case types.Decimal:
		sb.WriteString(v.DecimalString())
	case types.String:
		writeJSONString(sb, v.Str())
	case types.Bytes:
		writeJSONString(sb, base64.StdEncoding.EncodeToString(v.BytesVal()))
	case types.Date:
		writeJSONString(sb, time.UnixMilli(v.Days()*86400000).UTC().Format("2006-01-02"))
	case types.Time:
		writeJSONString(sb, formatLocalTime(v.Millis()))
	case types.Timestamp:
		writeJSONString(sb, time.UnixMilli(v.Millis()).UTC().Format("2006-01-02T15:04:05.000"))
	case types.Array:
		var et *types.Type
		if t != nil {
			et = t.Elem
		}
		sb.WriteByte('[')
		for i, e := range v.Elems() {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeValueJSON(sb, e, et)
		}
		sb.WriteByte(']')
	case types.Map:
		var vt *types.Type
		if t != nil {
			vt = t.Elem
		}
		entries := append([]value.Entry(nil), v.Entries()...)
		sort.SliceStable(entries, func(i, j int) bool { return entries[i].Key.String() < entries[j].Key.String() })
		sb.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, e.Key.String())
			sb.WriteByte(':')
			writeValueJSON(sb, e.Val, vt)
		}
		sb.WriteByte('}')
	case types.Struct:
		elems := v.Elems()
		idx := make([]int, len(elems))
		for i := range idx {
			idx[i] = i
		}
		name := func(i int) string {
			if t != nil && i < len(t.Fields) {
				return t.Fields[i].Name
			}
			return strconv.Itoa(i)
		}
		sort.SliceStable(idx, func(a, b int) bool { return name(idx[a]) < name(idx[b]) })
		sb.WriteByte('{')
		for n, i := range idx {
			if n > 0 {
				sb.WriteByte(',')
			}
			writeJSONString(sb, name(i))
			sb.WriteByte(':')
			var ft *types.Type
			if t != nil && i < len(t.Fields) {
				ft = t.Fields[i].Type
			}
			writeValueJSON(sb, elems[i], ft)
		}
		sb.WriteByte('}')
	default:
		sb.WriteString("null")
	}
}

// formatLocalTime renders milliseconds of the day as Java's
// LocalTime.toString does: seconds and fractions only when non-zero.
func formatLocalTime(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	s := t.Format("15:04")
	if t.Second() != 0 || t.Nanosecond() != 0 {
		s += t.Format(":05")
		if t.Nanosecond() != 0 {
			s += fmt.Sprintf(".%03d", t.Nanosecond()/1e6)
		}
	}
	return s
}
