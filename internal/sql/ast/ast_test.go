package ast_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

func TestWalk(t *testing.T) {
	st, err := parser.ParseStatement("EXPLAIN SELECT a, f(b->c[1]) AS x FROM s JOIN t ON s.k = t.k WHERE NOT d IN (1, 2) EMIT CHANGES")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	ast.Walk(st, func(n ast.Node) bool {
		switch n.(type) {
		case ast.Ident, *ast.Type:
		default:
			kinds = append(kinds, strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
		}
		return true
	})
	want := "Explain Query SelectExpr ColumnRef SelectExpr FuncCall Subscript Deref ColumnRef IntegerLit " +
		"JoinRelation AliasedSource Join AliasedSource Comparison ColumnRef ColumnRef Not InList ColumnRef IntegerLit IntegerLit"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("walk order\ngot  %s\nwant %s", got, want)
	}

	// Returning false prunes the subtree.
	n := 0
	ast.Walk(st, func(node ast.Node) bool {
		n++
		_, isQuery := node.(*ast.Query)
		return !isQuery
	})
	if n != 2 {
		t.Errorf("pruned walk visited %d nodes, want 2", n)
	}
}

func TestFormatAndEqual(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"select a+b*c from s", "SELECT (A + (B * C)) FROM S"},
		{"select `x` from s where a<>1", "SELECT x FROM s WHERE (a != 1)"},
		{"select * from s as t", "SELECT * FROM S T"},
	} {
		a, err := parser.ParseStatement(tc.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := parser.ParseStatement(tc.b)
		if err != nil {
			t.Fatal(err)
		}
		wantEqual := !strings.Contains(tc.a, "`x`")
		if ast.Equal(a, b) != wantEqual {
			t.Errorf("Equal(%q, %q) = %t", tc.a, tc.b, !wantEqual)
		}
		if wantEqual && ast.Format(a) != ast.Format(b) {
			t.Errorf("Format differs: %s vs %s", ast.Format(a), ast.Format(b))
		}
	}
}

func TestPropertiesGet(t *testing.T) {
	st, err := parser.ParseStatement("CREATE STREAM s WITH (kafka_topic='a', 'KAFKA_TOPIC'='b', partitions=2)")
	if err != nil {
		t.Fatal(err)
	}
	props := st.(*ast.CreateSource).Props
	v, ok := props.Get("Kafka_Topic")
	if !ok || v.(*ast.StringLit).Value != "b" {
		t.Errorf("Get(Kafka_Topic) = %v, %t; want the last entry", v, ok)
	}
	if _, ok := props.Get("replicas"); ok {
		t.Error("Get(replicas) found a missing property")
	}
}

func TestFormatName(t *testing.T) {
	for name, want := range map[string]string{
		"FOO": "FOO", "foo": "`foo`", "A_1@X": "A_1@X", "1A": "`1A`", "SELECT": "`SELECT`", "a`b": "`a``b`", "": "``",
	} {
		if got := ast.FormatName(name); got != want {
			t.Errorf("FormatName(%q) = %s, want %s", name, got, want)
		}
	}
}

// TestFormatHandBuilt checks that trees the parser would never build, with
// nils in required places, format without panicking.
func TestFormatHandBuilt(t *testing.T) {
	for _, n := range []ast.Node{
		&ast.Cast{X: &ast.ColumnRef{Name: ast.Ident{Name: "A"}}},
		&ast.Query{Select: []ast.SelectItem{&ast.SelectExpr{}}, From: &ast.JoinRelation{Joins: []*ast.Join{nil, {}}}},
		&ast.CreateAsSelect{},
		&ast.Binary{Op: "+"},
		&ast.CreateType{Type: &ast.Type{Kind: ast.TypeDecimal}},
		&ast.Explain{},
	} {
		_ = ast.Format(n)
		_ = ast.Dump(n)
		ast.Walk(n, func(ast.Node) bool { return true })
	}
}
