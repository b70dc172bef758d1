package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// topicMeta is what reads and writes need to know of a topic: its id (the
// Fetch protocol names topics by id), and each partition's leader.
type topicMeta struct {
	id      [16]byte
	leaders []int32
}

// metaPropagation bounds the wait for a created or deleted topic to show
// in the brokers' metadata, so that the next call sees the change.
const metaPropagation = 30 * time.Second

// CreateTopic creates a topic and waits until its partitions have leaders.
func (l *Log) CreateTopic(ctx context.Context, name string, cfg logstore.TopicConfig) error {
	if err := logstore.ValidateTopicName(name); err != nil {
		return err
	}
	if cfg.Partitions <= 0 {
		return fmt.Errorf("kafka: create topic %q: %w: %d", name, logstore.ErrInvalidPartitions, cfg.Partitions)
	}
	ctx, done, err := l.op(ctx)
	if err != nil {
		return err
	}
	defer done()
	phys := l.physical(name)
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = -1 // the broker's default.replication.factor
	}
	resp, err := l.adm.CreateTopic(ctx, cfg.Partitions, replicas, topicConfigs(cfg), phys)
	if err == nil {
		err = resp.Err
		if err != nil && resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
	}
	if errors.Is(err, kerr.TopicAlreadyExists) {
		// Another client created it a moment ago: the controller knows
		// it, but the brokers may not yet, and the caller goes on to use
		// it. Wait for it as for a topic created here.
		if werr := l.awaitMeta(ctx, name, func(m topicMeta, err error) bool { return err == nil && ledAll(m) }); werr != nil {
			l.logger.Warn("kafka: existing topic's metadata not yet visible", "topic", name, "err", werr)
		}
	}
	if err != nil {
		return l.closedErr(wrap(err, "create topic %q", name))
	}
	l.forget(name, phys)
	return l.awaitMeta(ctx, name, func(m topicMeta, err error) bool {
		return err == nil && ledAll(m) && len(m.leaders) == int(cfg.Partitions)
	})
}

// ledAll reports whether every partition of a topic has a leader.
func ledAll(m topicMeta) bool {
	for _, leader := range m.leaders {
		if leader < 0 {
			return false
		}
	}
	return len(m.leaders) > 0
}

// topicConfigs renders a TopicConfig as Kafka topic configs; explicit
// entries in cfg.Configs win over the typed fields.
func topicConfigs(cfg logstore.TopicConfig) map[string]*string {
	out := map[string]*string{}
	set := func(k, v string) {
		if _, ok := out[k]; !ok {
			out[k] = &v
		}
	}
	for k, v := range cfg.Configs {
		set(k, v)
	}
	if cfg.Compact {
		set("cleanup.policy", "compact")
	}
	if cfg.RetentionTime > 0 {
		set("retention.ms", strconv.FormatInt(cfg.RetentionTime.Milliseconds(), 10))
	}
	if cfg.RetentionBytes > 0 {
		set("retention.bytes", strconv.FormatInt(cfg.RetentionBytes, 10))
	}
	return out
}

// DeleteTopic deletes a topic and waits until the brokers no longer list
// it, so that a CreateTopic with the same name may follow at once.
func (l *Log) DeleteTopic(ctx context.Context, name string) error {
	if err := logstore.ValidateTopicName(name); err != nil {
		return fmt.Errorf("kafka: delete topic: %w: %w", logstore.ErrUnknownTopic, err)
	}
	ctx, done, err := l.op(ctx)
	if err != nil {
		return err
	}
	defer done()
	phys := l.physical(name)
	resp, err := l.adm.DeleteTopic(ctx, phys)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		return l.closedErr(wrap(err, "delete topic %q", name))
	}
	l.forget(name, phys)
	return l.awaitMeta(ctx, name, func(_ topicMeta, err error) bool {
		return errors.Is(err, logstore.ErrUnknownTopic)
	})
}

