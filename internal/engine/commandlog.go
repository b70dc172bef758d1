package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// The catalog is a command log, as in ksqlDB: every statement that changes
// it is appended to the command topic once it has succeeded, and a
// restarted server replays the topic to rebuild streams, tables, types,
// queries (with their ids, so they resume from their committed offsets)
// and connectors.

// command is one entry of the command topic.
type command struct {
	Statement string            `json:"statement"`
	Props     map[string]string `json:"streamsProperties,omitempty"`
	Vars      map[string]string `json:"variables,omitempty"`
	QueryID   string            `json:"queryId,omitempty"`
	// Origin tags the server process that ran the statement, so that it
	// does not run it again when it follows the topic (cluster.go).
	Origin string `json:"origin,omitempty"`
}

// CommandTopic is the name of a service's command topic.
func CommandTopic(serviceID string) string {
	return "_sluice_" + serviceID + "_command_topic"
}

func (e *Engine) commandTopic() string { return CommandTopic(e.opts.ServiceID) }

// changesCatalog reports statements the command log records.
func changesCatalog(stmt ast.Statement) bool {
	switch stmt.(type) {
	case *ast.CreateSource, *ast.CreateAsSelect, *ast.InsertInto, *ast.DropSource,
		*ast.CreateType, *ast.DropType, *ast.QueryControl, *ast.CreateConnector,
		*ast.DropConnector, *ast.AlterSource, *ast.AlterSystem:
		return true
	}
	return false
}

// appendCommand durably records a successful statement.
func (e *Engine) appendCommand(ctx context.Context, sess *Session, text string, r *Result) error {
	c := command{Statement: text, Props: copyMap(sess.Props), QueryID: r.QueryID, Origin: e.origin()}
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	txn, err := e.opts.Log.Begin(ctx, "")
	if err != nil {
		return fmt.Errorf("command log: %w", err)
	}
	if err := txn.Produce(ctx, e.commandTopic(), logstore.Record{Key: []byte(strconv.Itoa(int(e.commandSeq))), Value: b}); err != nil {
		_ = txn.Abort(ctx)
		return fmt.Errorf("command log: %w", err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		return fmt.Errorf("command log: %w", err)
	}
	e.commandSeq++
	return nil
}

func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Restore creates the command topic if needed and replays it, rebuilding
// the catalog and restarting its queries. Call it once, before serving.
func (e *Engine) Restore(ctx context.Context) error {
	topic := e.commandTopic()
	err := e.opts.Log.CreateTopic(ctx, topic, logstore.TopicConfig{Partitions: 1, Replicas: 1})
	if err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return fmt.Errorf("command topic %s: %w", topic, err)
	}
	e.commandLog = true
	tp := logstore.TopicPartition{Topic: topic}
	offs, err := e.opts.Log.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("command topic %s: %w", topic, err)
	}
	off := offs.Start
	e.restoring = true
	defer func() { e.restoring = false }()
	for off < offs.End {
		recs, err := e.opts.Log.Fetch(ctx, tp, off, logstore.FetchOptions{})
		if err != nil {
			return fmt.Errorf("command topic %s at %d: %w", topic, off, err)
		}
		if len(recs) == 0 {
			break
		}
		for _, rec := range recs {
			off = rec.Offset + 1
			var c command
			if err := json.Unmarshal(rec.Value, &c); err != nil {
				e.commandSeq++
				e.logger.Error("command log: skipping unreadable command", "offset", rec.Offset, "err", err)
				continue
			}
			e.replay(ctx, c, rec.Offset)
		}
	}
	if e.distributed() {
		e.follow(off)
	}
	return nil
}

// replay runs a command read from the command topic without logging it
// again, under the query id it was given first.
func (e *Engine) replay(ctx context.Context, c command, offset int64) {
	sess := &Session{Props: c.Props, Vars: map[string]string{}}
	if sess.Props == nil {
		sess.Props = map[string]string{}
	}
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	e.commandSeq++
	e.replaying, e.forcedQueryID = true, c.QueryID
	_, err := e.executeLocked(ctx, sess, c.Statement, ast.Pos{Line: 1, Col: 1})
	e.replaying, e.forcedQueryID = false, ""
	if err != nil {
		// A command that fails on replay (a dropped dependency, a
		// function that no longer exists) must not stop the others from
		// coming back.
		e.logger.Error("command log: replay failed", "offset", offset, "statement", c.Statement, "err", err)
	}
}
