package function

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// The formats ksqlDB accepts when a STRING is used as a temporal value.
var (
	datePattern = mustCompile("yyyy-MM-dd")
	timePattern = mustCompile("HH:mm[:ss[.SSS]]")
)

func mustCompile(p string) *javatime.Formatter {
	f, err := javatime.Compile(p)
	if err != nil {
		// The patterns above are constants of this package.
		panic(err)
	}
	return f
}

// ParseTimestampString parses a ksqlDB partial timestamp string
// (javatime.ParsePartialTimestamp), with the error a function argument's
// implicit cast reports.
func ParseTimestampString(text string) (int64, error) {
	ms, err := javatime.ParsePartialTimestamp(text)
	var ze *javatime.ZoneError
	switch {
	case err == nil:
		return ms, nil
	case errors.As(err, &ze):
		return 0, err
	}
	return 0, fmt.Errorf("Failed to parse timestamp '%s': %w", text, err)
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
