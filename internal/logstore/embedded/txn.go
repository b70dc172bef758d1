package embedded

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/sluicedb/sluice/internal/logstore"
)

// ErrTxnFinished is returned when a transaction is used after Commit or
// Abort.
var ErrTxnFinished = errors.New("embedded: transaction already committed or aborted")

// txn buffers a transaction's records, already encoded, until Commit.
type txn struct {
	l  *Log
	id string
	// fenced is set by a newer Begin with the same id, or by Close.
	fenced atomic.Bool
	done   bool

	parts  map[*partition]*pendingRecords
	order  []*partition
	groups map[groupKey]groupOffset
}

// Begin implements logstore.Log. An empty id never fences anything.
func (l *Log) Begin(ctx context.Context, id string) (logstore.Txn, error) {
	t := &txn{l: l, id: id, parts: map[*partition]*pendingRecords{}}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, logstore.ErrClosed
	}
	if id == "" || l.txns[id] == nil {
		if id != "" {
			l.txns[id] = t
		}
		l.mu.Unlock()
		return t, nil
	}
	l.mu.Unlock()
	// Fencing takes the commit lock, so that a commit of the zombie is
	// either finished before Begin returns or never happens.
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, logstore.ErrClosed
	}
	if old := l.txns[id]; old != nil {
		old.fenced.Store(true)
	}
	l.txns[id] = t
	return t, nil
}

func (t *txn) usable() error {
	switch {
	case t.done:
		return ErrTxnFinished
	case t.fenced.Load():
		if t.l.checkOpen() != nil {
			return logstore.ErrClosed
		}
		return fmt.Errorf("embedded: transaction %q: %w", t.id, logstore.ErrFenced)
	}
	return t.l.checkOpen()
}

// Produce implements logstore.Txn. Records are encoded (copied) at once,
// so the caller may reuse its buffers.
func (t *txn) Produce(ctx context.Context, topicName string, recs ...logstore.Record) error {
	if err := t.usable(); err != nil {
		return err
	}
	tp, err := t.l.topic(topicName)
	if err != nil {
		return err
	}
	for i := range recs {
		r := &recs[i]
		if r.Partition < 0 || r.Partition >= int32(len(tp.parts)) {
			return fmt.Errorf("embedded: %s/%d of %d partitions: %w", topicName, r.Partition, len(tp.parts), logstore.ErrUnknownPartition)
		}
		if n := encodedSize(r); n > t.l.opts.MaxRecordBytes {
			return fmt.Errorf("embedded: record of about %d bytes for %s/%d exceeds %d: %w", n, topicName, r.Partition, t.l.opts.MaxRecordBytes, logstore.ErrRecordTooLarge)
		}
		p := tp.parts[r.Partition]
		pr := t.parts[p]
		if pr == nil {
			pr = &pendingRecords{}
			t.parts[p] = pr
			t.order = append(t.order, p)
		}
		pr.starts = append(pr.starts, len(pr.buf))
		pr.ts = append(pr.ts, r.Timestamp)
		pr.buf = appendRecord(pr.buf, r)
	}
	return nil
}

// CommitOffsets implements logstore.Txn.
func (t *txn) CommitOffsets(ctx context.Context, group string, offsets map[logstore.TopicPartition]int64) error {
	if err := t.usable(); err != nil {
		return err
	}
	for tp, off := range offsets {
		top, err := t.l.topic(tp.Topic)
		if err != nil {
			return err
		}
		if tp.Partition < 0 || tp.Partition >= int32(len(top.parts)) {
			return fmt.Errorf("embedded: %s/%d of %d partitions: %w", tp.Topic, tp.Partition, len(top.parts), logstore.ErrUnknownPartition)
		}
		if t.groups == nil {
			t.groups = map[groupKey]groupOffset{}
		}
		t.groups[groupKey{group: group, topic: tp.Topic, part: tp.Partition}] = groupOffset{topicID: top.id, offset: off}
	}
	return nil
}

// Abort implements logstore.Txn.
func (t *txn) Abort(ctx context.Context) error {
	if t.done {
		return nil
	}
	t.finish()
	return nil
}

// finish ends the transaction and forgets its buffers.
func (t *txn) finish() {
	t.done = true
	t.parts, t.order, t.groups = nil, nil, nil
	if t.id == "" {
		return
	}
	t.l.mu.Lock()
	if t.l.txns[t.id] == t {
		delete(t.l.txns, t.id)
	}
	t.l.mu.Unlock()
}

