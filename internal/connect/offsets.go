package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// DefaultOffsetsTopic is Kafka Connect's default offset.storage.topic.
const DefaultOffsetsTopic = "connect-offsets"

// offsetKey is the offsets topic key Kafka Connect writes: a JSON array of
// the connector name and the source partition.
func offsetKey(connector string, partition map[string]any) ([]byte, error) {
	b, err := json.Marshal([]any{connector, partition})
	if err != nil {
		return nil, fmt.Errorf("offset key: %w", err)
	}
	return b, nil
}

// ensureTopic creates a topic if it is missing.
func ensureTopic(ctx context.Context, l logstore.Log, name string, cfg logstore.TopicConfig) (int32, error) {
	info, err := l.DescribeTopic(ctx, name)
	if err == nil {
		return info.Partitions, nil
	}
	if !errors.Is(err, logstore.ErrUnknownTopic) {
		return 0, fmt.Errorf("describe topic %s: %w", name, err)
	}
	if err := l.CreateTopic(ctx, name, cfg); err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return 0, fmt.Errorf("create topic %s: %w", name, err)
	}
	info, err = l.DescribeTopic(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("describe topic %s: %w", name, err)
	}
	return info.Partitions, nil
}

// loadOffsets reads a connector's latest source offsets from the offsets
// topic: every partition, to its end. Later records win, and a tombstone
// removes an offset, as in Kafka Connect's KafkaOffsetBackingStore.
func loadOffsets(ctx context.Context, l logstore.Log, topic, connector string) (map[string]map[string]any, error) {
	n, err := ensureTopic(ctx, l, topic, logstore.TopicConfig{Partitions: 1, Replicas: 1, Compact: true})
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]any{}
	for p := int32(0); p < n; p++ {
		tp := logstore.TopicPartition{Topic: topic, Partition: p}
		offs, err := l.ListOffsets(ctx, tp)
		if err != nil {
			return nil, fmt.Errorf("offsets of %s: %w", topic, err)
		}
		for at := offs.Start; at < offs.End; {
			recs, err := l.Fetch(ctx, tp, at, logstore.FetchOptions{MaxWait: time.Millisecond})
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", topic, err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				at = r.Offset + 1
				var key []json.RawMessage
				if json.Unmarshal(r.Key, &key) != nil || len(key) != 2 {
					continue
				}
				var name string
				if json.Unmarshal(key[0], &name) != nil || name != connector {
					continue
				}
				if r.Value == nil {
					delete(out, string(key[1]))
					continue
				}
				var off map[string]any
				if err := json.Unmarshal(r.Value, &off); err != nil {
					return nil, fmt.Errorf("offset for %s: %w", key[1], err)
				}
				out[string(key[1])] = off
			}
		}
	}
	return out, nil
}

// partitionID is the canonical text of a source partition, the key of the
// loaded offsets map.
func partitionID(partition map[string]any) string {
	b, _ := json.Marshal(partition)
	return string(b)
}
