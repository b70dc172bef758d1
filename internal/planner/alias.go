package planner

import (
	"regexp"
	"strconv"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// aliasGen names select items that have no alias, as ksqlDB's
// ColumnNames.columnAliasGenerator does: KSQL_COL_n for expressions, the
// field name for struct dereferences, skipping numbers that source columns
// already use.
type aliasGen struct {
	gens map[string]*numberGen
}

type numberGen struct {
	prefix   string
	used     map[int]bool
	next     int
	dropZero bool
}

var numbered = regexp.MustCompile(`^(.*?)(?:_(\d+))?$`)

const generatedPrefix = "KSQL_COL"

func newAliasGen(schemas ...catalog.Schema) *aliasGen {
	g := &aliasGen{gens: map[string]*numberGen{}}
	for _, s := range schemas {
		for _, c := range s.Columns {
			base, n := splitNumber(c.Name)
			ng := g.gen(base)
			ng.used[n] = true
		}
	}
	g.gen(generatedPrefix)
	return g
}

func splitNumber(name string) (string, int) {
	m := numbered.FindStringSubmatch(name)
	if m == nil || m[2] == "" {
		return name, 0
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return name, 0
	}
	return m[1], n
}

func (g *aliasGen) gen(prefix string) *numberGen {
	ng, ok := g.gens[prefix]
	if !ok {
		ng = &numberGen{prefix: prefix, used: map[int]bool{}, dropZero: prefix != generatedPrefix}
		g.gens[prefix] = ng
	}
	return ng
}

func (n *numberGen) nextName() string {
	for n.used[n.next] {
		n.next++
	}
	idx := n.next
	n.next++
	if idx == 0 && n.dropZero {
		return n.prefix
	}
	return n.prefix + "_" + strconv.Itoa(idx)
}

// forExpr returns a unique alias for an unaliased expression.
func (g *aliasGen) forExpr(e ast.Expr) string {
	if d, ok := e.(*ast.Deref); ok {
		base, _ := splitNumber(d.Field.Name)
		return g.gen(base).nextName()
	}
	return g.gen(generatedPrefix).nextName()
}
