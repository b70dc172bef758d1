package scalar

import (
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/value"
)

const (
	catTime   = function.CategoryDateTime
	msPerDay  = int64(86400000)
	nsPerMs   = int64(time.Millisecond)
	nsPerDay  = msPerDay * nsPerMs
	unitArg   = "unit"
	errFormat = "Failed to format %s %s with formatter '%s': %w"
)

// IntervalUnits are the TimeUnit names DATEADD and friends accept, with
// their length in nanoseconds; the engine passes the unit argument as a
// STRING holding one of these names.
var IntervalUnits = map[string]int64{
	"DAYS":         int64(24 * time.Hour),
	"HOURS":        int64(time.Hour),
	"MINUTES":      int64(time.Minute),
	"SECONDS":      int64(time.Second),
	"MILLISECONDS": int64(time.Millisecond),
	"MICROSECONDS": int64(time.Microsecond),
	"NANOSECONDS":  1,
}

// unitMillis is TimeUnit.toMillis(n): truncating for sub-millisecond units.
func unitMillis(unit string, n int64) (int64, error) {
	ns, ok := IntervalUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown time unit %q", unit)
	}
	if ns >= nsPerMs {
		return n * (ns / nsPerMs), nil
	}
	return n / (nsPerMs / ns), nil
}

func utcMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// unsupported builds Java's error for a field the temporal type lacks.
func unsupported(f *javatime.Formatter, lacks int) error {
	names := map[int]string{javatime.UsesDate: "a date field", javatime.UsesTime: "a time field", javatime.UsesZone: "a time-zone field"}
	for _, k := range []int{javatime.UsesDate, javatime.UsesTime, javatime.UsesZone} {
		if f.Requires()&lacks&k != 0 {
			return fmt.Errorf("Unsupported field: pattern '%s' uses %s", f.Pattern(), names[k])
		}
	}
	return nil
}

