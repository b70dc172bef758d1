// Package processinglog owns ksqlDB's processing log: the per-record
// errors of persistent queries (a value that does not deserialize, an
// expression that fails, a row that does not serialize), written as JSON
// records to a topic that the KSQL_PROCESSING_LOG stream reads, so users
// can query their bad records with SQL as they do in ksqlDB. The query that
// hit the error goes on.
package processinglog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream/op"
)

// ksqlDB's configuration keys and defaults (ProcessingLogConfig). Sluice's
// server turns both auto.create flags on, as ksqlDB's packaged
// ksql-server.properties does.
const (
	PropTopicAutoCreate  = "ksql.logging.processing.topic.auto.create"
	PropStreamAutoCreate = "ksql.logging.processing.stream.auto.create"
	PropTopicName        = "ksql.logging.processing.topic.name"
	PropStreamName       = "ksql.logging.processing.stream.name"
	PropTopicPartitions  = "ksql.logging.processing.topic.partitions"
	PropRowsInclude      = "ksql.logging.processing.rows.include"

	DefaultStreamName = "KSQL_PROCESSING_LOG"
)

// TopicName is the processing log topic of a service when none is
// configured: "<service id>ksql_processing_log", as ksqlDB names it.
func TopicName(serviceID string) string { return serviceID + "ksql_processing_log" }

// Message types, as ksqlDB numbers them in MESSAGE->TYPE.
const (
	TypeDeserialization  = 0
	TypeRecordProcessing = 1
	TypeProduction       = 2
	TypeSerialization    = 3
)

// StreamStatement is the CREATE STREAM ksqlDB issues for the processing
// log: the columns of its log record schema over the topic, as JSON.
func StreamStatement(name, topic string) string {
	return "CREATE STREAM " + name + " (LOGGER STRING, LEVEL STRING, `TIME` BIGINT, MESSAGE STRUCT<" +
		"`TYPE` INTEGER, " +
		"DESERIALIZATIONERROR STRUCT<TARGET STRING, ERRORMESSAGE STRING, RECORDB64 STRING, CAUSE ARRAY<STRING>, `TOPIC` STRING>, " +
		"RECORDPROCESSINGERROR STRUCT<ERRORMESSAGE STRING, RECORD STRING, CAUSE ARRAY<STRING>>, " +
		"PRODUCTIONERROR STRUCT<ERRORMESSAGE STRING>, " +
		"SERIALIZATIONERROR STRUCT<TARGET STRING, ERRORMESSAGE STRING, RECORD STRING, CAUSE ARRAY<STRING>, `TOPIC` STRING>, " +
		"KAFKASTREAMSTHREADERROR STRUCT<ERRORMESSAGE STRING, THREADNAME STRING, CAUSE ARRAY<STRING>>" +
		">) WITH (KAFKA_TOPIC='" + topic + "', VALUE_FORMAT='JSON');"
}

// Options configure a Writer.
type Options struct {
	// Topic receives the records; it is created with Partitions (default
	// 1) when missing.
	Topic      string
	Partitions int32
	// Logger also receives each entry, at WARN, so that errors show in the
	// server log when nobody reads the topic.
	Logger *slog.Logger
	// Buffer bounds the entries waiting to be written (default 10,000). A
	// flood of bad records beyond it is counted in Dropped rather than
	// stalling the queries that report them.
	Buffer int
	// Now stamps entries; tests fix it.
	Now func() time.Time
}

// Writer is a stream.ProcessingLogger that writes ksqlDB's processing log
// records to a topic from one background goroutine, which Close waits for.
type Writer struct {
	log     logstore.Log
	opts    Options
	ch      chan logstore.Record
	dropped atomic.Uint64
	written atomic.Uint64
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	once    sync.Once
}

