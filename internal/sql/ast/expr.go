package ast

// ColumnRef names a column, optionally qualified by a source name or alias.
type ColumnRef struct {
	Pos
	Qualifier *Ident
	Name      Ident
}

// NullLit is NULL.
type NullLit struct{ Pos }

// BoolLit is TRUE or FALSE.
type BoolLit struct {
	Pos
	Value bool
}

// StringLit is a quoted string; Value has ” collapsed.
type StringLit struct {
	Pos
	Value string
}

// IntegerLit is an integer literal. Big is set when the value does not fit
// in 32 bits, which makes it a BIGINT in ksqlDB.
type IntegerLit struct {
	Pos
	Value int64
	Big   bool
}

// DecimalLit is a literal with a decimal point and no exponent. Text keeps
// the digits as written, because precision and scale come from them.
type DecimalLit struct {
	Pos
	Text string
}

// DoubleLit is a literal with an exponent. Text keeps the digits as written.
type DoubleLit struct {
	Pos
	Text  string
	Value float64
}

// VariableLit is a ${name} that was not substituted before parsing.
type VariableLit struct {
	Pos
	Name string
}

// TypedLit is "identifier 'string'", the grammar's type constructor. The
// parser turns the only form ksqlDB accepts, "DECIMAL" '1.5', into a
// DecimalLit and rejects the others, so it never produces a TypedLit; the
// node stays for code that builds trees by hand.
type TypedLit struct {
	Pos
	Type  Ident
	Value string
}

// IntervalUnit is a bare time unit passed as a function argument, as in
// TIMESTAMPADD(SECONDS, 1, ts). Unit is canonical and plural.
type IntervalUnit struct {
	Pos
	Unit string
}

// Unary is unary + or -.
type Unary struct {
	Pos
	Op string
	X  Expr
}

// Binary is arithmetic (+ - * / %) or string concatenation (||).
type Binary struct {
	Pos
	Op string
	L  Expr
	R  Expr
}

// Logical is AND or OR.
type Logical struct {
	Pos
	Op string
	L  Expr
	R  Expr
}

// Not is NOT x.
type Not struct {
	Pos
	X Expr
}

// Comparison is one of = <> < <= > >=. Op is canonical: != becomes <>.
type Comparison struct {
	Pos
	Op string
	L  Expr
	R  Expr
}

// Between is x [NOT] BETWEEN lo AND hi.
type Between struct {
	Pos
	Not bool
	X   Expr
	Lo  Expr
	Hi  Expr
}

// InList is x [NOT] IN (list).
type InList struct {
	Pos
	Not  bool
	X    Expr
	List []Expr
}

// Like is x [NOT] LIKE pattern [ESCAPE 'c'].
type Like struct {
	Pos
	Not     bool
	X       Expr
	Pattern Expr
	Escape  *string
}

// IsNull is x IS [NOT] NULL.
type IsNull struct {
	Pos
	Not bool
	X   Expr
}

// IsDistinctFrom is l IS [NOT] DISTINCT FROM r.
type IsDistinctFrom struct {
	Pos
	Not bool
	L   Expr
	R   Expr
}

// When is one WHEN ... THEN ... arm.
type When struct {
	Pos
	Cond   Expr
	Result Expr
}

// Case is CASE [operand] WHEN ... [ELSE ...] END; Operand is nil for the
// searched form.
type Case struct {
	Pos
	Operand Expr
	Whens   []When
	Else    Expr
}

// Cast is CAST(x AS type).
type Cast struct {
	Pos
	X    Expr
	Type *Type
}

// ArrayCtor is ARRAY[e, ...].
type ArrayCtor struct {
	Pos
	Elems []Expr
}

// MapEntry is one "key := value" of a MAP constructor.
type MapEntry struct {
	Pos
	Key   Expr
	Value Expr
}

// MapCtor is MAP(k := v, ...).
type MapCtor struct {
	Pos
	Entries []MapEntry
}

// StructField is one "name := value" of a STRUCT constructor.
type StructField struct {
	Pos
	Name  Ident
	Value Expr
}

// StructCtor is STRUCT(name := v, ...).
type StructCtor struct {
	Pos
	Fields []StructField
}

// FuncCall is name(args) or name(*). Lambdas appear among Args as *Lambda,
// always after the ordinary arguments.
type FuncCall struct {
	Pos
	Name Ident
	Star bool
	Args []Expr
}

// Lambda is "x => body" or "(x, y) => body".
type Lambda struct {
	Pos
	Params []Ident
	Body   Expr
}

// Subscript is x[index].
type Subscript struct {
	Pos
	X     Expr
	Index Expr
}

// Deref is x->field.
type Deref struct {
	Pos
	X     Expr
	Field Ident
}

// AtTimeZone is x AT TIME ZONE 'zone'.
type AtTimeZone struct {
	Pos
	X    Expr
	Zone string
}

func (*ColumnRef) exprNode()      {}
func (*NullLit) exprNode()        {}
func (*BoolLit) exprNode()        {}
func (*StringLit) exprNode()      {}
func (*IntegerLit) exprNode()     {}
func (*DecimalLit) exprNode()     {}
func (*DoubleLit) exprNode()      {}
func (*VariableLit) exprNode()    {}
func (*TypedLit) exprNode()       {}
func (*IntervalUnit) exprNode()   {}
func (*Unary) exprNode()          {}
func (*Binary) exprNode()         {}
func (*Logical) exprNode()        {}
func (*Not) exprNode()            {}
func (*Comparison) exprNode()     {}
func (*Between) exprNode()        {}
func (*InList) exprNode()         {}
func (*Like) exprNode()           {}
func (*IsNull) exprNode()         {}
func (*IsDistinctFrom) exprNode() {}
func (*Case) exprNode()           {}
func (*Cast) exprNode()           {}
func (*ArrayCtor) exprNode()      {}
func (*MapCtor) exprNode()        {}
func (*StructCtor) exprNode()     {}
func (*FuncCall) exprNode()       {}
func (*Lambda) exprNode()         {}
func (*Subscript) exprNode()      {}
func (*Deref) exprNode()          {}
func (*AtTimeZone) exprNode()     {}
