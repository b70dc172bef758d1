package registry

import (
	"context"
	"fmt"
	"sync"

	"github.com/sluicedb/sluice/internal/logstore"
)

// memLog is a minimal in-memory logstore.Log, enough for the registry's
// tests while the embedded backend is being written. compact() removes
// superseded records and tombstones, as a compacted topic may have done
// before a restart.
type memLog struct {
	mu     sync.Mutex
	topics map[string][]logstore.Record // one partition per topic
	next   map[string]int64
}

func newMemLog() *memLog {
	return &memLog{topics: map[string][]logstore.Record{}, next: map[string]int64{}}
}

func (m *memLog) CreateTopic(_ context.Context, name string, _ logstore.TopicConfig) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.topics[name]; ok {
		return logstore.ErrTopicExists
	}
	m.topics[name] = nil
	return nil
}

func (m *memLog) DeleteTopic(context.Context, string) error { return nil }

func (m *memLog) DescribeTopic(_ context.Context, name string) (logstore.TopicInfo, error) {
	return logstore.TopicInfo{Name: name, Partitions: 1}, nil
}

func (m *memLog) ListTopics(context.Context) ([]logstore.TopicInfo, error) { return nil, nil }

func (m *memLog) Fetch(_ context.Context, tp logstore.TopicPartition, offset int64, opts logstore.FetchOptions) ([]logstore.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	recs, ok := m.topics[tp.Topic]
	if !ok {
		return nil, logstore.ErrUnknownTopic
	}
	var out []logstore.Record
	for _, r := range recs {
		if r.Offset >= offset && (opts.MaxRecords == 0 || len(out) < opts.MaxRecords) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memLog) ListOffsets(_ context.Context, tp logstore.TopicPartition) (logstore.Offsets, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.topics[tp.Topic]; !ok {
		return logstore.Offsets{}, logstore.ErrUnknownTopic
	}
	return logstore.Offsets{Start: 0, End: m.next[tp.Topic]}, nil
}

func (m *memLog) OffsetForTime(context.Context, logstore.TopicPartition, int64) (int64, error) {
	return 0, nil
}

func (m *memLog) CommittedOffsets(context.Context, string, []logstore.TopicPartition) (map[logstore.TopicPartition]int64, error) {
	return nil, nil
}

func (m *memLog) Begin(context.Context, string) (logstore.Txn, error) { return &memTxn{log: m}, nil }

func (m *memLog) Close() error { return nil }

// compact keeps the latest record per key and drops tombstones.
func (m *memLog) compact(topic string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := map[string]int{}
	for i, r := range m.topics[topic] {
		last[string(r.Key)] = i
	}
	var kept []logstore.Record
	for i, r := range m.topics[topic] {
		if last[string(r.Key)] == i && r.Value != nil {
			kept = append(kept, r)
		}
	}
	m.topics[topic] = kept
}

type memTxn struct {
	log  *memLog
	recs map[string][]logstore.Record
}

func (t *memTxn) Produce(_ context.Context, topic string, recs ...logstore.Record) error {
	if t.recs == nil {
		t.recs = map[string][]logstore.Record{}
	}
	t.recs[topic] = append(t.recs[topic], recs...)
	return nil
}

func (t *memTxn) CommitOffsets(context.Context, string, map[logstore.TopicPartition]int64) error {
	return nil
}

func (t *memTxn) Commit(context.Context) (map[logstore.TopicPartition][]int64, error) {
	m := t.log
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[logstore.TopicPartition][]int64{}
	for topic, recs := range t.recs {
		if _, ok := m.topics[topic]; !ok {
			return nil, fmt.Errorf("commit to %s: %w", topic, logstore.ErrUnknownTopic)
		}
		for _, r := range recs {
			r.Offset = m.next[topic]
			m.next[topic]++
			m.topics[topic] = append(m.topics[topic], r)
			tp := logstore.TopicPartition{Topic: topic}
			out[tp] = append(out[tp], r.Offset)
		}
	}
	return out, nil
}

func (t *memTxn) Abort(context.Context) error { return nil }
