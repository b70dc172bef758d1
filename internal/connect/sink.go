package connect

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// sinkCtx is the SinkContext of one sink task run.
type sinkCtx struct {
	c   *connector
	log *slog.Logger
	mu  sync.Mutex
	raw map[*Record]logstore.Record // the batch's records as read, for the dead-letter topic
}

func (s *sinkCtx) Logger() *slog.Logger { return s.log }

func (s *sinkCtx) DeadLetter(ctx context.Context, r *Record, cause error) error {
	topic := s.c.cfg.String("errors.deadletterqueue.topic.name")
	if topic == "" {
		return ErrNoDeadLetterTopic
	}
	s.mu.Lock()
	raw, ok := s.raw[r]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("dead letter: record %s/%d is not from the current batch", r.Topic, r.Offset)
	}
	l := s.c.rt.opts.Log
	if _, err := ensureTopic(ctx, l, topic, logstore.TopicConfig{Partitions: 1, Replicas: int16(s.c.cfg.Int("errors.deadletterqueue.topic.replication.factor"))}); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	out := logstore.Record{Key: raw.Key, Value: raw.Value, Timestamp: raw.Timestamp, Headers: append([]logstore.Header(nil), raw.Headers...)}
	if s.c.cfg.Bool("errors.deadletterqueue.context.headers.enable") {
		out.Headers = append(out.Headers,
			logstore.Header{Key: "__connect.errors.topic", Value: []byte(r.Topic)},
			logstore.Header{Key: "__connect.errors.partition", Value: []byte(fmt.Sprint(r.Partition))},
			logstore.Header{Key: "__connect.errors.offset", Value: []byte(fmt.Sprint(r.Offset))},
			logstore.Header{Key: "__connect.errors.connector.name", Value: []byte(s.c.name)},
			logstore.Header{Key: "__connect.errors.exception.message", Value: []byte(fmt.Sprint(cause))})
	}
	txn, err := l.Begin(ctx, "connect-dlq-"+s.c.name)
	if err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	if err := txn.Produce(ctx, topic, out); err != nil {
		txn.Abort(context.Background())
		return fmt.Errorf("dead letter: %w", err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	return nil
}

// sinkGroup is the consumer group of a sink connector, named as Kafka
// Connect names it.
func sinkGroup(name string) string { return "connect-" + name }

// runSink runs one sink task until it fails or ctx ends: it reads the
// connector's topics from the group's committed offsets, converts and
// transforms the records, hands them to the task, and commits the offsets
// only after the task's Flush succeeds.
func (c *connector) runSink(ctx context.Context) (err error) {
	logger := c.rt.opts.Logger.With("connector", c.name)
	task, err := c.class.NewSink(c.cfg, Env{Name: c.name, Logger: logger})
	if err != nil {
		return fmt.Errorf("connector %s: %w", c.name, err)
	}
	defer func() {
		if serr := task.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("connector %s: stop: %w", c.name, serr)
		}
	}()
	sc := &sinkCtx{c: c, log: logger, raw: map[*Record]logstore.Record{}}
	if err := task.Start(ctx, sc); err != nil {
		return fmt.Errorf("connector %s: start: %w", c.name, err)
	}
	var lag atomic.Int64
	c.mu.Lock()
	c.lag = lag.Load
	c.mu.Unlock()
	c.setState(Running, nil)
	var re *regexp.Regexp
	if r := c.cfg.String("topics.regex"); r != "" {
		if re, err = regexp.Compile("^(?:" + r + ")$"); err != nil {
			return &ConfigError{Key: "topics.regex", Msg: err.Error()}
		}
	}
	l := c.rt.opts.Log
	group := sinkGroup(c.name)
	pos := map[logstore.TopicPartition]int64{}
	var tps []logstore.TopicPartition
	var refreshed time.Time
	// Offsets are committed as Kafka Connect's WorkerSinkTask commits them:
	// after a Flush, and only every so often, because Flush waits for every
	// request the task has in flight. Flushing after each fetch would drain
	// the sink's pipeline a thousand records at a time.
	var (
		pending     = map[logstore.TopicPartition]int64{}
		pendingRecs int
		lastCommit  = time.Now()
	)
	commit := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := task.Flush(ctx); err != nil {
			return fmt.Errorf("connector %s: flush: %w", c.name, err)
		}
		sc.mu.Lock()
		clear(sc.raw)
		sc.mu.Unlock()
		txn, err := l.Begin(ctx, "connect-sink-"+c.name)
		if err != nil {
			return fmt.Errorf("connector %s: %w", c.name, err)
		}
		if err := txn.CommitOffsets(ctx, group, pending); err != nil {
			txn.Abort(context.Background())
			return fmt.Errorf("connector %s: commit offsets: %w", c.name, err)
		}
		if _, err := txn.Commit(ctx); err != nil {
			return fmt.Errorf("connector %s: commit offsets: %w", c.name, err)
		}
		c.records.Add(uint64(pendingRecs))
		pending, pendingRecs, lastCommit = map[logstore.TopicPartition]int64{}, 0, time.Now()
		return nil
	}
	for {
		if time.Since(refreshed) > 2*time.Second {
			if tps, err = c.sinkPartitions(ctx, re, pos, group); err != nil {
				return fmt.Errorf("connector %s: %w", c.name, err)
			}
			refreshed = time.Now()
		}
		batch, err := c.fetchSink(ctx, sc, tps, pos)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("connector %s: %w", c.name, err)
		}
		var total int64
		for _, tp := range tps {
			if o, err := l.ListOffsets(ctx, tp); err == nil {
				total += max(0, o.End-pos[tp])
			}
		}
		lag.Store(total)
		if batch.n == 0 && len(batch.recs) == 0 {
			// Idle: make what was put durable before waiting.
			if err := commit(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			t := time.NewTimer(50 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			continue
		}
		if len(batch.recs) > 0 {
			if err := task.Put(ctx, batch.recs); err != nil {
				return fmt.Errorf("connector %s: put: %w", c.name, err)
			}
		}
		for tp, o := range batch.next {
			pos[tp] = o
			pending[tp] = o
		}
		pendingRecs += len(batch.recs)
		if time.Since(lastCommit) >= sinkCommitInterval || pendingRecs >= sinkCommitRecords {
			if err := commit(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// A sink commits its offsets at least this often while busy, and at most
// this many records apart, so a restart replays a bounded tail and the
// dead-letter bookkeeping of unflushed records stays bounded.
const (
	sinkCommitInterval = time.Second
	sinkCommitRecords  = 20000
)

// sinkPartitions lists the partitions of the connector's topics and
// positions new ones at the group's committed offset, or the start.
func (c *connector) sinkPartitions(ctx context.Context, re *regexp.Regexp, pos map[logstore.TopicPartition]int64, group string) ([]logstore.TopicPartition, error) {
	l := c.rt.opts.Log
	var topics []string
	if re != nil {
		infos, err := l.ListTopics(ctx)
		if err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		for _, ti := range infos {
			if re.MatchString(ti.Name) {
				topics = append(topics, ti.Name)
			}
		}
	}
	topics = append(topics, c.cfg.List("topics")...)
	var tps, fresh []logstore.TopicPartition
	for _, t := range topics {
		info, err := l.DescribeTopic(ctx, t)
		if err != nil {
			continue // not created yet; looked for again later
		}
		c.addTopic(t)
		for p := int32(0); p < info.Partitions; p++ {
			tp := logstore.TopicPartition{Topic: t, Partition: p}
			tps = append(tps, tp)
			if _, ok := pos[tp]; !ok {
				fresh = append(fresh, tp)
			}
		}
	}
	if len(fresh) > 0 {
		committed, err := l.CommittedOffsets(ctx, group, fresh)
		if err != nil {
			return nil, fmt.Errorf("committed offsets: %w", err)
		}
		for _, tp := range fresh {
			if o, ok := committed[tp]; ok {
				pos[tp] = o
				continue
			}
			// auto.offset.reset=earliest, Kafka Connect's default.
			offs, err := l.ListOffsets(ctx, tp)
			if err != nil {
				return nil, fmt.Errorf("offsets of %s: %w", tp.Topic, err)
			}
			pos[tp] = offs.Start
		}
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	return tps, nil
}

type sinkBatch struct {
	recs []*Record
	n    int // records read, including skipped ones
	next map[logstore.TopicPartition]int64
}

// fetchSink reads one batch across the partitions.
func (c *connector) fetchSink(ctx context.Context, sc *sinkCtx, tps []logstore.TopicPartition, pos map[logstore.TopicPartition]int64) (sinkBatch, error) {
	b := sinkBatch{next: map[logstore.TopicPartition]int64{}}
	l := c.rt.opts.Log
	for _, tp := range tps {
		at := pos[tp]
		recs, err := l.Fetch(ctx, tp, at, logstore.FetchOptions{MaxRecords: 1000})
		if err != nil {
			return b, fmt.Errorf("fetch %s/%d: %w", tp.Topic, tp.Partition, err)
		}
		for _, lr := range recs {
			b.n++
			b.next[tp] = lr.Offset + 1
			r, err := c.decodeSink(ctx, tp, lr)
			if err == nil {
				r, err = c.pipe.apply(r)
			}
			if err != nil {
				if c.cfg.String("errors.tolerance") != "all" {
					return b, fmt.Errorf("%s/%d@%d: %w", tp.Topic, tp.Partition, lr.Offset, err)
				}
				if c.cfg.Bool("errors.log.enable") {
					c.log.Warn("skipping record", "topic", tp.Topic, "partition", tp.Partition, "offset", lr.Offset, "error", err)
				}
				if c.cfg.String("errors.deadletterqueue.topic.name") != "" {
					tmp := &Record{Topic: tp.Topic, Partition: tp.Partition, Offset: lr.Offset}
					sc.mu.Lock()
					sc.raw[tmp] = lr
					sc.mu.Unlock()
					if err := sc.DeadLetter(ctx, tmp, err); err != nil {
						return b, err
					}
				}
				continue
			}
			if r == nil {
				continue
			}
			sc.mu.Lock()
			sc.raw[r] = lr
			sc.mu.Unlock()
			b.recs = append(b.recs, r)
		}
	}
	return b, nil
}

func (c *connector) decodeSink(ctx context.Context, tp logstore.TopicPartition, lr logstore.Record) (*Record, error) {
	r := &Record{Topic: tp.Topic, Partition: tp.Partition, Offset: lr.Offset, Timestamp: lr.Timestamp}
	var err error
	if lr.Key != nil {
		if r.KeySchema, r.Key, err = c.pipe.key.ToConnect(ctx, tp.Topic, lr.Key); err != nil {
			return nil, fmt.Errorf("key converter: %w", err)
		}
	}
	if r.ValueSchema, r.Value, err = c.pipe.value.ToConnect(ctx, tp.Topic, lr.Value); err != nil {
		return nil, fmt.Errorf("value converter: %w", err)
	}
	for _, h := range lr.Headers {
		var v any
		if h.Value != nil {
			v = string(h.Value)
		}
		r.Headers = append(r.Headers, Header{Key: h.Key, Schema: OptString, Value: v})
	}
	return r, nil
}
