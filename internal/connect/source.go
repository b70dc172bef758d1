package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"time"
	"unsafe"

	"github.com/sluicedb/sluice/internal/logstore"
)

type sourceCtx struct {
	offsets map[string]map[string]any
	log     *slog.Logger
}

func (s *sourceCtx) Offset(_ context.Context, partition map[string]any) (map[string]any, error) {
	return s.offsets[partitionID(partition)], nil
}

func (s *sourceCtx) Logger() *slog.Logger { return s.log }

// runSource runs one source task until it fails or ctx ends. Every batch
// the task polls is written in one log transaction together with the
// batch's latest offset per source partition, so that after a crash the
// log holds exactly the records whose offsets it holds.
func (c *connector) runSource(ctx context.Context) (err error) {
	logger := c.rt.opts.Logger.With("connector", c.name)
	task, err := c.class.NewSource(c.cfg, Env{Name: c.name, Logger: logger})
	if err != nil {
		return fmt.Errorf("connector %s: %w", c.name, err)
	}
	defer func() {
		if serr := task.Stop(); serr != nil && err == nil {
			err = fmt.Errorf("connector %s: stop: %w", c.name, serr)
		}
		c.mu.Lock()
		c.lag = nil
		c.mu.Unlock()
	}()
	l := c.rt.opts.Log
	offTopic := c.rt.opts.OffsetsTopic
	offsets, err := loadOffsets(ctx, l, offTopic, c.name)
	if err != nil {
		return fmt.Errorf("connector %s: load offsets: %w", c.name, err)
	}
	offParts, err := ensureTopic(ctx, l, offTopic, logstore.TopicConfig{Partitions: 1, Replicas: 1, Compact: true})
	if err != nil {
		return fmt.Errorf("connector %s: %w", c.name, err)
	}
	if err := task.Start(ctx, &sourceCtx{offsets: offsets, log: logger}); err != nil {
		return fmt.Errorf("connector %s: start: %w", c.name, err)
	}
	c.mu.Lock()
	if lr, ok := task.(LagReporter); ok {
		c.lag = lr.Lag
	}
	c.mu.Unlock()
	c.setState(Running, nil)
	w := &sourceWriter{c: c, log: l, offTopic: offTopic, offParts: offParts, parts: map[string]int32{}}
	for {
		recs, err := task.Poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("connector %s: poll: %w", c.name, err)
		}
		if len(recs) == 0 {
			continue
		}
		n, err := w.write(ctx, recs)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("connector %s: %w", c.name, err)
		}
		c.records.Add(uint64(n))
		if err := task.Commit(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("connector %s: commit: %w", c.name, err)
		}
	}
}

// sourceWriter turns polled batches into log transactions.
type sourceWriter struct {
	c        *connector
	log      logstore.Log
	offTopic string
	offParts int32
	parts    map[string]int32 // partition count per output topic

	lastPart   unsafe.Pointer
	lastPartID string
}

type pendingOffset struct {
	partition map[string]any
	offset    map[string]any
}

// write transforms, converts and commits one batch; it returns how many
// records it wrote.
func (w *sourceWriter) write(ctx context.Context, recs []*Record) (int, error) {
	byTopic := map[string][]logstore.Record{}
	var topicOrder []string
	var offOrder []string
	latest := map[string]pendingOffset{}
	now := time.Now().UnixMilli()
	written := 0
	for _, r := range recs {
		if r.SourcePartition != nil {
			id := w.partitionID(r.SourcePartition)
			if _, ok := latest[id]; !ok {
				offOrder = append(offOrder, id)
			}
			latest[id] = pendingOffset{r.SourcePartition, r.SourceOffset}
		}
		out, err := w.c.pipe.apply(r)
		var key, val []byte
		if err == nil && out != nil {
			key, val, err = w.c.pipe.encode(ctx, out)
		}
		if err != nil {
			if w.c.cfg.String("errors.tolerance") == "all" {
				if w.c.cfg.Bool("errors.log.enable") {
					w.c.log.Warn("skipping record", "topic", r.Topic, "error", err)
				}
				continue
			}
			return 0, err
		}
		if out == nil {
			continue
		}
		n, ok := w.parts[out.Topic]
		if !ok {
			if n, err = ensureTopic(ctx, w.log, out.Topic, logstore.TopicConfig{Partitions: w.c.rt.opts.TopicPartitions, Replicas: 1}); err != nil {
				return 0, err
			}
			w.parts[out.Topic] = n
			w.c.addTopic(out.Topic)
		}
		p := out.Partition
		if p < 0 || p >= n {
			p = 0
			if key != nil {
				p = logstore.Partition(key, n)
			}
		}
		ts := out.Timestamp
		if ts == 0 {
			ts = now
		}
		lr := logstore.Record{Key: key, Value: val, Timestamp: ts, Partition: p}
		for _, h := range out.Headers {
			lr.Headers = append(lr.Headers, logstore.Header{Key: h.Key, Value: headerBytes(h.Value)})
		}
		if _, ok := byTopic[out.Topic]; !ok {
			topicOrder = append(topicOrder, out.Topic)
		}
		byTopic[out.Topic] = append(byTopic[out.Topic], lr)
		written++
	}
	txn, err := w.log.Begin(ctx, "connect-source-"+w.c.name)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	for _, t := range topicOrder {
		if err := txn.Produce(ctx, t, byTopic[t]...); err != nil {
			txn.Abort(context.Background())
			return 0, fmt.Errorf("produce to %s: %w", t, err)
		}
	}
	offRecs := make([]logstore.Record, 0, len(offOrder))
	for _, id := range offOrder {
		po := latest[id]
		k, err := offsetKey(w.c.name, po.partition)
		if err != nil {
			txn.Abort(context.Background())
			return 0, err
		}
		var v []byte
		if po.offset != nil {
			if v, err = json.Marshal(po.offset); err != nil {
				txn.Abort(context.Background())
				return 0, fmt.Errorf("offset: %w", err)
			}
		}
		offRecs = append(offRecs, logstore.Record{Key: k, Value: v, Timestamp: now, Partition: logstore.Partition(k, w.offParts)})
	}
	if len(offRecs) > 0 {
		if err := txn.Produce(ctx, w.offTopic, offRecs...); err != nil {
			txn.Abort(context.Background())
			return 0, fmt.Errorf("produce offsets: %w", err)
		}
	}
	if _, err := txn.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return written, nil
}

// partitionID caches the canonical text of the source partition a task
// reuses for every record, which is the common case.
func (w *sourceWriter) partitionID(p map[string]any) string {
	ptr := reflect.ValueOf(p).UnsafePointer()
	if ptr == w.lastPart && ptr != nil {
		return w.lastPartID
	}
	w.lastPart, w.lastPartID = ptr, partitionID(p)
	return w.lastPartID
}

// headerBytes writes a header value as Connect's SimpleHeaderConverter
// does for primitives: its string form.
func headerBytes(v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return []byte(x)
	case []byte:
		return x
	}
	return []byte(fmt.Sprint(v))
}
