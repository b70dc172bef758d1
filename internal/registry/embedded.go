package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Options configures an Embedded registry. The zero value is usable.
type Options struct {
	// Topic holds the registry's records. Default "_schemas", Confluent's
	// kafkastore.topic default.
	Topic string
	// TxnID is the transactional id the registry writes with. Default
	// "sluice-schema-registry".
	TxnID string
	// Logger receives registrations (at debug) and problems reading the
	// topic (at warn). Default: discard, as the embedded log does, so a
	// caller that opens many registries (the conformance runner) stays
	// quiet unless it asks.
	Logger *slog.Logger
}

// EnsureDefaults fills in unset fields.
func (o *Options) EnsureDefaults() {
	if o.Topic == "" {
		o.Topic = "_schemas"
	}
	if o.TxnID == "" {
		o.TxnID = "sluice-schema-registry"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Embedded is the in-process registry. Every change is a record in the
// compacted topic Options.Topic, committed in a log transaction, and the
// state is only ever changed by reading the topic back: Open replays it,
// and each write catches up (picking up other writers' records too) before
// it decides and after it commits.
//
// Several registries may share a topic (servers sharing a Kafka cluster):
// each sees the others' changes at its next write or Sync. Two writes that
// race between catching up and committing can still both take the same id;
// Confluent avoids that by electing one leader to write, which Sluice does
// not do yet, so one server should own registry writes.
type Embedded struct {
	log  logstore.Log
	opts Options

	// mu guards st. Writers hold it across the log commit so that ids and
	// versions are assigned in commit order and a concurrent register of
	// the same schema sees the first one's result.
	mu sync.RWMutex
	st *state
	// next is the offset after the last record applied.
	next int64
	// exact maps a subject and a schema's exact text (registerCacheKey) to
	// its id, so that re-registering, which serializers do on every
	// start, skips parsing. Deletes clear it.
	exact map[string]int
}

var _ Registry = (*Embedded)(nil)

// Open creates the topic if needed and replays it.
func Open(ctx context.Context, log logstore.Log, opts Options) (*Embedded, error) {
	opts.EnsureDefaults()
	e := &Embedded{log: log, opts: opts, st: newState(opts.Logger), exact: map[string]int{}}
	err := log.CreateTopic(ctx, opts.Topic, logstore.TopicConfig{
		Partitions: 1,
		Replicas:   1,
		Compact:    true,
		Configs:    map[string]string{"cleanup.policy": "compact"},
	})
	if err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return nil, fmt.Errorf("schema registry: create topic %s: %w", opts.Topic, err)
	}
	if err := e.catchUp(ctx); err != nil {
		return nil, err
	}
	opts.Logger.Debug("schema registry: replayed", "topic", opts.Topic, "next_offset", e.next, "max_id", e.st.maxID)
	return e, nil
}

// catchUp applies every record committed to the topic since the last one
// applied. It is how the state changes, at start and after each write
// alike, so the state is always a replay of the topic. The caller holds
// e.mu (Open needs no lock).
func (e *Embedded) catchUp(ctx context.Context) error {
	tp := logstore.TopicPartition{Topic: e.opts.Topic}
	offs, err := e.log.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("schema registry: list offsets of %s: %w", e.opts.Topic, err)
	}
	off := max(e.next, offs.Start)
	for off < offs.End {
		recs, err := e.log.Fetch(ctx, tp, off, logstore.FetchOptions{MaxRecords: 1000})
		if err != nil {
			return fmt.Errorf("schema registry: read %s at offset %d: %w", e.opts.Topic, off, err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			d, err := decodeRecord(r.Key, r.Value)
			if err != nil {
				// A record this version cannot read must not stop the
				// server; Confluent skips what it does not understand too.
				e.opts.Logger.Warn("schema registry: skipping unreadable record", "offset", r.Offset, "err", err)
				continue
			}
			if d.keyType == keySchema && (d.schema == nil || d.schema.Deleted) {
				clear(e.exact)
			}
			e.st.apply(d)
		}
		off = recs[len(recs)-1].Offset + 1
	}
	e.next = off
	return nil
}

// Sync catches up with records other writers committed to the topic. An
// Embedded registry that is the topic's only writer never needs it.
func (e *Embedded) Sync(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.catchUp(ctx)
}

// write commits records in one transaction and then reads them back into
// the state. The caller holds e.mu and has caught up before deciding what
// to write.
func (e *Embedded) write(ctx context.Context, changes ...change) error {
	recs := make([]logstore.Record, len(changes))
	for i, c := range changes {
		r, err := c.record()
		if err != nil {
			return storeError(err)
		}
		recs[i] = r
	}
	txn, err := e.log.Begin(ctx, e.opts.TxnID)
	if err != nil {
		return storeError(fmt.Errorf("begin: %w", err))
	}
	if err := txn.Produce(ctx, e.opts.Topic, recs...); err != nil {
		_ = txn.Abort(ctx)
		return storeError(fmt.Errorf("produce: %w", err))
	}
	if _, err := txn.Commit(ctx); err != nil {
		return storeError(fmt.Errorf("commit: %w", err))
	}
	if err := e.catchUp(ctx); err != nil {
		return storeError(err)
	}
	return nil
}

// lockForWrite takes the write lock and catches up, so a write decides on
// the latest state of the topic.
func (e *Embedded) lockForWrite(ctx context.Context) error {
	e.mu.Lock()
	if err := e.catchUp(ctx); err != nil {
		e.mu.Unlock()
		return storeError(err)
	}
	return nil
}

// Handler serves Confluent's REST API over this registry.
func (e *Embedded) Handler() http.Handler { return NewHandler(e, nil) }
