package expr

import (
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/types"
)

// ksqlDB's error messages embed expressions and types rendered by its
// ExpressionFormatter and SqlType.toString: every binary operation fully
// parenthesised, NULL in lower case, struct fields always back-quoted. The
// renderers here reproduce that so messages match the conformance vectors;
// they are not a SQL formatter (ast owns that).

// exprString renders e as ksqlDB's ExpressionFormatter does.
func exprString(e ast.Expr) string {
	var b exprWriter
	writeExpr(&b, e)
	return b.String()
}

// exprWriter builds an expression's text; namer, if set, renames column
// references as the scope's rewritten expressions name them.
type exprWriter struct {
	strings.Builder
	namer Namer
	// qualify, if set, names the source an unqualified column reference
	// belongs to, as ksqlDB's AstSanitizer qualifies them ("" to leave it).
	qualify func(name string) string
}

func writeExpr(b *exprWriter, e ast.Expr) {
	switch n := e.(type) {
	case nil:
		b.WriteString("<nil>")
	case *ast.ColumnRef:
		if b.namer != nil {
			q := ""
			if n.Qualifier != nil {
				q = n.Qualifier.Name
			}
			if name, ok := b.namer.DisplayName(q, n.Name.Name); ok {
				b.WriteString(identString(name))
				return
			}
		}
		if n.Qualifier != nil {
			b.WriteString(identString(n.Qualifier.Name))
			b.WriteByte('.')
		} else if b.qualify != nil {
			if q := b.qualify(n.Name.Name); q != "" {
				b.WriteString(identString(q))
				b.WriteByte('.')
			}
		}
		b.WriteString(identString(n.Name.Name))
	case *ast.NullLit:
		b.WriteString("null")
	case *ast.BoolLit:
		b.WriteString(strconv.FormatBool(n.Value))
	case *ast.StringLit:
		b.WriteString(quoteString(n.Value))
	case *ast.IntegerLit:
		b.WriteString(strconv.FormatInt(n.Value, 10))
	case *ast.DecimalLit:
		b.WriteString(n.Text)
	case *ast.DoubleLit:
		b.WriteString(sciString(n.Value))
	case *ast.VariableLit:
		b.WriteString("${" + n.Name + "}")
	case *ast.TypedLit:
		b.WriteString(n.Type.Name + " " + quoteString(n.Value))
	case *ast.IntervalUnit:
		b.WriteString(n.Unit)
	case *ast.Unary:
		inner := exprWriter{namer: b.namer, qualify: b.qualify}
		writeExpr(&inner, n.X)
		s := inner.String()
		b.WriteString(n.Op)
		if n.Op == "-" && strings.HasPrefix(s, "-") {
			b.WriteByte(' ')
		}
		b.WriteString(s)
	case *ast.Binary:
		writeBinary(b, n.Op, n.L, n.R)
	case *ast.Logical:
		writeBinary(b, strings.ToUpper(n.Op), n.L, n.R)
	case *ast.Not:
		b.WriteString("(NOT ")
		writeExpr(b, n.X)
		b.WriteByte(')')
	case *ast.Comparison:
		writeBinary(b, n.Op, n.L, n.R)
	case *ast.IsDistinctFrom:
		op := "IS DISTINCT FROM"
		if n.Not {
			op = "IS NOT DISTINCT FROM"
		}
		writeBinary(b, op, n.L, n.R)
	case *ast.Between:
		b.WriteByte('(')
		writeExpr(b, n.X)
		if n.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" BETWEEN ")
		writeExpr(b, n.Lo)
		b.WriteString(" AND ")
		writeExpr(b, n.Hi)
		b.WriteByte(')')
	case *ast.InList:
		b.WriteByte('(')
		writeExpr(b, n.X)
		if n.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" IN (")
		writeList(b, n.List)
		b.WriteString("))")
	case *ast.Like:
		b.WriteByte('(')
		writeExpr(b, n.X)
		if n.Not {
			b.WriteString(" NOT")
		}
		b.WriteString(" LIKE ")
		writeExpr(b, n.Pattern)
		if n.Escape != nil {
			b.WriteString(" ESCAPE " + quoteString(*n.Escape))
		}
		b.WriteByte(')')
	case *ast.IsNull:
		b.WriteByte('(')
		writeExpr(b, n.X)
		if n.Not {
			b.WriteString(" IS NOT NULL)")
		} else {
			b.WriteString(" IS NULL)")
		}
	case *ast.Case:
		b.WriteString("(CASE")
		if n.Operand != nil {
			b.WriteByte(' ')
			writeExpr(b, n.Operand)
		}
		for _, w := range n.Whens {
			b.WriteString(" WHEN ")
			writeExpr(b, w.Cond)
			b.WriteString(" THEN ")
			writeExpr(b, w.Result)
		}
		if n.Else != nil {
			b.WriteString(" ELSE ")
			writeExpr(b, n.Else)
		}
		b.WriteString(" END)")
	case *ast.Cast:
		b.WriteString("CAST(")
		writeExpr(b, n.X)
		b.WriteString(" AS ")
		b.WriteString(astTypeString(n.Type))
		b.WriteByte(')')
	case *ast.ArrayCtor:
		b.WriteString("ARRAY[")
		writeList(b, n.Elems)
		b.WriteByte(']')
	case *ast.MapCtor:
		b.WriteString("MAP(")
		for i, en := range n.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			writeExpr(b, en.Key)
			b.WriteString(":=")
			writeExpr(b, en.Value)
		}
		b.WriteByte(')')
	case *ast.StructCtor:
		b.WriteString("STRUCT(")
		for i, f := range n.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(identString(f.Name.Name))
			b.WriteString(":=")
			writeExpr(b, f.Value)
		}
		b.WriteByte(')')
	case *ast.FuncCall:
		b.WriteString(identString(n.Name.Name))
		b.WriteByte('(')
		if n.Star {
			b.WriteByte('*')
		} else {
			writeList(b, n.Args)
		}
		b.WriteByte(')')
	case *ast.Lambda:
		b.WriteByte('(')
		for i, p := range n.Params {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(identString(p.Name))
		}
		b.WriteString(") => ")
		writeExpr(b, n.Body)
	case *ast.Subscript:
		writeExpr(b, n.X)
		b.WriteByte('[')
		writeExpr(b, n.Index)
		b.WriteByte(']')
	case *ast.Deref:
		writeExpr(b, n.X)
		b.WriteString("->")
		b.WriteString(identString(n.Field.Name))
	case *ast.AtTimeZone:
		writeExpr(b, n.X)
		b.WriteString(" AT TIME ZONE " + quoteString(n.Zone))
	default:
		b.WriteString("<?>")
	}
}

