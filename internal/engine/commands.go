package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// Servers that share the command topic run statements that change the
// catalog as ksqlDB's DistributedStatementExecutor, CommandStore and
// CommandRunner do. The server a client sends one to appends it to the
// topic in a transaction under the service's transactional id, which
// fences any other server's append in flight, after its own runner has
// read the topic to its end; then it waits until its runner has read the
// statement back and run it, and answers with that run's result. Every
// server's runner runs every command in the topic's order, so two servers
// taking statements at once (two CREATE STREAM x, or a CREATE and a DROP)
// still build the same catalog, with the same query ids, and a restart
// replays it to the same state.

// submitPatience bounds how long an append is retried after other
// servers' appends fenced it.
const submitPatience = 30 * time.Second

// submit runs a statement that changes the catalog through the command
// topic and returns its result as the runner here produced it.
func (e *Engine) submit(ctx context.Context, sess *Session, text string, pos ast.Pos) (*Result, error) {
	substituted := parser.SubstituteVariables(text, sess.Vars)
	var id [16]byte
	_, _ = rand.Read(id[:])
	c := command{Statement: substituted, Props: copyMap(sess.Props), ID: hex.EncodeToString(id[:]), Line: pos.Line, Col: pos.Col}
	cl := e.cluster
	w := make(chan outcome, 1)
	cl.mu.Lock()
	cl.waiters[c.ID] = w
	done := cl.done
	cl.mu.Unlock()
	defer func() {
		cl.mu.Lock()
		delete(cl.waiters, c.ID)
		cl.mu.Unlock()
	}()
	if err := e.distribute(ctx, c); err != nil {
		return nil, &StatementError{Statement: substituted, Err: err}
	}
	select {
	case o := <-w:
		return o.res, o.err
	case <-ctx.Done():
		return nil, &StatementError{Statement: substituted, Err: fmt.Errorf("command %s: appended, but not yet run here: %w", c.ID, ctx.Err())}
	case <-done:
		return nil, &StatementError{Statement: substituted, Err: fmt.Errorf("command %s: appended, but the server is shutting down", c.ID)}
	}
}

