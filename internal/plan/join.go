package plan

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
)

// JoinType is INNER, LEFT, RIGHT or FULL (OUTER).
type JoinType uint8

// Join types.
const (
	InnerJoin JoinType = iota
	LeftJoin
	RightJoin
	OuterJoin
)

func (t JoinType) String() string {
	return [...]string{"INNER", "LEFT", "RIGHT", "OUTER"}[t]
}

// JoinKind says what is joined with what.
type JoinKind uint8

// Join kinds.
const (
	StreamStream JoinKind = iota
	StreamTable
	TableTable
)

func (k JoinKind) String() string {
	return [...]string{"stream-stream", "stream-table", "table-table"}[k]
}

// JoinWindow is a stream-stream join's WITHIN window, in milliseconds.
type JoinWindow struct {
	Before int64
	After  int64
	// Grace is set when the query gave GRACE PERIOD; with it, outer
	// results wait for the window to close instead of being emitted at
	// once (Kafka Streams' spurious-result fix).
	Grace    int64
	HasGrace bool
}

// Join joins two inputs that are both keyed by the join key. Each input
// row carries the join key in Row.Key and all of its side's columns in
// Row.Val; the output key is the join key and the output value is the
// left side's columns followed by the right side's (NULLs for a missing
// side).
type Join struct {
	Left, Right Node
	Type        JoinType
	Kind        JoinKind
	Window      *JoinWindow
	LeftWidth   int
	RightWidth  int
	Sch         catalog.Schema
	// Stores are the state stores of the left and right sides.
	LeftStore, RightStore string
	// ForeignKey, for a foreign-key table-table join, computes the right
	// table's key from a left row (keyed by its own primary key, all its
	// columns in Row.Val); the result is keyed by the left row's key.
	ForeignKey *expr.Expr
	// SubscriptionTopic and ResponseTopic are a foreign-key join's
	// internal topics: subscriptions travel to the right table's
	// partitions by foreign key, responses back to the left's by left
	// key. SubscriptionStore holds the right side's subscriptions.
	SubscriptionTopic, ResponseTopic, SubscriptionStore string
	// Changes materializes a table-table join's results in ChangeStore and
	// precedes each with the key's previous result marked Undo, for an
	// aggregation over the join.
	Changes     bool
	ChangeStore string
	// WindowedKeys joins windowed sources: rows match on key and window
	// start, and on window end too for SessionKeys, as Kafka Streams
	// compares the serialized Windowed keys.
	WindowedKeys bool
	SessionKeys  bool
}

func (n *Join) Schema() catalog.Schema { return n.Sch }
func (n *Join) Children() []Node       { return []Node{n.Left, n.Right} }
func (n *Join) Label() string {
	if n.ForeignKey != nil {
		return fmt.Sprintf("Join foreign-key %s ON %s [%s]", n.Type, expr.FormatSQL(n.ForeignKey.Source), n.Sch)
	}
	return fmt.Sprintf("Join %s %s [%s]", n.Kind, n.Type, n.Sch)
}
