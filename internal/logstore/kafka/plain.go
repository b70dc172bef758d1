package kafka

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicedb/sluice/internal/logstore"
)

// plainClient returns the shared idempotent producer, creating it on
// first use.
func (l *Log) plainClient() (*kgo.Client, error) {
	if l.parent != nil {
		return l.parent.plainClient()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, logstore.ErrClosed
	}
	if l.plain != nil {
		return l.plain, nil
	}
	// Commit waits for its own records, so lingering would only delay
	// it; batches still form while a request is in flight.
	opts, err := l.producerOpts(kgo.ProducerLinger(0))
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: new producer: %w", err)
	}
	l.plain = cl
	return cl, nil
}

// plainTxn is the writer behind Begin(""): it keeps records and offsets
// until Commit and then writes them with the idempotent producer and a
// plain offset commit. It fences nothing and is never fenced. Kafka
// cannot make such a write atomic: if Commit fails part-way, the records
// and offsets written before the failure stay visible.
type plainTxn struct {
	l        *Log
	finished bool
	recs     []*kgo.Record
	tps      []logstore.TopicPartition // of each record
	offsets  map[string]map[logstore.TopicPartition]int64
}

func (t *plainTxn) Produce(ctx context.Context, topic string, recs ...logstore.Record) error {
	if t.finished {
		return errFinished
	}
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		return err
	}
	defer done()
	phys := t.l.physical(topic)
	for _, r := range recs {
		tp := logstore.TopicPartition{Topic: topic, Partition: r.Partition}
		if _, err := t.l.partition(ctx, tp, false); err != nil {
			return fmt.Errorf("kafka: produce: %w", err)
		}
		t.recs = append(t.recs, record(phys, r))
		t.tps = append(t.tps, tp)
	}
	return nil
}

func (t *plainTxn) CommitOffsets(_ context.Context, group string, offsets map[logstore.TopicPartition]int64) error {
	if t.finished {
		return errFinished
	}
	g := t.offsets[group]
	if g == nil {
		g = map[logstore.TopicPartition]int64{}
		t.offsets[group] = g
	}
	for tp, off := range offsets {
		g[tp] = off
	}
	return nil
}

func (t *plainTxn) Commit(ctx context.Context) (map[logstore.TopicPartition][]int64, error) {
	if t.finished {
		return nil, errFinished
	}
	t.finished = true
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	out := map[logstore.TopicPartition][]int64{}
	if len(t.recs) > 0 {
		cl, err := t.l.plainClient()
		if err != nil {
			return nil, err
		}
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			firstErr error
		)
		slots := make([]int64, len(t.recs))
		wg.Add(len(t.recs))
		for i, kr := range t.recs {
			cl.Produce(ctx, kr, func(kr *kgo.Record, err error) {
				defer wg.Done()
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				slots[i] = kr.Offset
			})
		}
		wg.Wait()
		if firstErr != nil {
			return nil, t.l.closedErr(wrap(firstErr, "produce"))
		}
		for i, tp := range t.tps {
			out[tp] = append(out[tp], slots[i])
		}
	}
	for group, offs := range t.offsets {
		var os kadm.Offsets
		for tp, off := range offs {
			os.Add(kadm.Offset{Topic: t.l.physical(tp.Topic), Partition: tp.Partition, At: off, LeaderEpoch: -1})
		}
		resps, err := t.l.adm.CommitOffsets(ctx, t.l.group(group), os)
		if err == nil {
			err = resps.Error()
		}
		if err != nil {
			return nil, t.l.closedErr(wrap(err, "commit offsets of group %q", group))
		}
	}
	return out, nil
}

func (t *plainTxn) Abort(context.Context) error {
	t.finished = true
	t.recs, t.tps, t.offsets = nil, nil, nil
	return nil
}
