package expr

import (
	"testing"

	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/value"
)

// benchExprs are typical filter and projection shapes.
var benchExprs = []struct{ name, text string }{
	{"filter", "I + 1 > 10 AND S LIKE 'x%'"},
	{"filter_match", "I + 1 > 5 AND S LIKE 'h%'"},
	{"arith_bigint", "BI * 2 + I - 7"},
	{"double", "D * 1.5E0 + I"},
	{"between_in", "I BETWEEN 1 AND 10 AND I IN (1, 3, 7)"},
	{"case", "CASE WHEN I > 5 THEN 'big' ELSE 'small' END"},
	{"deref_subscript", "ST->NESTED->X + ARR[2]"},
	{"decimal_add", "DEC + DEC2"},
	{"decimal_compare", "DEC > 12 AND DEC2 <= DEC"},
	{"function", "ABS(I2) + 1"},
	{"lambda", "TRANSFORM(ARR, x => x + 1)"},
}

func BenchmarkEval(b *testing.B) {
	opts := Options{Functions: testFunctions(b)}
	scope := newTestScope(b)
	row := testRow(b, opts)
	for _, bc := range benchExprs {
		e, err := parser.ParseExpr(bc.text)
		if err != nil {
			b.Fatal(err)
		}
		x, err := Compile(e, scope, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var v value.Value
			for b.Loop() {
				v, err = x.Eval(row)
				if err != nil {
					b.Fatal(err)
				}
			}
			_ = v
		})
	}
}

func BenchmarkCompile(b *testing.B) {
	opts := Options{Functions: testFunctions(b)}
	scope := newTestScope(b)
	e, err := parser.ParseExpr("I + 1 > 10 AND S LIKE 'x%'")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(e, scope, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFilterDoesNotAllocate holds the compiled form of a typical filter
// to zero allocations per record.
func TestFilterDoesNotAllocate(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := newTestScope(t)
	row := testRow(t, opts)
	for _, text := range []string{
		"I + 1 > 10 AND S LIKE 'x%'",
		"I + 1 > 5 AND S LIKE 'h%'",
		"BI * 2 + I - 7 <= ROWTIME",
		"I BETWEEN 1 AND 10 AND I IN (1, 3, 7) OR NOT B",
		"CASE WHEN I > 5 THEN 'big' ELSE 'small' END = 'big'",
		"ST->NESTED->X + ARR[2] > 0 AND M['a'] = 1",
		"S = 'hello' AND TS > '2020-01-01' AND D < 3.0E0",
		"DEC > 12 AND DEC2 <= DEC AND DEC BETWEEN 1 AND 100.5",
	} {
		e, err := parser.ParseExpr(text)
		if err != nil {
			t.Fatal(err)
		}
		x, err := Compile(e, scope, opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = x.Eval(row) }); n != 0 {
			t.Errorf("%s: %v allocations per Eval, want 0", text, n)
		}
	}
}
