package expr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/function/scalar"
	"github.com/sluicedb/sluice/internal/function/table"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/value"
)

// TestDataDriven runs the golden files in testdata/. Each "eval" block
// holds one expression per line, compiled against the test source (see
// testCols) and evaluated over its default row; "const" evaluates lines
// with EvalConstant; "columns" prints what a compiled expression reads.
// Regenerate with: go test ./internal/expr -run TestDataDriven -rewrite
func TestDataDriven(t *testing.T) {
	runGoldens(t, "testdata/*", testFunctions(t), true)
}

// TestBuiltins runs testdata/builtin/ against the real built-in scalar
// functions, checking that the compiler and the registry agree on
// resolution, widening, lambdas and interval units.
func TestBuiltins(t *testing.T) {
	r := function.NewRegistry()
	if err := scalar.Register(r); err != nil {
		t.Fatal(err)
	}
	if err := table.Register(r); err != nil {
		t.Fatal(err)
	}
	// The built-ins' own messages belong to their package and change with
	// it, so nested errors show only as such here.
	runGoldens(t, "testdata/builtin/*", r, false)
}

func runGoldens(t *testing.T, glob string, fns Functions, showNested bool) {
	// Nested errors become NULL where they happen; the files show them.
	var nested []string
	opts := Options{Functions: fns, NestedErrors: func(err error) { nested = append(nested, err.Error()) }}
	scope := newTestScope(t)
	row := testRow(t, opts)
	paths, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			var out strings.Builder
			for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				nested = nested[:0]
				res := runCommand(t, d.Cmd, line, scope, opts, row)
				for _, n := range nested {
					if !showNested {
						n = "(message elided)"
					}
					res += "\n     nested error: " + n
				}
				fmt.Fprintf(&out, "%s\n  => %s\n", line, res)
			}
			return out.String()
		})
	}
}

func runCommand(t *testing.T, cmd, line string, scope Scope, opts Options, row *value.Row) string {
	switch cmd {
	case "eval":
		return evalText(t, line, scope, opts, row)
	case "const":
		e, err := parser.ParseExpr(line)
		if err != nil {
			return "parse error: " + err.Error()
		}
		v, typ, err := EvalConstant(e, opts)
		if err != nil {
			return "error: " + err.Error()
		}
		return typeString(typ) + " " + render(v, typ)
	case "table":
		e, err := parser.ParseExpr(line)
		if err != nil {
			return "parse error: " + err.Error()
		}
		call, ok := e.(*ast.FuncCall)
		if !ok {
			return "not a call"
		}
		tc, err := CompileTableCall(call, scope, opts)
		if err != nil {
			return "error: " + err.Error()
		}
		vs, err := tc.Eval(row)
		if err != nil {
			return typeString(tc.Type) + " runtime error: " + err.Error()
		}
		var parts []string
		for _, v := range vs {
			parts = append(parts, render(v, tc.Type))
		}
		return typeString(tc.Type) + " rows: " + strings.Join(parts, ", ")
	case "columns":
		e, err := parser.ParseExpr(line)
		if err != nil {
			return "parse error: " + err.Error()
		}
		x, err := Compile(e, scope, opts)
		if err != nil {
			return "error: " + err.Error()
		}
		var names []string
		for _, c := range x.Columns() {
			names = append(names, c.Name)
		}
		return fmt.Sprintf("columns=[%s] constant=%t", strings.Join(names, " "), x.IsConstant())
	}
	t.Fatalf("unknown command %q", cmd)
	return ""
}
