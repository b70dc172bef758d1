package engine

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
)

// CaughtUp reports whether every running persistent query has processed
// the data present in its inputs now, through the chain of queries that
// feed it, as ksqlDB's tests wait for persistent queries before pull
// queries. A query that failed is reported as an error, since it never
// catches up.
func (e *Engine) CaughtUp(ctx context.Context) (bool, error) {
	var qs []*stream.Query
	e.mu.Lock()
	for _, cq := range e.cat.Queries() {
		if q := e.running[cq.ID]; q != nil {
			qs = append(qs, q)
		}
	}
	e.mu.Unlock()
	for _, q := range qs {
		if err := q.Err(); err != nil {
			return false, fmt.Errorf("query %s: %w", q.ID(), err)
		}
	}
	snap := map[logstore.TopicPartition]int64{}
	if err := e.snapshotInputs(ctx, qs, snap, map[string]bool{}); err != nil {
		return false, err
	}
	seen := map[string]bool{}
	for _, q := range qs {
		ok, err := e.caughtUp(ctx, q, snap, seen)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}