func registerDateTime(b *builder) {
	pc := b.patterns
	formatter := func(pattern string) (*javatime.Formatter, error) { return pc.Get(pattern) }
	zone := func(id string) (*time.Location, error) {
		loc, err := pc.Zone(id)
		if err != nil {
			return nil, fmt.Errorf("Invalid time zone: %w", err)
		}
		return loc, nil
	}

	// Epoch-number functions (ksqlDB's originals).
	b.add("unix_timestamp", catTime, "Gets the Unix timestamp in milliseconds, represented as a BIGINT.",
		volatile(ovn(pBig, nil, func([]value.Value) (value.Value, error) { return value.Bigint(time.Now().UnixMilli()), nil })),
		ov(pBig, ps(p("timestamp", pTs)), func(a []value.Value) (value.Value, error) { return value.Bigint(a[0].Millis()), nil }),
	)
	b.add("unix_date", catTime, "Gets an INTEGER representing days since epoch.",
		volatile(ovn(pInt, nil, func([]value.Value) (value.Value, error) {
			return value.Int(int32(floorDiv(time.Now().UnixMilli(), msPerDay))), nil
		})),
		ov(pInt, ps(p("date", pDate)), func(a []value.Value) (value.Value, error) { return value.Int(int32(a[0].Days())), nil }),
	)
	b.add("from_unixtime", catTime, "Converts a BIGINT millisecond timestamp value into a TIMESTAMP value.",
		ov(pTs, ps(p("epochMilli", pBig)), func(a []value.Value) (value.Value, error) { return value.Timestamp(a[0].Bigint()), nil }))
	b.add("from_days", catTime, "Converts an INT number of days since epoch to a DATE value.",
		ov(pDate, ps(p("days", pInt)), func(a []value.Value) (value.Value, error) { return value.Date(int64(a[0].Int())), nil }))

	b.add("datetostring", catTime, "Converts an integer representation of a date into a string representing the date in the given format. Single quotes in the timestamp format can be escaped with two successive single quotes, '', for example: 'yyyy-MM-dd''T'''.",
		ov(pStr, ps(p("epochDays", pInt), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			return formatDate(formatter, int64(a[0].Int()), a[1].Str(), fmt.Sprint(a[0].Int()))
		}))
	b.add("format_date", catTime, "Converts a DATE value into a string representing the date in the given format.",
		ov(pStr, ps(p("date", pDate), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			return formatDate(formatter, a[0].Days(), a[1].Str(), utcMillis(a[0].Days()*msPerDay).Format("2006-01-02"))
		}))
	b.add("format_time", catTime, "Converts a TIME value into a string representing the time in the given format.",
		ov(pStr, ps(p("time", pTime), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			f, err := formatter(a[1].Str())
			if err == nil {
				err = unsupported(f, javatime.UsesDate|javatime.UsesZone)
			}
			if err != nil {
				return null, fmt.Errorf(errFormat, "time", formatLocalTime(a[0].Millis()), a[1].Str(), err)
			}
			return vstr(f.FormatFields(utcMillis(a[0].Millis()), javatime.UsesTime)), nil
		}))
	formatTs := func(what string, ms int64, pattern string, loc *time.Location) (value.Value, error) {
		f, err := formatter(pattern)
		if err != nil {
			return null, fmt.Errorf(errFormat, what, fmt.Sprint(ms), pattern, err)
		}
		return vstr(f.Format(time.UnixMilli(ms).In(loc))), nil
	}
	b.add("timestamptostring", catTime, "Converts a BIGINT millisecond timestamp value into the string representation of the timestamp in the given format. Single quotes in the timestamp format can be escaped with two successive single quotes, '', for example: 'yyyy-MM-dd''T''HH:mm:ssX'. The system default time zone is used when no time zone is explicitly provided.",
		ov(pStr, ps(p("epochMilli", pBig), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			return formatTs("timestamp", a[0].Bigint(), a[1].Str(), time.UTC)
		}),
		ov(pStr, ps(p("epochMilli", pBig), p("formatPattern", pStr), p("timeZone", pStr)), func(a []value.Value) (value.Value, error) {
			loc, err := zone(a[2].Str())
			if err != nil {
				return null, err
			}
			return formatTs("timestamp", a[0].Bigint(), a[1].Str(), loc)
		}),
	)
	// FORMAT_TIMESTAMP and PARSE_TIMESTAMP default to ksqlDB's ZoneId "GMT".
	gmt := time.FixedZone("GMT", 0)
	b.add("format_timestamp", catTime, "Converts a TIMESTAMP value into the string representation of the timestamp in the given format. Single quotes in the timestamp format can be escaped with two successive single quotes, '', for example: 'yyyy-MM-dd''T''HH:mm:ssX'.",
		ov(pStr, ps(p("timestamp", pTs), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			return formatTs("timestamp", a[0].Millis(), a[1].Str(), gmt)
		}),
		ov(pStr, ps(p("timestamp", pTs), p("formatPattern", pStr), p("timeZone", pStr)), func(a []value.Value) (value.Value, error) {
			loc, err := zone(a[2].Str())
			if err != nil {
				return null, err
			}
			return formatTs("timestamp", a[0].Millis(), a[1].Str(), loc)
		}),
	)

	parseTs := func(text, pattern string, loc *time.Location) (int64, error) {
		f, err := formatter(pattern)
		if err != nil {
			return 0, fmt.Errorf("Failed to parse timestamp '%s' with formatter '%s': %w", text, pattern, err)
		}
		t, err := f.ParseTime(text, loc)
		if err != nil {
			return 0, fmt.Errorf("Failed to parse timestamp '%s' with formatter '%s': %w", text, pattern, err)
		}
		return t.UnixMilli(), nil
	}
	b.add("stringtotimestamp", catTime, "Converts a string value in the given format into the BIGINT value that represents the millisecond timestamp. Single quotes in the timestamp format can be escaped with two successive single quotes, '', for example: 'yyyy-MM-dd''T''HH:mm:ssX'.",
		ov(pBig, ps(p("formattedTimestamp", pStr), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			ms, err := parseTs(a[0].Str(), a[1].Str(), time.UTC)
			return value.Bigint(ms), err
		}),
		ov(pBig, ps(p("formattedTimestamp", pStr), p("formatPattern", pStr), p("timeZone", pStr)), func(a []value.Value) (value.Value, error) {
			loc, err := zone(a[2].Str())
			if err != nil {
				return null, err
			}
			ms, err := parseTs(a[0].Str(), a[1].Str(), loc)
			return value.Bigint(ms), err
		}),
	)
	b.add("parse_timestamp", catTime, "Converts a string value in the given format into the TIMESTAMP value. Single quotes in the timestamp format can be escaped with two successive single quotes, '', for example: 'yyyy-MM-dd''T''HH:mm:ssX'.",
		ov(pTs, ps(p("formattedTimestamp", pStr), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			ms, err := parseTs(a[0].Str(), a[1].Str(), gmt)
			return value.Timestamp(ms), err
		}),
		ov(pTs, ps(p("formattedTimestamp", pStr), p("formatPattern", pStr), p("timeZone", pStr)), func(a []value.Value) (value.Value, error) {
			loc, err := zone(a[2].Str())
			if err != nil {
				return null, err
			}
			ms, err := parseTs(a[0].Str(), a[1].Str(), loc)
			return value.Timestamp(ms), err
		}),
	)
	// PARSE_DATE parses like SimpleDateFormat (ignoring trailing text and
	// rejecting a time of day); STRINGTODATE like LocalDate.parse.
	parseDate := func(text, pattern string, simpleDateFormat bool) (int64, error) {
		fail := func(err error) (int64, error) {
			return 0, fmt.Errorf("Failed to parse date '%s' with formatter '%s': %w", text, pattern, err)
		}
		f, err := formatter(pattern)
		if err != nil {
			return fail(err)
		}
		parse := f.ParseTime
		if simpleDateFormat {
			parse = f.ParseTimePrefix
		}
		t, err := parse(text, time.UTC)
		if err != nil {
			return fail(err)
		}
		ms := t.UnixMilli()
		if simpleDateFormat && ms%msPerDay != 0 {
			return fail(errors.New("Date format contains time field."))
		}
		return floorDiv(ms, msPerDay), nil
	}
	b.add("stringtodate", catTime, "Converts a string representation of a date into an integer representing days since epoch using the given format pattern. Note this is the format Kafka Connect uses to represent dates with no time component. The format pattern should be in the format expected by java.time.format.DateTimeFormatter",
		ov(pInt, ps(p("formattedDate", pStr), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			d, err := parseDate(a[0].Str(), a[1].Str(), false)
			return value.Int(int32(d)), err
		}))
	b.add("parse_date", catTime, "Converts a string representation of a date in the given format into a DATE value.",
		ov(pDate, ps(p("formattedDate", pStr), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			d, err := parseDate(a[0].Str(), a[1].Str(), true)
			return value.Date(d), err
		}))
	b.add("parse_time", catTime, "Converts a string representation of a time in the given format into a TIME value.",
		ov(pTime, ps(p("formattedTime", pStr), p("formatPattern", pStr)), func(a []value.Value) (value.Value, error) {
			fail := func(err error) (value.Value, error) {
				return null, fmt.Errorf("Failed to parse time '%s' with formatter '%s': %w", a[0].Str(), a[1].Str(), err)
			}
			f, err := formatter(a[1].Str())
			if err != nil {
				return fail(err)
			}
			parsed, err := f.Parse(a[0].Str())
			if err != nil {
				return fail(err)
			}
			if parsed.HasDate() {
				return fail(errors.New("Time format contains date field."))
			}
			t, err := parsed.Resolve(time.UTC, a[0].Str())
			if err != nil {
				return fail(err)
			}
			return value.Time(t.UnixMilli()), nil
		}))
	b.add("convert_tz", catTime, "Converts a TIMESTAMP value from one time zone to another.",
		ov(pTs, ps(p("timestamp", pTs), p("fromTimeZone", pStr), p("toTimeZone", pStr)), func(a []value.Value) (value.Value, error) {
			from, err := zone(a[1].Str())
			if err != nil {
				return null, err
			}
			to, err := zone(a[2].Str())
			if err != nil {
				return null, err
			}
			t := time.UnixMilli(a[0].Millis())
			_, fo := t.In(from).Zone()
			_, tof := t.In(to).Zone()
			return value.Timestamp(a[0].Millis() + int64(tof-fo)*1000), nil
		}))
	registerDateArithmetic(b)
}

