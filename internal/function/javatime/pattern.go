// Package javatime compiles Java DateTimeFormatter patterns
// ("yyyy-MM-dd”T”HH:mm:ss.SSSX", "dd/MMM/yyyy", "[yyyy]") into a
// formatter and parser over Go's time.Time, because ksqlDB's date and time
// functions and its timestamp_format property take those patterns and
// users paste them unchanged. It covers the pattern letters ksqlDB users
// meet in practice (era, years, months, days, weekdays, AM/PM, hours,
// minutes, seconds, fractions, and the zone and offset letters), quoted
// literals and optional sections; week-based fields are not supported.
package javatime

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPattern is the kind of every pattern compilation error.
var ErrPattern = errors.New("invalid date-time pattern")

// item is one element of a compiled pattern.
type item struct {
	letter   byte   // 0 for a literal
	count    int    // letter repetitions
	lit      string // literal text
	optional []item // an optional section [ ... ]
	isOpt    bool
}

// Formatter is a compiled pattern. It is immutable and safe for
// concurrent use.
type Formatter struct {
	pattern string
	items   []item
}

// Pattern returns the source pattern.
func (f *Formatter) Pattern() string { return f.pattern }

// Compile parses a DateTimeFormatter pattern.
func Compile(pattern string) (*Formatter, error) {
	items, rest, err := compile(pattern, 0)
	if err != nil {
		return nil, err
	}
	if rest != len(pattern) {
		return nil, fmt.Errorf("%w: Pattern invalid as it contains ] without previous [: %q", ErrPattern, pattern)
	}
	return &Formatter{pattern: pattern, items: items}, nil
}

func compile(p string, i int) ([]item, int, error) {
	var items []item
	for i < len(p) {
		c := p[i]
		switch {
		case c == '\'':
			// A quoted literal; '' inside or outside quotes is one quote.
			j := i + 1
			if j < len(p) && p[j] == '\'' {
				items = append(items, item{lit: "'"})
				i = j + 1
				continue
			}
			var b strings.Builder
			for {
				if j >= len(p) {
					return nil, 0, fmt.Errorf("%w: Pattern ends with an incomplete string literal: %s", ErrPattern, p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			items = append(items, item{lit: b.String()})
			i = j + 1
		case c == '[':
			sub, j, err := compile(p, i+1)
			if err != nil {
				return nil, 0, err
			}
			if j >= len(p) || p[j] != ']' {
				// Java tolerates an unclosed optional section at the end.
				items = append(items, item{isOpt: true, optional: sub})
				i = j
				continue
			}
			items = append(items, item{isOpt: true, optional: sub})
			i = j + 1
		case c == ']':
			return items, i, nil
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			n := j - i
			if err := checkLetter(c, n); err != nil {
				return nil, 0, err
			}
			items = append(items, item{letter: c, count: n})
			i = j
		case c == '{' || c == '}' || c == '#':
			return nil, 0, fmt.Errorf("%w: Pattern includes reserved character: '%c'", ErrPattern, c)
		default:
			items = append(items, item{lit: string(c)})
			i++
		}
	}
	return items, i, nil
}

func checkLetter(c byte, n int) error {
	max := 0
	switch c {
	case 'G', 'E':
		max = 5
	case 'y', 'u', 'Y':
		max = 19
	case 'M', 'L', 'Q', 'q':
		max = 5
	case 'd', 'H', 'h', 'k', 'K', 'm', 's', 'e', 'c', 'w':
		max = 2
	case 'D':
		max = 3
	case 'a', 'W', 'F':
		max = 1
	case 'S', 'n', 'N', 'A':
		max = 19
	case 'X', 'x', 'Z':
		max = 5
	case 'z':
		max = 4
	case 'O':
		if n != 1 && n != 4 {
			return fmt.Errorf("%w: Pattern letter count must be 1 or 4: %c", ErrPattern, c)
		}
		return nil
	case 'V':
		if n != 2 {
			return fmt.Errorf("%w: Pattern letter count must be 2: %c", ErrPattern, c)
		}
		return nil
	default:
		return fmt.Errorf("%w: Unknown pattern letter: %c", ErrPattern, c)
	}
	if n > max {
		return fmt.Errorf("%w: Too many pattern letters: %c", ErrPattern, c)
	}
	return nil
}

// Field classes a pattern may use, so callers can reject patterns that
// ask a date for its hour, as Java does when formatting a LocalDate.
const (
	UsesDate = 1 << iota
	UsesTime
	UsesZone
)

// Uses reports which field classes the pattern mentions, optional
// sections included.
func (f *Formatter) Uses() int { return uses(f.items, true) }

// Requires reports which field classes the pattern needs outside optional
// sections: formatting a value that lacks one of them fails in Java, while
// an optional section whose fields are missing is just left out.
func (f *Formatter) Requires() int { return uses(f.items, false) }

func uses(items []item, optional bool) int {
	u := 0
	for i := range items {
		it := &items[i]
		if it.isOpt {
			if optional {
				u |= uses(it.optional, true)
			}
			continue
		}
		switch it.letter {
		case 0:
		case 'G', 'y', 'u', 'Y', 'M', 'L', 'Q', 'q', 'd', 'D', 'E', 'e', 'c', 'w', 'W', 'F':
			u |= UsesDate
		case 'X', 'x', 'Z', 'O', 'z', 'V':
			u |= UsesZone
		default:
			u |= UsesTime
		}
	}
	return u
}
