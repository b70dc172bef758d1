package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
//     replays it at start (Restore) and then follows it, running the
//     statements the other servers append.
//   - Each persistent query's tasks are balanced across the servers by a
//     consumer group per query; a server runs only the tasks it is
//     assigned, and takes over the tasks of a server that dies or leaves.
//
// Statements run one at a time per server (Engine.stmtMu), so that a
// statement followed from the command topic never interleaves with one a
// client sent here. Two servers that change the catalog at the same
// moment can still order their statements differently from the topic;
// ksqlDB avoids that by executing only what it reads back from the
// topic, which Sluice does not do yet.

// cluster is the engine's part in a service spread over servers.
type cluster struct {
	grouper logstore.TaskGrouper
	// origin tags this process's commands so its follower skips them.
	origin string

	mu      sync.Mutex
	members map[string]logstore.GroupMember // query id → membership
	cancel  context.CancelFunc              // stops the follower
	done    chan struct{}
}

// newCluster returns the cluster part of an engine on lg, or nil when lg
// is not shared between processes or queries are stepped by hand.
func newCluster(lg logstore.Log, manual bool) *cluster {
	g, ok := lg.(logstore.TaskGrouper)
	if !ok || manual {
		return nil
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &cluster{grouper: g, origin: hex.EncodeToString(b[:]), members: map[string]logstore.GroupMember{}}
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

// follow runs the statements other servers append to the command topic
// from offset next on, until Close.
func (e *Engine) follow(next int64) {
	ctx, cancel := context.WithCancel(context.Background())
	e.cluster.cancel = cancel
	e.cluster.done = make(chan struct{})
	go func() {
		defer close(e.cluster.done)
		tp := logstore.TopicPartition{Topic: e.commandTopic()}
		for ctx.Err() == nil {
			recs, err := e.opts.Log.Fetch(ctx, tp, next, logstore.FetchOptions{MaxWait: time.Second})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				e.logger.Warn("command log: follow", "offset", next, "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
				continue
			}
			for _, rec := range recs {
				next = rec.Offset + 1
				var c command
				if err := json.Unmarshal(rec.Value, &c); err != nil {
					e.logger.Error("command log: skipping unreadable command", "offset", rec.Offset, "err", err)
					continue
				}
				if c.Origin == e.cluster.origin {
					continue
				}
				e.replay(ctx, c, rec.Offset)
			}
		}
	}()
}

// stopFollowing ends the follower and waits for it.
func (e *Engine) stopFollowing() {
	if e.cluster == nil || e.cluster.cancel == nil {
		return
	}
	e.cluster.cancel()
	<-e.cluster.done
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

// origin returns the tag of this process's commands.
func (e *Engine) origin() string {
	if e.cluster == nil {
		return ""
	}
	return e.cluster.origin
}
