package planner

import (
	"sort"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// StatementText renders a CREATE ... AS SELECT as ksqlDB's engine holds it
// once its injectors have run, which is the text its errors from that
// point on embed after "Statement:". ksqlDB's AstSanitizer has by then
// qualified every column reference with its source (TEST.F1), aliased
// every source (FROM TEST TEST) and every select item (F1, KSQL_COL_0),
// and the statement defaults to EMIT CHANGES; SourcePropertyInjector then
// printed it again with SqlFormatter: one select item per line, one clause
// per line, WITH properties in name order.
//
// Sources missing from the catalog are printed as written; the statement
// would have failed before this text mattered.
func (p *Planner) StatementText(s *ast.CreateAsSelect) string {
	t := sqlText{p: p}
	t.sources(s.Query.From)
	var b strings.Builder
	b.WriteString("CREATE ")
	if s.OrReplace {
		b.WriteString("OR REPLACE ")
	}
	if s.Table {
		b.WriteString("TABLE ")
	} else {
		b.WriteString("STREAM ")
	}
	if s.IfNotExists {
		b.WriteString("IF NOT EXISTS ")
	}
	b.WriteString(types.QuoteIdent(s.Name.Name))
	if props := propsText(s.Props); props != "" {
		b.WriteString(" WITH (" + props + ")")
	}
	b.WriteString(" AS ")
	t.query(&b, s.Query)
	return strings.TrimRight(b.String(), "\n")
}

// sqlText holds what the sanitizer knows about the query's sources.
type sqlText struct {
	p       *Planner
	aliases []string
	schemas []catalog.Schema
}

func (t *sqlText) sources(r ast.Relation) {
	add := func(as *ast.AliasedSource) {
		alias := as.Name.Name
		if as.Alias != nil {
			alias = as.Alias.Name
		}
		var sch catalog.Schema
		if src, ok := t.p.Catalog.Source(as.Name.Name); ok {
			sch = src.Schema
		}
		t.aliases = append(t.aliases, alias)
		t.schemas = append(t.schemas, sch)
	}
	switch r := r.(type) {
	case *ast.AliasedSource:
		add(r)
	case *ast.JoinRelation:
		add(r.Left)
		for _, j := range r.Joins {
			add(j.Source)
		}
	}
}

// owners lists the aliases of the sources that have a column name. Every
// source has the pseudo columns.
func (t *sqlText) owners(name string) []string {
	var out []string
	for i, sch := range t.schemas {
		if isPseudo(name) {
			out = append(out, t.aliases[i])
			continue
		}
		for _, c := range sch.Columns {
			if c.Name == name {
				out = append(out, t.aliases[i])
				break
			}
		}
	}
	return out
}

// qualify names the one source a column belongs to; an unknown or
// ambiguous column stays unqualified, as the sanitizer leaves it.
func (t *sqlText) qualify(name string) string {
	if o := t.owners(name); len(o) == 1 {
		return o[0]
	}
	return ""
}

func (t *sqlText) expr(e ast.Expr) string { return expr.FormatSQLQualified(e, t.qualify) }

func (t *sqlText) exprs(es []ast.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = t.expr(e)
	}
	return strings.Join(parts, ", ")
}

func (t *sqlText) query(b *strings.Builder, q *ast.Query) {
	b.WriteString("SELECT")
	gen := newAliasGen(t.schemas...)
	items := make([]string, len(q.Select))
	for i, it := range q.Select {
		items[i] = t.selectItem(it, gen)
	}
	if len(items) == 1 {
		b.WriteString(" " + items[0])
	} else {
		for i, it := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n  " + it)
		}
	}
	b.WriteString("\nFROM ")
	t.relation(b, q.From)
	b.WriteByte('\n')
	if w := q.Window; w != nil {
		b.WriteString("WINDOW " + windowText(w) + " \n")
	}
	if q.Where != nil {
		b.WriteString("WHERE " + t.expr(q.Where) + "\n")
	}
	if len(q.GroupBy) > 0 {
		b.WriteString("GROUP BY " + t.exprs(q.GroupBy) + "\n")
	}
	if len(q.PartitionBy) > 0 {
		b.WriteString("PARTITION BY " + t.exprs(q.PartitionBy) + "\n")
	}
	if q.Having != nil {
		b.WriteString("HAVING " + t.expr(q.Having) + "\n")
	}
	if q.Emit == ast.EmitFinal {
		b.WriteString("EMIT FINAL\n")
	} else {
		b.WriteString("EMIT CHANGES\n")
	}
	if q.Limit != nil {
		b.WriteString("LIMIT " + strconv.FormatInt(*q.Limit, 10) + "\n")
	}
}

