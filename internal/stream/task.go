package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/state"
)

// task runs one partition of one sub-topology.
type task struct {
	q         *Query
	sub       int
	spec      SubSpec
	partition int32
	tps       []logstore.TopicPartition
	next      []int64             // next offset to read per input
	buf       [][]logstore.Record // fetched, not yet processed
	bootEnd   []int64             // bootstrap target per input; -1 when done or not a bootstrap input
	proc      Processor
	tc        *TaskContext
	txnID     string
	started   bool
	batch     state.Batch
	mats      []*matStore // materialized inputs (materialize.go)
	// dirty is set while processed records wait for a commit, since
	// lastCommit.
	dirty      bool
	lastCommit time.Time
}

func (t *task) init(ctx context.Context) error {
	lg := t.q.rt.opts.Log
	if t.q.spec.Distributed && !t.q.spec.AtLeastOnce {
		if err := t.fence(ctx); err != nil {
			return err
		}
	}
	committed, err := lg.CommittedOffsets(ctx, t.q.spec.Group, t.tps)
	if err != nil {
		return fmt.Errorf("task %s: committed offsets: %w", t.txnID, err)
	}
	t.next = make([]int64, len(t.tps))
	t.buf = make([][]logstore.Record, len(t.tps))
	t.bootEnd = make([]int64, len(t.tps))
	for i, tp := range t.tps {
		offs, err := lg.ListOffsets(ctx, tp)
		if err != nil {
			return fmt.Errorf("task %s: offsets of %s/%d: %w", t.txnID, tp.Topic, tp.Partition, err)
		}
		if off, ok := committed[tp]; ok {
			t.next[i] = max(off, offs.Start)
		} else if t.q.spec.OffsetReset == "latest" && !t.spec.Inputs[i].Bootstrap && t.spec.Inputs[i].Materialize == nil {
			t.next[i] = offs.End
			if from, ok := t.q.latestFrom[tp]; ok {
				t.next[i] = max(from, offs.Start)
			}
		} else {
			t.next[i] = offs.Start
		}
		t.bootEnd[i] = -1
		if t.spec.Inputs[i].Bootstrap {
			t.bootEnd[i] = bootPending
		}
	}
	t.tc = &TaskContext{
		ctx:       ctx,
		QueryID:   t.q.spec.ID,
		Partition: t.partition,
		log:       lg,
		plog:      t.q.rt.opts.ProcessingLog,
		slog:      t.q.rt.logger.With("query_id", t.q.spec.ID, "partition", t.partition),
		errs:      &t.q.errors,
	}
	if err := t.openStores(ctx); err != nil {
		return err
	}
	proc, err := t.spec.NewProcessor(t.tc)
	if err != nil {
		return fmt.Errorf("task %s: build processor: %w", t.txnID, err)
	}
	t.proc = proc
	t.started = true
	return nil
}

// fill fetches for every input whose buffer is empty.
func (t *task) fill(ctx context.Context, wait time.Duration) error {
	lg := t.q.rt.opts.Log
	for i, tp := range t.tps {
		if len(t.buf[i]) > 0 {
			continue
		}
		recs, err := lg.Fetch(ctx, tp, t.next[i], logstore.FetchOptions{MaxRecords: t.q.spec.MaxBatch, MaxWait: wait})
		if errors.Is(err, logstore.ErrOffsetOutOfRange) {
			// Retention removed what we had not read: resume at the start,
			// as Kafka's auto.offset.reset=earliest would.
			offs, oerr := lg.ListOffsets(ctx, tp)
			if oerr != nil {
				return fmt.Errorf("fetch %s/%d: %w", tp.Topic, tp.Partition, oerr)
			}
			t.next[i] = offs.Start
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch %s/%d at %d: %w", tp.Topic, tp.Partition, t.next[i], err)
		}
		t.buf[i] = recs
		wait = 0 // only the first empty input long-polls
	}
	return nil
}

// bootPending marks a bootstrap input whose target is not fixed yet.
const bootPending = -2

// settleBootstrap fixes the target of bootstrap inputs whose upstream is
// ready: the input's end offset now.
func (t *task) settleBootstrap(ctx context.Context) error {
	for i, in := range t.spec.Inputs {
		if t.bootEnd[i] != bootPending {
			continue
		}
		if in.Ready != nil {
			ok, err := in.Ready(ctx)
			if err != nil {
				return fmt.Errorf("bootstrap %s: %w", in.Topic, err)
			}
			if !ok {
				continue
			}
		}
		offs, err := t.q.rt.opts.Log.ListOffsets(ctx, t.tps[i])
		if err != nil {
			return fmt.Errorf("bootstrap %s: %w", in.Topic, err)
		}
		t.bootEnd[i] = -1
		if offs.End > t.next[i] {
			t.bootEnd[i] = offs.End
		}
	}
	return nil
}

