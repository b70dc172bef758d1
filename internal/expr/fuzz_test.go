package expr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/parser"
)

// FuzzCompile feeds expression text through parse, compile and eval: the
// compiler must never panic, whatever the parser accepts, and a compiled
// expression must evaluate without panicking over the test row.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	more, _ := filepath.Glob("testdata/builtin/*")
	for _, path := range append(files, more...) {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "=>") || line == "----" {
				continue
			}
			f.Add(line)
		}
	}
	opts := Options{Functions: testFunctions(f)}
	scope := newTestScope(f)
	row := testRow(f, opts)
	f.Fuzz(func(t *testing.T, text string) {
		e, err := parser.ParseExpr(text)
		if err != nil {
			return
		}
		var x *Expr
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("Compile(%q) panicked: %v", text, r)
				}
			}()
			x, err = Compile(e, scope, opts)
		}()
		if err != nil {
			ce, ok := err.(*Error)
			if !ok {
				t.Fatalf("Compile(%q) returned %T, want *Error", text, err)
			}
			if strings.HasPrefix(ce.Msg, "internal error") {
				t.Fatalf("Compile(%q) panicked: %s", text, ce.Msg)
			}
			return
		}
		if _, err := x.fn(row, nil); err != nil {
			return
		}
	})
}
