package javatime

import (
	"errors"
	"testing"
)

func TestParsePartialTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  string // "zone" or "text"
	}{
		{in: "2020-05-26T23:59:58.000", want: 1590537598000},
		{in: "2020-05", want: 1588291200000},
		{in: "2020", want: 1577836800000},
		{in: "2020-05-26T10", want: 1590487200000},
		{in: "2020-05-26T23:59:58.000+0200", want: 1590530398000},
		{in: "2020-05-26T23:59:58.000Z", want: 1590537598000},
		{in: "2020-05-26T24:00", want: 1590537600000},
		{in: "2020-02-30", err: "text"},
		{in: "2020-5-1", err: "text"},
		{in: "2020-05-26T23:59:58.000+19", err: "zone"},
		{in: "2020-05-26T23:59:58.000 UTC", err: "text"},
	}
	for _, tt := range tests {
		got, err := ParsePartialTimestamp(tt.in)
		var ze *ZoneError
		var te *TextError
		switch {
		case tt.err == "zone" && !errors.As(err, &ze), tt.err == "text" && !errors.As(err, &te):
			t.Errorf("%q: error %v, want a %s error", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%q = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}
