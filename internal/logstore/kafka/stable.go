package kafka

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// awaitStable waits until read_committed readers can see every record of
// a committed transaction. Kafka acknowledges EndTxn once the coordinator
// has logged its decision and writes the commit markers afterwards, so the
// last stable offset of each partition trails the commit by a moment; the
// contract promises visibility when Commit returns, so Commit waits for
// it.
func (l *Log) awaitStable(ctx context.Context, written map[logstore.TopicPartition][]int64) error {
	// want is one past the last record written per partition.
	want := map[logstore.TopicPartition]int64{}
	for tp, offs := range written {
		if len(offs) > 0 {
			want[tp] = offs[len(offs)-1] + 1
		}
	}
	for delay := 500 * time.Microsecond; len(want) > 0; delay = min(2*delay, 5*time.Millisecond) {
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		req.IsolationLevel = 1
		byTopic := map[string]int{}
		for tp := range want {
			phys := l.physical(tp.Topic)
			i, ok := byTopic[phys]
			if !ok {
				i = len(req.Topics)
				byTopic[phys] = i
				rt := kmsg.NewListOffsetsRequestTopic()
				rt.Topic = phys
				req.Topics = append(req.Topics, rt)
			}
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = tp.Partition
			rp.CurrentLeaderEpoch = -1
			rp.Timestamp = -1
			req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
		}
		resp, err := req.RequestWith(ctx, l.cl)
		if err != nil {
			return l.closedErr(fmt.Errorf("await commit markers: %w", err))
		}
		for _, rt := range resp.Topics {
			name, _ := l.logical(rt.Topic)
			for _, rp := range rt.Partitions {
				tp := logstore.TopicPartition{Topic: name, Partition: rp.Partition}
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					if kerr.IsRetriable(err) {
						continue
					}
					return wrap(err, "await commit markers of %s/%d", tp.Topic, tp.Partition)
				}
				if rp.Offset >= want[tp] {
					delete(want, tp)
				}
			}
		}
		if len(want) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return l.closedErr(fmt.Errorf("await commit markers: %w", ctx.Err()))
		case <-time.After(delay):
		}
	}
	return nil
}

// offsetsVisibleWait bounds how long Commit waits for its offsets to show.
// Past it Commit returns anyway: the transaction is committed, and the
// offsets show once the coordinator applies the markers.
const offsetsVisibleWait = 5 * time.Second

// awaitOffsets waits until the group coordinator reports the offsets a
// committed transaction wrote. As with records, the coordinator applies
// transaction markers after EndTxn returns, and an OffsetFetch in between
// (even with require_stable) may return the previous offsets.
func (l *Log) awaitOffsets(ctx context.Context, group string, want map[logstore.TopicPartition]int64) {
	deadline := time.Now().Add(offsetsVisibleWait)
	for delay := 500 * time.Microsecond; ; delay = min(2*delay, 5*time.Millisecond) {
		resps, err := l.adm.FetchOffsets(ctx, l.group(group))
		if err == nil {
			match := true
			for tp, off := range want {
				r, ok := resps.Lookup(l.physical(tp.Topic), tp.Partition)
				if !ok || r.At != off {
					match = false
					break
				}
			}
			if match {
				return
			}
		}
		if time.Now().After(deadline) {
			l.logger.Warn("kafka: committed offsets not yet visible", "group", group, "err", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}
