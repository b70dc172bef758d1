package expr

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// TestNullOperands checks every operator with a NULL operand, the rule
// most likely to regress. As in ksqlDB's generated Java: arithmetic fails
// (unboxing NULL), except STRING + STRING, which spells it "null"; casts,
// subscripts and dereference give NULL; comparisons, BETWEEN and IN give
// FALSE; IS [NOT] NULL and IS [NOT] DISTINCT FROM decide. Logic is
// three-valued.
func TestNullOperands(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := newTestScope(t)
	row := testRow(t, opts)
	tests := []struct{ expr, want string }{
		{"NI + 1", "INTEGER runtime error: NULL operand in arithmetic: (NI + 1)"},
		{"1 - NI", "INTEGER runtime error: NULL operand in arithmetic: (1 - NI)"},
		{"NI * BI", "BIGINT runtime error: NULL operand in arithmetic: (NI * BI)"},
		{"NI / 0", "INTEGER runtime error: NULL operand in arithmetic: (NI / 0)"},
		{"NI % 2", "INTEGER runtime error: NULL operand in arithmetic: (NI % 2)"},
		{"ND / 0", "DOUBLE runtime error: NULL operand in arithmetic: (ND / 0)"},
		{"NDEC + DEC", "DECIMAL(5, 2) runtime error: NULL operand in arithmetic: (NDEC + DEC)"},
		{"NDEC / 0.00", "DECIMAL(10, 6) runtime error: NULL operand in arithmetic: (NDEC / 0.00)"},
		{"-NI", "INTEGER runtime error: NULL operand in arithmetic: -NI"},
		{"-NDEC", "DECIMAL(4, 2) runtime error: NULL operand in arithmetic: -NDEC"},
		{"NS + 'x'", "STRING 'nullx'"},
		{"NI = 1", "BOOLEAN false"},
		{"NI <> 1", "BOOLEAN false"},
		{"NI < 1", "BOOLEAN false"},
		{"NS >= 'a'", "BOOLEAN false"},
		{"NDEC > 1.0", "BOOLEAN false"},
		{"NB = true", "BOOLEAN false"},
		{"NARR = ARR", "BOOLEAN false"},
		{"NI IS DISTINCT FROM NI", "BOOLEAN false"},
		{"NI IS DISTINCT FROM I", "BOOLEAN true"},
		{"NI IS NOT DISTINCT FROM NI", "BOOLEAN true"},
		{"NI BETWEEN 1 AND 2", "BOOLEAN false"},
		{"I BETWEEN 1 AND NI", "BOOLEAN false"},
		{"NI IN (1, 2)", "BOOLEAN false"},
		{"NI IS NULL", "BOOLEAN true"},
		{"NI IS NOT NULL", "BOOLEAN false"},
		{"NS LIKE '%'", "BOOLEAN NULL"},
		{"NB AND true", "BOOLEAN NULL"},
		{"NB AND false", "BOOLEAN false"},
		{"NB OR true", "BOOLEAN true"},
		{"NB OR false", "BOOLEAN NULL"},
		{"NOT NB", "BOOLEAN NULL"},
		{"CAST(NI AS STRING)", "STRING NULL"},
		{"CAST(NS AS INT)", "INTEGER NULL"},
		{"NARR[1]", "INTEGER NULL"},
		{"ARR[NI]", "INTEGER NULL"},
		{"M[NS]", "INTEGER NULL"},
		{"NST->A", "INTEGER NULL"},
		{"NST->NESTED->X", "BIGINT NULL"},
		{"CASE WHEN NB THEN 1 ELSE 2 END", "INTEGER 2"},
		{"CASE NI WHEN 1 THEN 1 ELSE 2 END", "INTEGER 2"},
		{"ABS(NI)", "INTEGER NULL"},
		{"COALESCE(NI, NI, 3)", "INTEGER 3"},
		{"COALESCE(NI + 1, 3)", "INTEGER runtime error: NULL operand in arithmetic: (NI + 1)"},
		{"TRANSFORM(NARR, x => x + 1)", "ARRAY<INTEGER> NULL"},
		{"ARRAY[NI, 1]", "ARRAY<INTEGER> [NULL, 1]"},
		{"WINDOWSTART", "BIGINT NULL"},
	}
	for _, tc := range tests {
		if got := evalText(t, tc.expr, scope, opts, row); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestHandBuiltAST compiles a tree built without the parser, as the
// planner does when it synthesises expressions.
func TestHandBuiltAST(t *testing.T) {
	scope := newTestScope(t)
	row := testRow(t, Options{})
	ref := func(name string) ast.Expr { return &ast.ColumnRef{Name: ast.Ident{Name: name}} }
	e := &ast.Logical{Op: "AND",
		L: &ast.Comparison{Op: ">", L: &ast.Binary{Op: "+", L: ref("I"), R: &ast.IntegerLit{Value: 1}}, R: &ast.IntegerLit{Value: 5}},
		R: &ast.Like{X: ref("S"), Pattern: &ast.StringLit{Value: "he%"}},
	}
	x, err := Compile(e, scope, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := x.Eval(row)
	if err != nil || !v.Bool() || x.Type.Kind != types.Boolean {
		t.Fatalf("got %v %v (%s)", v, err, x.Type)
	}
	if x.IsConstant() || len(x.Columns()) != 2 {
		t.Fatalf("constant=%t columns=%v", x.IsConstant(), x.Columns())
	}
}

func TestErrorKinds(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := newTestScope(t)
	tests := []struct {
		expr string
		kind error
		pos  string
	}{
		{"I + 'x'", ErrType, "1:3"},
		{"nope", ErrUnknownColumn, "1:1"},
		{"ST->nope", ErrUnknownColumn, "1:5"},
		{"NOSUCH(1)", ErrFunction, "1:1"},
		{"ABS('x')", ErrFunction, "1:1"},
		{"I = NULL", ErrType, "1:3"},
		{"CAST(B AS INT)", ErrType, "1:1"},
		{"\n  1 +\n  (S > 1)", ErrType, "3:6"},
	}
	for _, tc := range tests {
		e, err := parser.ParseExpr(tc.expr)
		if err != nil {
			t.Errorf("%q: parse: %v", tc.expr, err)
			continue
		}
		_, err = Compile(e, scope, opts)
		var ce *Error
		if !errors.As(err, &ce) || !errors.Is(err, tc.kind) {
			t.Errorf("%q: got %v, want kind %v", tc.expr, err, tc.kind)
			continue
		}
		if ce.Position() != tc.pos {
			t.Errorf("%q: position %s, want %s", tc.expr, ce.Position(), tc.pos)
		}
	}
}

func TestRuntimeErrorKind(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := newTestScope(t)
	row := testRow(t, opts)
	for _, text := range []string{"I / ZERO", "FAIL(I)", "DEC / DEC2", "TS > S", "ABS(I / ZERO)"} {
		e, err := parser.ParseExpr(text)
		if err != nil {
			t.Fatal(err)
		}
		x, err := Compile(e, scope, opts)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if _, err := x.Eval(row); !errors.Is(err, ErrEval) {
			t.Errorf("%s: got %v, want ErrEval", text, err)
		}
	}
}

// aggScope stands in for an aggregation's scope: SUM(I) and the GROUP BY
// expression S are output columns.
type aggScope struct{ *testScope }

func (s aggScope) ResolveExpr(e ast.Expr) (Column, bool) {
	switch exprString(e) {
	case "SUM(I)":
		return Column{Name: "KSQL_AGG_0", Kind: ValueColumn, Index: 1, Type: types.BigintType}, true
	case "X":
		// A column named like a lambda parameter must not capture it.
		return Column{Name: "X", Kind: ValueColumn, Index: 1, Type: types.BigintType}, true
	case "UCASE(S)":
		return Column{Name: "KSQL_COL_0", Kind: KeyColumn, Index: 0, Type: types.StringType}, true
	}
	return Column{}, false
}

func TestExprScope(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := aggScope{newTestScope(t)}
	row := &value.Row{Key: []value.Value{value.String("K1")}, Val: []value.Value{value.Null, value.Bigint(150)}}
	for _, tc := range []struct{ expr, want string }{
		{"SUM(I) > 100", "BOOLEAN true"},
		{"SUM(I) * 2", "BIGINT 300"},
		{"UCASE(S) || '!'", "STRING 'K1!'"},
		{"TRANSFORM(ARRAY[1, 2], x => x * 2)", "ARRAY<INTEGER> [2, 4]"},
		{"X + 1", "BIGINT 151"},
	} {
		if got := evalText(t, tc.expr, scope, opts, row); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

func TestEvalConstant(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want value.Value
	}{
		{"1 + 2", value.Int(3)},
		{"-9223372036854775807 - 1", value.Bigint(-9223372036854775808)},
		{"CAST('2020-01-01' AS DATE)", value.Date(18262)},
		{"'a' || 'b'", value.String("ab")},
	} {
		e, err := parser.ParseExpr(tc.expr)
		if err != nil {
			t.Fatal(err)
		}
		v, _, err := EvalConstant(e, Options{})
		if err != nil || !value.Equal(v, tc.want) {
			t.Errorf("%s = %v, %v; want %v", tc.expr, v, err, tc.want)
		}
	}
	e, _ := parser.ParseExpr("1 / 0")
	if _, _, err := EvalConstant(e, Options{}); !errors.Is(err, ErrEval) {
		t.Errorf("1 / 0: got %v, want ErrEval", err)
	}
}

// TestConcurrentEval shares one compiled expression between goroutines,
// as the tasks of a query do; run with -race.
func TestConcurrentEval(t *testing.T) {
	opts := Options{Functions: testFunctions(t)}
	scope := newTestScope(t)
	row := testRow(t, opts)
	e, err := parser.ParseExpr("REDUCE(TRANSFORM(ARR, x => x * I), 0, (s, x) => s + x) + CASE WHEN S LIKE 'h%' THEN 1 ELSE 0 END")
	if err != nil {
		t.Fatal(err)
	}
	x, err := Compile(e, scope, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				v, err := x.Eval(row)
				if err != nil || v.Int() != 43 {
					t.Errorf("got %v %v", v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestLikeMatcher(t *testing.T) {
	tests := []struct {
		s, p string
		want bool
	}{
		{"abc", "abc", true},
		{"abc", "a%", true},
		{"abc", "%c", true},
		{"abc", "%b%", true},
		{"abc", "a_c", true},
		{"abc", "a__c", false},
		{"", "%", true},
		{"", "_", false},
		{"aaa", "%a%a%a%", true},
		{"aa", "%a%a%a%", false},
		{"a\nb", "a%b", false},
		{"a\nb", "a_b", false},
		{"a\nb", "a\n%", true},
		{"ab\nc", "ab%", false},
		{"a\nbc", "%bc", false},
		{"a\nbc", "%b%", false},
		{"a\u2028bc", "%bc", false},
		{"ab", "ab%", true},
		{"日本語", "日_語", true},
		{"x.y", "x.y", true},
		{"xzy", "x.y", false},
		{"abxbyd", "%b_d", true},
		{"abcbe", "%b_d", false},
		{"mississippi", "%iss%ppi", true},
		{"mississippi", "m%s_s%i", true},
		{strings.Repeat("a", 60), strings.Repeat("%a", 30) + "%b", false},
	}
	for _, tc := range tests {
		p, err := compileLike(tc.p, -1)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.match(tc.s); got != tc.want {
			t.Errorf("%q LIKE %q = %t, want %t", tc.s, tc.p, got, tc.want)
		}
	}
}

// TestNestedErrors checks ksqlDB's ksql.nested.error.set.null: an error
// inside a CAST, a constructor element or a call's call argument becomes
// NULL there and is reported, unless the legacy behaviour is asked for.
func TestNestedErrors(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	opts := Options{Functions: testFunctions(t), NestedErrors: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err.Error())
	}}
	scope := newTestScope(t)
	row := testRow(t, opts)
	for _, tc := range []struct{ expr, want string }{
		{"COALESCE(CAST(FAIL(I) AS STRING), 'x')", "STRING 'x'"},
		{"CAST(S AS INT)", "INTEGER NULL"},
		{"ARRAY[I / ZERO, 1]", "ARRAY<INTEGER> [NULL, 1]"},
		{"MAP('a' := FAIL(1))", "MAP<STRING, INTEGER> {'a': NULL}"},
		{"STRUCT(A := I / ZERO)", "STRUCT<`A` INTEGER> {A: NULL}"},
		{"COALESCE(FAIL(1), 2)", "INTEGER 2"},
		{"COALESCE(I / ZERO, 2)", "INTEGER runtime error: / by zero"},
	} {
		if got := evalText(t, tc.expr, scope, opts, row); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
	if len(reported) != 6 {
		t.Errorf("reported %q, want 6 errors", reported)
	}
	// A failing constant reports per evaluation, not at compile time.
	reported = nil
	e, err := parser.ParseExpr("CAST('x' AS INT)")
	if err != nil {
		t.Fatal(err)
	}
	x, err := Compile(e, scope, opts)
	if err != nil || len(reported) != 0 {
		t.Fatalf("compile: %v, reported %q", err, reported)
	}
	for i := 0; i < 2; i++ {
		if v, err := x.Eval(row); err != nil || !v.IsNull() {
			t.Errorf("eval: %v %v", v, err)
		}
	}
	if len(reported) != 2 {
		t.Errorf("reported %q, want 2 errors", reported)
	}
	opts.NestedErrorsFail = true
	if got := evalText(t, "CAST(S AS INT)", scope, opts, row); got != `INTEGER runtime error: For input string: "hello"` {
		t.Errorf("legacy nested errors: got %s", got)
	}
}

func TestCoerceAndCast(t *testing.T) {
	dec := types.MustDecimal(12, 2)
	for _, tc := range []struct {
		v        value.Value
		from, to *types.Type
		want     string
		ok       bool
	}{
		{value.Int(3), types.IntType, types.BigintType, "3", true},
		{value.Int(3), types.IntType, dec, "3.00", true},
		{value.Bigint(3), types.BigintType, types.IntType, "", false},
		{value.String("3"), types.StringType, types.IntType, "", false},
		{value.Array([]value.Value{value.Int(1)}), types.ArrayOf(types.IntType), types.ArrayOf(types.DoubleType), "[1.0]", true},
	} {
		got, err := Coerce(tc.v, tc.from, tc.to)
		if (err == nil) != tc.ok || (tc.ok && got.String() != tc.want) {
			t.Errorf("Coerce(%v, %s, %s) = %v, %v", tc.v, tc.from, tc.to, got, err)
		}
	}
	if v, err := Cast(value.String(" 12 "), types.StringType, types.IntType); err != nil || v.Int() != 12 {
		t.Errorf("Cast: %v %v", v, err)
	}
	if _, err := Cast(value.String("x"), types.StringType, types.IntType); !errors.Is(err, ErrEval) {
		t.Errorf("Cast error: %v", err)
	}
	if CanCast(types.BooleanType, types.IntType) || !CanCast(types.DateType, types.TimestampType) {
		t.Error("CanCast table")
	}
}
