package ast

// EmitKind is a query's result materialization.
type EmitKind uint8

// Emit kinds. On a Query statement, EmitNone marks a pull query; inside
// CREATE ... AS SELECT and INSERT INTO it means EMIT CHANGES, as in ksqlDB.
const (
	EmitNone EmitKind = iota
	EmitChanges
	EmitFinal
)

// Query is SELECT ... FROM .... It is both a statement (push or pull query)
// and the body of CSAS/CTAS and INSERT INTO.
type Query struct {
	Pos
	Select      []SelectItem
	From        Relation
	Window      *Window
	Where       Expr
	GroupBy     []Expr
	PartitionBy []Expr
	Having      Expr
	Emit        EmitKind
	Limit       *int64
}

// SelectItem is one entry of a select list.
type SelectItem interface {
	Node
	selectItem()
}

// SelectExpr is "expr [AS alias]".
type SelectExpr struct {
	Pos
	Expr  Expr
	Alias *Ident
}

// SelectAll is "*" or "source.*" when Qualifier is set.
type SelectAll struct {
	Pos
	Qualifier *Ident
}

// SelectStructAll is "expr->*".
type SelectStructAll struct {
	Pos
	Base Expr
}

func (*SelectExpr) selectItem()      {}
func (*SelectAll) selectItem()       {}
func (*SelectStructAll) selectItem() {}

// Relation is a FROM clause: a single source or a join.
type Relation interface {
	Node
	relation()
}

// AliasedSource is a source name with an optional alias.
type AliasedSource struct {
	Pos
	Name  Ident
	Alias *Ident
}

// JoinType is the kind of a join.
type JoinType uint8

// Join types.
const (
	JoinInner JoinType = iota
	JoinLeft
	JoinRight
	JoinFull
)

var joinTypeNames = [...]string{"INNER", "LEFT", "RIGHT", "FULL"}

func (j JoinType) String() string { return enumName(joinTypeNames[:], int(j)) }

// JoinRelation is a left source joined to one or more right sources, in
// order (n-way joins are left-deep).
type JoinRelation struct {
	Pos
	Left  *AliasedSource
	Joins []*Join
}

// Join is one "type JOIN source [WITHIN ...] ON cond".
type Join struct {
	Pos
	Type   JoinType
	Source *AliasedSource
	Within *Within
	On     Expr
}

// Within is a join window. After is nil for the single-size form, in which
// the size applies both before and after.
type Within struct {
	Pos
	Before Duration
	After  *Duration
	Grace  *Duration
}

func (*AliasedSource) relation() {}
func (*JoinRelation) relation()  {}

// WindowKind is the kind of a windowed aggregation.
type WindowKind uint8

// Window kinds.
const (
	WindowTumbling WindowKind = iota
	WindowHopping
	WindowSession
)

var windowKindNames = [...]string{"TUMBLING", "HOPPING", "SESSION"}

func (w WindowKind) String() string { return enumName(windowKindNames[:], int(w)) }

// Window is a WINDOW clause. Size is the session gap for SESSION windows;
// Advance is set only for HOPPING.
type Window struct {
	Pos
	Kind      WindowKind
	Size      Duration
	Advance   *Duration
	Retention *Duration
	Grace     *Duration
}

// ColumnConstraint marks key and header columns.
type ColumnConstraint uint8

// Column constraints.
const (
	ConstraintNone ColumnConstraint = iota
	ConstraintKey
	ConstraintPrimaryKey
	ConstraintHeaders
	ConstraintHeader
)

// TableElement is one column of CREATE STREAM/TABLE. HeaderKey is set for
// HEADER('key').
type TableElement struct {
	Pos
	Name       Ident
	Type       *Type
	Constraint ColumnConstraint
	HeaderKey  string
}

// CreateSource is CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS].
type CreateSource struct {
	Pos
	Table       bool
	OrReplace   bool
	Source      bool
	IfNotExists bool
	Name        Ident
	Elements    []TableElement
	Props       Properties
}

// CreateAsSelect is CREATE [OR REPLACE] STREAM|TABLE ... AS SELECT.
type CreateAsSelect struct {
	Pos
	Table       bool
	OrReplace   bool
	IfNotExists bool
	Name        Ident
	Props       Properties
	Query       *Query
}

// InsertInto is INSERT INTO target [WITH (...)] SELECT ....
type InsertInto struct {
	Pos
	Target Ident
	Props  Properties
	Query  *Query
}

// InsertValues is INSERT INTO target [(columns)] VALUES (...).
type InsertValues struct {
	Pos
	Target  Ident
	Columns []Ident
	Values  []Expr
}

// DropSource is DROP STREAM|TABLE [IF EXISTS] name [DELETE TOPIC].
type DropSource struct {
	Pos
	Table       bool
	IfExists    bool
	Name        Ident
	DeleteTopic bool
}

// CreateType is CREATE TYPE [IF NOT EXISTS] name AS type.
type CreateType struct {
	Pos
	IfNotExists bool
	Name        Ident
	Type        *Type
}

// DropType is DROP TYPE [IF EXISTS] name.
type DropType struct {
	Pos
	IfExists bool
	Name     Ident
}

// CreateConnector is CREATE SOURCE|SINK CONNECTOR [IF NOT EXISTS] name WITH (...).
type CreateConnector struct {
	Pos
	Sink        bool
	IfNotExists bool
	Name        Ident
	Props       Properties
}

// DropConnector is DROP CONNECTOR [IF EXISTS] name.
type DropConnector struct {
	Pos
	IfExists bool
	Name     Ident
}

// QueryAction is what TERMINATE, PAUSE and RESUME do.
type QueryAction uint8

