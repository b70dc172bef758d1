package javatime

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrParse is the kind of every parse error.
var ErrParse = errors.New("text could not be parsed")

// Parsed holds the fields a parse found; a field not in the text is -1
// (Loc is nil when no zone or offset was parsed).
type Parsed struct {
	Year, Month, Day, DayOfYear int
	Hour, Hour12, PM, Minute    int
	Second, Nano, MilliOfDay    int
	Loc                         *time.Location
}

func newParsed() Parsed {
	return Parsed{Year: -1 << 31, Month: -1, Day: -1, DayOfYear: -1, Hour: -1, Hour12: -1, PM: -1,
		Minute: -1, Second: -1, Nano: -1, MilliOfDay: -1}
}

// HasDate reports whether any date field was parsed.
func (p *Parsed) HasDate() bool {
	return p.Year != -1<<31 || p.Month >= 0 || p.Day >= 0 || p.DayOfYear >= 0
}

// HasTime reports whether any time-of-day field was parsed.
func (p *Parsed) HasTime() bool {
	return p.Hour >= 0 || p.Hour12 >= 0 || p.Minute >= 0 || p.Second >= 0 || p.Nano >= 0 || p.MilliOfDay >= 0
}

// Parse parses s completely against the pattern, case-insensitively as
// ksqlDB's parsers are built.
func (f *Formatter) Parse(s string) (*Parsed, error) {
	p := newParsed()
	n, err := parseItems(f.items, s, 0, &p)
	if err != nil {
		return nil, fmt.Errorf("%w: Text '%s' could not be parsed at index %d", ErrParse, s, n)
	}
	if n != len(s) {
		return nil, fmt.Errorf("%w: Text '%s' could not be parsed, unparsed text found at index %d", ErrParse, s, n)
	}
	return &p, nil
}

// ParseTime parses s and resolves it as ksqlDB's StringToTimestampParser
// does: fields missing from the text default to 1970-01-01T00:00:00 in
// the parsed zone, or in loc when the text has none.
func (f *Formatter) ParseTime(s string, loc *time.Location) (time.Time, error) {
	p, err := f.Parse(s)
	if err != nil {
		return time.Time{}, err
	}
	return p.Resolve(loc, s)
}

// Resolve builds the instant the fields denote; see ParseTime.
func (p *Parsed) Resolve(loc *time.Location, text string) (time.Time, error) {
	if p.Loc != nil {
		loc = p.Loc
	}
	year, month, day := 1970, 1, 1
	if p.Year != -1<<31 {
		year = p.Year
	}
	if p.Month >= 0 {
		month = p.Month
	}
	if p.Day >= 0 {
		day = p.Day
	}
	bad := func(field string, v, lo, hi int) error {
		return fmt.Errorf("%w: Text '%s' could not be parsed: Invalid value for %s (valid values %d - %d): %d", ErrParse, text, field, lo, hi, v)
	}
	if month < 1 || month > 12 {
		return time.Time{}, bad("MonthOfYear", month, 1, 12)
	}
	if day < 1 || day > 31 {
		return time.Time{}, bad("DayOfMonth", day, 1, 31)
	}
	if p.DayOfYear >= 0 {
		if p.DayOfYear < 1 || p.DayOfYear > 366 {
			return time.Time{}, bad("DayOfYear", p.DayOfYear, 1, 366)
		}
		d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p.DayOfYear-1)
		if d.Year() != year {
			return time.Time{}, fmt.Errorf("%w: Text '%s' could not be parsed: Invalid date 'DayOfYear 366' as '%d' is not a leap year", ErrParse, text, year)
		}
		month, day = int(d.Month()), d.Day()
	} else if dim := daysIn(year, month); day > dim {
		return time.Time{}, fmt.Errorf("%w: Text '%s' could not be parsed: Invalid date '%s %d'", ErrParse, text, strings.ToUpper(time.Month(month).String()), day)
	}
	hour, min, sec, nano := 0, 0, 0, 0
	if p.MilliOfDay >= 0 {
		ms := p.MilliOfDay
		hour, min, sec, nano = ms/3600000, ms/60000%60, ms/1000%60, ms%1000*1e6
	}
	if p.Hour >= 0 {
		hour = p.Hour
	} else if p.Hour12 >= 0 {
		hour = p.Hour12 % 12
		if p.PM == 1 {
			hour += 12
		}
	} else if p.PM == 1 {
		hour = 12
	}
	if p.Minute >= 0 {
		min = p.Minute
	}
	if p.Second >= 0 {
		sec = p.Second
	}
	if p.Nano >= 0 {
		nano = p.Nano
	}
	if hour > 24 || (hour == 24 && (min|sec|nano) != 0) {
		return time.Time{}, bad("HourOfDay", hour, 0, 23)
	}
	if min > 59 {
		return time.Time{}, bad("MinuteOfHour", min, 0, 59)
	}
	if sec > 59 {
		return time.Time{}, bad("SecondOfMinute", sec, 0, 59)
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, nano, loc), nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func isNumericLetter(c byte) bool {
	switch c {
	case 'y', 'u', 'Y', 'd', 'D', 'H', 'h', 'k', 'K', 'm', 's', 'S', 'n', 'N', 'A', 'w', 'W', 'F', 'e', 'c':
		return true
	case 'M', 'L', 'Q', 'q':
		return true // only when count <= 2; checked by the caller
	}
	return false
}

