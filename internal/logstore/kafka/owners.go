package kafka

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
)

var _ logstore.OwnerLocator = (*Log)(nil)

// TaskOwners reads a query's membership group as the coordinator knows
// it: each member's address from its join metadata (taskBalancer), and the
// partitions the leader last assigned it. During a cooperative rebalance a
// task between owners belongs to no one; the caller retries.
func (l *Log) TaskOwners(ctx context.Context, group string, tps []logstore.TopicPartition) (map[logstore.TopicPartition]string, error) {
	g := l.group(MemberGroup(group))
	described, err := l.adm.DescribeGroups(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("kafka: describe group %q: %w", g, err)
	}
	dg, ok := described[g]
	if !ok {
		return nil, fmt.Errorf("kafka: describe group %q: not in the response", g)
	}
	if dg.Err != nil {
		return nil, fmt.Errorf("kafka: describe group %q: %w", g, dg.Err)
	}
	owner := map[physPart]string{}
	for _, m := range dg.Members {
		meta, ok := m.Join.AsConsumer()
		if !ok {
			continue
		}
		asg, ok := m.Assigned.AsConsumer()
		if !ok {
			continue
		}
		for _, t := range asg.Topics {
			for _, p := range t.Partitions {
				owner[physPart{t.Topic, p}] = string(meta.UserData)
			}
		}
	}
	out := make(map[logstore.TopicPartition]string, len(tps))
	for _, tp := range tps {
		if a, ok := owner[physPart{l.physical(tp.Topic), tp.Partition}]; ok && a != "" {
			out[tp] = a
		}
	}
	return out, nil
}
