package elasticsearch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
)

// Register adds the connector class to a plugin registry.
func Register(p *connect.Plugins) {
	p.AddClass(&connect.Class{
		Name:    ClassName,
		Aliases: []string{"ElasticsearchSinkConnector", "io.confluent.connect.elasticsearch.ElasticsearchSink"},
		Kind:    connect.Sink,
		Spec:    Spec,
		NewSink: func(cfg *connect.Config, env connect.Env) (connect.SinkTask, error) {
			s, err := parseSettings(cfg)
			if err != nil {
				return nil, err
			}
			return &task{s: s, name: env.Name, log: env.Logger}, nil
		},
	})
}

// task is the sink task: Put turns records into bulk actions, Flush waits
// for the writer, so the runtime commits offsets only for documents the
// server acknowledged.
type task struct {
	s    *settings
	name string
	log  *slog.Logger
	sc   connect.SinkContext

	client *bulk.Client
	w      *bulk.Writer
	b      builder
	// indices are the indices this task has created (or found).
	indices map[string]bool
	// dlqMu guards the dead-letter path, which the writer's goroutines
	// take for rejected documents.
	dlqMu sync.Mutex
}

// NewTask builds a sink task from a validated config, for callers that
// drive it without a plugin registry (tests, benchmarks).
func NewTask(cfg *connect.Config, env connect.Env) (connect.SinkTask, error) {
	s, err := parseSettings(cfg)
	if err != nil {
		return nil, err
	}
	return &task{s: s, name: env.Name, log: env.Logger}, nil
}

func (t *task) Start(ctx context.Context, sc connect.SinkContext) error {
	t.sc = sc
	if l := sc.Logger(); l != nil {
		t.log = l
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	c, err := bulk.NewClient(t.s.client)
	if err != nil {
		return fmt.Errorf("elasticsearch: %w", err)
	}
	if err := c.Probe(ctx); err != nil {
		c.Close()
		return fmt.Errorf("elasticsearch: %w", err)
	}
	t.client = c
	opts := t.s.writer
	if t.s.method == methodUpsert && opts.MaxInFlight > 1 {
		// An update cannot carry an external version, so two batches in
		// flight could apply one key's updates out of order, and a retried
		// item could overwrite a newer one. One request at a time keeps
		// each key's updates in offset order.
		t.log.Info("write.method=upsert sends one bulk request at a time to keep updates in order", "max.in.flight.requests", opts.MaxInFlight)
		opts.MaxInFlight = 1
	}
	opts.Logger = t.log
	opts.OnFailure = t.onFailure
	t.w = bulk.NewWriter(c, opts)
	t.b = builder{s: t.s}
	t.indices = map[string]bool{}
	t.log.Info("elasticsearch sink started", "urls", redactURLs(t.s.client.URLs), "server", c.Distribution, "major", c.Major)
	return nil
}

func (t *task) Put(ctx context.Context, recs []*connect.Record) error {
	for _, r := range recs {
		if t.s.topicsRegex != nil && !t.s.topicsRegex.MatchString(r.Topic) {
			continue
		}
		a, ok, err := t.b.action(r)
		if err != nil {
			if err := t.invalid(ctx, r, err); err != nil {
				return err
			}
			continue
		}
		if !ok {
			continue
		}
		if !t.indices[a.Index] {
			if err := t.createIndex(ctx, a.Index, r); err != nil {
				return err
			}
		}
		if t.s.typeName != "" && t.client.UsesTypes() {
			a.Type = t.s.typeName
		}
		if err := t.w.Add(ctx, a); err != nil {
			return fmt.Errorf("elasticsearch: %w", err)
		}
	}
	return nil
}

func (t *task) createIndex(ctx context.Context, index string, r *connect.Record) error {
	var mapping []byte
	if !t.s.schemaIgn && r.Value != nil {
		mapping = Mapping(r.ValueSchema, t.b.keyFields(r))
	}
	// An unreachable server is waited for here too, as the writer waits:
	// a restart of the search engine must not fail the task.
	wait := max(t.s.writer.RetryBackoff, 10*time.Millisecond)
	for {
		err := t.client.CreateIndex(ctx, index, t.s.typeName, mapping)
		if err == nil {
			break
		}
		if !errors.Is(err, bulk.ErrConnect) {
			return fmt.Errorf("elasticsearch: %w", err)
		}
		t.log.Warn("search engine unavailable; retrying index creation", "index", index, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("elasticsearch: %w", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
	t.indices[index] = true
	return nil
}

// invalid handles a record that cannot become a document, as the
// Confluent connector handles a DataException.
func (t *task) invalid(ctx context.Context, r *connect.Record, cause error) error {
	if t.s.dropInvalid && errors.Is(cause, ErrInvalidRecord) {
		t.log.Warn("dropping invalid record", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", cause)
		return nil
	}
	if t.s.tolerateAll {
		return t.deadLetter(ctx, r, cause)
	}
	return fmt.Errorf("elasticsearch: %w", cause)
}

// onFailure decides what a document the server rejected for good does.
func (t *task) onFailure(ctx context.Context, a *bulk.Action, ie *bulk.ItemError) error {
	r, _ := a.Ref.(*connect.Record)
	attrs := []any{"index", a.Index, "id", a.ID, "err", ie}
	if r != nil {
		attrs = append(attrs, "topic", r.Topic, "partition", r.Partition, "offset", r.Offset)
	}
	if ie.Malformed {
		switch t.s.onMalformed {
		case malformedIgnore:
			t.log.Debug("ignoring malformed document", attrs...)
			return t.deadLetterIfSet(ctx, r, ie)
		case malformedWarn:
			t.log.Warn("ignoring malformed document", attrs...)
			return t.deadLetterIfSet(ctx, r, ie)
		}
	}
	if t.s.tolerateAll {
		t.log.Warn("document rejected", attrs...)
		return t.deadLetter(ctx, r, ie)
	}
	t.log.Error("document rejected", attrs...)
	return ie
}

func (t *task) deadLetterIfSet(ctx context.Context, r *connect.Record, cause error) error {
	if t.s.dlq == "" || !t.s.tolerateAll {
		return nil
	}
	return t.deadLetter(ctx, r, cause)
}

// deadLetter sends r to the dead-letter topic; without one, errors.tolerance=all
// means the record is logged and skipped, as in Kafka Connect.
func (t *task) deadLetter(ctx context.Context, r *connect.Record, cause error) error {
	if r == nil || t.sc == nil {
		return nil
	}
	if t.s.dlq == "" {
		t.log.Warn("skipping record that failed (no dead-letter topic)", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", cause)
		return nil
	}
	t.dlqMu.Lock()
	defer t.dlqMu.Unlock()
	if err := t.sc.DeadLetter(ctx, r, cause); err != nil {
		return fmt.Errorf("elasticsearch: dead-letter: %w", err)
	}
	return nil
}

func (t *task) Flush(ctx context.Context) error {
	if t.w == nil {
		return nil
	}
	if err := t.w.Flush(ctx); err != nil {
		return fmt.Errorf("elasticsearch: flush: %w", err)
	}
	return nil
}

func (t *task) Stop() error {
	if t.w != nil {
		t.w.Close()
	}
	if t.client != nil {
		return t.client.Close()
	}
	return nil
}

// redactURLs hides credentials written into connection URLs
// (http://user:password@host), which would otherwise reach the log.
func redactURLs(urls []string) []string {
	out := make([]string, len(urls))
	for i, s := range urls {
		if u, err := url.Parse(s); err == nil {
			out[i] = u.Redacted()
		} else {
			out[i] = "(unparsable URL)"
		}
	}
	return out
}
