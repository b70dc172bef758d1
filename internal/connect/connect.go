// Package connect owns Sluice's connector runtime, the native replacement for
// Kafka Connect: the declarative config specs connectors describe themselves
// with, the plugin registry of connector classes, converters and transforms
// (SMTs), the lifecycle of tasks (goroutines restarted with backoff), source
// offsets kept in a compacted topic written in the same log transaction as
// the records, and the Connect data model (Schema, Struct) that connectors,
// converters and transforms exchange.
//
// The contract follows Kafka Connect so that users' connector configs run
// unchanged: a source task produces Records carrying Connect schemas and
// values plus a source partition and offset; the runtime applies the
// configured transforms, serialises keys and values with the configured
// converters, and commits records and offsets atomically. A sink task gets
// records already converted back to Connect data, and its consumer offsets
// are committed only after Flush succeeds.
package connect

import (
	"context"
	"log/slog"
)

// Header is a Connect record header: a key and a value with its schema.
// Converters serialise header values as strings.
type Header struct {
	Key    string
	Schema *Schema
	Value  any
}

// Record is one Connect record, flowing out of a source task or into a sink
// task. Key and Value are Connect values described by KeySchema and
// ValueSchema (see Schema for the Go types of each schema type); a nil
// Value is a tombstone.
type Record struct {
	Topic string
	// Partition is the partition to write to, or -1 to pick it from the
	// serialised key with Kafka's default partitioner.
	Partition   int32
	KeySchema   *Schema
	Key         any
	ValueSchema *Schema
	Value       any
	// Timestamp is milliseconds since the Unix epoch; 0 lets the runtime
	// stamp the record with the time it is written.
	Timestamp int64
	Headers   []Header

	// SourcePartition and SourceOffset are set by source tasks: the
	// runtime stores the latest offset of each source partition (values
	// must be JSON-encodable: strings, numbers, booleans) and hands it
	// back through SourceContext.Offset after a restart. A record with a
	// nil SourcePartition leaves the stored offsets alone, so a task may
	// set the offset on a batch's last record only.
	SourcePartition map[string]any
	SourceOffset    map[string]any

	// Offset is the record's log offset, set for sink tasks.
	Offset int64
}

// Copy returns a shallow copy whose header slice may be appended to
// without touching r's.
func (r *Record) Copy() *Record {
	c := *r
	c.Headers = append([]Header(nil), r.Headers...)
	return &c
}

// SourceContext is what the runtime offers a source task.
type SourceContext interface {
	// Offset returns the last committed offset of a source partition, or
	// nil when none was committed.
	Offset(ctx context.Context, partition map[string]any) (map[string]any, error)
	// Logger is the task's logger, already carrying the connector name.
	Logger() *slog.Logger
}

// SourceTask produces records from an external system. The runtime calls
// Start once, then Poll and Commit from one goroutine until it calls Stop;
// a task is never used concurrently.
type SourceTask interface {
	// Start connects and prepares to produce from the committed offsets
	// that ctx's SourceContext returns. An error fails the task (it is
	// retried with backoff).
	Start(ctx context.Context, sc SourceContext) error
	// Poll blocks until records are ready or ctx is done, and returns a
	// batch. The records of one batch (and their offsets) are committed to
	// the log atomically. An empty batch with no error is allowed, for
	// example on a heartbeat timeout.
	Poll(ctx context.Context) ([]*Record, error)
	// Commit tells the task that every record it returned from Poll so
	// far is durable in the log, so it may acknowledge them upstream (a
	// PostgreSQL connector confirms its LSN here).
	Commit(ctx context.Context) error
	// Stop releases the task's resources. It is called once, even after a
	// failed Start.
	Stop() error
}

// SinkContext is what the runtime offers a sink task.
type SinkContext interface {
	// Logger is the task's logger, already carrying the connector name.
	Logger() *slog.Logger
	// DeadLetter writes a record that the task cannot deliver to the
	// connector's dead-letter topic (errors.deadletterqueue.topic.name);
	// it returns ErrNoDeadLetterTopic when none is configured.
	DeadLetter(ctx context.Context, r *Record, cause error) error
}

// SinkTask delivers records to an external system. The runtime calls Start
// once, then Put and Flush from one goroutine until it calls Stop.
type SinkTask interface {
	// Start connects. An error fails the task (it is retried with
	// backoff).
	Start(ctx context.Context, sc SinkContext) error
	// Put hands over records, in offset order per partition, already
	// converted and transformed. The task may buffer them.
	Put(ctx context.Context, recs []*Record) error
	// Flush makes every record Put so far durable in the external system.
	// Only after Flush returns nil does the runtime commit the consumer
	// offsets, so delivery is at-least-once.
	Flush(ctx context.Context) error
	// Stop releases the task's resources. It is called once, even after a
	// failed Start.
	Stop() error
}

// Kind says whether a connector class is a source or a sink.
type Kind int

const (
	Source Kind = iota
	Sink
)

func (k Kind) String() string {
	if k == Sink {
		return "SINK"
	}
	return "SOURCE"
}

// Class is a connector class in the Plugins registry.
type Class struct {
	// Name is the class name users write in connector.class, for example
	// io.debezium.connector.postgresql.PostgresConnector. Aliases are
	// other accepted names (a short name, an older package).
	Name    string
	Aliases []string
	Kind    Kind
	// Spec declares the connector's own config keys; the runtime adds the
	// common ones (name, connector.class, tasks.max, converters,
	// transforms, errors.*).
	Spec *Spec
	// NewSource builds the source task for a validated config (Kind
	// Source). NewSink builds the sink task (Kind Sink).
	NewSource func(cfg *Config, env Env) (SourceTask, error)
	NewSink   func(cfg *Config, env Env) (SinkTask, error)
}

// Env is what a connector's constructor gets from the runtime besides its
// config.
type Env struct {
	Name   string // the connector's name
	Logger *slog.Logger
}