// Commit implements logstore.Txn: records are written past each
// partition's end, made durable per the sync policy, then the journal entry
// commits them, and only then do readers see them.
func (t *txn) Commit(ctx context.Context) (map[logstore.TopicPartition][]int64, error) {
	if t.done {
		return nil, ErrTxnFinished
	}
	defer t.finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := t.l
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if err := t.usable(); err != nil {
		return nil, err
	}
	if l.failed != nil {
		return nil, fmt.Errorf("embedded: log unusable after an earlier failure, reopen it: %w", l.failed)
	}
	for _, p := range t.order {
		if p.topic.isGone() {
			return nil, fmt.Errorf("embedded: topic %q was deleted: %w", p.topic.name, logstore.ErrUnknownTopic)
		}
	}
	for k, g := range t.groups {
		if tp, err := l.topic(k.topic); err != nil || tp.id != g.topicID {
			return nil, fmt.Errorf("embedded: offsets for deleted topic %q: %w", k.topic, logstore.ErrUnknownTopic)
		}
	}
	if len(t.order) == 0 && len(t.groups) == 0 {
		return map[logstore.TopicPartition][]int64{}, nil
	}
	nowMs := l.opts.now().UnixMilli()

	pas := make([]*pendingAppend, 0, len(t.order))
	undo := func(cause error) error {
		var errs []error
		for _, pa := range pas {
			errs = append(errs, pa.rollback())
		}
		if err := errors.Join(errs...); err != nil {
			l.failed = err
			l.lg.Error("embedded: could not undo a failed commit", "err", err)
		}
		return cause
	}
	for _, p := range t.order {
		pa, err := p.write(t.parts[p], p.topic.segmentBytes, l.opts.IndexIntervalBytes, nowMs)
		if pa != nil {
			pas = append(pas, pa)
		}
		if err != nil {
			return nil, undo(fmt.Errorf("embedded: commit to %s/%d: %w", p.topic.name, p.id, err))
		}
	}
	if err := l.flushData(pas); err != nil {
		return nil, undo(err)
	}

	ends := make(map[partKey]int64, len(pas))
	for _, pa := range pas {
		ends[partKey{topic: pa.p.topic.name, id: pa.p.topic.id, part: pa.p.id}] = pa.first + int64(pa.n)
	}
	prev := l.jr.size
	if _, err := l.jr.append(ends, t.groups); err != nil {
		if terr := l.jr.f.Truncate(prev); terr != nil {
			l.failed = terr
		}
		return nil, undo(err)
	}
	switch l.opts.Sync {
	case SyncAlways:
		if err := l.jr.f.Sync(); err != nil {
			l.failed = err
			l.jr.truncate(prev)
			return nil, undo(fmt.Errorf("embedded: sync journal: %w", err))
		}
	case SyncInterval:
		l.markDirty(l.jr.f)
	}

	// The commit point has passed: publish.
	out := make(map[logstore.TopicPartition][]int64, len(pas))
	for _, pa := range pas {
		pa.publish(nowMs)
		offs := make([]int64, pa.n)
		for i := range offs {
			offs[i] = pa.first + int64(i)
		}
		out[logstore.TopicPartition{Topic: pa.p.topic.name, Partition: pa.p.id}] = offs
	}
	if len(t.groups) > 0 {
		l.groupsMu.Lock()
		for k, v := range t.groups {
			l.groups[k] = v
		}
		l.groupsMu.Unlock()
	}
	if l.jr.size > l.opts.JournalSnapshotBytes {
		if err := l.snapshotJournal(); err != nil {
			l.failed = err
			l.lg.Error("embedded: journal snapshot failed", "err", err)
		}
	}
	return out, nil
}

// flushData makes written records durable before the journal commits
// them, so that a committed entry never points at lost data.
func (l *Log) flushData(pas []*pendingAppend) error {
	switch l.opts.Sync {
	case SyncAlways:
		for _, pa := range pas {
			for _, f := range pa.files() {
				if err := f.Sync(); err != nil {
					l.failed = err
					return fmt.Errorf("embedded: sync segment: %w", err)
				}
			}
			if len(pa.rolled) > 0 {
				if err := syncDir(pa.p.dir); err != nil {
					l.failed = err
					return err
				}
			}
		}
	case SyncInterval:
		for _, pa := range pas {
			for _, f := range pa.files() {
				l.markDirty(f)
			}
		}
	}
	return nil
}

// snapshotJournal writes the committed ends and group offsets of every
// live topic and restarts the journal. The caller holds commitMu.
func (l *Log) snapshotJournal() error {
	ends := map[partKey]int64{}
	l.mu.RLock()
	for _, t := range l.topics {
		for _, p := range t.parts {
			ends[partKey{topic: t.name, id: t.id, part: p.id}] = p.end.Load()
		}
	}
	l.mu.RUnlock()
	l.groupsMu.RLock()
	groups := make(map[groupKey]groupOffset, len(l.groups))
	for k, v := range l.groups {
		groups[k] = v
	}
	l.groupsMu.RUnlock()
	return l.jr.snapshot(ends, groups)
}
