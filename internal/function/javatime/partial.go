package javatime

import (
	"strings"
	"time"
)

// partialPattern is the full form of ksqlDB's timestamp strings.
var partialPattern = func() *Formatter {
	f, err := Compile("yyyy-MM-dd'T'HH:mm:ss.SSS")
	if err != nil {
		// A constant pattern of this package.
		panic(err)
	}
	return f
}()

// ZoneError reports a partial timestamp whose offset does not parse.
type ZoneError struct {
	Zone string
	Err  error
}

func (e *ZoneError) Error() string {
	return "Failed to parse timezone '" + e.Zone + "': " + e.Err.Error()
}
func (e *ZoneError) Unwrap() error { return e.Err }

// TextError reports a partial timestamp whose date or time does not parse;
// Text is the string after completion ("2020-13T10" becomes
// "2020-13T10:00:00.000"), the one ksqlDB's message quotes.
type TextError struct {
	Text string
	Err  error
}

func (e *TextError) Error() string { return e.Err.Error() }
func (e *TextError) Unwrap() error { return e.Err }

// ParsePartialTimestamp parses text as ksqlDB's
// PartialStringToTimestampParser does, returning epoch milliseconds:
// "2020-05-26T23:59:58.000", with any trailing part missing ("2020-05",
// "2020-05-26T10"), and an optional offset such as "+0200" or "Z" after
// the time. Both CAST(s AS TIMESTAMP) and a string passed where a function
// takes a TIMESTAMP go through it; their callers word the errors, which
// are a *ZoneError or a *TextError.
func ParsePartialTimestamp(text string) (int64, error) {
	date, rest, hasTime := strings.Cut(text, "T")
	zone, clock := "", ""
	if hasTime {
		if i := strings.IndexAny(rest, "+-"); i >= 0 {
			zone, rest = rest[i:], rest[:i]
		}
		clock = strings.TrimSuffix(rest, "Z")
	} else {
		switch strings.Count(date, "-") {
		case 0:
			date += "-01-01"
		case 1:
			date += "-01"
		}
	}
	const full = "00:00:00.000"
	if len(clock) < len(full) {
		clock += full[len(clock):]
	}
	loc := time.UTC
	if strings.TrimSpace(zone) != "" {
		var err error
		if loc, err = LoadZone(zone); err != nil {
			return 0, &ZoneError{Zone: zone, Err: err}
		}
	}
	t, err := partialPattern.ParseTime(date+"T"+clock, loc)
	if err != nil {
		return 0, &TextError{Text: date + "T" + clock, Err: err}
	}
	return t.UnixMilli(), nil
}
