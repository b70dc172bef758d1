package bulk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// ErrClosed is returned by a Writer used after Close.
var ErrClosed = errors.New("bulk: writer closed")

// ErrFlushTimeout is returned by Flush when outstanding batches did not
// finish within Options.FlushTimeout. Nothing is lost: the batches are
// still being retried, and a later Flush waits for them again.
var ErrFlushTimeout = errors.New("bulk: flush timed out")

// Options configure a Writer. Zero fields take the defaults named beside
// them, which are the Confluent connector's.
type Options struct {
	// BatchSize is the most actions in one bulk request (batch.size, 2000).
	BatchSize int
	// BatchBytes is the most bytes in one bulk request (5 MiB, as the
	// Confluent connector's bulk.size.bytes).
	BatchBytes int
	// Linger is how long a partial batch waits for more actions
	// (linger.ms, 1ms).
	Linger time.Duration
	// MaxInFlight bounds concurrent bulk requests (max.in.flight.requests, 5).
	MaxInFlight int
	// MaxRetries bounds retries of an item the server rejects with 429 or
	// 5xx (max.retries, 5). Unreachable servers are retried without bound.
	MaxRetries int
	// RetryBackoff is the first retry's wait, doubled per attempt with
	// jitter (retry.backoff.ms, 100ms).
	RetryBackoff time.Duration
	// MaxBackoff caps one wait (10s).
	MaxBackoff time.Duration
	// FlushTimeout bounds one Flush (flush.timeout.ms, 3 minutes).
	FlushTimeout time.Duration
	// OnFailure is told about each action the server rejected for good
	// (malformed document, retries exhausted). A nil return means the
	// caller dealt with it (dead-lettered or ignored it); an error makes
	// the Writer fail. It is called from the Writer's goroutines, one at a
	// time. Nil fails on every rejection.
	OnFailure func(ctx context.Context, a *Action, err *ItemError) error
	Logger    *slog.Logger
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.BatchSize <= 0 {
		o.BatchSize = 2000
	}
	if o.BatchBytes <= 0 {
		o.BatchBytes = 5 << 20
	}
	if o.Linger <= 0 {
		o.Linger = time.Millisecond
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 5
	}
	if o.MaxRetries < 0 {
		o.MaxRetries = 0
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 3 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Stats counts what a Writer did.
type Stats struct {
	Requests, Retries, Indexed, Deleted, Conflicts, Failed int64
}

// Writer batches actions into bulk requests. Add and Flush may be called
// from one goroutine at a time; the Writer's own goroutines send batches.
//
// Lock order: mu only; no callback or blocking send runs under it.
type Writer struct {
	c    *Client
	opts Options
	sem  chan struct{}
	// ctx ends the Writer's goroutines on Close.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	cur     *batch
	born    time.Time // when cur got its first action
	pending int       // batches sent and not yet finished
	idle    chan struct{}
	err     error
	closed  bool
	stats   Stats
	failMu  sync.Mutex // serialises OnFailure
}

// batch is one bulk request in the making. body is the request itself,
// written as actions are added, so a batch the server takes whole (nearly
// every one) is sent without being encoded again; each action's Source
// points into body, from which a retry of some of the actions is built.
// Batches and their buffers are pooled: a batch of 2,000 documents holds
// half a megabyte, and making one per request would be most of the
// writer's garbage.
type batch struct {
	actions []Action
	body    []byte
}

var batchPool = sync.Pool{New: func() any { return &batch{body: make([]byte, 0, 1<<20)} }}

func newBatch(n int) *batch {
	b := batchPool.Get().(*batch)
	if cap(b.actions) < n {
		b.actions = make([]Action, 0, n)
	}
	return b
}

// release returns b to the pool once nothing refers to its actions.
func (b *batch) release() {
	clear(b.actions) // drop the callers' Refs
	b.actions = b.actions[:0]
	b.body = b.body[:0]
	batchPool.Put(b)
}

// add appends a to the batch, copying its source into the body, so the
// caller may reuse a.Source's buffer once Add returns.
func (b *batch) add(a Action) {
	b.body = a.appendMeta(b.body)
	if a.Op != OpDelete {
		start := len(b.body)
		b.body = a.appendSource(b.body)
		a.Source = b.body[start : len(b.body)-1 : len(b.body)-1]
		if a.Op == OpUpsert {
			a.Source = a.Source[len(upsertOpen) : len(a.Source)-len(upsertClose)]
		}
	}
	b.actions = append(b.actions, a)
}

// NewWriter starts a Writer over c. Close it to stop its goroutines.
func NewWriter(c *Client, opts Options) *Writer {
	opts.EnsureDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{c: c, opts: opts, sem: make(chan struct{}, opts.MaxInFlight), ctx: ctx, cancel: cancel}
	w.wg.Go(w.lingerLoop)
	return w
}

// Add queues a. It blocks while MaxInFlight requests are outstanding and
// a full batch waits to be sent. It returns the Writer's fatal error, if
// one happened.
func (w *Writer) Add(ctx context.Context, a Action) error {
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	if w.cur == nil {
		w.cur = newBatch(min(w.opts.BatchSize, 4096))
		w.born = time.Now()
	}
	w.cur.add(a)
	var full *batch
	if len(w.cur.actions) >= w.opts.BatchSize || len(w.cur.body) >= w.opts.BatchBytes {
		full = w.takeLocked()
	}
	w.mu.Unlock()
	if full != nil {
		return w.dispatch(ctx, full)
	}
	return nil
}

// Flush sends what is queued and waits until every action added so far is
// acknowledged or reported, at most Options.FlushTimeout.
func (w *Writer) Flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, w.opts.FlushTimeout)
	defer cancel()
	w.mu.Lock()
	if err := w.usableLocked(); err != nil {
		w.mu.Unlock()
		return err
	}
	b := w.takeLocked()
	w.mu.Unlock()
	if b != nil {
		if err := w.dispatch(ctx, b); err != nil {
			return err
		}
	}
	for {
		w.mu.Lock()
		if w.err != nil || w.pending == 0 {
			err := w.err
			w.mu.Unlock()
			return err
		}
		if w.idle == nil {
			w.idle = make(chan struct{})
		}
		idle := w.idle
		w.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w after %s", ErrFlushTimeout, w.opts.FlushTimeout)
			}
			return ctx.Err()
		}
	}
}