// awaitMeta polls the metadata of name until ok accepts it.
func (l *Log) awaitMeta(ctx context.Context, name string, ok func(topicMeta, error) bool) error {
	deadline := time.Now().Add(metaPropagation)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		m, err := l.topicMeta(ctx, name, true)
		if ok(m, err) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kafka: topic %q: metadata did not settle in %v (last error: %v)", name, metaPropagation, err)
		}
		select {
		case <-ctx.Done():
			return l.closedErr(fmt.Errorf("kafka: topic %q: %w", name, ctx.Err()))
		case <-time.After(delay):
		}
	}
}

// forget drops cached metadata and read-ahead of a topic that this Log
// created or deleted.
func (l *Log) forget(name, phys string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.meta, phys)
	for tp := range l.cursors {
		if tp.Topic == name {
			delete(l.cursors, tp)
		}
	}
	// Producers cache topic ids and refuse a re-created topic until told
	// to forget the old one.
	if l.plain != nil {
		l.plain.PurgeTopicsFromClient(phys)
	}
	if l.parent != nil {
		l.parent.mu.Lock()
		if l.parent.plain != nil {
			l.parent.plain.PurgeTopicsFromClient(phys)
		}
		l.parent.mu.Unlock()
	}
	for _, p := range l.idle {
		p.cl.PurgeTopicsFromClient(phys)
	}
}

// topicMeta returns a topic's metadata, from the cache unless refresh.
// It returns ErrUnknownTopic for a topic the cluster does not have.
func (l *Log) topicMeta(ctx context.Context, name string, refresh bool) (topicMeta, error) {
	phys := l.physical(name)
	if !refresh {
		l.mu.Lock()
		m, ok := l.meta[phys]
		l.mu.Unlock()
		if ok {
			return m, nil
		}
	}
	req := kmsg.NewPtrMetadataRequest()
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(phys)
	req.Topics = append(req.Topics, rt)
	req.AllowAutoTopicCreation = false
	resp, err := req.RequestWith(ctx, l.cl)
	if err != nil {
		return topicMeta{}, l.closedErr(fmt.Errorf("kafka: metadata for %q: %w", name, err))
	}
	if len(resp.Topics) != 1 {
		return topicMeta{}, fmt.Errorf("kafka: metadata for %q: %d topics in the response", name, len(resp.Topics))
	}
	t := resp.Topics[0]
	if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
		if errors.Is(err, kerr.UnknownTopicOrPartition) {
			l.mu.Lock()
			delete(l.meta, phys)
			l.mu.Unlock()
		}
		return topicMeta{}, wrap(err, "metadata for %q", name)
	}
	m := topicMeta{id: t.TopicID, leaders: make([]int32, len(t.Partitions))}
	for _, p := range t.Partitions {
		if p.Partition < 0 || int(p.Partition) >= len(m.leaders) {
			return topicMeta{}, fmt.Errorf("kafka: metadata for %q: partition %d of %d", name, p.Partition, len(m.leaders))
		}
		m.leaders[p.Partition] = p.Leader
	}
	l.mu.Lock()
	l.meta[phys] = m
	l.mu.Unlock()
	return m, nil
}

// partition returns the metadata of tp's topic after checking that tp
// exists.
func (l *Log) partition(ctx context.Context, tp logstore.TopicPartition, refresh bool) (topicMeta, error) {
	if logstore.ValidateTopicName(tp.Topic) != nil {
		return topicMeta{}, fmt.Errorf("kafka: %w: %q", logstore.ErrUnknownTopic, tp.Topic)
	}
	m, err := l.topicMeta(ctx, tp.Topic, refresh)
	if err != nil {
		return m, err
	}
	if tp.Partition < 0 || int(tp.Partition) >= len(m.leaders) {
		if !refresh {
			// The topic may have grown since it was cached.
			return l.partition(ctx, tp, true)
		}
		return m, fmt.Errorf("kafka: %w: %s/%d (the topic has %d)", logstore.ErrUnknownPartition, tp.Topic, tp.Partition, len(m.leaders))
	}
	return m, nil
}

