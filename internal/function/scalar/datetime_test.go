package scalar_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

func TestDateTime(t *testing.T) {
	ts := value.Timestamp
	runCases(t, []tcase{
		{"timestamptostring", []any{i64(1526075913000), str("yyyy-MM-dd HH:mm:ss zzz"), str("America/Los_Angeles")}, "2018-05-11 14:58:33 PDT"},
		{"timestamptostring", []any{i64(1526075913000), str("yyyy-MM-dd HH:mm:ss zzz"), str("Europe/London")}, "2018-05-11 22:58:33 BST"},
		{"timestamptostring", []any{i64(1526075913000), str("yyyy-MM-dd"), str("Not/AZone")}, "ERR: Invalid time zone"},
		{"format_timestamp", []any{ts(1526075913000), str("yyyy-MM-dd HH:mm:ss")}, "2018-05-11 21:58:33"},
		{"format_timestamp", []any{ts(1526075913000), str("HH:mm zzz")}, "21:58 GMT"},
		{"timestamptostring", []any{i64(1526075913000), str("HH:mm zzz"), str("UTC")}, "21:58 UTC"},
		{"format_timestamp", []any{ts(1526075913123), str("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), str("+05:30")}, "2018-05-12T03:28:33.123+05:30"},
		{"stringtotimestamp", []any{str("2018-05-11T21:58:33Z"), str("yyyy-MM-dd'T'HH:mm:ssX")}, "1526075913000"},
		{"stringtotimestamp", []any{str("2018-05-11 14:58:33"), str("yyyy-MM-dd HH:mm:ss"), str("America/Los_Angeles")}, "1526075913000"},
		{"stringtotimestamp", []any{str("nope"), str("yyyy")}, "ERR: Failed to parse timestamp 'nope'"},
		{"parse_timestamp", []any{str("2018-05-11T21:58:33"), str("yyyy-MM-dd'T'HH:mm:ss")}, "2018-05-11T21:58:33.000"},
		{"parse_timestamp", []any{str("2018-05-11T21:58:33 PST"), str("yyyy-MM-dd'T'HH:mm:ss zzz")}, "2018-05-12T04:58:33.000"},
		{"format_date", []any{value.Date(18993), str("dd-MMM-yyyy")}, "01-Jan-2022"},
		{"format_date", []any{value.Date(18993), str("yyyy HH")}, "ERR: Failed to format date"},
		{"datetostring", []any{i32(18027), str("dd/MM/yyyy")}, "11/05/2019"},
		{"format_date", []any{value.Date(18993), str("yyyy-MM-dd[ HH:mm]")}, "2022-01-01"},
		{"format_time", []any{value.Time(65000), str("[yyyy-MM-dd ]HH:mm:ss")}, "00:01:05"},
		{"parse_date", []any{str("2018-05-11Lit"), str("yyyy-MM-dd'Lit'")}, "2018-05-11"},
		{"parse_date", []any{str("2018-05-11 10"), str("yyyy-MM-dd HH")}, "ERR: Date format contains time field."},
		{"stringtodate", []any{str("01-Jan-2022"), str("dd-MMM-yyyy")}, "18993"},
		{"format_time", []any{value.Time(1234567), str("HHmmss'AAAAA'")}, "002034AAAAA"},
		{"format_time", []any{value.Time(65000), str("HH_mm_ss_SSS")}, "00_01_05_000"},
		{"parse_time", []any{str("01:00:00 PM"), str("hh:mm:ss a")}, "13:00:00.000"},
		{"parse_time", []any{str("2020 01:00"), str("yyyy HH:mm")}, "ERR: Time format contains date field."},
		{"convert_tz", []any{ts(100), str("+0200"), str("+0500")}, "1970-01-01T03:00:00.100"},
		{"convert_tz", []any{ts(1589234313000), str("America/Los_Angeles"), str("America/New_York")}, "2020-05-12T00:58:33.000"},
		{"from_unixtime", []any{i64(1000)}, "1970-01-01T00:00:01.000"},
		{"unix_timestamp", []any{ts(1000)}, "1000"},
		{"unix_date", []any{value.Date(7)}, "7"},
		{"from_days", []any{i32(1)}, "1970-01-02"},
	})
}

func TestDateArithmetic(t *testing.T) {
	r := newRegistry(t)
	unit := function.Arg{IntervalUnit: true}
	run := func(fn, u string, n int32, v value.Value) string {
		res, err := r.ResolveScalarArgs(fn, []function.Arg{unit, {Type: types.IntType}, {Type: typeOf(v)}})
		if err != nil {
			t.Fatal(err)
		}
		return render(res.Call([]value.Value{value.String(u), value.Int(n), v}, nil))
	}
	tests := []struct {
		fn, unit string
		n        int32
		in       value.Value
		want     string
	}{
		{"dateadd", "DAYS", 10, value.Date(10), "1970-01-21"},
		{"dateadd", "DAYS", -5, value.Date(2), "1969-12-29"},
		{"datesub", "DAYS", 5, value.Date(10), "1970-01-06"},
		{"dateadd", "HOURS", 47, value.Date(0), "1970-01-02"},
		{"timeadd", "MILLISECONDS", 10, value.Time(86399995), "00:00:00.005"},
		{"timeadd", "MILLISECONDS", -5, value.Time(2), "23:59:59.997"},
		{"timesub", "HOURS", 1, value.Time(0), "23:00:00.000"},
		{"timestampadd", "SECONDS", 2, value.Timestamp(0), "1970-01-01T00:00:02.000"},
		{"timestampsub", "DAYS", 1, value.Timestamp(0), "1969-12-31T00:00:00.000"},
		{"timestampadd", "MICROSECONDS", 2500, value.Timestamp(0), "1970-01-01T00:00:00.002"},
	}
	for _, tc := range tests {
		if got := run(tc.fn, tc.unit, tc.n, tc.in); got != tc.want {
			t.Errorf("%s(%s, %d, %v) = %s, want %s", tc.fn, tc.unit, tc.n, tc.in, got, tc.want)
		}
	}
	if _, err := r.ResolveScalar("timestampadd", []*types.Type{types.TimestampType, types.IntType, types.TimestampType}); err == nil {
		t.Fatal("want error for a non-unit first argument")
	}
}