// parseItems consumes items from s at pos, returning the new position.
func parseItems(items []item, s string, pos int, p *Parsed) (int, error) {
	for i := range items {
		it := &items[i]
		switch {
		case it.isOpt:
			save := *p
			n, err := parseItems(it.optional, s, pos, p)
			if err != nil {
				*p = save
				continue
			}
			pos = n
		case it.letter == 0:
			if len(s)-pos < len(it.lit) || !strings.EqualFold(s[pos:pos+len(it.lit)], it.lit) {
				return pos, ErrParse
			}
			pos += len(it.lit)
		default:
			adjacent := false
			if i+1 < len(items) {
				nx := &items[i+1]
				adjacent = nx.letter != 0 && isNumericLetter(nx.letter) && (nx.count <= 2 || (nx.letter != 'M' && nx.letter != 'L'))
			}
			n, err := parseField(it.letter, it.count, s, pos, p, adjacent)
			if err != nil {
				return pos, err
			}
			pos = n
		}
	}
	return pos, nil
}

// digits reads between lo and hi ASCII digits at pos.
func digits(s string, pos, lo, hi int) (int, int, error) {
	v, n := 0, 0
	for pos+n < len(s) && n < hi && s[pos+n] >= '0' && s[pos+n] <= '9' {
		v = v*10 + int(s[pos+n]-'0')
		n++
	}
	if n < lo {
		return 0, pos, ErrParse
	}
	return v, pos + n, nil
}

func matchWord(s string, pos int, words []string) (int, int, error) {
	best, bestLen := -1, 0
	for i, w := range words {
		if len(w) > bestLen && len(s)-pos >= len(w) && strings.EqualFold(s[pos:pos+len(w)], w) {
			best, bestLen = i, len(w)
		}
	}
	if best < 0 {
		return 0, pos, ErrParse
	}
	return best, pos + bestLen, nil
}

func parseField(c byte, n int, s string, pos int, p *Parsed, adjacent bool) (int, error) {
	var err error
	var v int
	fixedOr := func(greedyMax int) (int, int, error) {
		if n >= 2 {
			return digits(s, pos, n, n)
		}
		return digits(s, pos, 1, greedyMax)
	}
	switch c {
	case 'G':
		_, pos, err = matchWord(s, pos, []string{"BC", "AD", "Before Christ", "Anno Domini"})
		return pos, err
	case 'y', 'u', 'Y':
		neg := false
		if pos < len(s) && (s[pos] == '-' || s[pos] == '+') && n > 2 {
			neg = s[pos] == '-'
			pos++
		}
		switch {
		case n == 2:
			v, pos, err = digits(s, pos, 2, 2)
			v += 2000
		case adjacent:
			v, pos, err = digits(s, pos, n, n)
		default:
			v, pos, err = digits(s, pos, max(n, 1), 10)
		}
		if neg {
			v = -v
		}
		p.Year = v
	case 'M', 'L':
		switch n {
		case 1, 2:
			v, pos, err = fixedOr(2)
		case 3:
			v, pos, err = matchWord(s, pos, monthShort[:])
			v++
		default:
			v, pos, err = matchWord(s, pos, monthLong[:])
			v++
		}
		p.Month = v
	case 'Q', 'q':
		_, pos, err = fixedOr(1)
	case 'd':
		v, pos, err = fixedOr(2)
		p.Day = v
	case 'D':
		if n == 1 {
			v, pos, err = digits(s, pos, 1, 3)
		} else {
			v, pos, err = digits(s, pos, n, 3)
		}
		p.DayOfYear = v
	case 'E':
		if n == 4 {
			_, pos, err = matchWord(s, pos, dayLong[:])
		} else {
			_, pos, err = matchWord(s, pos, dayShort[:])
		}
	case 'e', 'c', 'w', 'W', 'F':
		_, pos, err = fixedOr(2)
	case 'a':
		v, pos, err = matchWord(s, pos, []string{"AM", "PM"})
		p.PM = v
	case 'H':
		v, pos, err = fixedOr(2)
		p.Hour = v
	case 'k':
		v, pos, err = fixedOr(2)
		p.Hour = v % 24
	case 'h', 'K':
		v, pos, err = fixedOr(2)
		p.Hour12 = v
	case 'm':
		v, pos, err = fixedOr(2)
		p.Minute = v
	case 's':
		v, pos, err = fixedOr(2)
		p.Second = v
	case 'S':
		start := pos
		v, pos, err = digits(s, pos, n, n)
		for d := pos - start; d < 9; d++ {
			v *= 10
		}
		p.Nano = v
	case 'n':
		v, pos, err = digits(s, pos, max(n, 1), 9)
		p.Nano = v
	case 'N':
		v, pos, err = digits(s, pos, max(n, 1), 14)
		p.Hour, p.Minute, p.Second, p.Nano = v/3600e9, v/60e9%60, v/1e9%60, v%1e9
	case 'A':
		v, pos, err = digits(s, pos, max(n, 1), 8)
		p.MilliOfDay = v
	case 'X', 'x', 'Z', 'O':
		var off int
		off, pos, err = parseOffset(c, n, s, pos)
		if err == nil {
			p.Loc = fixedZone(off)
		}
	case 'z':
		// A zone name parses to the region it names, as Java's zone text
		// parser does: "PST" is Los Angeles, whose May offset is -07:00
		// (ksqlDB's stringtimestamp vector), standard or daylight alike.
		j := pos
		for j < len(s) && isZoneChar(s[j]) {
			j++
		}
		name := strings.ToUpper(s[pos:j])
		if region, ok := zoneAbbrevRegions[name]; ok {
			if loc, err := LoadZone(region); err == nil {
				p.Loc = loc
				return j, nil
			}
		}
		if off, ok := zoneAbbrevOffsets[name]; ok {
			p.Loc = time.FixedZone(name, off)
			return j, nil
		}
		fallthrough
	case 'V':
		j := pos
		for j < len(s) && (isZoneChar(s[j])) {
			j++
		}
		if j == pos {
			return pos, ErrParse
		}
		loc, lerr := LoadZone(s[pos:j])
		if lerr != nil {
			return pos, ErrParse
		}
		p.Loc = loc
		pos = j
	}
	return pos, err
}

func isZoneChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '/' || c == '_' || c == '+' || c == '-' || c == ':'
}

func fixedZone(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone(formatOffsetName(off), off)
}

func formatOffsetName(off int) string {
	return string(appendHM(nil, "+-"[boolIdx(off < 0)], abs(off)/3600, abs(off)/60%60, abs(off)%60, true, false))
}

func boolIdx(b bool) int {
	if b {
		return 1
	}
	return 0
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// parseOffset reads a zone offset in the shape the letter and count ask
// for, accepting 'Z' for zero where Java does.
func parseOffset(c byte, n int, s string, pos int) (int, int, error) {
	if c == 'O' || (c == 'Z' && n == 4) {
		if len(s)-pos < 3 || !strings.EqualFold(s[pos:pos+3], "GMT") {
			return 0, pos, ErrParse
		}
		pos += 3
		if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
			return 0, pos, nil
		}
		return parseSignedHM(s, pos, true)
	}
	if pos < len(s) && (s[pos] == 'Z' || s[pos] == 'z') && (c == 'X' || (c == 'Z' && n == 5)) {
		return 0, pos + 1, nil
	}
	return parseSignedHM(s, pos, false)
}

// parseSignedHM reads ±H[H][[:]MM[[:]SS]].
func parseSignedHM(s string, pos int, lenientHour bool) (int, int, error) {
	if pos >= len(s) || (s[pos] != '+' && s[pos] != '-') {
		return 0, pos, ErrParse
	}
	sign := 1
	if s[pos] == '-' {
		sign = -1
	}
	pos++
	lo := 2
	if lenientHour {
		lo = 1
	}
	h, p2, err := digits(s, pos, lo, 2)
	if err != nil {
		return 0, pos, err
	}
	pos = p2
	m, sec := 0, 0
	for i, dst := range []*int{&m, &sec} {
		_ = i
		q := pos
		if q < len(s) && s[q] == ':' {
			q++
		}
		v, q2, err := digits(s, q, 2, 2)
		if err != nil {
			break
		}
		*dst, pos = v, q2
	}
	if h > 18 || m > 59 || sec > 59 {
		return 0, pos, ErrParse
	}
	return sign * (h*3600 + m*60 + sec), pos, nil
}

// ParseTimePrefix is ParseTime for parsers that, like Java's
// SimpleDateFormat (behind ksqlDB's PARSE_DATE), stop at the end of the
// pattern and ignore any text after it.
func (f *Formatter) ParseTimePrefix(s string, loc *time.Location) (time.Time, error) {
	p := newParsed()
	if n, err := parseItems(f.items, s, 0, &p); err != nil {
		return time.Time{}, fmt.Errorf("%w: Unparseable date: \"%s\" at index %d", ErrParse, s, n)
	}
	return p.Resolve(loc, s)
}
