package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// errFinished is returned by a Txn used after Commit or Abort.
var errFinished = errors.New("kafka: transaction already finished")

// producer is one transactional franz-go client. At most one open Txn
// uses it; between transactions it waits in Log.idle under its id.
type producer struct {
	id string // logical transactional id
	cl *kgo.Client
}

// close aborts whatever the producer has open and closes it.
func (p *producer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.cl.UnsafeAbortBufferedRecords()
	_ = p.cl.EndTransaction(ctx, kgo.TryAbort)
	p.cl.Close()
}

// producerOpts are the options of every producing client: records go to
// the partition the caller chose.
func (l *Log) producerOpts(extra ...kgo.Opt) ([]kgo.Opt, error) {
	opts, err := l.opts.clientOpts()
	if err != nil {
		return nil, err
	}
	opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	return append(opts, extra...), nil
}

// Begin starts a transaction. A non-empty id is Kafka's transactional.id:
// Begin initialises the producer id at once, which bumps the epoch and so
// fences any other producer with the id, in this process or another, and
// aborts its open transaction. An empty id gives an idempotent,
// non-transactional writer.
//
// Producers are pooled by id between transactions, so a Begin usually
// costs no round trip. A pooled producer that another process fenced
// while it was idle learns so at its next Commit (ErrFenced) and is then
// dropped; the Begin after that creates a new producer, which fences the
// other process in turn, as a restarted Kafka Streams task does.
func (l *Log) Begin(ctx context.Context, id string) (logstore.Txn, error) {
	ctx, done, err := l.op(ctx)
	if err != nil {
		return nil, err
	}
	defer done()
	if id == "" {
		return &plainTxn{l: l, offsets: map[string]map[logstore.TopicPartition]int64{}}, nil
	}
	l.mu.Lock()
	p := l.idle[id]
	delete(l.idle, id)
	l.mu.Unlock()
	if p == nil {
		opts, err := l.producerOpts(
			kgo.TransactionalID(l.txnID(id)),
			kgo.TransactionTimeout(l.opts.TransactionTimeout),
		)
		if err != nil {
			return nil, fmt.Errorf("kafka: begin %q: %w", id, err)
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return nil, fmt.Errorf("kafka: begin %q: new producer: %w", id, err)
		}
		p = &producer{id: id, cl: cl}
	}
	if err := p.cl.BeginTransaction(); err != nil {
		p.close()
		return nil, wrap(err, "begin %q", id)
	}
	// Java's initTransactions fences at start; so do we, rather than at
	// the first record, so that a zombie cannot commit once Begin has
	// returned.
	if _, _, err := p.cl.ProducerID(ctx); err != nil {
		p.close()
		return nil, l.closedErr(wrap(err, "begin %q: init producer id", id))
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		p.close()
		return nil, logstore.ErrClosed
	}
	l.live[p] = struct{}{}
	l.mu.Unlock()
	return &txn{l: l, p: p, offsets: map[logstore.TopicPartition][]int64{}}, nil
}

// Fence claims a transactional id afresh: a pooled producer with the id
// may have been fenced by another process while it sat idle, so it is
// dropped, and a new one initialises its producer id, which fences every
// other producer with the id and aborts their open transaction.
func (l *Log) Fence(ctx context.Context, id string) error {
	l.mu.Lock()
	p := l.idle[id]
	delete(l.idle, id)
	l.mu.Unlock()
	if p != nil {
		p.close()
	}
	txn, err := l.Begin(ctx, id)
	if err != nil {
		return err
	}
	return txn.Abort(ctx)
}

var _ logstore.Fencer = (*Log)(nil)

// release ends a Txn's hold on its producer: a healthy one waits for the
// next Begin with its id, a failed or superseded one is closed.
func (l *Log) release(p *producer, healthy bool) {
	l.mu.Lock()
	_, live := l.live[p]
	delete(l.live, p)
	keep := healthy && live && !l.closed && l.idle[p.id] == nil
	if keep {
		l.idle[p.id] = p
	}
	l.mu.Unlock()
	if !keep && live {
		p.close()
	}
}

// txn is a Kafka transaction. Records are sent as they are produced (the
// broker hides them from read_committed readers until the commit marker);
// offsets are written with TxnOffsetCommit as they are given.
type txn struct {
	l *Log
	p *producer

	finished bool
	produced bool // a record was sent, so franz-go ends the transaction
	grouped  bool // offsets were added, which franz-go does not know
	// committed holds the offsets given per group, which Commit waits to
	// see.
	committed map[string]map[logstore.TopicPartition]int64

	mu      sync.Mutex // guards what promises write
	offsets map[logstore.TopicPartition][]int64
	err     error // the first failed record
}

