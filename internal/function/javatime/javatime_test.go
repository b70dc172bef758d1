package javatime

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	la, err := LoadZone("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2018, 5, 11, 17, 4, 5, 123456789, time.UTC)
	tests := []struct {
		pattern string
		t       time.Time
		want    string
	}{
		{"yyyy-MM-dd HH:mm:ss.SSS", ts, "2018-05-11 17:04:05.123"},
		{"yyyy-MM-dd'T'HH:mm:ssX", ts, "2018-05-11T17:04:05Z"},
		{"yyyy-MM-dd'T'HH:mm''ss", ts, "2018-05-11T17:04'05"},
		{"dd/MMM/yyyy EEE a h", ts, "11/May/2018 Fri PM 5"},
		{"MMMM d, yy", ts, "May 11, 18"},
		{"HH:mm:ss Z", ts.In(la), "10:04:05 -0700"},
		{"HH:mm XXX VV", ts.In(la), "10:04 -07:00 America/Los_Angeles"},
		{"[yyyy]SSSSSS", ts, "2018123456"},
		{"D", ts, "131"},
		{"O", ts.In(la), "GMT-7"},
		{"EEE, dd MMM yyyy HH:mm:ss z", ts, "Fri, 11 May 2018 17:04:05 UTC"},
		{"MM/dd/yyyy hh:mm a", ts, "05/11/2018 05:04 PM"},
		{"xxx", ts, "+00:00"},
		{"ZZZZZ", ts, "Z"},
		{"ZZZZ", ts.In(la), "GMT-07:00"},
		{"EEEE MMMM", ts, "Friday May"},
	}
	for _, tc := range tests {
		f, err := Compile(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := f.Format(tc.t); got != tc.want {
			t.Errorf("%s: got %q want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          string // RFC3339Nano in UTC, or "" for an error
	}{
		{"yyyy-MM-dd HH:mm:ss.SSS", "2018-05-11 17:04:05.123", "2018-05-11T17:04:05.123Z"},
		{"yyyy-MM-dd'T'HH:mm:ssX", "2018-05-11T17:04:05+0200", "2018-05-11T15:04:05Z"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", "2018-05-11T17:04:05-07:00", "2018-05-12T00:04:05Z"},
		{"yyyyMMddHHmm", "201805111704", "2018-05-11T17:04:00Z"},
		{"dd-MMM-yyyy", "11-may-2018", "2018-05-11T00:00:00Z"},
		{"HH:mm", "10:30", "1970-01-01T10:30:00Z"},
		{"yyyy-MM-dd HH:mm:ss VV", "2018-05-11 10:00:00 America/Los_Angeles", "2018-05-11T17:00:00Z"},
		{"yyyy-MM-dd[ HH:mm]", "2018-05-11", "2018-05-11T00:00:00Z"},
		{"yyyy-MM-dd[ HH:mm]", "2018-05-11 01:02", "2018-05-11T01:02:00Z"},
		{"yyyy-DDD", "2020-366", "2020-12-31T00:00:00Z"},
		{"yyyy-DDD", "2019-366", ""},
		{"yyyy-MM-dd", "2018-02-30", ""},
		{"yyyy-MM-dd", "2018-05-11x", ""},
		{"hh:mm a", "01:15 PM", "1970-01-01T13:15:00Z"},
		{"hh:mm a", "12:15 am", "1970-01-01T00:15:00Z"},
		{"EEE, dd MMM yyyy HH:mm:ss z", "Fri, 11 May 2018 21:58:33 GMT", "2018-05-11T21:58:33Z"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2020-01-02T03:04:05.678+0100", "2020-01-02T02:04:05.678Z"},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSSSSxxx", "2020-01-02T03:04:05.123456-05:30", "2020-01-02T08:34:05.123456Z"},
		{"uuuu-MM-dd", "2020-02-29", "2020-02-29T00:00:00Z"},
		{"MM/dd/yyyy", "2/3/2020", ""},
		{"M/d/yyyy", "2/3/2020", "2020-02-03T00:00:00Z"},
		{"yyyy-MM-dd HH:mm:ss.SSS", "2018-05-11 17:04:05.12", ""},
	}
	for _, tc := range tests {
		f, err := Compile(tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		got, err := f.ParseTime(tc.text, time.UTC)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s %q: want error, got %v", tc.pattern, tc.text, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.pattern, tc.text, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != tc.want {
			t.Errorf("%s %q: got %s want %s", tc.pattern, tc.text, s, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	// In SQL the seed writes 'yyyy-MM-dd''T''HH:mm:ss', whose value is the
	// valid pattern yyyy-MM-dd'T'HH:mm:ss; the doubled form itself leaves T
	// unquoted, which Java rejects too.
	for _, p := range []string{"yyyy-MM-dd''T''HH", "yyyy-MM-dd'T", "bb", "{", "yyyy]"} {
		if _, err := Compile(p); err == nil {
			t.Errorf("%q: want error", p)
		}
	}
}
