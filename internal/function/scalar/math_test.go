package scalar_test

import (
	"testing"

	"github.com/sluicedb/sluice/internal/types"
)

func TestMath(t *testing.T) {
	runCases(t, []tcase{
		{"abs", []any{i32(-3)}, "3"},
		{"abs", []any{f64(-1.5)}, "1.5"},
		{"abs", []any{dec("-12.30")}, "12.30"},
		{"abs", []any{nullOf(types.IntType)}, "null"},
		{"abs", []any{nullOf(nil)}, "ERR: ambiguous"},
		{"ceil", []any{dec("1.21")}, "2.00"},
		{"ceil", []any{dec("-1.21")}, "-1.00"},
		{"floor", []any{dec("-1.21")}, "-2.00"},
		{"floor", []any{f64(1.7)}, "1.0"},
		{"round", []any{f64(1.5)}, "2"},
		{"round", []any{f64(-1.5)}, "-1"},
		{"round", []any{f64(-1.51)}, "-2"},
		{"round", []any{f64(1.2345), i32(2)}, "1.23"},
		{"round", []any{f64(-1.125), i32(2)}, "-1.12"},
		{"round", []any{f64(1.125), i32(2)}, "1.13"},
		{"round", []any{f64(12345.0), i32(-2)}, "12300.0"},
		{"round", []any{dec("1.55")}, "2"},
		{"round", []any{dec("-1.55")}, "-2"},
		{"round", []any{dec("-1.50")}, "-1"},
		{"round", []any{dec("1.55"), i32(1)}, "1.60"},
		{"round", []any{i32(5)}, "5"},
		{"trunc", []any{f64(-1.9)}, "-1"},
		{"trunc", []any{dec("1.99"), i32(1)}, "1.90"},
		{"sqrt", []any{i32(16)}, "4.0"},
		{"log", []any{f64(1)}, "0.0"},
		{"log", []any{i32(2), i32(8)}, "3.0"},
		{"log", []any{i32(1), i32(8)}, "NaN"},
		{"power", []any{i32(2), i32(10)}, "1024.0"},
		{"sign", []any{f64(-0.5)}, "-1"},
		{"sign", []any{i64(0)}, "0"},
		{"exp", []any{i32(0)}, "1.0"},
		{"greatest", []any{i32(1), i32(5), nullOf(nil), i32(3)}, "5"},
		{"least", []any{str("b"), str("a")}, "a"},
		{"greatest", []any{dec("1.5"), dec("1.25")}, "1.50"},
		{"greatest", []any{nullOf(nil)}, "ERR"},
		{"geo_distance", []any{f64(37.4439), f64(-122.1663), f64(51.5257), f64(-0.1122), str("km")}, "~8634.659796579544"},
		{"geo_distance", []any{f64(51.5257), f64(-0.1122), f64(-33.9323), f64(18.4197), str("MI")}, "~6011.1453892944355"},
		{"geo_distance", []any{f64(51.5257), f64(-0.1122), f64(-33.9323), f64(18.4197), nullOf(types.StringType)}, "~9673.40421197142"},
		{"geo_distance", []any{f64(37.4439), f64(-122.1663), f64(51.5257), f64(-0.1122), str("parsecs")}, "ERR: units"},
		{"geo_distance", []any{f64(97.4439), f64(-122.1663), f64(51.5257), f64(-0.1122)}, "ERR: latitude"},
	})
}
