package scalar

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

const catString = function.CategoryString

// ksqlDB counts string positions in Java chars; Sluice counts code
// points, which agree for every character outside the supplementary
// planes. runeLen and runeSlice keep ASCII on the fast path.

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func runeLen(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCountInString(s)
}

// runeSlice returns s[from:to] counted in code points; to < 0 means the end.
func runeSlice(s string, from, to int) string {
	if isASCII(s) {
		if to < 0 {
			to = len(s)
		}
		return s[from:to]
	}
	// Walk to the byte offsets rather than converting to []rune, so the
	// result shares s's memory.
	start, end, n := len(s), len(s), 0
	for i := range s {
		if n == from {
			start = i
		}
		if n == to {
			end = i
			break
		}
		n++
	}
	return s[start:end]
}

// substringBounds follows ksqlDB's SUBSTRING: positions are 1-based, a
// negative position counts from the end, and out-of-range bounds clamp.
func substringBounds(n int, pos int64, length int64, hasLen bool) (int, int) {
	var start int
	if pos < 0 {
		start = int(max(int64(n)+pos, 0))
	} else {
		start = int(max(min(pos-1, int64(n)), 0))
	}
	end := n
	if hasLen {
		end = int(max(min(int64(start)+length, int64(n)), int64(start)))
	}
	return start, end
}

