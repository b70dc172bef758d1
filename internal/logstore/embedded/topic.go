package embedded

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

const metaFile = "topic.json"

// topicMeta is the per-topic file. The id tells a topic apart from an
// earlier one of the same name, so that journal entries and group offsets
// of a deleted topic never leak into its successor.
type topicMeta struct {
	Name           string            `json:"name"`
	ID             uint64            `json:"id"`
	Partitions     int32             `json:"partitions"`
	Replicas       int16             `json:"replicas"`
	Compact        bool              `json:"compact,omitempty"`
	RetentionMs    int64             `json:"retention_ms,omitempty"`
	RetentionBytes int64             `json:"retention_bytes,omitempty"`
	Configs        map[string]string `json:"configs,omitempty"`
}

type topic struct {
	name  string
	id    uint64
	cfg   logstore.TopicConfig
	parts []*partition
	// gone is closed when the topic is deleted, waking its long-polls.
	gone chan struct{}

	// Effective settings: TopicConfig fields, else Kafka topic configs,
	// else the Log's options.
	compact         bool
	segmentBytes    int64
	retentionTime   time.Duration
	retentionBytes  int64
	deleteRetention time.Duration
	maxRecordBytes  int
}

func newTopic(m topicMeta, opts *Options) *topic {
	cfg := logstore.TopicConfig{
		Partitions:     m.Partitions,
		Replicas:       m.Replicas,
		Compact:        m.Compact,
		RetentionTime:  time.Duration(m.RetentionMs) * time.Millisecond,
		RetentionBytes: m.RetentionBytes,
		Configs:        maps.Clone(m.Configs),
	}
	t := &topic{
		name: m.Name, id: m.ID, cfg: cfg, gone: make(chan struct{}),
		compact:         cfg.Compact,
		segmentBytes:    opts.SegmentBytes,
		retentionTime:   cfg.RetentionTime,
		retentionBytes:  cfg.RetentionBytes,
		deleteRetention: opts.DeleteRetention,
		maxRecordBytes:  opts.MaxRecordBytes,
	}
	c := cfg.Configs
	if strings.Contains(c["cleanup.policy"], "compact") {
		t.compact = true
	}
	if v, ok := configInt(c, "segment.bytes"); ok && v >= 1024 && v <= maxSegmentBytes {
		t.segmentBytes = v
	}
	if v, ok := configInt(c, "retention.ms"); ok && t.retentionTime == 0 && v > 0 {
		t.retentionTime = time.Duration(v) * time.Millisecond
	}
	if v, ok := configInt(c, "retention.bytes"); ok && t.retentionBytes == 0 && v > 0 {
		t.retentionBytes = v
	}
	if v, ok := configInt(c, "max.message.bytes"); ok && v > 0 && v <= maxSegmentBytes/2 {
		t.maxRecordBytes = int(v)
	}
	if v, ok := configInt(c, "delete.retention.ms"); ok && v >= 0 {
		t.deleteRetention = time.Duration(v) * time.Millisecond
	}
	if t.compact && !strings.Contains(c["cleanup.policy"], "delete") && cfg.RetentionTime == 0 && cfg.RetentionBytes == 0 {
		// Kafka applies time and size retention only under
		// cleanup.policy=delete; a compacted topic keeps every key.
		t.retentionTime, t.retentionBytes = 0, 0
	}
	return t
}

func configInt(c map[string]string, key string) (int64, bool) {
	s, ok := c[key]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return v, err == nil
}

func (t *topic) info() logstore.TopicInfo {
	cfg := t.cfg
	cfg.Configs = maps.Clone(cfg.Configs)
	return logstore.TopicInfo{Name: t.name, Partitions: cfg.Partitions, Replicas: cfg.Replicas, Config: cfg}
}

func (t *topic) isGone() bool {
	select {
	case <-t.gone:
		return true
	default:
		return false
	}
}

func newTopicID() uint64 {
	var b [8]byte
	rand.Read(b[:])
	return binary.LittleEndian.Uint64(b[:]) | 1 // never 0
}

func readTopicMeta(dir string) (topicMeta, error) {
	var m topicMeta
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return m, fmt.Errorf("embedded: read topic metadata: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("embedded: parse %s: %w", filepath.Join(dir, metaFile), err)
	}
	if m.Partitions <= 0 || m.ID == 0 {
		return m, fmt.Errorf("embedded: %s: bad topic metadata", filepath.Join(dir, metaFile))
	}
	return m, nil
}

func partitionDir(topicDir string, p int32) string {
	return filepath.Join(topicDir, strconv.Itoa(int(p)))
}

func jsonMarshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("embedded: encode metadata: %w", err)
	}
	return append(b, '\n'), nil
}