// selectItem prints one item with the alias the sanitizer gives it: a
// column's name (source-prefixed where several sources have it), a struct
// field's name, or KSQL_COL_n.
func (t *sqlText) selectItem(it ast.SelectItem, gen *aliasGen) string {
	switch it := it.(type) {
	case *ast.SelectAll:
		if it.Qualifier != nil {
			return types.QuoteIdent(it.Qualifier.Name) + ".*"
		}
		return "*"
	case *ast.SelectStructAll:
		return t.expr(it.Base) + "->*"
	case *ast.SelectExpr:
		var alias string
		switch {
		case it.Alias != nil:
			alias = it.Alias.Name
		default:
			if cr, ok := it.Expr.(*ast.ColumnRef); ok {
				alias = cr.Name.Name
				q := t.qualify(cr.Name.Name)
				if cr.Qualifier != nil {
					q = cr.Qualifier.Name
				}
				if q != "" && len(t.owners(cr.Name.Name)) > 1 {
					alias = q + "_" + cr.Name.Name
				}
			} else {
				alias = gen.forExpr(it.Expr)
			}
		}
		return t.expr(it.Expr) + " " + types.QuoteIdent(alias)
	}
	return ""
}

func (t *sqlText) relation(b *strings.Builder, r ast.Relation) {
	aliased := func(as *ast.AliasedSource) {
		alias := as.Name.Name
		if as.Alias != nil {
			alias = as.Alias.Name
		}
		b.WriteString(types.QuoteIdent(as.Name.Name) + " " + types.QuoteIdent(alias))
	}
	switch r := r.(type) {
	case *ast.AliasedSource:
		aliased(r)
	case *ast.JoinRelation:
		aliased(r.Left)
		for _, j := range r.Joins {
			b.WriteString("\n" + joinWords[j.Type] + " JOIN ")
			aliased(j.Source)
			if w := j.Within; w != nil {
				b.WriteString(" WITHIN ")
				if w.After == nil {
					b.WriteString(durationText(w.Before))
				} else {
					b.WriteString("(" + durationText(w.Before) + ", " + durationText(*w.After) + ")")
				}
				if w.Grace != nil {
					b.WriteString(" GRACE PERIOD " + durationText(*w.Grace))
				}
			}
			b.WriteString(" ON (" + t.expr(j.On) + ")")
		}
	}
}

// joinWords are JoinedSource.Type's formatted names.
var joinWords = map[ast.JoinType]string{
	ast.JoinInner: "INNER", ast.JoinLeft: "LEFT OUTER", ast.JoinRight: "RIGHT OUTER", ast.JoinFull: "FULL OUTER",
}

func durationText(d ast.Duration) string { return strconv.FormatInt(d.Value, 10) + " " + d.Unit }

// windowText is KsqlWindowExpression.toString, less its leading space.
func windowText(w *ast.Window) string {
	var b strings.Builder
	switch w.Kind {
	case ast.WindowSession:
		b.WriteString("SESSION ( " + durationText(w.Size))
	case ast.WindowHopping:
		b.WriteString("HOPPING ( SIZE " + durationText(w.Size))
		if w.Advance != nil {
			b.WriteString(" , ADVANCE BY " + durationText(*w.Advance))
		}
	default:
		b.WriteString("TUMBLING ( SIZE " + durationText(w.Size))
	}
	if w.Retention != nil {
		b.WriteString(" , RETENTION " + durationText(*w.Retention))
	}
	if w.Grace != nil {
		b.WriteString(" , GRACE PERIOD " + durationText(*w.Grace))
	}
	b.WriteString(" )")
	return b.String()
}

// propsText is the WITH clause as ksqlDB's PropertiesConfig prints it:
// NAME=literal, in name order, the last value of a repeated name.
func propsText(ps ast.Properties) string {
	last := map[string]ast.Expr{}
	for _, p := range ps {
		last[strings.ToUpper(p.Name)] = p.Value
	}
	names := make([]string, 0, len(last))
	for n := range last {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + expr.FormatSQL(last[n])
	}
	return strings.Join(parts, ", ")
}
