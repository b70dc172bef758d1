package engine

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
)

// CaughtUp reports whether every running persistent query has processed
// the data present in its inputs now, through the chain of queries that
// feed it, as ksqlDB's tests wait for persistent queries before pull
// queries. A query that failed is reported as an error, since it never
// catches up.
func (e *Engine) CaughtUp(ctx context.Context) (bool, error) {
	qs := e.runningQueries()
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
	// Offsets commit before the state they cover: a query mid-commit has
	// stores, and so pull query results, behind its offsets.
	for _, q := range qs {
		if !q.Settled() {
			return false, nil
		}
	}
	return true, nil
}
