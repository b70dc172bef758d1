package parser_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/parser"
)

// TestSeedTutorial parses every ```sql block of the tutorial Sluice must
// run unchanged. The tutorial lives outside the repository (SLUICE_SEED_DIR
// overrides where), so the test reads it in place.
func TestSeedTutorial(t *testing.T) {
	dir := os.Getenv("SLUICE_SEED_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "seed")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.txt"))
	if len(files) == 0 {
		t.Logf("no tutorial under %s; set SLUICE_SEED_DIR to run this test", dir)
		return
	}
	p := parser.New(parser.Options{})
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range sqlBlocks(string(data)) {
			stmts, err := p.ParseStatements(block)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err.(*parser.Error).Detail())
				continue
			}
			for _, s := range stmts {
				n++
				checkRoundTrip(t, p, s.Text, s.Stmt)
			}
		}
	}
	if n == 0 {
		t.Error("the tutorial has no sql blocks")
	}
}

// sqlBlocks returns the bodies of the ```sql fenced blocks in a document.
func sqlBlocks(doc string) []string {
	var out []string
	for {
		i := strings.Index(doc, "```sql\n")
		if i < 0 {
			return out
		}
		doc = doc[i+len("```sql\n"):]
		j := strings.Index(doc, "```")
		if j < 0 {
			return out
		}
		out = append(out, doc[:j])
		doc = doc[j+3:]
	}
}
