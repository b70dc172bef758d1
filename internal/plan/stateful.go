package plan

import (
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/value"
)

// Repartition writes its input to an internal topic keyed by the input's
// key and reads it back, so that rows with equal keys meet in one task. It
// splits the query into sub-topologies.
type Repartition struct {
	Input Node
	// Topic is the internal topic; Partitions its partition count.
	Topic      string
	Partitions int32
}

// AggCall is one aggregate function call of an Aggregate.
type AggCall struct {
	Name string
	Agg  *function.Aggregator
	// Args are the column arguments, compiled against the input.
	Args []*expr.Expr
	// Widen converts argument values to the resolved overload's types in
	// place (INT to DOUBLE for AVG, and so on).
	Widen func(args []value.Value) error
}

// WindowSpec is a windowed aggregation's window, in milliseconds.
type WindowSpec struct {
	Type    catalog.WindowType
	Size    int64
	Advance int64 // hopping only
	// Grace bounds how late a record may be, behind stream time, and still
	// update its window.
	Grace int64
	// Retention is how long closed windows stay queryable.
	Retention int64
}

// Aggregate groups rows by their key and folds them into accumulators.
// Its output key is the input key (with window bounds when windowed) and
// its value columns are the aggregate results, KSQL_AGG_VARIABLE_n.
type Aggregate struct {
	Input  Node
	Aggs   []AggCall
	Window *WindowSpec
	Sch    catalog.Schema
	// Store names the state store of accumulators.
	Store string
	// Table marks an aggregation over a table: updates undo the previous
	// row's contribution first.
	Table bool
	// Final suppresses output until a window closes (EMIT FINAL).
	Final bool
}

func (n *Repartition) Schema() catalog.Schema { return n.Input.Schema() }
func (n *Aggregate) Schema() catalog.Schema   { return n.Sch }

func (n *Repartition) Children() []Node { return []Node{n.Input} }
func (n *Aggregate) Children() []Node   { return []Node{n.Input} }

func (n *Repartition) Label() string {
	return fmt.Sprintf("Repartition (topic %s)", n.Topic)
}

func (n *Aggregate) Label() string {
	var names []string
	for _, a := range n.Aggs {
		names = append(names, a.Name)
	}
	w := ""
	if n.Window != nil {
		w = " " + n.Window.Type.String()
	}
	return fmt.Sprintf("Aggregate%s [%s] [%s]", w, strings.Join(names, ", "), n.Sch)
}
