package function

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// The formats ksqlDB accepts when a STRING is used as a temporal value.
var (
	datePattern = mustCompile("yyyy-MM-dd")
	timePattern = mustCompile("HH:mm[:ss[.SSS]]")
	tsPattern   = mustCompile("yyyy-MM-dd'T'HH:mm:ss.SSS")
)

func mustCompile(p string) *javatime.Formatter {
	f, err := javatime.Compile(p)
	if err != nil {
		// The patterns above are constants of this package.
		panic(err)
	}
	return f
}

// ParseTimestampString parses text as ksqlDB's PartialStringToTimestampParser
// does: "2020-05-26T23:59:58.000", with any trailing part missing
// ("2020-05", "2020-05-26T10"), and an optional offset such as "+0200" or
// "Z" after the time.
func ParseTimestampString(text string) (int64, error) {
	date, rest, hasTime := strings.Cut(text, "T")
	zone := ""
	clock := ""
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
		if loc, err = javatime.LoadZone(zone); err != nil {
			return 0, fmt.Errorf("Failed to parse timezone '%s': %w", zone, err)
		}
	}
	t, err := tsPattern.ParseTime(date+"T"+clock, loc)
	if err != nil {
		return 0, fmt.Errorf("Failed to parse timestamp '%s': %w", text, err)
	}
	return t.UnixMilli(), nil
}

func parseTemporal(s string, k types.Kind) (value.Value, error) {
	switch k {
	case types.Date:
		t, err := datePattern.ParseTime(s, time.UTC)
		if err != nil {
			return value.Null, fmt.Errorf("Failed to parse date '%s': %w", s, err)
		}
		return value.Date(t.Unix() / 86400), nil
	case types.Time:
		t, err := timePattern.ParseTime(s, time.UTC)
		if err != nil {
			return value.Null, fmt.Errorf("Failed to parse time '%s': %w", s, err)
		}
		return value.Time(t.UnixMilli()), nil
	}
	ms, err := ParseTimestampString(s)
	if err != nil {
		return value.Null, err
	}
	return value.Timestamp(ms), nil
}
