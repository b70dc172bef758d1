package stream

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// A distributed query (QuerySpec.Distributed) runs only the tasks its
// process is assigned. The assignment comes from outside, from a consumer
// group the engine joins per query, so that the processes of one service
// share the query's partitions as Kafka Streams instances do. A task that
// arrives fences its transactional id before it reads its committed
// offsets and restores its stores, so whatever the previous owner still
// has in flight is aborted and cannot commit behind its back.

// taskRun is the goroutine of one assigned task.
type taskRun struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// TaskInputs returns the input partitions of each task, in task order.
// Assign takes indexes into this list. Every task's first partition is
// distinct, and a task's partitions are never split between processes.
func (q *Query) TaskInputs() [][]logstore.TopicPartition {
	out := make([][]logstore.TopicPartition, len(q.tasks))
	for i, t := range q.tasks {
		out[i] = slices.Clone(t.tps)
	}
	return out
}

// startDistributed prepares a distributed query to receive assignments;
// its done channel closes once the run context ends and every task
// goroutine has returned.
func (q *Query) startDistributed(ctx context.Context) {
	q.mu.Lock()
	q.ctx = ctx
	q.running = map[int]*taskRun{}
	q.mu.Unlock()
	go func() {
		<-ctx.Done()
		q.mu.Lock()
		runs := q.running
		q.running = map[int]*taskRun{}
		q.mu.Unlock()
		for _, r := range runs {
			<-r.done
		}
		q.wg.Wait()
		close(q.done)
	}()
}

// Assign makes owned (indexes into TaskInputs) the set of tasks this
// process runs. Tasks no longer owned are stopped, and Assign returns only
// once they have: their partitions may go to another process next. New
// tasks start in the background.
func (q *Query) Assign(owned []int) error {
	q.mu.Lock()
	if q.ctx == nil {
		q.mu.Unlock()
		return fmt.Errorf("query %s: assign before start", q.spec.ID)
	}
	want := map[int]bool{}
	for _, i := range owned {
		if i < 0 || i >= len(q.tasks) {
			q.mu.Unlock()
			return fmt.Errorf("query %s: assigned task %d of %d", q.spec.ID, i, len(q.tasks))
		}
		want[i] = true
	}
	var stopping []*taskRun
	for i, r := range q.running {
		if !want[i] {
			r.cancel()
			stopping = append(stopping, r)
			delete(q.running, i)
		}
	}
	if q.ctx.Err() == nil {
		for i := range want {
			if q.running[i] != nil {
				continue
			}
			ctx, cancel := context.WithCancel(q.ctx)
			r := &taskRun{cancel: cancel, done: make(chan struct{})}
			q.running[i] = r
			t := q.tasks[i]
			q.wg.Add(1)
			go func() {
				defer q.wg.Done()
				defer close(r.done)
				defer cancel()
				q.runAssigned(ctx, t)
			}()
		}
	}
	q.mu.Unlock()
	for _, r := range stopping {
		<-r.done
	}
	return nil
}

// Assigned returns the indexes of the tasks this process runs.
func (q *Query) Assigned() []int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]int, 0, len(q.running))
	for i := range q.running {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

// runAssigned runs one assigned task until its context ends, then closes
// it so that a later assignment starts it afresh. A task fenced by another
// process starts over from its committed offsets and changelogs after a
// pause: either the group is moving it away, and the revocation ends it
// meanwhile, or the fencing writer was a stale one and the task's fresh
// start fences it back.
func (q *Query) runAssigned(ctx context.Context, t *task) {
	defer func() {
		if err := t.close(); err != nil {
			q.rt.logger.Warn("close task", "query_id", q.spec.ID, "task", t.txnID, "err", err)
		}
	}()
	for ctx.Err() == nil {
		fenced := false
		q.runTaskWith(ctx, t, func(err error) bool {
			fenced = errors.Is(err, logstore.ErrFenced)
			return fenced
		})
		if !fenced {
			return
		}
		q.rt.logger.Info("task fenced by another process; restarting it", "query_id", q.spec.ID, "task", t.txnID)
		if err := t.close(); err != nil {
			q.rt.logger.Warn("close task", "query_id", q.spec.ID, "task", t.txnID, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// fence claims the task's transactional id before it reads anything: a
// transaction the previous owner left open is aborted, and that owner can
// commit no more.
func (t *task) fence(ctx context.Context) error {
	if f, ok := t.q.rt.opts.Log.(logstore.Fencer); ok {
		if err := f.Fence(ctx, t.txnID); err != nil {
			return fmt.Errorf("task %s: fence: %w", t.txnID, err)
		}
		return nil
	}
	txn, err := t.q.rt.opts.Log.Begin(ctx, t.txnID)
	if err != nil {
		return fmt.Errorf("task %s: fence: %w", t.txnID, err)
	}
	if err := txn.Abort(ctx); err != nil {
		return fmt.Errorf("task %s: fence: %w", t.txnID, err)
	}
	return nil
}