// pick returns the input whose head record goes next, or -1. Bootstrap
// inputs that have not reached their target go first; after that the
// smallest timestamp wins, as Kafka Streams' partition grouper chooses.
func (t *task) pick() int {
	for i := range t.tps {
		if t.bootEnd[i] == bootPending {
			// Upstream is not ready: consume what the table already has,
			// but take nothing from the other inputs yet.
			if len(t.buf[i]) > 0 {
				return i
			}
			return -3
		}
	}
	for i := range t.tps {
		if t.bootEnd[i] >= 0 {
			if t.next[i] >= t.bootEnd[i] {
				t.bootEnd[i] = -1
				continue
			}
			if len(t.buf[i]) > 0 {
				return i
			}
			// The bootstrap data is not fetched yet: wait for it rather
			// than process other inputs early.
			return -2
		}
	}
	best := -1
	for i := range t.tps {
		if len(t.buf[i]) == 0 {
			continue
		}
		if best < 0 || t.buf[i][0].Timestamp < t.buf[best][0].Timestamp {
			best = i
		}
	}
	return best
}

// step processes one batch and reports whether it made progress. It
// commits when force is set, when the commit interval has passed, or when
// there was nothing to process but earlier steps await their commit.
func (t *task) step(ctx context.Context, wait time.Duration, force bool) (bool, error) {
	if !t.started {
		if err := t.init(ctx); err != nil {
			return false, err
		}
	}
	t.tc.ctx = ctx
	if err := t.settleBootstrap(ctx); err != nil {
		return false, err
	}
	if err := t.fill(ctx, wait); err != nil {
		return false, err
	}
	n := 0
	limit := t.q.spec.MaxBatch
	for n < limit {
		i := t.pick()
		if i == -3 {
			break
		}
		if i < 0 {
			if i == -2 {
				if err := t.fill(ctx, 0); err != nil {
					return false, err
				}
				if t.pick() == -2 {
					break
				}
				continue
			}
			break
		}
		rec := &t.buf[i][0]
		t.buf[i] = t.buf[i][1:]
		t.next[i] = rec.Offset + 1
		t.tc.Input = t.tps[i]
		if rec.Timestamp > t.tc.StreamTime {
			t.tc.StreamTime = rec.Timestamp
		}
		t.q.recordsIn.Add(1)
		if t.spec.Inputs[i].Materialize != nil {
			if err := t.materialize(i, rec); err != nil {
				return false, fmt.Errorf("query %s: %w", t.q.spec.ID, err)
			}
		}
		if err := t.proc.Process(t.tc, i, rec); err != nil {
			// Kafka Streams' words for a record that fails its task; tools
			// and ksqlDB's tests match on them.
			return false, fmt.Errorf("query %s: Exception caught in process: %s/%d offset %d: %w", t.q.spec.ID, t.tps[i].Topic, t.tps[i].Partition, rec.Offset, err)
		}
		n++
		if len(t.buf[i]) == 0 {
			if err := t.fill(ctx, 0); err != nil {
				return false, err
			}
		}
	}
	if n == 0 {
		if t.dirty {
			return false, t.commit(ctx)
		}
		return false, nil
	}
	if p, ok := t.proc.(Punctuator); ok {
		if err := p.Punctuate(t.tc, t.tc.StreamTime); err != nil {
			return false, fmt.Errorf("query %s: punctuate: %w", t.q.spec.ID, err)
		}
	}
	t.dirty = true
	if force || time.Since(t.lastCommit) >= t.q.spec.CommitInterval {
		return true, t.commit(ctx)
	}
	return true, nil
}

func (t *task) commit(ctx context.Context) error {
	lg := t.q.rt.opts.Log
	id := t.txnID
	if t.q.spec.AtLeastOnce {
		id = ""
	}
	txn, err := lg.Begin(ctx, id)
	if err != nil {
		return fmt.Errorf("task %s: begin: %w", t.txnID, err)
	}
	t.q.recordsOut.Add(uint64(len(t.tc.out)))
	for _, e := range t.tc.out {
		if err := txn.Produce(ctx, e.topic, e.rec); err != nil {
			_ = txn.Abort(ctx)
			return fmt.Errorf("task %s: produce to %s: %w", t.txnID, e.topic, err)
		}
	}
	offsets := make(map[logstore.TopicPartition]int64, len(t.tps))
	for i, tp := range t.tps {
		offsets[tp] = t.next[i]
	}
	if err := txn.CommitOffsets(ctx, t.q.spec.Group, offsets); err != nil {
		_ = txn.Abort(ctx)
		return fmt.Errorf("task %s: commit offsets: %w", t.txnID, err)
	}
	// inflight spans the transaction and the state commit after it, so
	// Settled never reports a query whose offsets are committed while its
	// stores are not yet.
	t.q.inflight.Add(1)
	defer t.q.inflight.Add(-1)
	assigned, err := txn.Commit(ctx)
	if err != nil {
		return fmt.Errorf("task %s: commit: %w", t.txnID, err)
	}
	if err := t.commitStores(assigned); err != nil {
		return err
	}
	clear(t.tc.out)
	t.tc.out = t.tc.out[:0]
	t.dirty, t.lastCommit = false, time.Now()
	return nil
}

// close releases the task's processor and uncommitted state; a later
// step (or assignment) initialises it afresh from its committed offsets
// and changelogs.
func (t *task) close() error {
	var errs []error
	if t.proc != nil {
		errs = append(errs, t.proc.Close())
	}
	if t.batch != nil {
		errs = append(errs, t.batch.Close())
	}
	t.proc, t.batch, t.started, t.dirty, t.mats = nil, nil, false, false, nil
	if t.tc != nil {
		clear(t.tc.out)
		t.tc.out = t.tc.out[:0]
	}
	return errors.Join(errs...)
}
