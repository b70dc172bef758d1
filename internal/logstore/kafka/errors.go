package kafka

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/sluicedb/sluice/internal/logstore"
)

// sentinel returns the logstore error a Kafka error means, or nil when it
// has no logstore counterpart.
func sentinel(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, kerr.TopicAlreadyExists):
		return logstore.ErrTopicExists
	case errors.Is(err, kerr.UnknownTopicOrPartition), errors.Is(err, kerr.UnknownTopicID):
		return logstore.ErrUnknownTopic
	case errors.Is(err, kerr.InvalidTopicException):
		return logstore.ErrInvalidTopicName
	case errors.Is(err, kerr.InvalidPartitions):
		return logstore.ErrInvalidPartitions
	case errors.Is(err, kerr.OffsetOutOfRange):
		return logstore.ErrOffsetOutOfRange
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge):
		return logstore.ErrRecordTooLarge
	case errors.Is(err, kerr.ProducerFenced), errors.Is(err, kerr.InvalidProducerEpoch):
		return logstore.ErrFenced
	}
	return nil
}

// wrap adds context to err and, where Kafka's error has a logstore
// meaning, makes it comparable with that sentinel too.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if s := sentinel(err); s != nil && !errors.Is(err, s) {
		return fmt.Errorf("kafka: %s: %w: %w", msg, s, err)
	}
	return fmt.Errorf("kafka: %s: %w", msg, err)
}
