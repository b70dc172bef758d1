// Package logstore owns Sluice's storage abstraction: a log of topics and
// partitions, with Kafka's semantics (offsets, timestamps, headers, compaction,
// consumer-group offsets and transactions). Every backend implements Log and
// passes the conformance suite in logstore/logstoretest.
//
// The contract mirrors Kafka deliberately, so the same stream runtime runs on
// the embedded segment files and on a real Kafka cluster:
//
//   - Records become visible to readers only when the transaction that wrote
//     them commits (read_committed). An aborted or crashed transaction leaves
//     nothing visible, ever.
//   - A transaction covers records on any number of partitions and the
//     consumer-group offsets of its inputs, so a task's outputs, state
//     changelog writes and source offsets commit or vanish together.
//   - Offsets in a partition strictly increase and are never reused, even
//     after compaction or retention remove records. The embedded backend
//     keeps them dense, but Kafka spends offsets on transaction markers and
//     aborted records, so callers must not assume End-1 is a record or that
//     the next commit starts at End.
package logstore

import (
	"context"
	"errors"
	"time"
)

// Record is one message in a partition. A nil Value is a tombstone.
type Record struct {
	Key       []byte
	Value     []byte
	Headers   []Header
	Timestamp int64 // milliseconds since the Unix epoch
	Partition int32
	Offset    int64 // assigned by the log; ignored on produce
}

// Header is a Kafka record header. Keys may repeat.
type Header struct {
	Key   string
	Value []byte
}

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// TopicConfig describes a topic at creation.
type TopicConfig struct {
	Partitions int32
	// Replicas is honoured by backends that replicate; the embedded log
	// keeps one copy.
	Replicas int16
	// Compact selects cleanup.policy=compact: only the latest record per key
	// is kept (tombstones are removed after DeleteRetention).
	Compact bool
	// Retention bounds a non-compacted partition; zero means unlimited.
	RetentionTime  time.Duration
	RetentionBytes int64
	// Configs holds any other Kafka topic configs verbatim, so that they
	// can be reported back (DESCRIBE, SHOW TOPICS EXTENDED).
	Configs map[string]string
}

// TopicInfo describes an existing topic.
type TopicInfo struct {
	Name       string
	Partitions int32
	Replicas   int16
	Config     TopicConfig
}

// FetchOptions bounds one Fetch.
type FetchOptions struct {
	MaxRecords int           // at most this many records; 0 means a backend default
	MaxBytes   int           // soft bound on key+value bytes; 0 means a backend default
	MaxWait    time.Duration // long-poll: wait up to this long for a first record
}

// Offsets gives a partition's bounds. Start is the first readable offset,
// End is one past the last committed (visible) record.
type Offsets struct {
	Start int64
	End   int64
}

// Log is a backend. All methods are safe for concurrent use.
type Log interface {
	// CreateTopic creates a topic; it returns ErrTopicExists if it exists.
	CreateTopic(ctx context.Context, name string, cfg TopicConfig) error
	// DeleteTopic removes a topic and its data; ErrUnknownTopic if absent.
	DeleteTopic(ctx context.Context, name string) error
	// DescribeTopic returns ErrUnknownTopic if the topic does not exist.
	DescribeTopic(ctx context.Context, name string) (TopicInfo, error)
	// ListTopics returns every topic, sorted by name.
	ListTopics(ctx context.Context) ([]TopicInfo, error)

	// Fetch returns committed records of one partition from offset on, in
	// offset order. Offsets may skip where compaction removed records. An
	// offset below Start is an ErrOffsetOutOfRange; at End it waits up to
	// opts.MaxWait and then returns no records and no error.
	Fetch(ctx context.Context, tp TopicPartition, offset int64, opts FetchOptions) ([]Record, error)
	// ListOffsets returns a partition's bounds.
	ListOffsets(ctx context.Context, tp TopicPartition) (Offsets, error)
	// OffsetForTime returns the first offset whose timestamp is >= ts, or
	// End if there is none.
	OffsetForTime(ctx context.Context, tp TopicPartition, ts int64) (int64, error)

	// CommittedOffsets returns a consumer group's committed offsets (the
	// next offset to read) for the given partitions; a partition with no
	// commit is absent from the map.
	CommittedOffsets(ctx context.Context, group string, tps []TopicPartition) (map[TopicPartition]int64, error)

	// Begin starts a transaction. id identifies the writer: beginning a new
	// transaction with an id fences (aborts) any open one with the same id,
	// as Kafka's transactional.id does, so a restarted task cannot race a
	// zombie of itself.
	Begin(ctx context.Context, id string) (Txn, error)

	// Close releases the backend. Open transactions are aborted.
	Close() error
}

// Txn is one atomic unit of writes. A Txn is used by one goroutine.
type Txn interface {
	// Produce buffers records for a partition (rec.Partition is used).
	// Nothing is visible to readers before Commit.
	Produce(ctx context.Context, topic string, recs ...Record) error
	// CommitOffsets records a group's next offsets as part of the
	// transaction.
	CommitOffsets(ctx context.Context, group string, offsets map[TopicPartition]int64) error
	// Commit makes every record and offset of the transaction visible and
	// durable at once, and returns the offsets assigned to the produced
	// records in produce order per partition. On error nothing is visible.
	Commit(ctx context.Context) (map[TopicPartition][]int64, error)
	// Abort discards the transaction.
	Abort(ctx context.Context) error
}

// Errors that callers compare with errors.Is.
var (
	ErrTopicExists       = errors.New("topic already exists")
	ErrUnknownTopic      = errors.New("unknown topic")
	ErrUnknownPartition  = errors.New("unknown partition")
	ErrOffsetOutOfRange  = errors.New("offset out of range")
	ErrFenced            = errors.New("transaction fenced by a newer writer with the same id")
	ErrClosed            = errors.New("log closed")
	ErrRecordTooLarge    = errors.New("record too large")
	ErrInvalidTopicName  = errors.New("invalid topic name")
	ErrInvalidPartitions = errors.New("invalid partition count")
)
