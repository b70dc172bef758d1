package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
)

// The catalog is a command log, as in ksqlDB: every statement that changes
// it is recorded in the command topic, and a restarted server replays the
// topic to rebuild streams, tables, types, queries (with their ids, so
// they resume from their committed offsets) and connectors.
//
// A server alone on its log (the embedded backend) runs a statement and
// then appends it, both under Engine.stmtMu, so the topic's order is the
// order it ran them in. Servers that share a Kafka cluster instead append
// first and run only what they read back (cluster.go), so that every
// server runs every statement in the topic's order.

// command is one entry of the command topic.
type command struct {
	Statement string            `json:"statement"`
	Props     map[string]string `json:"streamsProperties,omitempty"`
	Vars      map[string]string `json:"variables,omitempty"`
	// QueryID is the id the statement's query was given when it ran
	// before it was appended; commands run after they are read back get
	// theirs from the catalog, the same on every server.
	QueryID string `json:"queryId,omitempty"`
	// Origin tagged the server that ran a command before appending it, in
	// topics older versions wrote; it is no longer used.
	Origin string `json:"origin,omitempty"`
	// ID names a command appended before it ran, so the server that
	// appended it can hand the result to the client waiting for it.
	ID string `json:"id,omitempty"`
	// Line and Col place the statement in the request it came in, so its
	// errors name the same positions wherever it runs.
	Line int `json:"line,omitempty"`
	Col  int `json:"col,omitempty"`
}

// CommandTopic is the name of a service's command topic, ksqlDB's
// "_confluent-ksql-<service.id>_command_topic".
func CommandTopic(serviceID string) string {
	return "_confluent-ksql-" + serviceID + "_command_topic"
}

// legacyCommandTopic is the name data directories and clusters written
// before Sluice took ksqlDB's name use.
func legacyCommandTopic(serviceID string) string {
	return "_sluice_" + serviceID + "_command_topic"
}

func (e *Engine) commandTopic() string {
	if e.cmdTopic != "" {
		return e.cmdTopic
	}
	return CommandTopic(e.opts.ServiceID)
}

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

// appendCommand durably records a statement that ran here, and returns
// its offset in the command topic (ksqlDB's command sequence number).
func (e *Engine) appendCommand(ctx context.Context, sess *Session, text string, r *Result) (int64, error) {
	c := command{Statement: text, Props: copyMap(sess.Props), QueryID: r.QueryID}
	b, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	txn, err := e.opts.Log.Begin(ctx, "")
	if err != nil {
		return 0, fmt.Errorf("command log: %w", err)
	}
	topic := e.commandTopic()
	if err := txn.Produce(ctx, topic, logstore.Record{Key: []byte(strconv.Itoa(int(e.commandSeq))), Value: b, Timestamp: time.Now().UnixMilli()}); err != nil {
		_ = txn.Abort(ctx)
		return 0, fmt.Errorf("command log: %w", err)
	}
	assigned, err := txn.Commit(ctx)
	if err != nil {
		return 0, fmt.Errorf("command log: %w", err)
	}
	e.commandSeq++
	return commandOffset(assigned, topic), nil
}

// commandOffset is the offset a commit gave the one command it wrote.
func commandOffset(assigned map[logstore.TopicPartition][]int64, topic string) int64 {
	if offs := assigned[logstore.TopicPartition{Topic: topic}]; len(offs) > 0 {
		return offs[0]
	}
	return -1
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
	topic, err := e.chooseCommandTopic(ctx)
	if err != nil {
		return err
	}
	e.cmdTopic = topic
	// The command topic is the catalog: like ksqlDB, keep it forever,
	// whatever the broker's default retention.
	err = e.opts.Log.CreateTopic(ctx, topic, logstore.TopicConfig{Partitions: 1, Replicas: 1,
		Configs: map[string]string{"retention.ms": "-1", "cleanup.policy": "delete"}})
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

// chooseCommandTopic returns ksqlDB's name for the command topic, unless
// only the name older versions used exists, which is then kept.
func (e *Engine) chooseCommandTopic(ctx context.Context) (string, error) {
	topic, legacy := CommandTopic(e.opts.ServiceID), legacyCommandTopic(e.opts.ServiceID)
	has := func(name string) (bool, error) {
		_, err := e.opts.Log.DescribeTopic(ctx, name)
		if errors.Is(err, logstore.ErrUnknownTopic) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("command topic %s: %w", name, err)
		}
		return true, nil
	}
	hasLegacy, err := has(legacy)
	if err != nil || !hasLegacy {
		return topic, err
	}
	hasNew, err := has(topic)
	if err != nil || hasNew {
		return topic, err
	}
	return legacy, nil
}

// replay runs a command read from the command topic without logging it
// again. A command that fails (a dropped dependency, a function that no
// longer exists) must not stop the others from coming back, so its error
// is only logged.
func (e *Engine) replay(ctx context.Context, c command, offset int64) {
	if _, err := e.runCommand(ctx, c, offset); err != nil {
		e.logger.Error("command log: command failed", "offset", offset, "statement", c.Statement, "err", err)
	}
}

// runCommand runs a command read from the command topic at offset, under
// the query id it was given first if it has one.
func (e *Engine) runCommand(ctx context.Context, c command, offset int64) (*Result, error) {
	sess := &Session{Props: c.Props, Vars: map[string]string{}}
	if sess.Props == nil {
		sess.Props = map[string]string{}
	}
	pos := ast.Pos{Line: max(c.Line, 1), Col: max(c.Col, 1)}
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	e.commandSeq++
	e.replaying, e.forcedQueryID = true, c.QueryID
	r, err := e.executeLocked(ctx, sess, c.Statement, pos)
	e.replaying, e.forcedQueryID = false, ""
	// Operators (and the tests) compare servers' command order by it.
	e.logger.Debug("command ran", "offset", offset, "ok", err == nil)
	if err != nil {
		return nil, err
	}
	r.CommandSeq = &offset
	return r, nil
}
