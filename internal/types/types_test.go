package types

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		typ  *Type
		want string
		sql  string
	}{
		{IntType, "INTEGER", "INTEGER"},
		{MustDecimal(4, 2), "DECIMAL(4, 2)", "DECIMAL(4, 2)"},
		{ArrayOf(StringType), "ARRAY<STRING>", "ARRAY<STRING>"},
		{MapOf(StringType, BigintType), "MAP<STRING, BIGINT>", "MAP<STRING, BIGINT>"},
		{StructOf(Field{"A", IntType}, Field{"b c", ArrayOf(DoubleType)}),
			"STRUCT<A INTEGER, b c ARRAY<DOUBLE>>", "STRUCT<A INTEGER, `b c` ARRAY<DOUBLE>>"},
	}
	for _, tc := range tests {
		if got := tc.typ.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
		if got := tc.typ.SQL(); got != tc.sql {
			t.Errorf("SQL() = %q, want %q", got, tc.sql)
		}
	}
}

func TestCanWiden(t *testing.T) {
	tests := []struct {
		from, to *Type
		want     bool
	}{
		{IntType, BigintType, true},
		{BigintType, IntType, false},
		{IntType, DoubleType, true},
		{IntType, MustDecimal(10, 0), true},
		{IntType, MustDecimal(9, 0), false},
		{BigintType, MustDecimal(21, 2), true},
		{MustDecimal(4, 2), MustDecimal(5, 2), true},
		{MustDecimal(4, 2), MustDecimal(4, 1), false},
		{MustDecimal(4, 2), DoubleType, true},
		{DoubleType, MustDecimal(38, 10), false},
		{StringType, IntType, false},
		{NullType, ArrayOf(IntType), true},
		{ArrayOf(IntType), ArrayOf(BigintType), true},
	}
	for _, tc := range tests {
		if got := CanWiden(tc.from, tc.to); got != tc.want {
			t.Errorf("CanWiden(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}

func TestWiderNumeric(t *testing.T) {
	tests := []struct {
		a, b *Type
		want string
	}{
		{IntType, BigintType, "BIGINT"},
		{IntType, DoubleType, "DOUBLE"},
		{IntType, MustDecimal(4, 2), "DECIMAL(12, 2)"},
		{MustDecimal(4, 2), MustDecimal(6, 1), "DECIMAL(7, 2)"},
	}
	for _, tc := range tests {
		if got := WiderNumeric(tc.a, tc.b).String(); got != tc.want {
			t.Errorf("WiderNumeric(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
}
