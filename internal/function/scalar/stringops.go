package scalar

import (
	"strings"
	"unicode"

	"github.com/sluicedb/sluice/internal/value"
)

// instrOf follows ksqlDB's INSTR: a negative position searches backwards
// from that many characters before the end.
func instrOf(str, sub []rune, pos, occ int) int {
	if abs(pos) > len(str) {
		return 0
	}
	if pos < 0 {
		rs, rsub := reverseRunes(str), reverseRunes(sub)
		i := ordinalIndex(javaSubstring(rs, -pos-1), rsub, occ)
		if i < 0 {
			return 0
		}
		return len(str) + pos - i - len(sub) + 2
	}
	i := ordinalIndex(javaSubstring(str, pos-1), sub, occ)
	if i < 0 {
		return 0
	}
	return i + pos
}

// javaSubstring is commons-lang StringUtils.substring(str, start).
func javaSubstring(s []rune, start int) []rune {
	if start < 0 {
		start += len(s)
	}
	if start < 0 {
		start = 0
	}
	if start > len(s) {
		return nil
	}
	return s[start:]
}

// ordinalIndex is StringUtils.ordinalIndexOf: the index of the n-th,
// possibly overlapping, occurrence.
func ordinalIndex(s, sub []rune, n int) int {
	if n <= 0 {
		return -1
	}
	if len(sub) == 0 {
		return 0
	}
	found := -1
	for k := 0; k < n; k++ {
		idx := -1
		for i := found + 1; i+len(sub) <= len(s); i++ {
			if string(s[i:i+len(sub)]) == string(sub) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return -1
		}
		found = idx
	}
	return found
}

func reverseRunes(r []rune) []rune {
	out := make([]rune, len(r))
	for i, c := range r {
		out[len(r)-1-i] = c
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// initCap lower-cases s and upper-cases the first letter of each
// whitespace-delimited word; leading whitespace is dropped, as ksqlDB's
// regex-based implementation does.
func initCap(s string) string {
	s = strings.ToLower(s)
	var sb strings.Builder
	start := true
	seenWord := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if seenWord {
				sb.WriteRune(r)
			}
			start = true
			continue
		}
		if start {
			sb.WriteRune(unicode.ToUpper(r))
			start = false
			seenWord = true
			continue
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func padRunes(in, padding []rune, n int, left bool) []rune {
	if len(in) >= n {
		if left {
			return in[:n]
		}
		return in[:n]
	}
	need := n - len(in)
	fill := make([]rune, 0, need)
	for len(fill) < need {
		fill = append(fill, padding[len(fill)%len(padding)])
	}
	if left {
		return append(fill, in...)
	}
	return append(append([]rune(nil), in...), fill...)
}

func padBytes(in, padding []byte, n int, left bool) []byte {
	if len(in) >= n {
		return append([]byte(nil), in[:n]...)
	}
	need := n - len(in)
	fill := make([]byte, need)
	for i := range fill {
		fill[i] = padding[i%len(padding)]
	}
	if left {
		return append(fill, in...)
	}
	return append(append([]byte(nil), in...), fill...)
}

func splitBytes(s, d []byte) []value.Value {
	var out []value.Value
	if len(d) == 0 {
		for _, c := range s {
			out = append(out, value.Bytes([]byte{c}))
		}
		if len(out) == 0 {
			out = append(out, value.Bytes(nil))
		}
		return out
	}
	for {
		i := indexBytes(s, d)
		if i < 0 {
			return append(out, value.Bytes(append([]byte(nil), s...)))
		}
		out = append(out, value.Bytes(append([]byte(nil), s[:i]...)))
		s = s[i+len(d):]
	}
}

func indexBytes(s, d []byte) int {
	for i := 0; i+len(d) <= len(s); i++ {
		if string(s[i:i+len(d)]) == string(d) {
			return i
		}
	}
	return -1
}

func splitToMap(a []value.Value) (value.Value, error) {
	input, ed, kd := a[0].Str(), a[1].Str(), a[2].Str()
	if ed == "" || kd == "" || ed == kd {
		return null, nil
	}
	// ksqlDB collects the pairs with Collectors.toMap into a HashMap, a
	// repeated key taking the later value.
	m := value.NewJavaHashMap(-1)
	for _, e := range strings.Split(input, ed) {
		if e == "" || !strings.Contains(e, kd) {
			continue
		}
		parts := strings.SplitN(e, kd, 3)
		m.Put(vstr(parts[0]), vstr(parts[1]))
	}
	return m.Map(), nil
}

// unescapeJava decodes Java escapes, as commons-text's unescapeJava does
// for \uXXXX sequences (including surrogate pairs).
func unescapeJava(s string) string {
	var units []uint16
	var sb strings.Builder
	flush := func() {
		if len(units) > 0 {
			sb.WriteString(string(utf16Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
			var u uint16
			ok := true
			for _, c := range s[i+2 : i+6] {
				d := hexDigit(byte(c))
				if d < 0 {
					ok = false
					break
				}
				u = u<<4 | uint16(d)
			}
			if ok {
				units = append(units, u)
				i += 6
				continue
			}
		}
		flush()
		sb.WriteByte(s[i])
		i++
	}
	flush()
	return sb.String()
}

func utf16Decode(u []uint16) []rune {
	var out []rune
	for i := 0; i < len(u); i++ {
		c := rune(u[i])
		if c >= 0xD800 && c < 0xDC00 && i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] < 0xE000 {
			out = append(out, (c-0xD800)<<10+(rune(u[i+1])-0xDC00)+0x10000)
			i++
			continue
		}
		out = append(out, c)
	}
	return out
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