func (t *txn) Produce(ctx context.Context, topic string, recs ...logstore.Record) error {
	if t.finished {
		return errFinished
	}
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		return err
	}
	defer done()
	if err := t.failed(); err != nil {
		return err
	}
	phys := t.l.physical(topic)
	var checked int32 = -1
	for _, r := range recs {
		tp := logstore.TopicPartition{Topic: topic, Partition: r.Partition}
		if r.Partition != checked {
			if _, err := t.l.partition(ctx, tp, false); err != nil {
				return fmt.Errorf("kafka: produce: %w", err)
			}
			checked = r.Partition
		}
		kr := record(phys, r)
		t.mu.Lock()
		idx := len(t.offsets[tp])
		t.offsets[tp] = append(t.offsets[tp], -1)
		t.mu.Unlock()
		t.produced = true
		// The record outlives this call: it is bound to the Log, not to
		// ctx, and Commit waits for it.
		t.p.cl.Produce(t.l.ctx, kr, func(kr *kgo.Record, err error) {
			t.mu.Lock()
			defer t.mu.Unlock()
			if err != nil {
				if t.err == nil {
					t.err = err
				}
				return
			}
			t.offsets[tp][idx] = kr.Offset
		})
	}
	return nil
}

// failed returns the first record error, mapped.
func (t *txn) failed() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return wrap(t.err, "transaction %q", t.p.id)
	}
	return nil
}

// record converts a logstore record for franz-go.
func record(phys string, r logstore.Record) *kgo.Record {
	kr := &kgo.Record{
		Topic:     phys,
		Partition: r.Partition,
		Key:       r.Key,
		Value:     r.Value,
		Timestamp: time.UnixMilli(r.Timestamp),
	}
	if len(r.Headers) > 0 {
		kr.Headers = make([]kgo.RecordHeader, len(r.Headers))
		for i, h := range r.Headers {
			kr.Headers[i] = kgo.RecordHeader{Key: h.Key, Value: h.Value}
		}
	}
	return kr
}

// CommitOffsets writes a group's offsets into the transaction. The group
// need not have members: Sluice assigns partitions itself, so the commit
// carries no generation, as a standalone consumer's would.
func (t *txn) CommitOffsets(ctx context.Context, group string, offsets map[logstore.TopicPartition]int64) error {
	if t.finished {
		return errFinished
	}
	if len(offsets) == 0 {
		return nil
	}
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		return err
	}
	defer done()
	id, epoch, err := t.p.cl.ProducerID(ctx)
	if err != nil {
		return t.l.closedErr(wrap(err, "transaction %q: producer id", t.p.id))
	}
	if !t.grouped && !t.l.tv2 {
		// Before transaction.version 2 (KIP-890) the group joins the
		// transaction explicitly; later brokers add it with
		// TxnOffsetCommit itself.
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID = t.l.txnID(t.p.id)
		add.ProducerID, add.ProducerEpoch = id, epoch
		add.Group = t.l.group(group)
		resp, err := retryConcurrent(ctx, func() (*kmsg.AddOffsetsToTxnResponse, error) { return add.RequestWith(ctx, t.p.cl) },
			func(r *kmsg.AddOffsetsToTxnResponse) int16 { return r.ErrorCode })
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
		if err != nil {
			return t.l.closedErr(wrap(err, "transaction %q: add offsets of group %q", t.p.id, group))
		}
		t.grouped = true
	}
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID = t.l.txnID(t.p.id)
	req.Group = t.l.group(group)
	req.ProducerID, req.ProducerEpoch = id, epoch
	req.Generation = -1
	byTopic := map[string]int{}
	for tp, off := range offsets {
		phys := t.l.physical(tp.Topic)
		i, ok := byTopic[phys]
		if !ok {
			i = len(req.Topics)
			byTopic[phys] = i
			rt := kmsg.NewTxnOffsetCommitRequestTopic()
			rt.Topic = phys
			req.Topics = append(req.Topics, rt)
		}
		rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
		rp.Partition = tp.Partition
		rp.Offset = off
		rp.LeaderEpoch = -1
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	t.grouped = true
	if t.committed == nil {
		t.committed = map[string]map[logstore.TopicPartition]int64{}
	}
	if t.committed[group] == nil {
		t.committed[group] = map[logstore.TopicPartition]int64{}
	}
	for tp, off := range offsets {
		t.committed[group][tp] = off
	}
	// The group coordinator answers per partition, and with
	// CONCURRENT_TRANSACTIONS while it is still writing the markers of the
	// id's previous transaction; that passes, so the request is repeated.
	resp, err := retryConcurrent(ctx, func() (*kmsg.TxnOffsetCommitResponse, error) { return req.RequestWith(ctx, t.p.cl) },
		func(r *kmsg.TxnOffsetCommitResponse) int16 {
			for _, rt := range r.Topics {
				for _, rp := range rt.Partitions {
					if rp.ErrorCode != 0 {
						return rp.ErrorCode
					}
				}
			}
			return 0
		})
	if err != nil {
		return t.l.closedErr(wrap(err, "transaction %q: commit offsets of group %q", t.p.id, group))
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return wrap(err, "transaction %q: commit offsets of group %q for %s/%d", t.p.id, group, rt.Topic, rp.Partition)
			}
		}
	}
	return nil
}