// Query actions.
const (
	ActionTerminate QueryAction = iota
	ActionPause
	ActionResume
)

var queryActionNames = [...]string{"TERMINATE", "PAUSE", "RESUME"}

func (a QueryAction) String() string { return enumName(queryActionNames[:], int(a)) }

// QueryControl is TERMINATE|PAUSE|RESUME query_id | ALL.
type QueryControl struct {
	Pos
	Action  QueryAction
	All     bool
	QueryID Ident
}

// ShowKind is the noun of SHOW/LIST.
type ShowKind uint8

// SHOW/LIST nouns.
const (
	ShowStreams ShowKind = iota
	ShowTables
	ShowTopics
	ShowQueries
	ShowProperties
	ShowFunctions
	ShowTypes
	ShowVariables
	ShowConnectors
	ShowConnectorPlugins
)

var showKindNames = [...]string{"STREAMS", "TABLES", "TOPICS", "QUERIES", "PROPERTIES",
	"FUNCTIONS", "TYPES", "VARIABLES", "CONNECTORS", "CONNECTOR PLUGINS"}

func (k ShowKind) String() string { return enumName(showKindNames[:], int(k)) }

// Show is SHOW or LIST of a noun. All applies to TOPICS; ConnectorType is
// "", "SOURCE" or "SINK" for CONNECTORS.
type Show struct {
	Pos
	Kind          ShowKind
	Extended      bool
	All           bool
	ConnectorType string
}

// Describe is DESCRIBE name [EXTENDED].
type Describe struct {
	Pos
	Name     Ident
	Extended bool
}

// DescribeSources is DESCRIBE STREAMS|TABLES [EXTENDED].
type DescribeSources struct {
	Pos
	Tables   bool
	Extended bool
}

// DescribeFunction is DESCRIBE FUNCTION name.
type DescribeFunction struct {
	Pos
	Name Ident
}

// DescribeConnector is DESCRIBE CONNECTOR name.
type DescribeConnector struct {
	Pos
	Name Ident
}

// Explain is EXPLAIN statement or EXPLAIN query_id; exactly one is set.
type Explain struct {
	Pos
	Statement Statement
	QueryID   *Ident
}

// Print is PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n].
type Print struct {
	Pos
	Topic         ResourceName
	FromBeginning bool
	Interval      *int64
	Limit         *int64
}

// SetProperty is SET 'name' = 'value'.
type SetProperty struct {
	Pos
	Name  string
	Value string
}

// UnsetProperty is UNSET 'name'.
type UnsetProperty struct {
	Pos
	Name string
}

// AlterSystem is ALTER SYSTEM 'name' = 'value'.
type AlterSystem struct {
	Pos
	Name  string
	Value string
}

// DefineVariable is DEFINE name = 'value'. Name keeps its case as written;
// variable names are matched case-insensitively.
type DefineVariable struct {
	Pos
	Name  string
	Value string
}

// UndefineVariable is UNDEFINE name.
type UndefineVariable struct {
	Pos
	Name string
}

// RunScript is RUN SCRIPT 'path'; only CLI-style parsers accept it.
type RunScript struct {
	Pos
	Path string
}

// AssertTopic is ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit].
type AssertTopic struct {
	Pos
	NotExists bool
	Topic     ResourceName
	Props     Properties
	Timeout   *Duration
}

// AssertSchema is ASSERT [NOT EXISTS] SCHEMA [SUBJECT name] [ID literal]
// [TIMEOUT n unit].
type AssertSchema struct {
	Pos
	NotExists bool
	Subject   *ResourceName
	ID        Expr
	Timeout   *Duration
}

// AlterColumn is one ADD [COLUMN] name type.
type AlterColumn struct {
	Pos
	Name Ident
	Type *Type
}

// AlterSource is ALTER STREAM|TABLE name ADD COLUMN ..., ....
type AlterSource struct {
	Pos
	Table   bool
	Name    Ident
	Columns []AlterColumn
}

func (*Query) stmtNode()             {}
func (*CreateSource) stmtNode()      {}
func (*CreateAsSelect) stmtNode()    {}
func (*InsertInto) stmtNode()        {}
func (*InsertValues) stmtNode()      {}
func (*DropSource) stmtNode()        {}
func (*CreateType) stmtNode()        {}
func (*DropType) stmtNode()          {}
func (*CreateConnector) stmtNode()   {}
func (*DropConnector) stmtNode()     {}
func (*QueryControl) stmtNode()      {}
func (*Show) stmtNode()              {}
func (*Describe) stmtNode()          {}
func (*DescribeSources) stmtNode()   {}
func (*DescribeFunction) stmtNode()  {}
func (*DescribeConnector) stmtNode() {}
func (*Explain) stmtNode()           {}
func (*Print) stmtNode()             {}
func (*SetProperty) stmtNode()       {}
func (*UnsetProperty) stmtNode()     {}
func (*AlterSystem) stmtNode()       {}
func (*DefineVariable) stmtNode()    {}
func (*UndefineVariable) stmtNode()  {}
func (*RunScript) stmtNode()         {}
func (*AssertTopic) stmtNode()       {}
func (*AssertSchema) stmtNode()      {}
func (*AlterSource) stmtNode()       {}

var emitNames = [...]string{"NONE", "CHANGES", "FINAL"}

func (e EmitKind) String() string { return enumName(emitNames[:], int(e)) }

var constraintNames = [...]string{"NONE", "KEY", "PRIMARY KEY", "HEADERS", "HEADER"}

func (c ColumnConstraint) String() string { return enumName(constraintNames[:], int(c)) }