func writeBinary(b *exprWriter, op string, l, r ast.Expr) {
	b.WriteByte('(')
	writeExpr(b, l)
	b.WriteByte(' ')
	b.WriteString(op)
	b.WriteByte(' ')
	writeExpr(b, r)
	b.WriteByte(')')
}

func writeList(b *exprWriter, es []ast.Expr) {
	for i, e := range es {
		if i > 0 {
			b.WriteString(", ")
		}
		writeExpr(b, e)
	}
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// identString back-quotes a name only where ksqlDB would need quotes to
// read it back.
func identString(name string) string { return types.QuoteIdent(name) }

// sciString renders a DOUBLE literal in scientific notation, as ksqlDB's
// formatter does ("1.5E0").
func sciString(f float64) string {
	s := strconv.FormatFloat(f, 'E', -1, 64)
	mant, exp, _ := strings.Cut(s, "E")
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// typeString renders a type as ksqlDB's SqlType.toString: struct field
// names always back-quoted, and "null" for the type of a NULL literal.
func typeString(t *types.Type) string {
	var b strings.Builder
	writeType(&b, t)
	return b.String()
}

func writeType(b *strings.Builder, t *types.Type) {
	if t == nil || t.Kind == types.Null {
		b.WriteString("null")
		return
	}
	switch t.Kind {
	case types.Array:
		b.WriteString("ARRAY<")
		writeType(b, t.Elem)
		b.WriteByte('>')
	case types.Map:
		b.WriteString("MAP<")
		writeType(b, t.Key)
		b.WriteString(", ")
		writeType(b, t.Elem)
		b.WriteByte('>')
	case types.Struct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + strings.ReplaceAll(f.Name, "`", "``") + "` ")
			writeType(b, f.Type)
		}
		b.WriteByte('>')
	default:
		b.WriteString(t.String())
	}
}

// astTypeString renders a type as written in a CAST.
func astTypeString(t *ast.Type) string {
	if t == nil {
		return "<nil>"
	}
	if rt, err := resolveType(t); err == nil {
		return typeString(rt)
	}
	return t.Name.Name
}
