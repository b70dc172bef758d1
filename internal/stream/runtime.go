package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Runtime runs persistent queries on a log.
type Runtime struct {
	opts   Options
	logger *slog.Logger
}

// New returns a runtime.
func New(opts Options) *Runtime {
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Runtime{opts: opts, logger: lg}
}

// Query is a running (or steppable) persistent query.
type Query struct {
	rt    *Runtime
	spec  QuerySpec
	tasks []*task

	mu     sync.Mutex
	err    error
	cancel context.CancelFunc
	done   chan struct{}
	// ctx, owned and running serve distributed queries (assign.go): the
	// query's run context, and the goroutine of each assigned task by
	// index into tasks.
	ctx     context.Context
	running map[int]*taskRun
	wg      sync.WaitGroup
	// latestFrom is where a distributed task starts an input partition
	// with no committed offset under "latest" (QuerySpec.LatestAtPrepare).
	latestFrom map[logstore.TopicPartition]int64

	// Counters for metrics, updated by the tasks.
	recordsIn  atomic.Uint64
	recordsOut atomic.Uint64
	errors     atomic.Uint64
	// inflight counts task commits between their transaction and their
	// state commit.
	inflight atomic.Int64
}

// Settled reports that no task of the query is between committing its
// transaction and committing its state: a reader that saw the query's
// committed offsets before calling Settled can trust its stores to
// reflect them.
func (q *Query) Settled() bool { return q.inflight.Load() == 0 }

// Stats are a query's counters since it started in this process.
type Stats struct {
	RecordsIn        uint64
	RecordsOut       uint64
	ProcessingErrors uint64
	// Lag is the records in its inputs not yet processed, at the call.
	Lag int64
}

// Stats returns the query's counters and current input lag.
func (q *Query) Stats(ctx context.Context) Stats {
	st := Stats{RecordsIn: q.recordsIn.Load(), RecordsOut: q.recordsOut.Load(), ProcessingErrors: q.errors.Load()}
	committed := map[logstore.TopicPartition]int64{}
	var tps []logstore.TopicPartition
	for _, t := range q.tasks {
		tps = append(tps, t.tps...)
	}
	if c, err := q.rt.opts.Log.CommittedOffsets(ctx, q.spec.Group, tps); err == nil {
		committed = c
	}
	for _, tp := range tps {
		offs, err := q.rt.opts.Log.ListOffsets(ctx, tp)
		if err != nil {
			continue
		}
		next, ok := committed[tp]
		if !ok {
			next = offs.Start
		}
		if offs.End > next {
			st.Lag += offs.End - next
		}
	}
	return st
}

// Prepare builds a query's tasks without starting goroutines. The caller
// either drives it with Step (deterministic, used by the conformance
// runner) or calls Start.
func (rt *Runtime) Prepare(ctx context.Context, spec QuerySpec) (*Query, error) {
	if spec.MaxBatch <= 0 {
		spec.MaxBatch = 1000
	}
	q := &Query{rt: rt, spec: spec}
	for si, sub := range spec.Subs {
		var parts int32
		for _, in := range sub.Inputs {
			if in.Create > 0 {
				if err := ensureTopic(ctx, rt.opts.Log, in.Topic, in.Create, false); err != nil {
					return nil, fmt.Errorf("query %s: %w", spec.ID, err)
				}
			}
		}
		for _, in := range sub.Inputs {
			info, err := rt.opts.Log.DescribeTopic(ctx, in.Topic)
			if err != nil {
				return nil, fmt.Errorf("query %s: input %s: %w", spec.ID, in.Topic, err)
			}
			parts = max(parts, info.Partitions)
		}
		for _, st := range sub.Stores {
			if err := ensureTopic(ctx, rt.opts.Log, ChangelogTopic(spec.Group, st), parts, true); err != nil {
				return nil, fmt.Errorf("query %s: %w", spec.ID, err)
			}
		}
		for p := int32(0); p < parts; p++ {
			t := &task{q: q, sub: si, spec: sub, partition: p, txnID: fmt.Sprintf("%s-%d-%d", spec.Group, si, p)}
			for _, in := range sub.Inputs {
				t.tps = append(t.tps, logstore.TopicPartition{Topic: in.Topic, Partition: p})
			}
			q.tasks = append(q.tasks, t)
		}
	}
	if spec.Distributed {
		// A distributed task resolves its offsets when it is assigned,
		// after fencing the process that ran it before.
		if spec.OffsetReset == "latest" && spec.LatestAtPrepare {
			if err := q.fixLatest(ctx); err != nil {
				return nil, err
			}
		}
		return q, nil
	}
	// Tasks resolve their start offsets now, so "latest" means the end of
	// each input when the query was created, not when it first runs.
	for _, t := range q.tasks {
		if err := t.init(ctx); err != nil {
			_ = q.Stop()
			return nil, err
		}
	}
	return q, nil
}

