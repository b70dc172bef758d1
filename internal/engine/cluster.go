package engine

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/stream"
)

// Several servers with one ksql.service.id share the work when the log
// is shared (logstore.TaskGrouper: the Kafka backend), as ksqlDB servers
// do:
//
//   - The catalog is replicated through the command topic. Each server
//     replays it at start (Restore) and then follows it with a command
//     runner that runs every statement in the topic's order, its own
//     included (commands.go).
//   - Each persistent query's tasks are balanced across the servers by a
//     consumer group per query; a server runs only the tasks it is
//     assigned, and takes over the tasks of a server that dies or leaves.
//
// Statements run one at a time per server (Engine.stmtMu), so that a
// statement read from the command topic never interleaves with one a
// client sent here.

// cluster is the engine's part in a service spread over servers.
type cluster struct {
	grouper logstore.TaskGrouper

	mu      sync.Mutex
	members map[string]logstore.GroupMember // query id → membership
	cancel  context.CancelFunc              // stops the runner
	done    chan struct{}                   // closed when the runner has stopped

	// submitMu makes this server's appends to the command topic one at a
	// time, since they share one transactional id.
	submitMu sync.Mutex
	// waiters hands the runner's result of a command this server
	// appended to the client waiting for it, by command id.
	waiters map[string]chan outcome
	// next is the offset the runner reads next: every command below it
	// has run here. advanced is closed and replaced when next moves.
	next     int64
	advanced chan struct{}
}

// outcome is what running one command gave.
type outcome struct {
	res *Result
	err error
}

// newCluster returns the cluster part of an engine on lg, or nil when lg
// is not shared between processes or queries are stepped by hand.
func newCluster(lg logstore.Log, manual bool) *cluster {
	g, ok := lg.(logstore.TaskGrouper)
	if !ok || manual {
		return nil
	}
	return &cluster{grouper: g, members: map[string]logstore.GroupMember{},
		waiters: map[string]chan outcome{}, advanced: make(chan struct{})}
}

// distributed reports whether queries share their tasks with other
// servers.
func (e *Engine) distributed() bool { return e.cluster != nil }

// joinTasks makes rq's tasks follow the query's group.
func (e *Engine) joinTasks(ctx context.Context, sess *Session, rq *stream.Query) error {
	gopts := logstore.GroupOptions{Address: e.opts.Advertised}
	if v := e.property(sess, "session.timeout.ms", ""); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return fmt.Errorf("session.timeout.ms=%q: want a positive number of milliseconds", v)
		}
		gopts.SessionTimeout = time.Duration(ms) * time.Millisecond
	}
	id := rq.ID()
	m, err := e.cluster.grouper.JoinTasks(ctx, rq.Spec().Group, rq.TaskInputs(), gopts, func(owned []int) {
		if err := rq.Assign(owned); err != nil {
			e.logger.Error("assign tasks", "query_id", id, "err", err)
			return
		}
		e.logger.Info("tasks assigned", "query_id", id, "tasks", owned)
	})
	if err != nil {
		return fmt.Errorf("query %s: join its group: %w", id, err)
	}
	e.cluster.mu.Lock()
	e.cluster.members[id] = m
	e.cluster.mu.Unlock()
	return nil
}

// leaveTasks hands a stopping query's tasks back to the group.
func (e *Engine) leaveTasks(id string) {
	if e.cluster == nil {
		return
	}
	e.cluster.mu.Lock()
	m := e.cluster.members[id]
	delete(e.cluster.members, id)
	e.cluster.mu.Unlock()
	if m != nil {
		if err := m.Close(); err != nil {
			e.logger.Warn("leave query group", "query_id", id, "err", err)
		}
	}
}

// commitInterval is commit.interval.ms (ksql.streams.commit.interval.ms):
// how long a task gathers records into one transaction. Kafka Streams
// defaults to 100ms under exactly-once, which Sluice uses for both
// guarantees: a commit is one atomic write here in either case.
func (e *Engine) commitInterval(sess *Session) (time.Duration, error) {
	v := e.property(sess, "commit.interval.ms", "100")
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("commit.interval.ms=%q: want a number of milliseconds", v)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// atLeastOnce reads processing.guarantee. Sluice defaults to
// exactly_once_v2, where ksqlDB defaults to at_least_once: a commit is
// atomic on the embedded log anyway, and DESIGN.md promises it on Kafka.
func (e *Engine) atLeastOnce(sess *Session) (bool, error) {
	switch v := strings.ToLower(e.property(sess, "processing.guarantee", "exactly_once_v2")); v {
	case "exactly_once_v2", "exactly_once", "exactly_once_beta":
		return false, nil
	case "at_least_once":
		return true, nil
	default:
		return false, fmt.Errorf("processing.guarantee=%q: want exactly_once_v2 or at_least_once", v)
	}
}
