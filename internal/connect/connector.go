package connect

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// connector is one running connector: its validated config, pipeline and
// the goroutine that runs (and restarts) its task.
type connector struct {
	rt    *Runtime
	name  string
	class *Class
	cfg   *Config
	pipe  *pipeline
	log   interface {
		Warn(string, ...any)
		Info(string, ...any)
		Error(string, ...any)
		Debug(string, ...any)
	}

	records atomic.Uint64

	mu        sync.Mutex
	state     State
	lastErr   error
	lastErrAt time.Time
	topics    map[string]bool
	lag       func() int64
	cancel    context.CancelFunc
	done      chan struct{}
}

// start launches the task loop; the caller holds no connector lock.
func (c *connector) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c.mu.Lock()
	c.cancel, c.done = cancel, done
	c.state = Unassigned
	c.mu.Unlock()
	go func() {
		defer close(done)
		c.loop(ctx)
	}()
}

// stop cancels the task loop and waits for it, or for ctx.
func (c *connector) stop(ctx context.Context) error {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.cancel, c.done = nil, nil
	c.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop connector %s: %w", c.name, ctx.Err())
	}
}

func (c *connector) setState(s State, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = s
	if err != nil {
		c.lastErr, c.lastErrAt = err, time.Now()
	}
}

func (c *connector) addTopic(t string) {
	c.mu.Lock()
	c.topics[t] = true
	c.mu.Unlock()
}

// loop runs the task until ctx ends, restarting it with exponential
// backoff after each failure, as Connect's errors.retry settings would.
func (c *connector) loop(ctx context.Context) {
	backoff := c.rt.opts.RestartBackoff
	maxBackoff := time.Duration(c.cfg.Int("errors.retry.delay.max.ms")) * time.Millisecond
	if maxBackoff < backoff {
		maxBackoff = backoff
	}
	for {
		started := time.Now()
		err := c.runOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("task stopped unexpectedly")
		}
		c.log.Error("connector task failed; restarting", "error", err, "backoff", backoff)
		c.setState(Failed, err)
		if time.Since(started) > 10*maxBackoff {
			// A task that ran a long while before failing starts over
			// with a short delay.
			backoff = c.rt.opts.RestartBackoff
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// runOnce runs the task once. A panic in connector code fails the task
// like an error, so that it never takes the server down.
func (c *connector) runOnce(ctx context.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("connector %s: task panicked: %v\n%s", c.name, p, debug.Stack())
		}
	}()
	if c.class.Kind == Sink {
		return c.runSink(ctx)
	}
	return c.runSource(ctx)
}

func (c *connector) status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Status{
		Name:     c.name,
		Class:    c.class.Name,
		Kind:     c.class.Kind,
		State:    c.state,
		Records:  c.records.Load(),
		Config:   c.cfg.Masked(),
		Warnings: c.cfg.Warnings,
	}
	if c.state == Failed || c.state == Running || c.state == Paused {
		ts := TaskStatus{ID: 0, State: c.state}
		if c.state == Failed && c.lastErr != nil {
			ts.Trace = c.lastErr.Error()
		}
		st.Tasks = []TaskStatus{ts}
	}
	if c.lastErr != nil {
		st.LastError, st.LastErrorAt = c.lastErr.Error(), c.lastErrAt
	}
	for t := range c.topics {
		st.Topics = append(st.Topics, t)
	}
	sort.Strings(st.Topics)
	if c.lag != nil {
		st.Lag = c.lag()
	}
	return st
}
