package expr

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

const msPerDay = 86400000

// The string forms below are ksqlDB's SqlTimeTypes: timestamps as
// "yyyy-MM-dd'T'HH:mm:ss.SSS" with an optional numeric zone or Z, dates as
// "yyyy-MM-dd", times as ISO local times; partial dates and times are
// completed with zeros ("2020-05" is 2020-05-01T00:00:00.000).

const (
	timestampHelp = "\nRequired format is: \"yyyy-MM-dd'T'HH:mm:ss.SSS\", with an optional numeric 4-digit timezone, for example: '2020-05-26T23:59:58.000' or with tz: '2020-05-26T23:59:58.000+0200'. A trailing 'Z' instead of tz indicates the zero UTC offset. Partials are also supported, for example \"2020-05-26\""
	timeHelp      = "\nRequired format is: \"HH:mm:ss.SSS\", for example: '01:34:20.123' or '01:34:20'. Partials are also supported, for example '01:34'"
	dateHelp      = "\nRequired format is: \"yyyy-MM-dd\", for example '2020-05-26'. Partials are also supported, for example '2020-05'"
)

func completeDate(s string) string {
	switch strings.Count(s, "-") {
	case 0:
		return s + "-01-01"
	case 1:
		return s + "-01"
	}
	return s
}

func parseDate(s string) (int64, error) {
	t, err := time.Parse("2006-01-02", completeDate(s))
	if err != nil {
		return 0, fmt.Errorf("Failed to parse date '%s': Text '%s' could not be parsed%s", s, s, dateHelp)
	}
	return t.Unix() / 86400, nil
}

// parseTime accepts HH:mm[:ss[.fraction]], as LocalTime.parse does.
func parseTime(s string) (int64, error) {
	bad := fmt.Errorf("Failed to parse time '%s': Text '%s' could not be parsed%s", s, s, timeHelp)
	hms, frac, hasFrac := strings.Cut(s, ".")
	parts := strings.Split(hms, ":")
	if len(parts) < 2 || len(parts) > 3 || (hasFrac && len(parts) != 3) {
		return 0, bad
	}
	limits := []int64{23, 59, 59}
	var ms int64
	for i, p := range parts {
		if len(p) != 2 {
			return 0, bad
		}
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 || n > limits[i] {
			return 0, bad
		}
		ms = ms*60 + n
	}
	if len(parts) == 2 {
		ms *= 60
	}
	ms *= 1000
	if hasFrac {
		if len(frac) == 0 || len(frac) > 9 {
			return 0, bad
		}
		for _, r := range frac {
			if r < '0' || r > '9' {
				return 0, bad
			}
		}
		f := (frac + "000")[:3]
		n, _ := strconv.ParseInt(f, 10, 64)
		ms += n
	}
	return ms, nil
}

func parseTimestamp(text string) (int64, error) {
	ms, err := javatime.ParsePartialTimestamp(text)
	if err == nil {
		return ms, nil
	}
	why := err.Error()
	var ze *javatime.ZoneError
	var te *javatime.TextError
	switch {
	case errors.As(err, &ze):
		why = "Failed to parse timezone '" + ze.Zone + "'"
	case errors.As(err, &te):
		why = "Text '" + te.Text + "' could not be parsed"
	}
	return 0, fmt.Errorf("Failed to parse timestamp '%s': %s%s", text, why, timestampHelp)
}

func formatTimestamp(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000")
}

func formatDate(days int64) string {
	return time.Unix(days*86400, 0).UTC().Format("2006-01-02")
}

// formatTime renders as LocalTime.ofSecondOfDay(ms/1000).toString():
// "HH:mm" when the seconds are zero, else "HH:mm:ss".
func formatTime(ms int64) string {
	s := ms / 1000
	h, m, sec := s/3600, (s/60)%60, s%60
	if sec == 0 {
		return fmt.Sprintf("%02d:%02d", h, m)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
}

// parseBoolean is SqlBooleans.parseBoolean: any case-insensitive prefix of
// "true" or "yes" is true, anything else false.
func parseBoolean(s string) bool {
	if s == "" {
		return false
	}
	for _, w := range []string{"true", "yes"} {
		if len(s) <= len(w) && strings.EqualFold(s, w[:len(s)]) {
			return true
		}
	}
	return false
}

// castString converts a STRING to another type as CAST(s AS t) does in
// ksqlDB (the string is trimmed first).
func castString(s string, to *types.Type) (value.Value, error) {
	s = strings.TrimSpace(s)
	switch to.Kind {
	case types.String:
		return value.String(s), nil
	case types.Boolean:
		return value.Bool(parseBoolean(s)), nil
	case types.Int:
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return value.Null, fmt.Errorf("For input string: \"%s\"", s)
		}
		return value.Int(int32(n)), nil
	case types.Bigint:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return value.Null, fmt.Errorf("For input string: \"%s\"", s)
		}
		return value.Bigint(n), nil
	case types.Double:
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSuffix(s, "d"), "D"), 64)
		if err != nil && !isRangeErr(err) {
			return value.Null, fmt.Errorf("For input string: \"%s\"", s)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return value.Null, fmt.Errorf("Invalid double value: %s", s)
		}
		return value.Double(f), nil
	case types.Decimal:
		return castToDecimal(value.String(s), to)
	case types.Date:
		d, err := parseDate(s)
		if err != nil {
			return value.Null, err
		}
		return value.Date(d), nil
	case types.Time:
		t, err := parseTime(s)
		if err != nil {
			return value.Null, err
		}
		return value.Time(t), nil
	case types.Timestamp:
		t, err := parseTimestamp(s)
		if err != nil {
			return value.Null, err
		}
		return value.Timestamp(t), nil
	case types.Bytes:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return value.Null, fmt.Errorf("Illegal base64 character in '%s'", s)
		}
		return value.Bytes(b), nil
	}
	return value.Null, fmt.Errorf("Cast of STRING to %s is not supported", typeString(to))
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