// retryConcurrent repeats a transaction-coordinator request while the
// coordinator is still finishing the previous transaction of the id.
func retryConcurrent[R any](ctx context.Context, do func() (R, error), code func(R) int16) (R, error) {
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		resp, err := do()
		if err != nil {
			return resp, err
		}
		if c := code(resp); c != kerr.ConcurrentTransactions.Code && c != kerr.CoordinatorLoadInProgress.Code {
			return resp, nil
		}
		select {
		case <-ctx.Done():
			return resp, ctx.Err()
		case <-time.After(delay):
		}
	}
}

func (t *txn) Commit(ctx context.Context) (map[logstore.TopicPartition][]int64, error) {
	if t.finished {
		return nil, errFinished
	}
	t.finished = true
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		t.l.release(t.p, false)
		return nil, err
	}
	defer done()
	if err := t.p.cl.Flush(ctx); err != nil {
		t.abort()
		return nil, t.l.closedErr(wrap(err, "transaction %q: flush", t.p.id))
	}
	if err := t.failed(); err != nil {
		t.abort()
		return nil, err
	}
	if err := t.end(ctx, true); err != nil {
		t.abort()
		return nil, t.l.closedErr(wrap(err, "transaction %q: commit", t.p.id))
	}
	// The transaction is committed whatever happens now: an error here
	// would tell the caller to redo it and so duplicate its records.
	if err := t.l.awaitStable(ctx, t.offsets); err != nil {
		t.l.logger.Warn("kafka: committed records not yet visible", "txn", t.p.id, "err", err)
	}
	for group, offs := range t.committed {
		t.l.awaitOffsets(ctx, group, offs)
	}
	return t.offsets, nil
}

// end sends EndTxn. franz-go ends a transaction only if it produced a
// record; offsets alone are ended here with a request of our own, after
// which the client's epoch is stale (KIP-890 bumps it at every end), so
// the producer is not reused.
func (t *txn) end(ctx context.Context, commit bool) error {
	if t.produced || !t.grouped {
		err := t.p.cl.EndTransaction(ctx, kgo.TransactionEndTry(commit))
		t.l.release(t.p, err == nil)
		return err
	}
	id, epoch, err := t.p.cl.ProducerID(ctx)
	if err == nil {
		req := kmsg.NewPtrEndTxnRequest()
		req.TransactionalID = t.l.txnID(t.p.id)
		req.ProducerID, req.ProducerEpoch = id, epoch
		req.Commit = commit
		var resp *kmsg.EndTxnResponse
		resp, err = retryConcurrent(ctx, func() (*kmsg.EndTxnResponse, error) { return req.RequestWith(ctx, t.p.cl) },
			func(r *kmsg.EndTxnResponse) int16 { return r.ErrorCode })
		if err == nil {
			err = kerr.ErrorForCode(resp.ErrorCode)
		}
	}
	t.l.release(t.p, false)
	return err
}

// abort discards the transaction after a failure; the producer is closed,
// which aborts whatever the broker still holds open.
func (t *txn) abort() {
	t.l.release(t.p, false)
}

func (t *txn) Abort(ctx context.Context) error {
	if t.finished {
		return nil
	}
	t.finished = true
	ctx, done, err := t.l.op(ctx)
	if err != nil {
		t.l.release(t.p, false)
		return err
	}
	defer done()
	if err := t.p.cl.AbortBufferedRecords(ctx); err != nil {
		t.abort()
		return nil
	}
	if t.failed() != nil {
		// Fenced or failed: the broker aborts the transaction on its own.
		t.abort()
		return nil
	}
	if err := t.end(ctx, false); err != nil {
		if errors.Is(sentinel(err), logstore.ErrFenced) {
			return nil
		}
		return t.l.closedErr(wrap(err, "transaction %q: abort", t.p.id))
	}
	// The abort markers trail EndTxn just as commit markers do; until they
	// land, the last stable offset holds read_committed readers below
	// whatever the next writer appends, so wait for them here.
	if err := t.l.awaitStable(ctx, t.offsets); err != nil {
		t.l.logger.Warn("kafka: abort markers not yet written", "txn", t.p.id, "err", err)
	}
	return nil
}
