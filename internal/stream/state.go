package stream

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/state"
)

// Stores are Kafka Streams' model: a store is a cache of its changelog
// topic. A task's writes go to a state batch (which it reads back) and,
// as changelog records, into its log transaction. Only after the
// transaction commits does the batch commit, with a checkpoint per store.
// A crash between the two loses nothing: the next start replays the
// changelog from the checkpoint.

// taskStore is one store of one task.
type taskStore struct {
	name      string // unique in the state DB: query, store, partition
	changelog string // changelog topic
	handle    state.Store
	view      state.ReadWriter
}

// ChangelogTopic returns the changelog topic of a query's store, named as
// ksqlDB names it.
func ChangelogTopic(group, store string) string {
	return group + "-" + store + "-changelog"
}

// Store returns the task's store with the given name, declared in the
// sub-topology's Stores. Writes through it are logged to the changelog and
// become durable when the task commits.
func (tc *TaskContext) Store(name string) (state.ReadWriter, error) {
	s, ok := tc.stores[name]
	if !ok {
		return nil, fmt.Errorf("store %s is not declared by the query", name)
	}
	return s.view, nil
}

// openStores opens the task's stores and restores each from its changelog
// beyond its checkpoint.
func (t *task) openStores(ctx context.Context) error {
	db := t.q.rt.opts.State
	materialized := false
	for _, in := range t.spec.Inputs {
		materialized = materialized || in.Materialize != nil
	}
	if len(t.spec.Stores) == 0 && !materialized {
		return nil
	}
	if db == nil {
		return fmt.Errorf("query %s needs state stores, but the runtime has no state DB", t.q.spec.ID)
	}
	t.batch = db.NewBatch()
	if err := t.openMaterialized(ctx, db); err != nil {
		return err
	}
	t.tc.stores = map[string]*taskStore{}
	for _, name := range t.spec.Stores {
		ts := &taskStore{
			name:      StoreName(t.q.spec.Group, name, t.partition),
			changelog: ChangelogTopic(t.q.spec.Group, name),
		}
		h, err := db.Store(ts.name)
		if err != nil {
			return fmt.Errorf("open store %s: %w", ts.name, err)
		}
		ts.handle = h
		raw := t.batch.Store(h)
		if err := t.restore(ctx, db, ts, raw); err != nil {
			return err
		}
		part := t.partition
		topic := ts.changelog
		ts.view = state.WithChangelog(raw, func(key, value []byte) error {
			// An empty key stays non-nil: Kafka refuses a record without
			// a key on a compacted topic, and a store may use the empty
			// key (suppress keeps its metadata there).
			rec := logstore.Record{Key: append([]byte{}, key...), Partition: part, Timestamp: t.tc.StreamTime}
			if value != nil {
				rec.Value = append([]byte(nil), value...)
			}
			t.tc.out = append(t.tc.out, emitted{topic: topic, rec: rec})
			return nil
		})
		t.tc.stores[name] = ts
	}
	return nil
}

// restore replays a store's changelog from its checkpoint to the end.
func (t *task) restore(ctx context.Context, db state.DB, ts *taskStore, view state.ReadWriter) error {
	lg := t.q.rt.opts.Log
	tp := logstore.TopicPartition{Topic: ts.changelog, Partition: t.partition}
	offs, err := lg.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("changelog %s: %w", ts.changelog, err)
	}
	next := offs.Start
	if ck, ok := db.Checkpoint(ts.name); ok {
		next = max(ck+1, offs.Start)
	} else if err := view.DeleteRange(nil, nil); err != nil {
		// No checkpoint: whatever the store holds is from an uncommitted
		// past, so rebuild it from scratch.
		return fmt.Errorf("reset store %s: %w", ts.name, err)
	}
	last := int64(-1)
	for next < offs.End {
		recs, err := lg.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 10000})
		if err != nil {
			return fmt.Errorf("restore %s at %d: %w", ts.name, next, err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Value == nil {
				err = view.Delete(r.Key)
			} else {
				err = view.Put(r.Key, r.Value)
			}
			if err != nil {
				return fmt.Errorf("restore %s: %w", ts.name, err)
			}
			last = r.Offset
			next = r.Offset + 1
		}
	}
	if last >= 0 {
		if err := t.batch.SetCheckpoint(ts.handle, last); err != nil {
			return err
		}
		if err := t.batch.Commit(false); err != nil {
			return fmt.Errorf("restore %s: commit: %w", ts.name, err)
		}
	}
	return nil
}

// commitStores applies the task's state batch once its transaction has
// committed, checkpointing each store at its last changelog offset.
func (t *task) commitStores(assigned map[logstore.TopicPartition][]int64) error {
	if t.batch == nil {
		return nil
	}
	if err := t.checkpointMaterialized(); err != nil {
		return err
	}
	for _, ts := range t.tc.stores {
		offs := assigned[logstore.TopicPartition{Topic: ts.changelog, Partition: t.partition}]
		if len(offs) > 0 {
			if err := t.batch.SetCheckpoint(ts.handle, offs[len(offs)-1]); err != nil {
				return err
			}
		}
	}
	if t.batch.Empty() {
		return nil
	}
	if err := t.batch.Commit(false); err != nil {
		return fmt.Errorf("task %s: commit state: %w", t.txnID, err)
	}
	return nil
}
