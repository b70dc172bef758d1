// Package ast defines the syntax tree of ksqlDB statements and expressions:
// the nodes the parser builds, Walk over them, Format back to canonical SQL
// and Dump for golden files. It knows nothing of catalogs or execution.
package ast

import "fmt"

// Pos is a node's source position: 1-based line and character column,
// 0-based byte offset into the statement text the parser was given.
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Position returns p; embedding Pos gives every node its Node method.
func (p Pos) Position() Pos { return p }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Node is any syntax tree node.
type Node interface {
	Position() Pos
}

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Statement is a top-level statement node.
type Statement interface {
	Node
	stmtNode()
}

// Ident is a name as written. Name is its canonical form: upper-cased when
// unquoted, exactly the quoted content (escapes resolved) when quoted with
// backquotes or double quotes. Raw is the source text. A ${var} left in an
// identifier position keeps Variable set and Name holding the whole ${...}.
type Ident struct {
	Pos
	Name     string
	Raw      string
	Quoted   bool
	Variable bool
}

// Duration is "number unit" as used by windows, joins and timeouts. Unit is
// canonical and plural: MILLISECONDS, SECONDS, MINUTES, HOURS or DAYS.
type Duration struct {
	Pos
	Value int64
	Unit  string
}

// Property is one "name = literal" entry of a WITH clause. Name is the
// identifier's canonical name, or the string's content when IsString.
type Property struct {
	Pos
	Name     string
	IsString bool
	Value    Expr
}

// Properties keeps WITH entries in source order; duplicates are kept so the
// planner can reject them with a precise position.
type Properties []Property

// Get returns the last value for name, compared case-insensitively as
// ksqlDB compares property names.
func (ps Properties) Get(name string) (Expr, bool) {
	for i := len(ps) - 1; i >= 0; i-- {
		if equalFold(ps[i].Name, name) {
			return ps[i].Value, true
		}
	}
	return nil, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// ResourceName is an identifier or a string naming a topic or subject.
type ResourceName struct {
	Pos
	Name     string
	IsString bool
}

// TypeKind says which form a Type has.
type TypeKind uint8

// Type forms.
const (
	TypeBase    TypeKind = iota // a named type: INT, STRING, VARCHAR(10), a custom type
	TypeArray                   // ARRAY<Elem>
	TypeMap                     // MAP<Key, Value>
	TypeStruct                  // STRUCT<fields>
	TypeDecimal                 // DECIMAL(Params[0], Params[1])
)

// Type is a SQL type as written. For TypeBase, Name is the type name
// (canonical identifier, so INT, INTEGER, VARCHAR stay distinct for the
// planner to resolve) and Params its optional parameters.
type Type struct {
	Pos
	Kind   TypeKind
	Name   Ident
	Params []string
	Elem   *Type
	Key    *Type
	Value  *Type
	Fields []TypeField
}

// TypeField is one STRUCT field.
type TypeField struct {
	Pos
	Name Ident
	Type *Type
}

var typeKindNames = [...]string{"BASE", "ARRAY", "MAP", "STRUCT", "DECIMAL"}

func (k TypeKind) String() string { return enumName(typeKindNames[:], int(k)) }

// enumName names an enum value, tolerating values outside the list that a
// hand-built tree might hold.
func enumName(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("?(%d)", i)
}