// Open creates the topic if it is missing and starts the writer.
func Open(ctx context.Context, log logstore.Log, opts Options) (*Writer, error) {
	if opts.Topic == "" {
		return nil, errors.New("processing log: no topic")
	}
	if opts.Partitions <= 0 {
		opts.Partitions = 1
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 10000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	err := log.CreateTopic(ctx, opts.Topic, logstore.TopicConfig{Partitions: opts.Partitions, Replicas: 1})
	if err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return nil, fmt.Errorf("processing log: create topic %s: %w", opts.Topic, err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &Writer{log: log, opts: opts, ch: make(chan logstore.Record, opts.Buffer), cancel: cancel}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		w.run(rctx)
	}()
	return w, nil
}

// Dropped counts entries lost to a full buffer or a failed write.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Written counts entries written to the topic.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Log implements stream.ProcessingLogger.
func (w *Writer) Log(queryID string, tp logstore.TopicPartition, offset int64, err error) {
	e := newEntry(queryID, tp, err, w.opts.Now())
	w.opts.Logger.Warn("processing error", "logger", e.Logger, "topic", tp.Topic, "partition", tp.Partition, "offset", offset, "err", err)
	b, merr := json.Marshal(e)
	if merr != nil {
		w.dropped.Add(1)
		return
	}
	select {
	case w.ch <- logstore.Record{Value: b, Timestamp: e.Time}:
	default:
		w.dropped.Add(1)
	}
}

// Close writes what is buffered and stops the writer.
func (w *Writer) Close() error {
	w.once.Do(func() {
		close(w.ch)
		w.wg.Wait()
		w.cancel()
	})
	return nil
}

// run writes batches of entries, each in one log transaction, until the
// channel is closed.
func (w *Writer) run(ctx context.Context) {
	var batch []logstore.Record
	for rec := range w.ch {
		batch = append(batch[:0], rec)
	more:
		for len(batch) < 500 {
			select {
			case r, ok := <-w.ch:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		if err := w.write(ctx, batch); err != nil {
			w.dropped.Add(uint64(len(batch)))
			w.opts.Logger.Error("processing log: write failed", "topic", w.opts.Topic, "records", len(batch), "err", err)
			continue
		}
		w.written.Add(uint64(len(batch)))
	}
}

func (w *Writer) write(ctx context.Context, batch []logstore.Record) error {
	txn, err := w.log.Begin(ctx, "")
	if err != nil {
		return err
	}
	if err := txn.Produce(ctx, w.opts.Topic, batch...); err != nil {
		txn.Abort(ctx)
		return err
	}
	_, err = txn.Commit(ctx)
	return err
}

// entry is one record of the processing log, in the field names ksqlDB's
// log record struct serializes to JSON (the stream reads them
// case-insensitively).
type entry struct {
	Logger  string  `json:"logger"`
	Level   string  `json:"level"`
	Time    int64   `json:"time"`
	Message message `json:"message"`
}

type message struct {
	Type               int           `json:"type"`
	Deserialization    *serdeError   `json:"deserializationError"`
	RecordProcessing   *recordError  `json:"recordProcessingError"`
	Production         *productError `json:"productionError"`
	Serialization      *serdeError   `json:"serializationError"`
	KafkaStreamsThread *threadError  `json:"kafkaStreamsThreadError"`
}

// serdeError is both DESERIALIZATIONERROR (RecordB64) and
// SERIALIZATIONERROR (Record); the record itself is only included under
// ksql.logging.processing.rows.include, which Sluice does not offer yet,
// so both stay null.
type serdeError struct {
	Target       string   `json:"target"`
	ErrorMessage string   `json:"errorMessage"`
	RecordB64    *string  `json:"recordB64,omitempty"`
	Record       *string  `json:"record,omitempty"`
	Cause        []string `json:"cause"`
	Topic        string   `json:"topic"`
}

type recordError struct {
	ErrorMessage string   `json:"errorMessage"`
	Record       *string  `json:"record"`
	Cause        []string `json:"cause"`
}

type productError struct {
	ErrorMessage string `json:"errorMessage"`
}

type threadError struct {
	ErrorMessage string   `json:"errorMessage"`
	ThreadName   string   `json:"threadName"`
	Cause        []string `json:"cause"`
}

// newEntry classifies err by the operator stage that reported it.
func newEntry(queryID string, tp logstore.TopicPartition, err error, now time.Time) entry {
	stage := ""
	inner := err
	var re *op.RecordError
	if errors.As(err, &re) {
		stage, inner = re.Stage, re.Err
	}
	msg := inner.Error()
	cause := causes(inner)
	e := entry{Level: "ERROR", Time: now.UnixMilli()}
	target := "value"
	if strings.HasSuffix(stage, " key") {
		target = "key"
	}
	switch {
	case strings.HasPrefix(stage, "deserialize"):
		e.Logger = "processing." + queryID + ".KsqlTopic.Source.deserializer"
		e.Message = message{Type: TypeDeserialization, Deserialization: &serdeError{Target: target, ErrorMessage: msg, Cause: cause, Topic: tp.Topic}}
	case strings.HasPrefix(stage, "serialize"):
		e.Logger = "processing." + queryID + ".KafkaTopic_Sink.serializer"
		e.Message = message{Type: TypeSerialization, Serialization: &serdeError{Target: target, ErrorMessage: msg, Cause: cause, Topic: tp.Topic}}
	default:
		name := "Project"
		if stage != "" {
			name = ""
			for _, w := range strings.Fields(stage) {
				name += strings.ToUpper(w[:1]) + w[1:]
			}
		}
		e.Logger = "processing." + queryID + "." + name
		e.Message = message{Type: TypeRecordProcessing, RecordProcessing: &recordError{ErrorMessage: msg, Cause: cause}}
	}
	return e
}

// causes lists the messages of the errors err wraps, outermost first,
// as ksqlDB lists an exception's causes.
func causes(err error) []string {
	out := []string{}
	for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
		out = append(out, e.Error())
	}
	return out
}