func registerString(b *builder) {
	substr := func(a []value.Value) (value.Value, error) {
		hasLen := len(a) > 2
		var length int64
		if hasLen {
			length = int64(a[2].Int())
		}
		if isBytes(a[0]) {
			bs := a[0].BytesVal()
			s, e := substringBounds(len(bs), int64(a[1].Int()), length, hasLen)
			return value.Bytes(append([]byte(nil), bs[s:e]...)), nil
		}
		str := a[0].Str()
		s, e := substringBounds(runeLen(str), int64(a[1].Int()), length, hasLen)
		return vstr(runeSlice(str, s, e)), nil
	}
	b.add("substring", catString, "Returns the portion of the string or bytes passed in value.",
		describe(ov(pStr, ps(p("str", pStr), p("pos", pInt)), substr), "Returns the portion of str from pos to the end of str"),
		describe(ov(pStr, ps(p("str", pStr), p("pos", pInt), p("length", pInt)), substr), "Returns the portion of str that starts at pos and has length"),
		ov(pByt, ps(p("bytes", pByt), p("pos", pInt)), substr),
		ov(pByt, ps(p("bytes", pByt), p("pos", pInt), p("length", pInt)), substr),
	)
	b.add("concat", catString, "Concatenate an arbitrary number of string or bytes fields together",
		ovn(pStr, ps(vp("inputs", pStr)), func(a []value.Value) (value.Value, error) {
			switch len(a) {
			case 1:
				if a[0].IsNull() {
					return vstr(""), nil
				}
				return a[0], nil
			case 2:
				return vstr(a[0].Str() + a[1].Str()), nil
			}
			var sb strings.Builder
			for _, v := range a {
				sb.WriteString(v.Str())
			}
			return vstr(sb.String()), nil
		}),
		ovn(pByt, ps(vp("inputs", pByt)), func(a []value.Value) (value.Value, error) {
			var out []byte
			for _, v := range a {
				out = append(out, v.BytesVal()...)
			}
			return value.Bytes(out), nil
		}),
	)
	concatWS := func(a []value.Value) (value.Value, error) {
		if len(a) < 2 {
			return null, errors.New("Function Concat_WS expects at least two input arguments.")
		}
		if a[0].IsNull() {
			return null, nil
		}
		if a[0].Kind() == pByt.Type.Kind {
			var out []byte
			first := true
			for _, v := range a[1:] {
				if v.IsNull() {
					continue
				}
				if !first {
					out = append(out, a[0].BytesVal()...)
				}
				first = false
				out = append(out, v.BytesVal()...)
			}
			return value.Bytes(out), nil
		}
		parts := make([]string, 0, len(a)-1)
		for _, v := range a[1:] {
			if !v.IsNull() {
				parts = append(parts, v.Str())
			}
		}
		return vstr(strings.Join(parts, a[0].Str())), nil
	}
	b.add("concat_ws", catString, "Concatenate several strings or bytes, inserting a separator string passed as the first argument between each one.",
		ovn(pStr, ps(p("separator", pStr), vp("args", pStr)), concatWS),
		ovn(pByt, ps(p("separator", pByt), vp("args", pByt)), concatWS),
	)
	b.add("elt", catString, "ELT() returns the Nth element of the list of strings. Returns NULL if N is less than 1 or greater than the number of arguments.",
		ovn(pStr, ps(p("n", pInt), vp("args", pStr)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return null, nil
			}
			n := int(a[0].Int())
			if n < 1 || n >= len(a) {
				return null, nil
			}
			return a[n], nil
		}))
	b.add("field", catString, "Returns the position (1-indexed) of str in args, or 0 if not found. If str is NULL, the return value is 0, because NULL is not considered to be equal to any value.",
		ovn(pInt, ps(p("str", pStr), vp("args", pStr)), func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() {
				return value.Int(0), nil
			}
			for i, v := range a[1:] {
				if !v.IsNull() && v.Str() == a[0].Str() {
					return value.Int(int32(i + 1)), nil
				}
			}
			return value.Int(0), nil
		}))
	instr := func(a []value.Value) (value.Value, error) {
		if a[0].IsNull() || a[1].IsNull() {
			return value.Int(0), nil
		}
		pos, occ := 1, 1
		if len(a) > 2 {
			if a[2].IsNull() {
				return null, nil
			}
			pos = int(a[2].Int())
		}
		if len(a) > 3 {
			if a[3].IsNull() {
				return null, nil
			}
			occ = int(a[3].Int())
		}
		return value.Int(int32(instrOf([]rune(a[0].Str()), []rune(a[1].Str()), pos, occ))), nil
	}
	b.add("instr", catString, "Returns the position of substring in str. The first character is at position 1.",
		ovn(pInt, ps(p("str", pStr), p("substring", pStr)), instr),
		ovn(pInt, ps(p("str", pStr), p("substring", pStr), p("position", pInt)), instr),
		ovn(pInt, ps(p("str", pStr), p("substring", pStr), p("position", pInt), p("occurrence", pInt)), instr),
	)
	b.add("lcase", catString, "Converts a string to lower-case.",
		ov(pStr, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) { return vstr(strings.ToLower(a[0].Str())), nil }))
	b.add("ucase", catString, "Converts a string to upper-case.",
		ov(pStr, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) { return vstr(strings.ToUpper(a[0].Str())), nil }))
	b.add("len", catString, "Returns the length of a STRING or BYTES value.",
		ov(pInt, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) { return value.Int(int32(runeLen(a[0].Str()))), nil }),
		ov(pInt, ps(p("input", pByt)), func(a []value.Value) (value.Value, error) { return value.Int(int32(len(a[0].BytesVal()))), nil }),
	)
	b.add("trim", catString, "Removes the spaces from the beginning and end of a string.",
		ov(pStr, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) {
			return vstr(strings.TrimFunc(a[0].Str(), func(r rune) bool { return r <= ' ' })), nil
		}))
	b.add("initcap", catString, "Capitalizes the first letter in each word and converts all other letters to lowercase. Words are delimited by whitespace.",
		ov(pStr, ps(p("str", pStr)), func(a []value.Value) (value.Value, error) { return vstr(initCap(a[0].Str())), nil }))
	b.add("replace", catString, "Replaces all occurrences of a substring in a string with a new substring.",
		ov(pStr, ps(p("str", pStr), p("substring", pStr), p("replacement", pStr)), func(a []value.Value) (value.Value, error) {
			return vstr(strings.ReplaceAll(a[0].Str(), a[1].Str(), a[2].Str())), nil
		}))
	pad := func(left bool) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			if a[0].IsNull() || a[1].IsNull() || a[2].IsNull() || a[1].Int() < 0 {
				return null, nil
			}
			n := int(a[1].Int())
			if a[0].Kind() == pByt.Type.Kind {
				in, padding := a[0].BytesVal(), a[2].BytesVal()
				if len(padding) == 0 {
					return null, nil
				}
				return value.Bytes(padBytes(in, padding, n, left)), nil
			}
			in, padding := []rune(a[0].Str()), []rune(a[2].Str())
			if len(padding) == 0 {
				return null, nil
			}
			return vstr(string(padRunes(in, padding, n, left))), nil
		}
	}
	for _, lr := range []struct {
		name string
		left bool
	}{{"LPad", true}, {"RPad", false}} {
		b.add(lr.name, catString, "Pads the input string or bytes, on the "+map[bool]string{true: "left", false: "right"}[lr.left]+", to the specified length.",
			ovn(pStr, ps(p("input", pStr), p("length", pInt), p("padding", pStr)), pad(lr.left)),
			ovn(pByt, ps(p("input", pByt), p("length", pInt), p("padding", pByt)), pad(lr.left)),
		)
	}
	b.add("split", catString, "Splits a string into an array of substrings based on a delimiter.",
		ov(function.ArrayP(pStr), ps(p("string", pStr), p("delimiter", pStr)), func(a []value.Value) (value.Value, error) {
			s, d := a[0].Str(), a[1].Str()
			var parts []string
			if d == "" {
				parts = strings.Split(s, "")
				if s == "" {
					parts = []string{""}
				}
			} else {
				parts = strings.Split(s, d)
			}
			out := make([]value.Value, len(parts))
			for i, p := range parts {
				out[i] = vstr(p)
			}
			return value.Array(out), nil
		}),
		ov(function.ArrayP(pByt), ps(p("bytes", pByt), p("delimiter", pByt)), func(a []value.Value) (value.Value, error) {
			return value.Array(splitBytes(a[0].BytesVal(), a[1].BytesVal())), nil
		}),
	)
	b.add("split_to_map", catString, "Splits a string into key-value pairs and creates a map from them.",
		ov(function.MapP(pStr, pStr), ps(p("input", pStr), p("entryDelimiter", pStr), p("kvDelimiter", pStr)), splitToMap))
	registerMask(b)
	b.add("Chr", catString, "Returns a single-character string corresponding to the input character code.",
		ov(pStr, ps(p("decimalCode", pInt)), func(a []value.Value) (value.Value, error) {
			c := a[0].Int()
			if c < 0 || c > unicode.MaxRune {
				return null, nil
			}
			return vstr(string(rune(c))), nil
		}),
		ov(pStr, ps(p("utf16Code", pStr)), func(a []value.Value) (value.Value, error) {
			s := a[0].Str()
			if len(s) < 6 || !strings.HasPrefix(s, `\u`) {
				return null, nil
			}
			return vstr(unescapeJava(s)), nil
		}),
	)
	b.add("md5", catString, "Returns the hex-encoded MD5 hash of the input string.",
		ov(pStr, ps(p("s", pStr)), func(a []value.Value) (value.Value, error) {
			sum := md5.Sum([]byte(a[0].Str()))
			return vstr(hex.EncodeToString(sum[:])), nil
		}))
	uuid := ovn(pStr, nil, func([]value.Value) (value.Value, error) {
		var u [16]byte
		if _, err := rand.Read(u[:]); err != nil {
			return null, fmt.Errorf("uuid: %w", err)
		}
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		return vstr(formatUUID(u[:])), nil
	})
	uuid.Volatile = true
	b.add("UUID", catString, "Create a Universally Unique Identifier (UUID) generated according to RFC 4122.",
		uuid,
		ov(pStr, ps(p("bytes", pByt)), func(a []value.Value) (value.Value, error) {
			bs := a[0].BytesVal()
			if len(bs) != 16 {
				return null, nil
			}
			return vstr(formatUUID(bs)), nil
		}),
	)
}

func isBytes(v value.Value) bool { return v.Kind() == pByt.Type.Kind }

func formatUUID(u []byte) string {
	h := hex.EncodeToString(u)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
