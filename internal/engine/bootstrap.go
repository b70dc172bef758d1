package engine

import (
	"context"
	"fmt"
	"maps"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
)

// Table bootstrap (DESIGN.md): a join that starts must see its table as of
// the data already present, including what the queries producing the table
// will make of it. The producers are caught up when each sub-topology has
// committed past its inputs' ends: external inputs' ends as of the join's
// start, query-produced inputs' ends once their own producers are caught
// up, and internal topics' ends as two passes over the query find them
// unchanged.

// attachBootstrap gives each bootstrap input of spec a readiness check on
// the queries producing its topic.
func (e *Engine) attachBootstrap(ctx context.Context, spec *stream.QuerySpec) error {
	for si := range spec.Subs {
		for ii := range spec.Subs[si].Inputs {
			in := &spec.Subs[si].Inputs[ii]
			if !in.Bootstrap {
				continue
			}
			producers := e.producersOf(in.Topic)
			if len(producers) == 0 {
				continue
			}
			snap := map[logstore.TopicPartition]int64{}
			if err := e.snapshotInputs(ctx, producers, snap, map[string]bool{}); err != nil {
				return err
			}
			in.Ready = func(ctx context.Context) (bool, error) {
				for _, q := range producers {
					ok, err := e.caughtUp(ctx, q, snap, map[string]bool{})
					if err != nil || !ok {
						return false, err
					}
				}
				return true, nil
			}
		}
	}
	return nil
}

// producersOf returns the running queries that write topic.
func (e *Engine) producersOf(topic string) []*stream.Query {
	var out []*stream.Query
	for _, q := range e.cat.Queries() {
		sink := q.Sink
		if sink == "" {
			continue
		}
		src, ok := e.cat.Source(sink)
		if !ok || src.Topic != topic {
			continue
		}
		e.mu.Lock()
		rq := e.running[q.ID]
		e.mu.Unlock()
		if rq != nil {
			out = append(out, rq)
		}
	}
	return out
}

// snapshotInputs records the end offsets of the external inputs of the
// producer chain now.
func (e *Engine) snapshotInputs(ctx context.Context, qs []*stream.Query, snap map[logstore.TopicPartition]int64, seen map[string]bool) error {
	for _, q := range qs {
		if seen[q.ID()] {
			continue
		}
		seen[q.ID()] = true
		spec := q.Spec()
		for _, sub := range spec.Subs {
			for _, in := range sub.Inputs {
				if in.Create > 0 {
					continue
				}
				if up := e.producersOf(in.Topic); len(up) > 0 {
					if err := e.snapshotInputs(ctx, up, snap, seen); err != nil {
						return err
					}
					continue
				}
				if err := e.endOffsets(ctx, in.Topic, snap); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (e *Engine) endOffsets(ctx context.Context, topic string, into map[logstore.TopicPartition]int64) error {
	info, err := e.opts.Log.DescribeTopic(ctx, topic)
	if err != nil {
		return fmt.Errorf("bootstrap: %s: %w", topic, err)
	}
	for p := int32(0); p < info.Partitions; p++ {
		tp := logstore.TopicPartition{Topic: topic, Partition: p}
		offs, err := e.opts.Log.ListOffsets(ctx, tp)
		if err != nil {
			return fmt.Errorf("bootstrap: %s: %w", topic, err)
		}
		into[tp] = offs.End
	}
	return nil
}

// caughtUp reports whether q has committed past the data present.
func (e *Engine) caughtUp(ctx context.Context, q *stream.Query, snap map[logstore.TopicPartition]int64, seen map[string]bool) (bool, error) {
	if seen[q.ID()] {
		return true, nil
	}
	seen[q.ID()] = true
	// A sub-topology can be owed records by one checked after it: a
	// repartition topic's reader comes before its writer in the spec, and
	// a foreign-key join's two sides feed each other through their
	// subscription and response topics. So the query counts as caught up
	// only when a second pass finds every internal topic ending where the
	// first did: nothing was written to them while they were checked.
	var first map[logstore.TopicPartition]int64
	for pass := 0; pass < 2; pass++ {
		ends := map[logstore.TopicPartition]int64{}
		ok, err := e.subsCaughtUp(ctx, q, snap, seen, ends)
		if err != nil || !ok {
			return false, err
		}
		if pass == 1 && !maps.Equal(first, ends) {
			return false, nil
		}
		first = ends
	}
	return true, nil
}

// subsCaughtUp is one pass of caughtUp over q's sub-topologies; it records
// the end offsets of the internal topics it checked in ends.
func (e *Engine) subsCaughtUp(ctx context.Context, q *stream.Query, snap map[logstore.TopicPartition]int64, seen map[string]bool, ends map[logstore.TopicPartition]int64) (bool, error) {
	spec := q.Spec()
	for _, sub := range spec.Subs {
		for _, in := range sub.Inputs {
			target := map[logstore.TopicPartition]int64{}
			switch up := e.producersOf(in.Topic); {
			case in.Create > 0:
				// Internal: what the query's other sub-topologies wrote
				// so far.
				if err := e.endOffsets(ctx, in.Topic, target); err != nil {
					return false, err
				}
				maps.Copy(ends, target)
			case len(up) > 0:
				for _, u := range up {
					ok, err := e.caughtUp(ctx, u, snap, seen)
					if err != nil || !ok {
						return false, err
					}
				}
				if err := e.endOffsets(ctx, in.Topic, target); err != nil {
					return false, err
				}
			default:
				for tp, off := range snap {
					if tp.Topic == in.Topic {
						target[tp] = off
					}
				}
			}
			var tps []logstore.TopicPartition
			for tp := range target {
				tps = append(tps, tp)
			}
			committed, err := e.opts.Log.CommittedOffsets(ctx, spec.Group, tps)
			if err != nil {
				return false, err
			}
			for tp, end := range target {
				if end == 0 || committed[tp] >= end {
					continue
				}
				if ok, err := e.nothingToRead(ctx, tp, committed[tp], end); err != nil || !ok {
					return false, err
				}
			}
		}
	}
	return true, nil
}

// nothingToRead reports whether a reader at from has no record left below
// end. On Kafka a transaction's commit marker takes an offset of its own,
// so a task that has processed every record of a transactional writer
// (another query's output, a repartition topic) stands one short of the
// end offset, or more after aborted transactions.
func (e *Engine) nothingToRead(ctx context.Context, tp logstore.TopicPartition, from, end int64) (bool, error) {
	recs, err := e.opts.Log.Fetch(ctx, tp, from, logstore.FetchOptions{MaxRecords: 1})
	if err != nil && ctx.Err() == nil {
		// The probe only settles what the offsets leave open; when it
		// fails (a connection reset, retention passing from), the
		// answer is "not yet" and the caller asks again.
		e.logger.Debug("caught up: probe failed", "topic", tp.Topic, "partition", tp.Partition, "offset", from, "err", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return len(recs) == 0 || recs[0].Offset >= end, nil
}
