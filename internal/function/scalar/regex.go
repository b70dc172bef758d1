package scalar

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

const catRegex = function.CategoryRegex

// regexCache memoises compiled patterns: the pattern is an argument on
// every row but nearly always the same literal.
type regexCache struct {
	mu sync.RWMutex
	m  map[string]*regexp.Regexp
}

func (c *regexCache) get(pattern string) (*regexp.Regexp, error) {
	c.mu.RLock()
	re, ok := c.m[pattern]
	c.mu.RUnlock()
	if ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("Invalid regular expression pattern: %s: %w", pattern, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) > 1024 {
		c.m = map[string]*regexp.Regexp{}
	}
	c.m[pattern] = re
	c.mu.Unlock()
	return re, nil
}

// javaReplacement converts a Java Matcher replacement string ($1, \$) into
// a Go Expand template (${1}, $$).
func javaReplacement(s string) string {
	if !strings.ContainsAny(s, `$\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			if s[i] == '$' {
				sb.WriteString("$$")
			} else {
				sb.WriteByte(s[i])
			}
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				sb.WriteString("$$")
				continue
			}
			sb.WriteString(s[i : i+j+1])
			i += j
		case c == '$':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			sb.WriteString("${" + s[i+1:j] + "}")
			i = j - 1
		default:
			sb.WriteByte(c)
		}
	}
	return sb.String()
}

func registerRegex(b *builder) {
	rc := &regexCache{}
	extract := func(a []value.Value) (value.Value, error) {
		group := 0
		if len(a) > 2 {
			group = int(a[2].Int())
		}
		re, err := rc.get(a[0].Str())
		if err != nil {
			return null, err
		}
		if group > re.NumSubexp() || group < 0 {
			return null, nil
		}
		m := re.FindStringSubmatchIndex(a[1].Str())
		if m == nil || m[2*group] < 0 {
			return null, nil
		}
		return vstr(a[1].Str()[m[2*group]:m[2*group+1]]), nil
	}
	b.add("regexp_extract", catRegex, "extract the first subtring matched by a regex pattern",
		ov(pStr, ps(p("pattern", pStr), p("input", pStr)), extract),
		ov(pStr, ps(p("pattern", pStr), p("input", pStr), p("group", pInt)), extract),
	)
	extractAll := func(a []value.Value) (value.Value, error) {
		group := 0
		if len(a) > 2 {
			group = int(a[2].Int())
		}
		re, err := rc.get(a[0].Str())
		if err != nil {
			return null, err
		}
		if group > re.NumSubexp() || group < 0 {
			return null, nil
		}
		out := []value.Value{}
		for _, m := range re.FindAllStringSubmatchIndex(a[1].Str(), -1) {
			if m[2*group] < 0 {
				out = append(out, null)
				continue
			}
			out = append(out, vstr(a[1].Str()[m[2*group]:m[2*group+1]]))
		}
		return value.Array(out), nil
	}
	b.add("regexp_extract_all", catRegex, "extract all subtrings matched by a regex pattern",
		ov(function.ArrayP(pStr), ps(p("pattern", pStr), p("input", pStr)), extractAll),
		ov(function.ArrayP(pStr), ps(p("pattern", pStr), p("input", pStr), p("group", pInt)), extractAll),
	)
	b.add("regexp_replace", catRegex, "Replaces all matches of a regexp in a string with a new string.",
		ov(pStr, ps(p("str", pStr), p("regexp", pStr), p("replacement", pStr)), func(a []value.Value) (value.Value, error) {
			re, err := rc.get(a[1].Str())
			if err != nil {
				return null, err
			}
			return vstr(re.ReplaceAllString(a[0].Str(), javaReplacement(a[2].Str()))), nil
		}))
	b.add("regexp_split_to_array", catRegex, "Splits a string into an array of substrings based on a regexp.",
		ov(function.ArrayP(pStr), ps(p("string", pStr), p("regexp", pStr)), func(a []value.Value) (value.Value, error) {
			s := a[0].Str()
			re, err := rc.get(a[1].Str())
			if err != nil {
				return null, err
			}
			var parts []string
			if a[1].Str() == "" || fullMatchEmpty(re) {
				// Java's Pattern.split: zero-width matches split between
				// characters and trailing empty strings are dropped.
				parts = re.Split(s, -1)
				if len(parts) > 0 && parts[0] == "" && len(s) > 0 {
					parts = parts[1:]
				}
				for len(parts) > 1 && parts[len(parts)-1] == "" {
					parts = parts[:len(parts)-1]
				}
			} else {
				parts = re.Split(s, -1)
			}
			out := make([]value.Value, len(parts))
			for i, p := range parts {
				out[i] = vstr(p)
			}
			return value.Array(out), nil
		}))
}

// fullMatchEmpty reports whether the pattern matches the empty string as a
// whole, as Java's p.matcher("").matches() asks.
func fullMatchEmpty(re *regexp.Regexp) bool {
	loc := re.FindStringIndex("")
	return loc != nil && loc[0] == 0 && loc[1] == 0
}
