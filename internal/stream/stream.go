// Package stream owns Sluice's query runtime: persistent queries run as
// tasks, one per input partition (co-partitioned inputs share a task). A
// task polls its input partitions, hands records to its processor in
// timestamp order, collects what the processor emits, and commits outputs,
// changelog records and source offsets in one logstore transaction. It
// knows nothing of SQL or HTTP: the planner builds the processors
// (stream/op) and the engine starts them here.
package stream

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/state"
)

// Processor handles the records of one task. The runtime calls it from one
// goroutine at a time.
type Processor interface {
	// Process handles one input record fetched from input i of the
	// sub-topology (in the order of SubSpec.Inputs).
	Process(tc *TaskContext, input int, rec *logstore.Record) error
	// Close releases the processor's resources.
	Close() error
}

// Punctuator is implemented by processors that act when stream time
// advances without a record of their own, such as EMIT FINAL windows.
type Punctuator interface {
	Punctuate(tc *TaskContext, streamTime int64) error
}

// Input is one input topic of a sub-topology.
type Input struct {
	Topic string
	// Bootstrap marks a table side that must be read up to its end, as of
	// the task's start, before records of other inputs are processed.
	Bootstrap bool
	// Ready, if set, gates a bootstrap input: the input's target (its end
	// offset) is fixed only once Ready reports true, so a table produced
	// by other queries includes their output for the data already present.
	Ready func(ctx context.Context) (bool, error)
	// Create, when positive, creates the topic with that many partitions
	// if it is missing: the query's own repartition topics.
	Create int32
	// Materialize, if set, keeps the input's latest record per key in a
	// state store (materialize.go). Such an input is read from its start
	// when the query has no committed offset for it.
	Materialize *Materialize
}

// SubSpec is a sub-topology: a set of co-partitioned inputs processed by
// one processor per partition.
type SubSpec struct {
	Inputs []Input
	// Stores names the state stores each task of this sub-topology keeps;
	// each has a changelog topic with one partition per task.
	Stores       []string
	NewProcessor func(tc *TaskContext) (Processor, error)
}

// QuerySpec describes a persistent query.
type QuerySpec struct {
	ID string
	// Group is the consumer group whose offsets record progress.
	Group string
	Subs  []SubSpec
	// OffsetReset is "earliest" or "latest": where a partition with no
	// committed offset starts.
	OffsetReset string
	// MaxBatch bounds the records processed per step.
	MaxBatch int
	// CommitInterval is Kafka Streams' commit.interval.ms: a running task
	// keeps adding steps to one transaction until this long has passed
	// since its last commit, or until it runs out of input. Zero commits
	// every step. Step (manual driving) always commits.
	CommitInterval time.Duration
	// AtLeastOnce commits without a transactional id (Kafka Streams'
	// at_least_once): no fencing and no transaction markers, so it is
	// cheaper, but a task that crashes mid-commit may redo records
	// another commit already wrote.
	AtLeastOnce bool
	// Distributed runs only the tasks this process is assigned (see
	// Query.Assign): several processes then share the query, as Kafka
	// Streams instances of one application.id do.
	Distributed bool
	// LatestAtPrepare makes a distributed query resolve "latest" when it
	// is prepared rather than when a task is assigned, which may be much
	// later: records written after the statement that created the query
	// returned are then processed, as they are by a query whose tasks run
	// here at once. A query restored from the command topic leaves it
	// unset, since its "latest" is the end when it is assigned.
	LatestAtPrepare bool
}

// ProcessingLogger receives records that could not be processed, with the
// reason. The query goes on.
type ProcessingLogger interface {
	Log(queryID string, tp logstore.TopicPartition, offset int64, err error)
}

// Options configures a Runtime.
type Options struct {
	Log           logstore.Log
	State         state.DB
	Logger        *slog.Logger
	ProcessingLog ProcessingLogger
}

// ErrStopped is returned by a query's Step after it was stopped.
var ErrStopped = errors.New("stream: query stopped")

// emitted is a record a processor wrote, waiting for commit.
type emitted struct {
	topic string
	rec   logstore.Record
}

// TaskContext is a task's view of the runtime, passed to its processor.
type TaskContext struct {
	ctx       context.Context
	QueryID   string
	Partition int32
	// StreamTime is the largest record timestamp the task has seen.
	StreamTime int64
	// Input is the topic-partition of the record being processed.
	Input logstore.TopicPartition
	log   logstore.Log
	out   []emitted
	plog  ProcessingLogger
	slog  *slog.Logger
	// stores are the task's state stores by declared name.
	stores map[string]*taskStore
	errs   *atomic.Uint64
}

// Context returns the task's context.
func (tc *TaskContext) Context() context.Context { return tc.ctx }

// Logger returns the task's logger.
func (tc *TaskContext) Logger() *slog.Logger { return tc.slog }

// Log returns the storage the task runs on, for metadata look-ups such as
// a sink topic's partition count.
func (tc *TaskContext) Log() logstore.Log { return tc.log }

// Emit queues a record for topic; it becomes visible when the task commits.
func (tc *TaskContext) Emit(topic string, rec logstore.Record) {
	tc.out = append(tc.out, emitted{topic: topic, rec: rec})
}

// Drain removes and returns the records emitted to topic so far, for
// operators run outside a task (NewTaskContext), where no commit takes
// them: a test that plays the part of an internal topic.
func (tc *TaskContext) Drain(topic string) []logstore.Record {
	var out []logstore.Record
	kept := tc.out[:0]
	for _, e := range tc.out {
		if e.topic == topic {
			out = append(out, e.rec)
		} else {
			kept = append(kept, e)
		}
	}
	clear(tc.out[len(kept):])
	tc.out = kept
	return out
}

// ProcessingError reports a record the processor could not handle.
func (tc *TaskContext) ProcessingError(offset int64, err error) {
	if tc.errs != nil {
		tc.errs.Add(1)
	}
	if tc.plog != nil {
		tc.plog.Log(tc.QueryID, tc.Input, offset, err)
		return
	}
	tc.slog.Warn("processing error", "topic", tc.Input.Topic, "offset", offset, "err", err)
}

// NewTaskContext returns a context for running operators outside a task,
// as a pull query does over a snapshot of a topic. Emit and stores are not
// available through it.
func NewTaskContext(ctx context.Context, queryID string, logger *slog.Logger, plog ProcessingLogger) *TaskContext {
	if logger == nil {
		logger = slog.Default()
	}
	return &TaskContext{ctx: ctx, QueryID: queryID, plog: plog, slog: logger}
}
