package op

import (
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// A GROUP BY result without a window is the hot path of stateful queries,
// and its aggregate store already holds one entry per key: pull queries
// read that store, as ksqlDB's KsMaterialization reads the aggregate's
// materialized store and applies the HAVING filter and the projection at
// read time, instead of materializing the sink topic a second time
// (materialize.go). The aggregate's keys are the store keys a table's
// materialization uses (AppendStoreKey without a window), so key lookups,
// ranges and scans read it the same way; only decoding differs.

// AggregateView reads a GROUP BY result from its aggregate store.
type AggregateView struct {
	// Store is the aggregate's store name in its query.
	Store string
	// Topic is the input of the aggregate's sub-topology: its store's
	// partition p belongs to the task reading partition p of Topic.
	Topic string
	// Partitions, when positive, is the partition count of the
	// repartition topic the aggregate reads, whose records are
	// partitioned by their encoded key; zero when the aggregate reads
	// its source directly and a key's partition is the source's.
	Partitions int32

	keyTypes []*types.Type
	aggs     []*plan.AggCall
	above    []plan.Node // the filters and projections over the aggregate, top first
}

// NewAggregateView returns the view of q's result when q writes an
// unwindowed, unsuppressed GROUP BY table whose projection keeps the group
// key as the table's key, in order, and whose rows take their time from
// the aggregate; ok is false otherwise, and the table is materialized
// from its topic.
func NewAggregateView(q *plan.Query, group string) (*AggregateView, bool) {
	if q.Sink == nil || !q.Sink.Create || q.Sink.Target.Kind != catalog.Table || q.Sink.Target.Timestamp != "" {
		return nil, false
	}
	var above []plan.Node
	n := q.Sink.Input
	var agg *plan.Aggregate
	for agg == nil {
		switch x := n.(type) {
		case *plan.Filter:
			above = append(above, x)
			n = x.Input
		case *plan.Project:
			above = append(above, x)
			n = x.Input
		case *plan.Aggregate:
			agg = x
		default:
			return nil, false
		}
	}
	if agg.Window != nil || agg.Final || !keepsKey(above, len(agg.Sch.Key())) {
		return nil, false
	}
	v := &AggregateView{Store: agg.Store, above: above}
	for _, c := range agg.Sch.Key() {
		v.keyTypes = append(v.keyTypes, c.Type)
	}
	for i := range agg.Aggs {
		v.aggs = append(v.aggs, &agg.Aggs[i])
	}
	// The aggregate's task reads a repartition topic or its source; below
	// that, only stateless steps keep the partitioning to the source's.
	for n = agg.Input; v.Topic == ""; {
		switch x := n.(type) {
		case *plan.Repartition:
			v.Topic, v.Partitions = group+"-"+x.Topic, max(x.Partitions, 1)
		case *plan.Source:
			v.Topic = x.Src.Topic
		case *plan.Filter, *plan.Project, *plan.FlatMap:
			n = x.Children()[0]
		default:
			return nil, false
		}
	}
	return v, true
}

// keepsKey reports whether the projections over an aggregate with n key
// columns output its key columns unchanged and in order.
func keepsKey(above []plan.Node, n int) bool {
	for _, node := range above {
		p, ok := node.(*plan.Project)
		if !ok {
			continue
		}
		if p.KeepKey {
			continue
		}
		if len(p.Key) != n {
			return false
		}
		for i, k := range p.Key {
			cs := k.Expr.Columns()
			if _, ref := k.Expr.Source.(*ast.ColumnRef); !ref || len(cs) != 1 || cs[0].Kind != expr.KeyColumn || cs[0].Index != i {
				return false
			}
		}
	}
	return true
}

// Partition returns the partition of the aggregate's store holding key,
// when the repartition topic's partitioner decides it.
func (v *AggregateView) Partition(key []value.Value) (int32, bool) {
	if v.Partitions <= 0 {
		return 0, false
	}
	return logstore.Partition(value.AppendValues(nil, key), v.Partitions), true
}

// Chain returns the operators that turn an aggregate row into the
// table's row, feeding next: the query's HAVING filter and projection.
func (v *AggregateView) Chain(next Op) Op {
	op := next
	for _, n := range v.above {
		switch x := n.(type) {
		case *plan.Filter:
			op = &Filter{Pred: x.Pred.Eval, Next: op, Table: true}
		case *plan.Project:
			op = &Project{Key: evals(x.Key), Val: evals(x.Val), Next: op, KeepVal: x.KeepVal, KeepKey: x.KeepKey,
				DropNullKey: x.DropNullKey, Rekey: x.Rekey, KeyNeedsValue: x.KeyNeedsValue}
		}
	}
	return op
}

// Process decodes one entry of the aggregate store into the aggregate's
// output row, as the aggregate emitted it last, and feeds chain (from
// Chain).
func (v *AggregateView) Process(tc *stream.TaskContext, key, val []byte, chain Op) error {
	row := value.Row{Key: make([]value.Value, len(v.keyTypes))}
	rest := key
	for i, t := range v.keyTypes {
		k, r, err := value.DecodeKey(rest, t)
		if err != nil {
			return fmt.Errorf("aggregate store %s: key: %w", v.Store, err)
		}
		row.Key[i], rest = k, r
	}
	accs, ts, err := decodeStored(val)
	if err != nil {
		return fmt.Errorf("aggregate store %s: %w", v.Store, err)
	}
	row.Time = ts
	row.Val = make([]value.Value, len(accs))
	for i, a := range v.aggs {
		m, err := a.Agg.Map(accs[i])
		if err != nil {
			m = value.Null
		}
		row.Val[i] = m
	}
	return chain.Process(tc, &row)
}
