package ast

import (
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/sql/lexer"
)

// Format prints n as canonical SQL: keywords and unquoted names upper-case,
// quoted names back-quoted, every compound expression parenthesized, so
// that parsing the result gives back an equal tree. Statements are printed
// without a trailing ';'.
func Format(n Node) string {
	var f formatter
	f.node(n)
	return f.b.String()
}

type formatter struct {
	b strings.Builder
}

func (f *formatter) w(parts ...string) {
	for _, p := range parts {
		f.b.WriteString(p)
	}
}

// QuoteIdent back-quotes name, doubling embedded back quotes.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteString single-quotes s, doubling embedded quotes.
func QuoteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// FormatIdent prints id so that it parses back to the same Ident.
func FormatIdent(id Ident) string {
	if id.Quoted {
		return QuoteIdent(id.Name)
	}
	return id.Name
}

// bareSafe reports whether name, printed unquoted, lexes as one identifier
// with the same canonical name. Reserved words are checked by the caller's
// grammar position through isReserved.
func bareSafe(name string) bool {
	if name == "" || lexer.IsReserved(name) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '@':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// FormatName prints a canonical name bare when that reads back the same,
// back-quoted otherwise.
func FormatName(name string) string {
	if bareSafe(name) {
		return name
	}
	return QuoteIdent(name)
}

func (f *formatter) ident(id Ident) { f.w(FormatIdent(id)) }

func (f *formatter) node(n Node) {
	switch n := n.(type) {
	case Statement:
		f.stmt(n)
	case Expr:
		f.expr(n)
	case *Type:
		f.typ(n)
	case Ident:
		f.ident(n)
	case SelectItem:
		f.selectItem(n)
	case Relation:
		f.relation(n)
	case *Window:
		f.window(n)
	default:
		f.w("<?>")
	}
}

func (f *formatter) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			f.w(", ")
		}
		f.expr(e)
	}
}

// postfixSafe reports whether e can take a postfix operator ([i], ->f,
// AT TIME ZONE) without parentheses changing what it binds to.
func postfixSafe(e Expr) bool {
	switch e := e.(type) {
	case *Unary:
		return false
	case *IntegerLit:
		return e.Value >= 0
	case *DecimalLit:
		return !strings.HasPrefix(e.Text, "-")
	case *DoubleLit:
		return !strings.HasPrefix(e.Text, "-")
	case *Lambda, *IntervalUnit:
		return false
	}
	return true
}

func (f *formatter) postfixBase(e Expr) {
	if postfixSafe(e) {
		f.expr(e)
		return
	}
	f.w("(")
	f.expr(e)
	f.w(")")
}

