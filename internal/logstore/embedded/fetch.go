package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Fetch defaults, as a Kafka consumer's max.partition.fetch.bytes.
const (
	defaultFetchRecords = 10000
	defaultFetchBytes   = 1 << 20
)

// Fetch implements logstore.Log. At the end of the partition it waits on
// the partition's commit notification, never polling. Like Kafka it
// returns at least one record even when that record exceeds MaxBytes.
func (l *Log) Fetch(ctx context.Context, tp logstore.TopicPartition, offset int64, opts logstore.FetchOptions) ([]logstore.Record, error) {
	p, err := l.partition(tp)
	if err != nil {
		return nil, err
	}
	maxRecords, maxBytes := opts.MaxRecords, opts.MaxBytes
	if maxRecords <= 0 {
		maxRecords = defaultFetchRecords
	}
	if maxBytes <= 0 {
		maxBytes = defaultFetchBytes
	}
	var timer *time.Timer
	for {
		wait := *p.notify.Load()
		end := p.end.Load()
		if start := p.start.Load(); offset < start || offset > end {
			return nil, fmt.Errorf("embedded: %s/%d offset %d outside [%d, %d]: %w", tp.Topic, tp.Partition, offset, start, end, logstore.ErrOffsetOutOfRange)
		}
		if offset < end {
			recs, err := p.read(offset, end, maxRecords, maxBytes)
			if err != nil || len(recs) > 0 {
				return recs, err
			}
			// Compaction removed everything from offset to end; like
			// Kafka, the reader gets nothing and retries from the same
			// offset. Waiting for a new commit avoids a spin.
		}
		if opts.MaxWait <= 0 {
			return nil, nil
		}
		if timer == nil {
			timer = time.NewTimer(opts.MaxWait)
			defer timer.Stop()
		}
		select {
		case <-wait:
		case <-timer.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-l.closing:
			return nil, logstore.ErrClosed
		case <-p.topic.gone:
			return nil, fmt.Errorf("embedded: topic %q was deleted: %w", tp.Topic, logstore.ErrUnknownTopic)
		}
	}
}

// ListOffsets implements logstore.Log.
func (l *Log) ListOffsets(ctx context.Context, tp logstore.TopicPartition) (logstore.Offsets, error) {
	p, err := l.partition(tp)
	if err != nil {
		return logstore.Offsets{}, err
	}
	end := p.end.Load()
	return logstore.Offsets{Start: p.start.Load(), End: end}, nil
}

// OffsetForTime implements logstore.Log, through each segment's largest
// timestamp and the index's timestamp prefixes, so only one index interval
// per segment is scanned.
func (l *Log) OffsetForTime(ctx context.Context, tp logstore.TopicPartition, ts int64) (int64, error) {
	p, err := l.partition(tp)
	if err != nil {
		return 0, err
	}
	return p.offsetForTime(ts)
}
