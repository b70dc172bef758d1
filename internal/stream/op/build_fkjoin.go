package op

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/value"
)

// fkJoinBranch builds a foreign-key join as Kafka Streams lays it out:
// the right side is a sub-topology of its own, whose tasks read the right
// table and the subscription topic, partitioned alike; the left side is
// the returned branch, whose tasks read the left table and the response
// topic, partitioned alike, and whose results feed the operators above.
// Neither table needs as many partitions as the other.
func (b *builder) fkJoinBranch(ctx context.Context, j *plan.Join) (*branch, error) {
	left, err := b.branchOf(ctx, j.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.branchOf(ctx, j.Right)
	if err != nil {
		return nil, err
	}
	lparts, err := b.inputPartitions(ctx, left.inputs[0])
	if err != nil {
		return nil, err
	}
	rparts, err := b.inputPartitions(ctx, right.inputs[0])
	if err != nil {
		return nil, err
	}
	subTopic := b.group + "-" + j.SubscriptionTopic
	respTopic := b.group + "-" + j.ResponseTopic
	partitioner, err := b.fkPartitioner(ctx, j.Right, rparts)
	if err != nil {
		return nil, err
	}
	b.subs = append(b.subs, stream.SubSpec{
		Inputs: append([]stream.Input{{Topic: subTopic, Create: rparts}}, right.inputs...),
		Stores: append(append([]string(nil), right.stores...), j.SubscriptionStore, j.RightStore),
		NewProcessor: func(tc *stream.TaskContext) (stream.Processor, error) {
			subs, err := tc.Store(j.SubscriptionStore)
			if err != nil {
				return nil, err
			}
			rs, err := tc.Store(j.RightStore)
			if err != nil {
				return nil, err
			}
			op := &FKRight{Subs: subs, Right: rs, ResponseTopic: respTopic}
			re, err := right.entry(tc, op)
			if err != nil {
				return nil, err
			}
			return &multiChain{entries: append([]recordProcessor{FKSubscriptions{Join: op}}, re...)}, nil
		},
	})
	out := &branch{
		inputs: append(append([]stream.Input(nil), left.inputs...), stream.Input{Topic: respTopic, Create: lparts}),
		stores: append(append([]string(nil), left.stores...), j.LeftStore),
		table:  true,
	}
	out.entry = func(tc *stream.TaskContext, next Op) ([]recordProcessor, error) {
		ls, err := tc.Store(j.LeftStore)
		if err != nil {
			return nil, err
		}
		part, err := partitioner(tc.Context())
		if err != nil {
			return nil, err
		}
		op := &FKJoin{Type: j.Type, FK: j.ForeignKey.Eval, LeftWidth: j.LeftWidth, RightWidth: j.RightWidth, Store: ls, SubscriptionTopic: subTopic, Partition: part, Next: next}
		le, err := left.entry(tc, op)
		if err != nil {
			return nil, err
		}
		return append(le, FKResponses{Join: op}), nil
	}
	return out, nil
}

// inputPartitions returns the partition count of an input topic, which
// the query creates itself when it is internal.
func (b *builder) inputPartitions(ctx context.Context, in stream.Input) (int32, error) {
	if in.Create > 0 {
		return in.Create, nil
	}
	info, err := b.env.Log.DescribeTopic(ctx, in.Topic)
	if err != nil {
		return 0, fmt.Errorf("topic %s: %w", in.Topic, err)
	}
	return max(info.Partitions, 1), nil
}

// fkPartitioner returns a constructor of the function that places a
// foreign key where the right side reads the row it names: by its
// internal encoding behind a repartition topic, else by the right
// source's serialized key, as the producers of the topic placed it with
// Kafka's default partitioner.
func (b *builder) fkPartitioner(ctx context.Context, n plan.Node, parts int32) (func(context.Context) (FKPartitioner, error), error) {
	for {
		switch x := n.(type) {
		case *plan.Repartition:
			return func(context.Context) (FKPartitioner, error) {
				return func(fk value.Value) (int32, error) {
					return logstore.Partition(value.AppendValues(nil, []value.Value{fk}), parts), nil
				}, nil
			}, nil
		case *plan.Source:
			src := x.Src
			serializer := func(ctx context.Context) (FKPartitioner, error) {
				kf, _, err := Formats(src, b.env.Registry)
				if err != nil {
					return nil, err
				}
				ks, err := kf.Serializer(ctx, Target(src, true))
				if err != nil {
					return nil, err
				}
				var buf []byte
				return func(fk value.Value) (int32, error) {
					key, err := ks.Serialize(buf[:0], []value.Value{fk})
					if err != nil {
						return 0, err
					}
					buf = key
					return logstore.Partition(key, parts), nil
				}, nil
			}
			// Fail the statement, not the first record, on a bad format.
			if _, err := serializer(ctx); err != nil {
				return nil, err
			}
			return serializer, nil
		default:
			kids := n.Children()
			if len(kids) != 1 {
				return nil, fmt.Errorf("foreign-key join: cannot place the right side's %T", n)
			}
			n = kids[0]
		}
	}
}