// DescribeTopic returns a topic's partitions, replication factor and the
// configs set on it (not the broker defaults).
func (l *Log) DescribeTopic(ctx context.Context, name string) (logstore.TopicInfo, error) {
	if err := logstore.ValidateTopicName(name); err != nil {
		return logstore.TopicInfo{}, fmt.Errorf("kafka: describe topic: %w: %w", logstore.ErrUnknownTopic, err)
	}
	infos, err := l.describe(ctx, []string{l.physical(name)})
	if err != nil {
		return logstore.TopicInfo{}, err
	}
	if len(infos) == 0 {
		return logstore.TopicInfo{}, fmt.Errorf("kafka: describe topic %q: %w", name, logstore.ErrUnknownTopic)
	}
	infos[0].Name = name
	return infos[0], nil
}

// ListTopics returns the namespace's topics, Kafka's internal topics
// excluded, sorted by name.
func (l *Log) ListTopics(ctx context.Context) ([]logstore.TopicInfo, error) {
	return l.describe(ctx, nil)
}

// describe loads metadata and configs of the given physical topics, or
// of every topic in the namespace when phys is empty. Missing topics are
// left out.
func (l *Log) describe(ctx context.Context, phys []string) ([]logstore.TopicInfo, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	details, err := l.adm.ListTopics(ctx, phys...)
	if err != nil {
		return nil, l.closedErr(wrap(err, "list topics"))
	}
	var names []string
	infos := map[string]*logstore.TopicInfo{}
	for _, d := range details {
		if d.Err != nil {
			if errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
				continue
			}
			return nil, wrap(d.Err, "describe topic %q", d.Topic)
		}
		logical, ok := l.logical(d.Topic)
		if !ok || d.IsInternal {
			continue
		}
		info := &logstore.TopicInfo{Name: logical, Partitions: int32(len(d.Partitions))}
		if p, ok := d.Partitions[0]; ok {
			info.Replicas = int16(len(p.Replicas))
		}
		info.Config = logstore.TopicConfig{Partitions: info.Partitions, Replicas: info.Replicas, Configs: map[string]string{}}
		infos[d.Topic] = info
		names = append(names, d.Topic)
	}
	if len(names) > 0 {
		rcs, err := l.adm.DescribeTopicConfigs(ctx, names...)
		if err != nil {
			return nil, l.closedErr(wrap(err, "describe topic configs"))
		}
		for _, rc := range rcs {
			info := infos[rc.Name]
			if info == nil {
				continue
			}
			if rc.Err != nil {
				if errors.Is(rc.Err, kerr.UnknownTopicOrPartition) {
					delete(infos, rc.Name)
					continue
				}
				return nil, wrap(rc.Err, "describe configs of %q", info.Name)
			}
			applyConfigs(&info.Config, rc.Configs)
		}
	}
	out := make([]logstore.TopicInfo, 0, len(infos))
	for _, info := range infos {
		out = append(out, *info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// applyConfigs fills the typed fields of cfg from the topic's configs and
// keeps those set on the topic itself verbatim.
func applyConfigs(cfg *logstore.TopicConfig, configs []kadm.Config) {
	for _, c := range configs {
		if c.Value == nil {
			continue
		}
		v := *c.Value
		switch c.Key {
		case "cleanup.policy":
			cfg.Compact = strings.Contains(v, "compact")
		case "retention.ms":
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
				cfg.RetentionTime = time.Duration(ms) * time.Millisecond
			}
		case "retention.bytes":
			if b, err := strconv.ParseInt(v, 10, 64); err == nil && b > 0 {
				cfg.RetentionBytes = b
			}
		}
		if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
			cfg.Configs[c.Key] = v
		}
	}
}