// ID returns the query id.
func (q *Query) ID() string { return q.spec.ID }

// Step runs one batch of every task and reports whether any progressed.
func (q *Query) Step(ctx context.Context) (bool, error) {
	progressed := false
	for _, t := range q.tasks {
		ok, err := t.step(ctx, 0, true)
		if err != nil {
			return progressed, err
		}
		progressed = progressed || ok
	}
	return progressed, nil
}

// Start runs every task in its own goroutine until Stop. A task that fails
// stops the query; Err reports why.
func (q *Query) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	q.cancel = cancel
	q.done = make(chan struct{})
	if q.spec.Distributed {
		q.startDistributed(ctx)
		return
	}
	var wg sync.WaitGroup
	for _, t := range q.tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q.runTask(ctx, t)
		}()
	}
	go func() {
		wg.Wait()
		close(q.done)
	}()
}

func (q *Query) runTask(ctx context.Context, t *task) {
	q.runTaskWith(ctx, t, nil)
}

// runTaskWith steps t until ctx ends or it fails; an error that quiet
// reports true ends the task without failing the query.
func (q *Query) runTaskWith(ctx context.Context, t *task, quiet func(error) bool) {
	backoff := time.Duration(0)
	// A single input can long-poll; with several, a wait on one would
	// delay records already waiting on another (a join's second side), so
	// those are polled without waiting and the loop backs off instead.
	wait := 200 * time.Millisecond
	if len(t.tps) > 1 {
		wait = 0
	}
	for ctx.Err() == nil {
		progressed, err := t.step(ctx, wait, false)
		if err != nil {
			if ctx.Err() != nil || (quiet != nil && quiet(err)) {
				return
			}
			q.fail(err)
			return
		}
		if progressed {
			backoff = 0
			continue
		}
		// Nothing arrived within the long-poll of the first input; inputs
		// beyond the first are polled without waiting, so back off gently.
		if len(t.tps) > 1 {
			backoff = min(backoff+2*time.Millisecond, 20*time.Millisecond)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
		}
	}
}

func (q *Query) fail(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err == nil {
		q.err = err
		q.rt.logger.Error("query failed", "query_id", q.spec.ID, "err", err)
	}
	if q.cancel != nil {
		q.cancel()
	}
}

// Err returns the error that stopped the query, if any.
func (q *Query) Err() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// Stop stops the query's goroutines, waits for them, and closes its
// processors.
func (q *Query) Stop() error {
	if q.cancel != nil {
		q.cancel()
		<-q.done
	}
	var errs []error
	for _, t := range q.tasks {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}

// ensureTopic creates an internal topic unless it exists. A repartition
// topic keeps its records whatever their age, as Kafka Streams creates it
// (retention.ms=-1): records are repartitioned with their own timestamps,
// and under a broker's default 7-day retention a record from 2020, as in
// the tutorial's orders, would be deleted before the next sub-topology
// reads it.
func ensureTopic(ctx context.Context, lg logstore.Log, name string, parts int32, compact bool) error {
	cfg := logstore.TopicConfig{Partitions: parts, Replicas: 1, Compact: compact}
	if !compact {
		cfg.Configs = map[string]string{"retention.ms": "-1"}
	}
	err := lg.CreateTopic(ctx, name, cfg)
	if err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return fmt.Errorf("create topic %s: %w", name, err)
	}
	return nil
}

// Spec returns the query's spec.
func (q *Query) Spec() QuerySpec { return q.spec }

// fixLatest records the end of each external input partition now, for
// tasks assigned later (QuerySpec.LatestAtPrepare).
func (q *Query) fixLatest(ctx context.Context) error {
	q.latestFrom = map[logstore.TopicPartition]int64{}
	for _, t := range q.tasks {
		for i, tp := range t.tps {
			if t.spec.Inputs[i].Bootstrap || t.spec.Inputs[i].Create > 0 {
				continue
			}
			offs, err := q.rt.opts.Log.ListOffsets(ctx, tp)
			if err != nil {
				return fmt.Errorf("query %s: offsets of %s/%d: %w", q.spec.ID, tp.Topic, tp.Partition, err)
			}
			q.latestFrom[tp] = offs.End
		}
	}
	return nil
}