// expr prints e. Hand-built trees may hold nil where the parser never
// would; those print as <?> rather than panic.
func (f *formatter) expr(e Expr) {
	if e == nil || isNilNode(e) {
		f.w("<?>")
		return
	}
	switch e := e.(type) {
	case *ColumnRef:
		if e.Qualifier != nil {
			f.ident(*e.Qualifier)
			f.w(".")
		}
		f.ident(e.Name)
	case *NullLit:
		f.w("NULL")
	case *BoolLit:
		if e.Value {
			f.w("TRUE")
		} else {
			f.w("FALSE")
		}
	case *StringLit:
		f.w(QuoteString(e.Value))
	case *IntegerLit:
		f.w(strconv.FormatInt(e.Value, 10))
	case *DecimalLit:
		f.w(e.Text)
	case *DoubleLit:
		f.w(e.Text)
	case *VariableLit:
		f.w(e.Name)
	case *TypedLit:
		f.ident(e.Type)
		f.w(" ", QuoteString(e.Value))
	case *IntervalUnit:
		f.w(e.Unit)
	case *Unary:
		f.w(e.Op, "(")
		f.expr(e.X)
		f.w(")")
	case *Binary:
		f.w("(")
		f.expr(e.L)
		f.w(" ", e.Op, " ")
		f.expr(e.R)
		f.w(")")
	case *Logical:
		f.w("(")
		f.expr(e.L)
		f.w(" ", e.Op, " ")
		f.expr(e.R)
		f.w(")")
	case *Not:
		f.w("(NOT ")
		f.expr(e.X)
		f.w(")")
	case *Comparison:
		f.w("(")
		f.expr(e.L)
		f.w(" ", e.Op, " ")
		f.expr(e.R)
		f.w(")")
	case *Between:
		f.w("(")
		f.expr(e.X)
		f.not(e.Not)
		f.w(" BETWEEN ")
		f.expr(e.Lo)
		f.w(" AND ")
		f.expr(e.Hi)
		f.w(")")
	case *InList:
		f.w("(")
		f.expr(e.X)
		f.not(e.Not)
		f.w(" IN (")
		f.exprs(e.List)
		f.w("))")
	case *Like:
		f.w("(")
		f.expr(e.X)
		f.not(e.Not)
		f.w(" LIKE ")
		f.expr(e.Pattern)
		if e.Escape != nil {
			f.w(" ESCAPE ", QuoteString(*e.Escape))
		}
		f.w(")")
	case *IsNull:
		f.w("(")
		f.expr(e.X)
		f.w(" IS")
		f.not(e.Not)
		f.w(" NULL)")
	case *IsDistinctFrom:
		f.w("(")
		f.expr(e.L)
		f.w(" IS")
		f.not(e.Not)
		f.w(" DISTINCT FROM ")
		f.expr(e.R)
		f.w(")")
	case *Case:
		f.w("CASE")
		if e.Operand != nil {
			f.w(" ")
			f.expr(e.Operand)
		}
		for _, w := range e.Whens {
			f.w(" WHEN ")
			f.expr(w.Cond)
			f.w(" THEN ")
			f.expr(w.Result)
		}
		if e.Else != nil {
			f.w(" ELSE ")
			f.expr(e.Else)
		}
		f.w(" END")
	case *Cast:
		f.w("CAST(")
		f.expr(e.X)
		f.w(" AS ")
		f.typ(e.Type)
		f.w(")")
	case *ArrayCtor:
		f.w("ARRAY[")
		f.exprs(e.Elems)
		f.w("]")
	case *MapCtor:
		f.w("MAP(")
		for i, en := range e.Entries {
			if i > 0 {
				f.w(", ")
			}
			f.expr(en.Key)
			f.w(":=")
			f.expr(en.Value)
		}
		f.w(")")
	case *StructCtor:
		f.w("STRUCT(")
		for i, fl := range e.Fields {
			if i > 0 {
				f.w(", ")
			}
			f.ident(fl.Name)
			f.w(":=")
			f.expr(fl.Value)
		}
		f.w(")")
	case *FuncCall:
		f.ident(e.Name)
		if e.Star {
			f.w("(*)")
			return
		}
		f.w("(")
		f.exprs(e.Args)
		f.w(")")
	case *Lambda:
		if len(e.Params) == 1 {
			f.ident(e.Params[0])
		} else {
			f.w("(")
			for i, p := range e.Params {
				if i > 0 {
					f.w(", ")
				}
				f.ident(p)
			}
			f.w(")")
		}
		f.w(" => ")
		f.expr(e.Body)
	case *Subscript:
		f.postfixBase(e.X)
		f.w("[")
		f.expr(e.Index)
		f.w("]")
	case *Deref:
		f.postfixBase(e.X)
		f.w("->")
		f.ident(e.Field)
	case *AtTimeZone:
		f.w("(")
		f.postfixBase(e.X)
		f.w(" AT TIME ZONE ", QuoteString(e.Zone), ")")
	default:
		f.w("<?>")
	}
}

func (f *formatter) not(not bool) {
	if not {
		f.w(" NOT")
	}
}

func (f *formatter) typ(t *Type) {
	if t == nil {
		f.w("<?>")
		return
	}
	switch t.Kind {
	case TypeArray:
		f.w("ARRAY<")
		f.typ(t.Elem)
		f.w(">")
	case TypeMap:
		f.w("MAP<")
		f.typ(t.Key)
		f.w(", ")
		f.typ(t.Value)
		f.w(">")
	case TypeStruct:
		f.w("STRUCT<")
		for i, fl := range t.Fields {
			if i > 0 {
				f.w(", ")
			}
			f.ident(fl.Name)
			f.w(" ")
			f.typ(fl.Type)
		}
		f.w(">")
	case TypeDecimal:
		if len(t.Params) == 2 {
			f.w("DECIMAL(", t.Params[0], ", ", t.Params[1], ")")
		} else {
			f.w("DECIMAL")
		}
	default:
		f.ident(t.Name)
		if len(t.Params) > 0 {
			f.w("(", strings.Join(t.Params, ", "), ")")
		}
	}
}

func (f *formatter) duration(d Duration) {
	f.w(strconv.FormatInt(d.Value, 10), " ", d.Unit)
}

func (f *formatter) props(ps Properties) {
	if ps == nil {
		return
	}
	f.w(" WITH (")
	for i, p := range ps {
		if i > 0 {
			f.w(", ")
		}
		if p.IsString {
			f.w(QuoteString(p.Name))
		} else {
			f.w(FormatName(p.Name))
		}
		f.w("=")
		f.expr(p.Value)
	}
	f.w(")")
}

func (f *formatter) resource(r ResourceName) {
	if r.IsString {
		f.w(QuoteString(r.Name))
	} else {
		f.w(FormatName(r.Name))
	}
}
