package stream

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/state"
)

// A materialized input is Kafka Streams' source table with topology
// optimization on: the store keeps the latest record per key of an input
// topic, and the input topic itself is the store's changelog. The task
// writes the store in its state batch, so it commits with the task (after
// the transaction that commits the input offsets), and a checkpoint records
// the last input offset it reflects. Restore replays the input from that
// checkpoint up to the task's committed offset, so after a crash between
// the two commits, or on the server a task moved to, the store holds
// exactly what the committed offsets say was processed, and no record is
// written twice: no changelog topic doubles the writes.

// Encoder maps an input record to its store key and value. ok false
// leaves the store alone (a record with no usable key); a nil value
// deletes the key. The returned slices may be reused by the next call.
type Encoder func(rec *logstore.Record) (key, val []byte, ok bool)

// Materialize describes a materialized input.
type Materialize struct {
	// Store is the store's name within the query; StoreName gives its
	// name in the state DB for one partition.
	Store string
	// NewEncoder returns one task's encoder; encoders are not shared
	// between tasks, so they may keep buffers.
	NewEncoder func(ctx context.Context) (Encoder, error)
}

// StoreName returns the state DB name of a query's store for one
// partition, so readers such as pull queries can open it.
func StoreName(group, store string, partition int32) string {
	return fmt.Sprintf("%s/%s/%d", group, store, partition)
}

// matStore is one task's materialized input.
type matStore struct {
	input  int
	name   string
	handle state.Store
	view   state.ReadWriter
	encode Encoder
	// last is the input offset the batch reflects, -1 if none since the
	// last commit.
	last int64
}

// apply writes rec to the store's batch view.
func (m *matStore) apply(rec *logstore.Record) error {
	key, val, ok := m.encode(rec)
	m.last = rec.Offset
	if !ok {
		return nil
	}
	var err error
	if val == nil {
		err = m.view.Delete(key)
	} else {
		err = m.view.Put(key, val)
	}
	if err != nil {
		return fmt.Errorf("materialize %s at offset %d: %w", m.name, rec.Offset, err)
	}
	return nil
}

// openMaterialized opens the task's materialized inputs and restores each
// up to the input's committed offset (t.next, which init set).
func (t *task) openMaterialized(ctx context.Context, db state.DB) error {
	t.mats = nil
	for i, in := range t.spec.Inputs {
		m := in.Materialize
		if m == nil {
			continue
		}
		name := StoreName(t.q.spec.Group, m.Store, t.partition)
		h, err := db.Store(name)
		if err != nil {
			return fmt.Errorf("open store %s: %w", name, err)
		}
		enc, err := m.NewEncoder(ctx)
		if err != nil {
			return fmt.Errorf("store %s: %w", name, err)
		}
		ms := &matStore{input: i, name: name, handle: h, view: t.batch.Store(h), encode: enc, last: -1}
		if err := t.restoreMaterialized(ctx, db, ms); err != nil {
			return err
		}
		t.mats = append(t.mats, ms)
	}
	return nil
}

// restoreMaterialized replays the input from the store's checkpoint to the
// offset the task resumes at.
func (t *task) restoreMaterialized(ctx context.Context, db state.DB, ms *matStore) error {
	lg := t.q.rt.opts.Log
	tp := t.tps[ms.input]
	upTo := t.next[ms.input]
	offs, err := lg.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("restore %s: %w", ms.name, err)
	}
	next := offs.Start
	if ck, ok := db.Checkpoint(ms.name); ok {
		next = max(ck+1, offs.Start)
	} else if err := ms.view.DeleteRange(nil, nil); err != nil {
		return fmt.Errorf("reset store %s: %w", ms.name, err)
	}
	for next < upTo {
		recs, err := lg.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 10000})
		if err != nil {
			return fmt.Errorf("restore %s at %d: %w", ms.name, next, err)
		}
		if len(recs) == 0 || recs[0].Offset >= upTo {
			break
		}
		for i := range recs {
			if recs[i].Offset >= upTo {
				break
			}
			if err := ms.apply(&recs[i]); err != nil {
				return err
			}
			next = recs[i].Offset + 1
		}
	}
	if ms.last < 0 {
		return nil
	}
	if err := t.batch.SetCheckpoint(ms.handle, ms.last); err != nil {
		return err
	}
	ms.last = -1
	if err := t.batch.Commit(false); err != nil {
		return fmt.Errorf("restore %s: commit: %w", ms.name, err)
	}
	return nil
}

// checkpointMaterialized records, in the batch about to commit, the input
// offset each materialized store now reflects.
func (t *task) checkpointMaterialized() error {
	for _, ms := range t.mats {
		if ms.last < 0 {
			continue
		}
		if err := t.batch.SetCheckpoint(ms.handle, ms.last); err != nil {
			return err
		}
		ms.last = -1
	}
	return nil
}

// materialize applies a record of materialized input i.
func (t *task) materialize(i int, rec *logstore.Record) error {
	for _, ms := range t.mats {
		if ms.input == i {
			return ms.apply(rec)
		}
	}
	return nil
}
