package javatime

import (
	"strconv"
	"time"
)

var (
	monthShort = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	monthLong  = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayShort   = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	dayLong    = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

const allFields = UsesDate | UsesTime | UsesZone

// Format renders t, in t's location, as Java's DateTimeFormatter would
// render a ZonedDateTime.
func (f *Formatter) Format(t time.Time) string {
	return string(f.AppendFormat(make([]byte, 0, len(f.pattern)+8), t))
}

// AppendFormat appends the rendering of t to dst.
func (f *Formatter) AppendFormat(dst []byte, t time.Time) []byte {
	return appendItems(dst, f.items, t, allFields)
}

// FormatFields renders t as a temporal that has only the given field
// classes (UsesDate for a LocalDate, UsesTime for a LocalTime): optional
// sections that need other fields are left out. The caller checks
// Requires first, as Java fails on a required field that is missing.
func (f *Formatter) FormatFields(t time.Time, has int) string {
	return string(appendItems(make([]byte, 0, len(f.pattern)+8), f.items, t, has))
}

func appendItems(dst []byte, items []item, t time.Time, has int) []byte {
	for i := range items {
		it := &items[i]
		switch {
		case it.isOpt:
			if uses(it.optional, true)&^has == 0 {
				dst = appendItems(dst, it.optional, t, has)
			}
		case it.letter == 0:
			dst = append(dst, it.lit...)
		default:
			dst = appendField(dst, it.letter, it.count, t)
		}
	}
	return dst
}

func appendPadded(dst []byte, v int64, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var buf [20]byte
	digits := strconv.AppendInt(buf[:0], v, 10)
	for i := len(digits); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

func appendField(dst []byte, c byte, n int, t time.Time) []byte {
	switch c {
	case 'G':
		if t.Year() <= 0 {
			if n == 4 {
				return append(dst, "Before Christ"...)
			}
			return append(dst, "BC"...)
		}
		if n == 4 {
			return append(dst, "Anno Domini"...)
		}
		return append(dst, "AD"...)
	case 'y', 'u', 'Y':
		y := int64(t.Year())
		if c == 'y' && y <= 0 {
			y = 1 - y // year of era
		}
		if n == 2 {
			return appendPadded(dst, ((y%100)+100)%100, 2)
		}
		if n >= 4 && y > 9999 {
			dst = append(dst, '+')
		}
		return appendPadded(dst, y, n)
	case 'M', 'L':
		m := int(t.Month())
		switch n {
		case 1, 2:
			return appendPadded(dst, int64(m), n)
		case 3:
			return append(dst, monthShort[m-1]...)
		case 4:
			return append(dst, monthLong[m-1]...)
		default:
			return append(dst, monthLong[m-1][0])
		}
	case 'Q', 'q':
		q := (int(t.Month())-1)/3 + 1
		switch n {
		case 1, 2:
			return appendPadded(dst, int64(q), n)
		case 3:
			return append(dst, "Q"+strconv.Itoa(q)...)
		default:
			return append(dst, []string{"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"}[q-1]...)
		}
	case 'd':
		return appendPadded(dst, int64(t.Day()), n)
	case 'D':
		return appendPadded(dst, int64(t.YearDay()), n)
	case 'E':
		wd := t.Weekday()
		switch {
		case n <= 3:
			return append(dst, dayShort[wd]...)
		case n == 4:
			return append(dst, dayLong[wd]...)
		default:
			return append(dst, dayShort[wd][0])
		}
	case 'e', 'c':
		// Locale.ROOT/US weeks start on Sunday.
		return appendPadded(dst, int64(t.Weekday())+1, n)
	case 'a':
		if t.Hour() < 12 {
			return append(dst, "AM"...)
		}
		return append(dst, "PM"...)
	case 'H':
		return appendPadded(dst, int64(t.Hour()), n)
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		return appendPadded(dst, int64(h), n)
	case 'K':
		return appendPadded(dst, int64(t.Hour()%12), n)
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return appendPadded(dst, int64(h), n)
	case 'm':
		return appendPadded(dst, int64(t.Minute()), n)
	case 's':
		return appendPadded(dst, int64(t.Second()), n)
	case 'S':
		var buf [24]byte
		frac := appendPadded(buf[:0], int64(t.Nanosecond()), 9)
		for len(frac) < n {
			frac = append(frac, '0')
		}
		return append(dst, frac[:n]...)
	case 'n':
		return appendPadded(dst, int64(t.Nanosecond()), n)
	case 'N':
		ns := int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e9 + int64(t.Nanosecond())
		return appendPadded(dst, ns, n)
	case 'A':
		ms := int64(t.Hour()*3600+t.Minute()*60+t.Second())*1e3 + int64(t.Nanosecond()/1e6)
		return appendPadded(dst, ms, n)
	case 'w':
		_, w := t.ISOWeek()
		return appendPadded(dst, int64(w), n)
	case 'W':
		return appendPadded(dst, int64((t.Day()-1)/7+1), n)
	case 'F':
		return appendPadded(dst, int64((t.Day()-1)/7+1), n)
	case 'X', 'x', 'Z', 'O':
		_, off := t.Zone()
		return appendOffset(dst, c, n, off)
	case 'z':
		name, _ := t.Zone()
		if n == 4 && t.Location().String() != "Local" {
			if long, ok := zoneLongNames[name]; ok {
				return append(dst, long...)
			}
		}
		return append(dst, name...)
	case 'V':
		loc := t.Location().String()
		if loc == "UTC" {
			loc = "Z"
		}
		return append(dst, loc...)
	}
	return dst
}

var zoneLongNames = map[string]string{
	"UTC": "Coordinated Universal Time",
	"GMT": "Greenwich Mean Time",
	"PST": "Pacific Standard Time", "PDT": "Pacific Daylight Time",
	"EST": "Eastern Standard Time", "EDT": "Eastern Daylight Time",
	"CST": "Central Standard Time", "CDT": "Central Daylight Time",
	"MST": "Mountain Standard Time", "MDT": "Mountain Daylight Time",
	"CET": "Central European Standard Time", "CEST": "Central European Summer Time",
	"BST": "British Summer Time", "JST": "Japan Standard Time", "IST": "India Standard Time",
}

func appendOffset(dst []byte, c byte, n int, off int) []byte {
	if off == 0 {
		switch {
		case c == 'X':
			return append(dst, 'Z')
		case c == 'Z' && n == 5:
			return append(dst, 'Z')
		case c == 'Z' && n == 4, c == 'O':
			return append(dst, "GMT"...)
		}
	}
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	h, m, s := off/3600, off/60%60, off%60
	switch c {
	case 'O':
		dst = append(dst, "GMT"...)
		dst = append(dst, sign)
		if n == 1 {
			dst = strconv.AppendInt(dst, int64(h), 10)
			if m != 0 {
				dst = append(dst, ':')
				dst = appendPadded(dst, int64(m), 2)
			}
			return dst
		}
		dst = appendPadded(dst, int64(h), 2)
		dst = append(dst, ':')
		return appendPadded(dst, int64(m), 2)
	case 'Z':
		switch n {
		case 4:
			dst = append(dst, "GMT"...)
			return appendHM(dst, sign, h, m, s, true, false)
		case 5:
			return appendHM(dst, sign, h, m, s, true, false)
		}
		return appendHM(dst, sign, h, m, 0, false, true)
	}
	// X and x.
	switch n {
	case 1:
		dst = append(dst, sign)
		dst = appendPadded(dst, int64(h), 2)
		if m != 0 {
			dst = appendPadded(dst, int64(m), 2)
		}
		return dst
	case 2:
		return appendHM(dst, sign, h, m, 0, false, true)
	case 3:
		return appendHM(dst, sign, h, m, 0, true, true)
	case 4:
		return appendHM(dst, sign, h, m, s, false, false)
	}
	return appendHM(dst, sign, h, m, s, true, false)
}

// appendHM writes +HH[:]MM and, when s is non-zero and allowed, [:]SS.
func appendHM(dst []byte, sign byte, h, m, s int, colon, noSeconds bool) []byte {
	dst = append(dst, sign)
	dst = appendPadded(dst, int64(h), 2)
	if colon {
		dst = append(dst, ':')
	}
	dst = appendPadded(dst, int64(m), 2)
	if s != 0 && !noSeconds {
		if colon {
			dst = append(dst, ':')
		}
		dst = appendPadded(dst, int64(s), 2)
	}
	return dst
}
