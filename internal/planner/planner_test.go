package planner

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/function/builtin"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
)

// TestPlan runs the planner goldens: each file declares sources and plans
// statements into EXPLAIN trees (or their errors). Regenerate with
// go test ./internal/planner -rewrite.
func TestPlan(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		p := &Planner{Catalog: catalog.New(), Functions: builtin.New()}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "source":
				return defineSource(t, p.Catalog, d)
			case "plan":
				return planStatement(p, d.Input)
			case "restate":
				return restateStatement(p, d.Input)
			}
			t.Fatalf("unknown command %q", d.Cmd)
			return ""
		})
	})
}

// restateStatement prints a CREATE ... AS SELECT as ksqlDB's engine
// restates it (Planner.StatementText).
func restateStatement(p *Planner, sql string) string {
	st, err := parser.ParseStatement(sql)
	if err != nil {
		return "error: " + err.Error()
	}
	cas, ok := st.(*ast.CreateAsSelect)
	if !ok {
		return "error: not a CREATE ... AS SELECT"
	}
	return p.StatementText(cas) + "\n"
}

// defineSource adds a source: "source name=S kind=stream|table" with one
// "NAME TYPE [KEY]" column a line; partitions=N and keyformat=F are
// optional.
func defineSource(t *testing.T, c *catalog.Catalog, d *datadriven.TestData) string {
	var name, kind string
	parts := int64(1)
	d.ScanArgs(t, "name", &name)
	d.ScanArgs(t, "kind", &kind)
	if d.HasArg("partitions") {
		d.ScanArgs(t, "partitions", &parts)
	}
	src := &catalog.Source{Name: name, Topic: strings.ToLower(name), Partitions: int32(parts),
		KeyFormat: catalog.FormatInfo{Name: "KAFKA"}, ValueFormat: catalog.FormatInfo{Name: "JSON"}}
	if kind == "table" {
		src.Kind = catalog.Table
	}
	if d.HasArg("keyformat") {
		d.ScanArgs(t, "keyformat", &src.KeyFormat.Name)
	}
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			t.Fatalf("bad column line %q", line)
		}
		typ, err := parseType(f[1])
		if err != nil {
			t.Fatal(err)
		}
		col := catalog.Column{Name: f[0], Type: typ, Namespace: catalog.Value}
		if len(f) > 2 && f[2] == "KEY" {
			col.Namespace = catalog.Key
		}
		src.Schema.Columns = append(src.Schema.Columns, col)
	}
	if err := c.PutSource(src, false); err != nil {
		t.Fatal(err)
	}
	return "ok"
}

func parseType(s string) (*types.Type, error) {
	if inner, ok := strings.CutPrefix(s, "ARRAY<"); ok {
		elem, err := parseType(strings.TrimSuffix(inner, ">"))
		if err != nil {
			return nil, err
		}
		return types.ArrayOf(elem), nil
	}
	if inner, ok := strings.CutPrefix(s, "DECIMAL("); ok {
		var prec, scale int
		if _, err := fmt.Sscanf(strings.TrimSuffix(inner, ")"), "%d,%d", &prec, &scale); err != nil {
			return nil, err
		}
		return types.DecimalOf(prec, scale)
	}
	switch s {
	case "INT":
		return types.IntType, nil
	case "BIGINT":
		return types.BigintType, nil
	case "DOUBLE":
		return types.DoubleType, nil
	case "STRING":
		return types.StringType, nil
	case "BOOLEAN":
		return types.BooleanType, nil
	}
	return nil, fmt.Errorf("unknown test type %s", s)
}

// planStatement plans a CREATE ... AS SELECT and prints its tree.
func planStatement(p *Planner, sql string) string {
	st, err := parser.ParseStatement(sql)
	if err != nil {
		return "parse error: " + err.Error()
	}
	var q *ast.Query
	var name string
	var target *catalog.Source
	switch s := st.(type) {
	case *ast.CreateAsSelect:
		q, name = s.Query, s.Name.Name
	case *ast.InsertInto:
		q, name = s.Query, s.Target.Name
		var ok bool
		if target, ok = p.Catalog.Source(name); !ok {
			return "unknown target " + name
		}
	default:
		return fmt.Sprintf("unsupported statement %T", st)
	}
	out, err := p.Plan(q, name, target)
	if err != nil {
		return "error: " + err.Error()
	}
	return "table=" + strconv.FormatBool(out.Table) + "\n" + plan.Explain(out.Root)
}
