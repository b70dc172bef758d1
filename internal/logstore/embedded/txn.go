package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
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
	// Fencing takes the commit locks and drains the queue, so that a
	// commit of the zombie is either finished before Begin returns or
	// never happens.
	l.lockSync()
	defer l.unlockSync()
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	l.commitBatch(l.takeQueue())
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
		if n := encodedSize(r); n > tp.maxRecordBytes {
			return fmt.Errorf("embedded: record of about %d bytes for %s/%d exceeds %d: %w", n, topicName, r.Partition, tp.maxRecordBytes, logstore.ErrRecordTooLarge)
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

// Commit implements logstore.Txn. Under the commit lock the records are
// written past each partition's last written record and the commit joins
// a queue. Then one committer at a time (the leader) takes the whole queue:
// it makes the queued records durable, appends one journal entry per
// commit, makes the journal durable, and publishes the commits in order.
// Concurrent commits thereby share their fsyncs (group commit), and a
// journal entry never points at data that is not on disk.
func (t *txn) Commit(ctx context.Context) (map[logstore.TopicPartition][]int64, error) {
	if t.done {
		return nil, ErrTxnFinished
	}
	defer t.finish()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := t.l
	req, err := t.write()
	if err != nil || req == nil {
		return map[logstore.TopicPartition][]int64{}, err
	}
	// Lead until the commit is done, unless another leader does it first:
	// waiting for the lock alone could sit through rounds of fsyncs for
	// commits queued after this one.
	for done := false; !done; {
		select {
		case <-req.done:
			done = true
		case l.syncMu <- struct{}{}:
			l.commitMu.Lock()
			batch := l.takeQueue()
			l.commitMu.Unlock()
			l.commitBatch(batch)
			l.unlockSync()
		}
	}
	if req.err != nil {
		return nil, req.err
	}
	out := make(map[logstore.TopicPartition][]int64, len(req.pas))
	for _, pa := range req.pas {
		offs := make([]int64, pa.n)
		for i := range offs {
			offs[i] = pa.first + int64(i)
		}
		out[logstore.TopicPartition{Topic: pa.p.topic.name, Partition: pa.p.id}] = offs
	}
	return out, nil
}

// commitReq is a written transaction waiting for the journal.
type commitReq struct {
	pas    []*pendingAppend
	groups map[groupKey]groupOffset
	done   chan struct{}
	err    error
}

// write is the first half of Commit: it writes the records and queues the
// commit. A nil request means there was nothing to commit.
func (t *txn) write() (*commitReq, error) {
	l := t.l
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	if err := t.usable(); err != nil {
		return nil, err
	}
	if err := l.failure(); err != nil {
		return nil, err
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
		return nil, nil
	}
	nowMs := l.opts.now().UnixMilli()
	pas := make([]*pendingAppend, 0, len(t.order))
	for _, p := range t.order {
		pa, err := p.write(t.parts[p], p.topic.segmentBytes, l.opts.IndexIntervalBytes, nowMs)
		if pa != nil {
			pas = append(pas, pa)
		}
		if err != nil {
			// Undo in reverse, so that each partition returns to the state
			// before this transaction.
			var errs []error
			for i := len(pas) - 1; i >= 0; i-- {
				errs = append(errs, pas[i].rollback())
			}
			if rerr := errors.Join(errs...); rerr != nil {
				l.fail(rerr)
			}
			return nil, fmt.Errorf("embedded: commit to %s/%d: %w", p.topic.name, p.id, err)
		}
	}
	req := &commitReq{pas: pas, groups: t.groups, done: make(chan struct{})}
	l.queue = append(l.queue, req)
	return req, nil
}

// takeQueue hands the queued commits to a leader; the caller holds
// commitMu.
func (l *Log) takeQueue() []*commitReq {
	q := l.queue
	l.queue = nil
	return q
}

// commitBatch makes a batch of written commits durable and visible, in
// order. The caller holds syncMu. After any failure the log refuses further
// commits: the written but unjournaled records are past the committed ends
// and recovery cuts them, but this process cannot roll its writers back
// past later writes.
func (l *Log) commitBatch(batch []*commitReq) {
	if len(batch) == 0 {
		return
	}
	err := l.failure()
	if err == nil {
		err = l.makeDurable(batch)
		if err != nil {
			l.fail(err)
		}
	}
	if err != nil {
		for _, req := range batch {
			req.err = err
			close(req.done)
		}
		return
	}
	nowMs := l.opts.now().UnixMilli()
	for _, req := range batch {
		for _, pa := range req.pas {
			pa.publish(nowMs)
		}
		if len(req.groups) > 0 {
			l.groupsMu.Lock()
			for k, v := range req.groups {
				l.groups[k] = v
			}
			l.groupsMu.Unlock()
		}
		close(req.done)
	}
	if l.jr.size > l.opts.JournalSnapshotBytes {
		if err := l.snapshotJournal(); err != nil {
			l.fail(err)
			l.lg.Error("embedded: journal snapshot failed", "err", err)
		}
	}
}

// makeDurable syncs the batch's records, then journals the batch.
func (l *Log) makeDurable(batch []*commitReq) error {
	files := map[*os.File]struct{}{}
	dirs := map[string]struct{}{}
	for _, req := range batch {
		for _, pa := range req.pas {
			for _, f := range pa.files() {
				files[f] = struct{}{}
			}
			if len(pa.rolled) > 0 {
				dirs[pa.p.dir] = struct{}{}
			}
		}
	}
	switch l.opts.Sync {
	case SyncAlways:
		if err := syncParallel(files, dirs); err != nil {
			return err
		}
	case SyncInterval:
		for f := range files {
			l.markDirty(f)
		}
	}
	entries := make([]journalEntry, len(batch))
	for i, req := range batch {
		ends := make(map[partKey]int64, len(req.pas))
		for _, pa := range req.pas {
			ends[partKey{topic: pa.p.topic.name, id: pa.p.topic.id, part: pa.p.id}] = pa.first + int64(pa.n)
		}
		entries[i] = journalEntry{kind: entryCommit, ends: ends, groups: req.groups}
	}
	if err := l.jr.append(entries); err != nil {
		return err
	}
	switch l.opts.Sync {
	case SyncAlways:
		if err := l.jr.f.Sync(); err != nil {
			// The entries may or may not be on disk; the log is failed
			// either way, and recovery decides from what is there.
			return fmt.Errorf("embedded: sync journal: %w", err)
		}
	case SyncInterval:
		l.markDirty(l.jr.f)
	}
	return nil
}

// failure returns the error that made the log refuse commits, if any.
func (l *Log) failure() error {
	if e := l.failed.Load(); e != nil {
		return fmt.Errorf("embedded: log unusable after an earlier failure, reopen it: %w", *e)
	}
	return nil
}

func (l *Log) fail(err error) {
	l.failed.CompareAndSwap(nil, &err)
}

// snapshotJournal writes the committed ends and group offsets of every
// live topic and restarts the journal. The caller holds syncMu, so the
// published ends match the journal.
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

// syncParallel fsyncs files and directories concurrently: the filesystem
// folds concurrent fsyncs into one journal commit, so a batch touching
// many partitions costs about one fsync rather than one per file. The
// goroutines end before it returns.
func syncParallel(files map[*os.File]struct{}, dirs map[string]struct{}) error {
	if len(files)+len(dirs) == 1 {
		for f := range files {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("embedded: sync segment: %w", err)
			}
		}
		for d := range dirs {
			return syncDir(d)
		}
		return nil
	}
	errs := make(chan error, len(files)+len(dirs))
	var wg sync.WaitGroup
	for f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Sync(); err != nil {
				errs <- fmt.Errorf("embedded: sync segment: %w", err)
			}
		}()
	}
	for d := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := syncDir(d); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
