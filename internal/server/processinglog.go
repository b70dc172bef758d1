package server

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/processinglog"
)

// flagOn reads a boolean property that defaults to def.
func flagOn(props map[string]string, key string, def bool) bool {
	v := strings.TrimSpace(props[key])
	if v == "" {
		return def
	}
	return strings.EqualFold(v, "true")
}

// openProcessingLog starts the processing log writer when
// ksql.logging.processing.topic.auto.create is on (Sluice's default, as in
// ksqlDB's packaged server properties), and returns its topic.
func (n *Node) openProcessingLog(ctx context.Context, props map[string]string, serviceID string, logger *slog.Logger) (string, error) {
	topic := props[processinglog.PropTopicName]
	if topic == "" {
		topic = processinglog.TopicName(serviceID)
	}
	if !flagOn(props, processinglog.PropTopicAutoCreate, true) {
		return topic, nil
	}
	parts := int64(1)
	if v := props[processinglog.PropTopicPartitions]; v != "" {
		p, err := strconv.ParseInt(v, 10, 32)
		if err != nil || p < 1 {
			return "", fmt.Errorf("config: %s=%q is not a positive integer", processinglog.PropTopicPartitions, v)
		}
		parts = p
	}
	w, err := processinglog.Open(ctx, n.Log, processinglog.Options{Topic: topic, Partitions: int32(parts), Logger: logger})
	if err != nil {
		return "", err
	}
	n.ProcessingLog = w
	return topic, nil
}

// createProcessingLogStream registers the stream over the processing log
// topic when ksql.logging.processing.stream.auto.create is on and no
// source of that name exists yet, as ksqlDB does at startup.
func (n *Node) createProcessingLogStream(ctx context.Context, props map[string]string, topic string) error {
	if n.ProcessingLog == nil || !flagOn(props, processinglog.PropStreamAutoCreate, true) {
		return nil
	}
	name := props[processinglog.PropStreamName]
	if name == "" {
		name = processinglog.DefaultStreamName
	}
	if _, ok := n.Engine.Catalog().Source(strings.ToUpper(name)); ok {
		return nil
	}
	if _, err := n.Engine.Execute(ctx, engine.NewSession(), processinglog.StreamStatement(name, topic)); err != nil {
		return fmt.Errorf("create the processing log stream %s: %w", name, err)
	}
	return nil
}