func volatile(o *function.ScalarOverload) *function.ScalarOverload {
	o.Volatile = true
	return o
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func formatDate(formatter func(string) (*javatime.Formatter, error), days int64, pattern, shown string) (value.Value, error) {
	f, err := formatter(pattern)
	if err == nil {
		err = unsupported(f, javatime.UsesTime|javatime.UsesZone)
	}
	if err != nil {
		return null, fmt.Errorf(errFormat, "date", shown, pattern, err)
	}
	return vstr(f.FormatFields(utcMillis(days*msPerDay), javatime.UsesDate)), nil
}

func registerDateArithmetic(b *builder) {
	unit := func(a value.Value) string { return a.Str() }
	b.add("dateadd", catTime, "Adds a duration to a date.",
		ov(pDate, ps(p(unitArg, function.PInterval), p("interval", pInt), p("date", pDate)), func(a []value.Value) (value.Value, error) {
			ms, err := unitMillis(unit(a[0]), int64(a[1].Int()))
			if err != nil {
				return null, err
			}
			// TimeUnit.MILLISECONDS.toDays truncates toward zero.
			return value.Date((a[2].Days()*msPerDay + ms) / msPerDay), nil
		}))
	b.add("datesub", catTime, "Subtracts a duration from a date.",
		ov(pDate, ps(p(unitArg, function.PInterval), p("interval", pInt), p("date", pDate)), func(a []value.Value) (value.Value, error) {
			ms, err := unitMillis(unit(a[0]), int64(a[1].Int()))
			if err != nil {
				return null, err
			}
			return value.Date((a[2].Days()*msPerDay - ms) / msPerDay), nil
		}))
	timeShift := func(sign int64) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			ns, ok := IntervalUnits[unit(a[0])]
			if !ok {
				return null, fmt.Errorf("unknown time unit %q", unit(a[0]))
			}
			delta := (sign * int64(a[1].Int()) * ns) % nsPerDay
			r := (a[2].Millis()*nsPerMs + delta) % nsPerDay
			if r < 0 {
				r += nsPerDay
			}
			return value.Time(r / nsPerMs), nil
		}
	}
	b.add("timeadd", catTime, "Adds a duration to a time value.",
		ov(pTime, ps(p(unitArg, function.PInterval), p("interval", pInt), p("time", pTime)), timeShift(1)))
	b.add("timesub", catTime, "Subtracts a duration from a time value.",
		ov(pTime, ps(p(unitArg, function.PInterval), p("interval", pInt), p("time", pTime)), timeShift(-1)))
	tsShift := func(sign int64) function.ScalarFn {
		return func(a []value.Value) (value.Value, error) {
			ms, err := unitMillis(unit(a[0]), int64(a[1].Int()))
			if err != nil {
				return null, err
			}
			return value.Timestamp(a[2].Millis() + sign*ms), nil
		}
	}
	b.add("timestampadd", catTime, "Adds a duration to a timestamp.",
		ov(pTs, ps(p(unitArg, function.PInterval), p("interval", pInt), p("timestamp", pTs)), tsShift(1)))
	b.add("timestampsub", catTime, "Subtracts a duration from a timestamp.",
		ov(pTs, ps(p(unitArg, function.PInterval), p("interval", pInt), p("timestamp", pTs)), tsShift(-1)))
}