// Stats returns counters so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Close stops the Writer. Batches still being sent or retried are
// abandoned (their offsets were never committed, so they are sent again
// after a restart); call Flush first to deliver them.
func (w *Writer) Close() error {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.cancel()
	w.wg.Wait()
	return nil
}

func (w *Writer) usableLocked() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

func (w *Writer) takeLocked() *batch {
	b := w.cur
	w.cur = nil
	return b
}

// dispatch waits for an in-flight slot and sends b on its own goroutine.
func (w *Writer) dispatch(ctx context.Context, b *batch) error {
	select {
	case w.sem <- struct{}{}:
	case <-ctx.Done():
		// The batch is put back so nothing is lost if the caller retries.
		w.requeue(b)
		return ctx.Err()
	case <-w.ctx.Done():
		return ErrClosed
	}
	w.mu.Lock()
	w.pending++
	w.mu.Unlock()
	w.wg.Go(func() {
		defer func() { <-w.sem }()
		err := w.send(w.ctx, b)
		b.release()
		w.mu.Lock()
		if err != nil && w.err == nil && !w.closed {
			w.err = err
		}
		w.pending--
		if w.pending == 0 && w.idle != nil {
			close(w.idle)
			w.idle = nil
		}
		w.mu.Unlock()
	})
	return nil
}

func (w *Writer) requeue(b *batch) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur != nil {
		// cur's actions keep pointing into cur's body, which is left to
		// the garbage collector rather than pooled.
		b.actions = append(b.actions, w.cur.actions...)
		b.body = append(b.body, w.cur.body...)
	}
	w.cur = b
	w.born = time.Now()
}

// lingerLoop sends a partial batch once it has waited Linger.
func (w *Writer) lingerLoop() {
	tick := time.NewTicker(max(w.opts.Linger/2, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		var b *batch
		if w.cur != nil && w.err == nil && time.Since(w.born) >= w.opts.Linger {
			b = w.takeLocked()
		}
		w.mu.Unlock()
		if b != nil {
			_ = w.dispatch(w.ctx, b)
		}
	}
}
