package scalar

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

// MASK and its variants replace characters by class, as ksqlDB's Masker
// does.

const noMask = -1

type masker struct{ upper, lower, digit, other rune }

func defaultMasker() masker { return masker{'X', 'x', 'n', '-'} }

func (m masker) mask(s string) string {
	var sb strings.Builder
	for _, r := range s {
		var c rune
		switch {
		case unicode.IsUpper(r):
			c = m.upper
		case unicode.IsLower(r):
			c = m.lower
		case unicode.Is(unicode.Nd, r):
			c = m.digit
		default:
			c = m.other
		}
		if c == noMask {
			c = r
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

func maskChar(v value.Value) (rune, error) {
	if v.IsNull() {
		return noMask, nil
	}
	r := []rune(v.Str())
	if len(r) != 1 {
		return 0, fmt.Errorf("Invalid mask character. Must be only single character, but was '%s'", v.Str())
	}
	return r[0], nil
}

func registerMask(b *builder) {
	makeMasker := func(a []value.Value) (masker, error) {
		if len(a) < 4 {
			return defaultMasker(), nil
		}
		var m masker
		var err error
		rs := a[len(a)-4:]
		for i, dst := range []*rune{&m.upper, &m.lower, &m.digit, &m.other} {
			if *dst, err = maskChar(rs[i]); err != nil {
				return m, err
			}
		}
		return m, nil
	}
	masks := func(ps0 ...function.Param) []function.Param {
		return append(ps0, p("upper", pStr), p("lower", pStr), p("digit", pStr), p("other", pStr))
	}
	b.add("mask", catString, "Returns a masked version of the input string. All characters of the input will be replaced according to the default masking rules.",
		ov(pStr, ps(p("input", pStr)), func(a []value.Value) (value.Value, error) { return vstr(defaultMasker().mask(a[0].Str())), nil }),
		ovn(pStr, masks(p("input", pStr)), func(a []value.Value) (value.Value, error) {
			m, err := makeMasker(a)
			if err != nil || a[0].IsNull() {
				return null, err
			}
			return vstr(m.mask(a[0].Str())), nil
		}),
	)
	partial := func(name, desc string, f func(m masker, s []rune, n int) string) {
		fn := func(a []value.Value) (value.Value, error) {
			m, err := makeMasker(a)
			if err != nil {
				return null, err
			}
			if a[1].IsNull() {
				return null, nil
			}
			n := int(a[1].Int())
			if n < 0 {
				return null, fmt.Errorf("function %s requires a non-negative number of characters to mask or skip", name)
			}
			if a[0].IsNull() {
				return null, nil
			}
			return vstr(f(m, []rune(a[0].Str()), n)), nil
		}
		b.add(name, catString, desc,
			ovn(pStr, ps(p("input", pStr), p("numChars", pInt)), fn),
			ovn(pStr, masks(p("input", pStr), p("numChars", pInt)), fn),
		)
	}
	partial("mask_keep_left", "Returns a masked version of the input string. All characters except for the first n will be replaced according to the default masking rules.",
		func(m masker, s []rune, n int) string {
			n = min(n, len(s))
			return string(s[:n]) + m.mask(string(s[n:]))
		})
	partial("mask_keep_right", "Returns a masked version of the input string. All characters except for the last n will be replaced according to the default masking rules.",
		func(m masker, s []rune, n int) string {
			k := max(len(s)-n, 0)
			return m.mask(string(s[:k])) + string(s[k:])
		})
	partial("mask_left", "Returns a masked version of the input string. The first n characters will be replaced according to the default masking rules.",
		func(m masker, s []rune, n int) string {
			n = min(n, len(s))
			return m.mask(string(s[:n])) + string(s[n:])
		})
	partial("mask_right", "Returns a masked version of the input string. The last n characters will be replaced according to the default masking rules.",
		func(m masker, s []rune, n int) string {
			k := max(len(s)-n, 0)
			return string(s[:k]) + m.mask(string(s[k:]))
		})
}