// distribute appends c to the command topic, retrying when another
// server's append fenced this one.
func (e *Engine) distribute(ctx context.Context, c command) error {
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("command %s: %w", c.ID, err)
	}
	e.cluster.submitMu.Lock()
	defer e.cluster.submitMu.Unlock()
	deadline := time.Now().Add(submitPatience)
	for attempt := 1; ; attempt++ {
		err = e.appendOnce(ctx, c.ID, b)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		// A failed commit leaves nothing visible, so the append can be
		// tried again; a random pause, longer after each failure, lets
		// the other server's append through first.
		var r [1]byte
		_, _ = rand.Read(r[:])
		pause := time.Duration(min(attempt, 8)) * time.Duration(5+int(r[0])%20) * time.Millisecond
		e.logger.Debug("command topic: append failed; retrying", "command", c.ID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// appendOnce is one transaction that appends a command: Begin claims the
// service's transactional id, fencing any other server's open append, and
// the runner here reads to the end of the topic before the command goes
// in, so it follows everything appended before it.
func (e *Engine) appendOnce(ctx context.Context, id string, value []byte) error {
	topic := e.commandTopic()
	txn, err := e.opts.Log.Begin(ctx, e.opts.ServiceID)
	if err != nil {
		return fmt.Errorf("command topic %s: begin: %w", topic, err)
	}
	if err := e.awaitRunnerAtEnd(ctx); err != nil {
		_ = txn.Abort(ctx)
		return err
	}
	if err := txn.Produce(ctx, topic, logstore.Record{Key: []byte(id), Value: value}); err != nil {
		_ = txn.Abort(ctx)
		return fmt.Errorf("command topic %s: %w", topic, err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		return fmt.Errorf("command topic %s: commit: %w", topic, err)
	}
	return nil
}

// awaitRunnerAtEnd waits until this server's runner has run every command
// in the topic now.
func (e *Engine) awaitRunnerAtEnd(ctx context.Context) error {
	tp := logstore.TopicPartition{Topic: e.commandTopic()}
	offs, err := e.opts.Log.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("command topic %s: %w", tp.Topic, err)
	}
	return e.awaitRunner(ctx, offs.End)
}

// awaitRunner waits until this server's runner has run every command
// below end.
func (e *Engine) awaitRunner(ctx context.Context, end int64) error {
	cl := e.cluster
	for {
		cl.mu.Lock()
		next, advanced, done := cl.next, cl.advanced, cl.done
		cl.mu.Unlock()
		if next >= end {
			return nil
		}
		select {
		case <-advanced:
		case <-done:
			return errors.New("command runner stopped")
		case <-ctx.Done():
			return fmt.Errorf("command topic %s: waiting for the runner to reach %d: %w", e.commandTopic(), end, ctx.Err())
		}
	}
}

// AwaitCommand waits until this server has run the command at offset seq
// of the command topic, as ksqlDB's /ksql does for a request that names
// the commandSequenceNumber of an earlier response. A server alone on its
// log runs its commands before it answers, so it never waits.
func (e *Engine) AwaitCommand(ctx context.Context, seq int64) error {
	if !e.commandLog || !e.distributed() || seq < 0 {
		return nil
	}
	return e.awaitRunner(ctx, seq+1)
}

// follow starts the command runner: from offset next on, it runs every
// command in the topic, in order, and hands each result to the client of
// this server that sent it, until Close.
func (e *Engine) follow(next int64) {
	ctx, cancel := context.WithCancel(context.Background())
	cl := e.cluster
	cl.mu.Lock()
	cl.cancel = cancel
	cl.done = make(chan struct{})
	cl.next = next
	cl.mu.Unlock()
	go func() {
		defer close(cl.done)
		tp := logstore.TopicPartition{Topic: e.commandTopic()}
		wait := time.Second
		for ctx.Err() == nil {
			// The end before the fetch: if the fetch finds nothing, all
			// below it is transaction markers and aborted appends, which
			// the position steps over, as a Kafka consumer's does, so a
			// server about to append sees that its runner is at the end.
			offs, err := e.opts.Log.ListOffsets(ctx, tp)
			var recs []logstore.Record
			if err == nil {
				recs, err = e.opts.Log.Fetch(ctx, tp, next, logstore.FetchOptions{MaxWait: wait})
			}
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				e.logger.Warn("command runner: fetch", "offset", next, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			if len(recs) == 0 {
				if offs.End > next {
					next = offs.End
					cl.advance(next)
				}
				wait = time.Second
				continue
			}
			for _, rec := range recs {
				next = rec.Offset + 1
				e.runRecord(ctx, rec)
				cl.advance(next)
			}
			// Step over the markers after these at once.
			wait = 0
		}
	}()
}

// advance publishes the runner's position.
func (cl *cluster) advance(next int64) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.next = next
	close(cl.advanced)
	cl.advanced = make(chan struct{})
}

// runRecord runs one command the runner read.
func (e *Engine) runRecord(ctx context.Context, rec logstore.Record) {
	var c command
	if err := json.Unmarshal(rec.Value, &c); err != nil {
		e.logger.Error("command runner: skipping unreadable command", "offset", rec.Offset, "err", err)
		return
	}
	res, err := e.runCommand(ctx, c, rec.Offset)
	cl := e.cluster
	cl.mu.Lock()
	w := cl.waiters[c.ID]
	cl.mu.Unlock()
	if w != nil && c.ID != "" {
		// An append retried after a commit that failed on the way back
		// can land twice; the client gets the first run's result.
		select {
		case w <- outcome{res: res, err: err}:
			return
		default:
		}
	}
	if err != nil {
		e.logger.Error("command runner: command failed", "offset", rec.Offset, "statement", c.Statement, "err", err)
	}
}

// stopFollowing ends the runner and waits for it.
func (e *Engine) stopFollowing() {
	if e.cluster == nil {
		return
	}
	e.cluster.mu.Lock()
	cancel, done := e.cluster.cancel, e.cluster.done
	e.cluster.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}