// CreateTopic creates a topic. The topic is built in trash/ and renamed
// into topics/, so a crash never leaves half a topic.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg logstore.TopicConfig) error {
	if err := logstore.ValidateTopicName(name); err != nil {
		return err
	}
	if cfg.Partitions <= 0 {
		return fmt.Errorf("embedded: topic %q with %d partitions: %w", name, cfg.Partitions, logstore.ErrInvalidPartitions)
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	l.ddlMu.Lock()
	defer l.ddlMu.Unlock()
	if _, err := l.topic(name); err == nil {
		return fmt.Errorf("embedded: topic %q: %w", name, logstore.ErrTopicExists)
	} else if !errors.Is(err, logstore.ErrUnknownTopic) {
		return err
	}
	m := topicMeta{
		Name: name, ID: newTopicID(), Partitions: cfg.Partitions, Replicas: cfg.Replicas,
		Compact: cfg.Compact, RetentionMs: cfg.RetentionTime.Milliseconds(),
		RetentionBytes: cfg.RetentionBytes, Configs: cfg.Configs,
	}
	tmp := filepath.Join(l.dir, "trash", fmt.Sprintf("new-%x", m.ID))
	final := filepath.Join(l.dir, "topics", name)
	if err := l.buildTopicDir(tmp, m); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("embedded: create topic %q: %w", name, err)
	}
	if l.opts.Sync != SyncNever {
		if err := syncDir(filepath.Dir(final)); err != nil {
			return err
		}
	}
	t := newTopic(m, &l.opts)
	for i := int32(0); i < m.Partitions; i++ {
		p, _, err := recoverPartition(t, i, partitionDir(final, i), 0, &l.opts)
		if err != nil {
			for _, p := range t.parts {
				p.releaseAll()
			}
			return fmt.Errorf("embedded: open new topic %q: %w", name, err)
		}
		t.parts = append(t.parts, p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		for _, p := range t.parts {
			p.releaseAll()
		}
		return logstore.ErrClosed
	}
	l.topics[name] = t
	return nil
}

func (l *Log) buildTopicDir(dir string, m topicMeta) error {
	for i := int32(0); i < m.Partitions; i++ {
		pd := partitionDir(dir, i)
		if err := os.MkdirAll(pd, 0o755); err != nil {
			return fmt.Errorf("embedded: create partition directory: %w", err)
		}
		s, err := createSegment(pd, 0, 0)
		if err != nil {
			return err
		}
		s.closeWriter()
		s.release()
	}
	b, err := jsonMarshal(m)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, metaFile), b); err != nil {
		return fmt.Errorf("embedded: write topic metadata: %w", err)
	}
	if l.opts.Sync != SyncNever {
		// The topic directory is renamed into place next; its entries
		// must be durable before the rename makes it a topic.
		for i := int32(0); i < m.Partitions; i++ {
			if err := syncDir(partitionDir(dir, i)); err != nil {
				return err
			}
		}
		return syncDir(dir)
	}
	return nil
}

// DeleteTopic removes a topic. It finishes the commits in flight first,
// so a transaction either lands before the delete or fails with
// ErrUnknownTopic.
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	l.ddlMu.Lock()
	defer l.ddlMu.Unlock()
	l.lockSync()
	defer l.unlockSync()
	l.commitMu.Lock()
	l.commitBatch(l.takeQueue())
	l.mu.Lock()
	t := l.topics[name]
	if l.closed {
		l.mu.Unlock()
		l.commitMu.Unlock()
		return logstore.ErrClosed
	}
	if t == nil {
		l.mu.Unlock()
		l.commitMu.Unlock()
		return fmt.Errorf("embedded: topic %q: %w", name, logstore.ErrUnknownTopic)
	}
	delete(l.topics, name)
	close(t.gone)
	l.mu.Unlock()
	l.groupsMu.Lock()
	for k := range l.groups {
		if k.topic == name {
			delete(l.groups, k)
		}
	}
	l.groupsMu.Unlock()
	for _, p := range t.parts {
		p.releaseAll()
		p.wake()
	}
	l.commitMu.Unlock()

	src := filepath.Join(l.dir, "topics", name)
	dst := filepath.Join(l.dir, "trash", fmt.Sprintf("del-%x", t.id))
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("embedded: delete topic %q: %w", name, err)
	}
	if l.opts.Sync != SyncNever {
		if err := syncDir(filepath.Dir(src)); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(dst); err != nil {
		l.lg.Warn("embedded: could not remove deleted topic's files; they go at the next open", "topic", name, "err", err)
	}
	return nil
}

// DescribeTopic implements logstore.Log.
func (l *Log) DescribeTopic(ctx context.Context, name string) (logstore.TopicInfo, error) {
	t, err := l.topic(name)
	if err != nil {
		return logstore.TopicInfo{}, err
	}
	return t.info(), nil
}

// ListTopics implements logstore.Log.
func (l *Log) ListTopics(ctx context.Context) ([]logstore.TopicInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, logstore.ErrClosed
	}
	out := make([]logstore.TopicInfo, 0, len(l.topics))
	for _, t := range l.topics {
		out = append(out, t.info())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
