package embedded

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
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
