// Package plan owns the plan of a persistent or transient query: a tree of
// nodes, each with its output schema and compiled expressions. Nodes are
// data; the planner builds them and stream/op turns them into operators.
// EXPLAIN prints them.
package plan

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
)

// Node is one step of a plan. Its output rows carry Schema's key columns
// in Row.Key and its value columns in Row.Val, in order.
type Node interface {
	Schema() catalog.Schema
	Children() []Node
	// Label is the node's one-line description for EXPLAIN.
	Label() string
}

// Source reads a stream or table.
type Source struct {
	Src   *catalog.Source
	Alias string
	Sch   catalog.Schema
	// Changes materializes a table source in Store and precedes each
	// update with the key's previous row marked Undo, for an aggregation
	// that must subtract it (Kafka Streams' KGroupedTable).
	Changes bool
	Store   string
}

// Filter keeps rows whose predicate is TRUE.
type Filter struct {
	Input Node
	Pred  *expr.Expr
	// Stage names the clause for error messages ("WHERE", "HAVING").
	Stage string
}

// Column is one computed output column.
type Column struct {
	Name string
	Expr *expr.Expr
}

// Project computes the output key and value columns from its input. A
// project whose key differs from its input's key is a re-key (PARTITION BY).
type Project struct {
	Input Node
	Key   []Column
	Val   []Column
	Sch   catalog.Schema
	// Rekey marks a change of key: the rows must be repartitioned before
	// any stateful step that groups by the new key.
	Rekey bool
	// KeepVal passes the input's value columns through unchanged.
	KeepVal bool
	// KeepKey passes the input's key columns through unchanged (transient
	// queries).
	KeepKey bool
	// DropNullKey drops rows whose new key has a NULL column (or one that
	// failed to evaluate), as ksqlDB's GROUP BY excludes them.
	DropNullKey bool
	// KeyItems marks, for a transient projection, the value columns that
	// are references to the input's key columns.
	KeyItems []bool
	// KeyNeedsValue marks, per key column of a re-key, an expression that
	// reads more than the input's key columns (a value column, ROWTIME):
	// on a row without a value it is NULL, as ksqlDB's
	// PartitionByParamsFactory evaluates it over the missing value.
	KeyNeedsValue []bool
}

// TableFunction is one table function call of a FlatMap.
type TableFunction struct {
	Name string
	Args []*expr.Expr
	Fn   func(args []any) ([]any, error)
}

// Sink writes rows to a source's topic.
type Sink struct {
	Input  Node
	Target *catalog.Source
	// Create is true for CSAS/CTAS, false for INSERT INTO.
	Create bool
}

// Query is a planned persistent query.
type Query struct {
	ID      string
	Sink    *Sink
	Sources []string
}

func (n *Source) Schema() catalog.Schema  { return n.Sch }
func (n *Filter) Schema() catalog.Schema  { return n.Input.Schema() }
func (n *Project) Schema() catalog.Schema { return n.Sch }
func (n *Sink) Schema() catalog.Schema    { return n.Input.Schema() }

func (n *Source) Children() []Node  { return nil }
func (n *Filter) Children() []Node  { return []Node{n.Input} }
func (n *Project) Children() []Node { return []Node{n.Input} }
func (n *Sink) Children() []Node    { return []Node{n.Input} }

func (n *Source) Label() string {
	ch := ""
	if n.Changes {
		ch = " (changes)"
	}
	return fmt.Sprintf("Source %s (topic %s)%s [%s]", n.Src.Name, n.Src.Topic, ch, n.Sch)
}
func (n *Filter) Label() string { return fmt.Sprintf("Filter %s", expr.FormatSQL(n.Pred.Source)) }
func (n *Project) Label() string {
	var b strings.Builder
	b.WriteString("Project")
	if n.Rekey {
		var fromValue []string
		for i, needs := range n.KeyNeedsValue {
			if needs && i < len(n.Key) {
				fromValue = append(fromValue, n.Key[i].Name)
			}
		}
		if len(fromValue) > 0 {
			fmt.Fprintf(&b, " (rekey; NULL without a value: %s)", strings.Join(fromValue, ", "))
		} else {
			b.WriteString(" (rekey)")
		}
	}
	fmt.Fprintf(&b, " [%s]", n.Sch)
	return b.String()
}
func (n *Sink) Label() string {
	return fmt.Sprintf("Sink %s (topic %s)", n.Target.Name, n.Target.Topic)
}

// Explain prints the tree under n, one node a line, children indented.
func Explain(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		b.WriteString(strings.Repeat("  ", depth))
		b.WriteString(" > ")
		b.WriteString(n.Label())
		b.WriteByte('\n')
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// FlatMap evaluates table functions (EXPLODE and user table functions) per
// input row and emits one row per produced value, as ksqlDB's
// KudtfFlatMapper does: the i-th output row holds every call's i-th value
// (NULL where a call produced fewer), after the input's value columns.
type FlatMap struct {
	Input Node
	Calls []*expr.TableCall
	Sch   catalog.Schema
}

func (n *FlatMap) Schema() catalog.Schema { return n.Sch }
func (n *FlatMap) Children() []Node       { return []Node{n.Input} }
func (n *FlatMap) Label() string {
	names := make([]string, len(n.Calls))
	for i, c := range n.Calls {
		names[i] = expr.FormatSQL(c.Source)
	}
	return fmt.Sprintf("FlatMap [%s] [%s]", strings.Join(names, ", "), n.Sch)
}
