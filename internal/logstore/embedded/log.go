// Package embedded owns Sluice's default storage: Kafka-like topics kept
// as append-only segment files in one data directory, with transactions
// made atomic by a small journal, long-poll fetches, consumer-group
// offsets, retention and compaction. It implements logstore.Log.
//
// Layout under the data directory:
//
//	LOCK                                 held while a Log is open
//	journal.log, journal.snapshot        committed ends and group offsets
//	topics/<topic>/topic.json            partitions and config
//	topics/<topic>/<partition>/<base>.log    records from offset base on
//	topics/<topic>/<partition>/<base>.index  sparse offset/time index
//	trash/                               topics being created or deleted
//
// Lock order: ddlMu → syncMu → commitMu → mu → partition.wmu → groupsMu.
// Readers take none of them beyond a short mu read lock to find a topic.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/sluicedb/sluice/internal/logstore"
)

// ErrLocked is returned by Open when another Log, in this process or
// another, has the directory open.
var ErrLocked = errors.New("data directory is in use by another log")

// Log is an embedded logstore.Log over one data directory.
type Log struct {
	dir  string
	opts Options
	lg   *slog.Logger
	lock *os.File

	// ddlMu serialises topic creation and deletion.
	ddlMu sync.Mutex

	// syncMu is held by the committer that journals and publishes the
	// queue of written commits (see txn.Commit). It is a channel so that a
	// committer can wait for its lock or for its own commit to be done by
	// another leader, whichever comes first.
	syncMu chan struct{}
	jr     *journal // under syncMu

	// commitMu serialises the writing of commits to the segments, so that
	// they take offsets, and join the queue, in one order.
	commitMu sync.Mutex
	queue    []*commitReq // under commitMu

	// failed is set when a commit could not be finished or undone (or an
	// fsync failed, after which the page cache cannot be trusted); every
	// later commit fails with it until the directory is reopened.
	failed atomic.Pointer[error]

	mu      sync.RWMutex
	topics  map[string]*topic
	txns    map[string]*txn // open transactions by id
	closed  bool
	closing chan struct{}

	groupsMu sync.RWMutex
	groups   map[groupKey]groupOffset

	dirtyMu sync.Mutex
	dirty   map[*os.File]struct{} // files to fsync under SyncInterval

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ logstore.Log = (*Log)(nil)

// Open opens or creates the log in dir, recovering from any crash: torn
// and uncommitted tails are cut, and interrupted topic creations,
// deletions and compactions are finished or undone.
func Open(dir string, opts Options) (*Log, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for _, d := range []string{dir, filepath.Join(dir, "topics")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("embedded: create %s: %w", d, err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("embedded: open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("embedded: %s: %w (%v)", dir, ErrLocked, err)
	}
	l := &Log{
		dir: dir, opts: opts, lg: opts.Logger, lock: lock,
		topics: map[string]*topic{}, txns: map[string]*txn{},
		closing: make(chan struct{}), groups: map[groupKey]groupOffset{},
		syncMu: make(chan struct{}, 1),
		dirty:  map[*os.File]struct{}{},
	}
	if err := l.recover(); err != nil {
		l.closeFiles()
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		l.runCleaner(ctx)
	}()
	if opts.Sync == SyncInterval {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.runSyncer(ctx)
		}()
	}
	return l, nil
}

func (l *Log) recover() error {
	trash := filepath.Join(l.dir, "trash")
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("embedded: empty trash: %w", err)
	}
	if err := os.MkdirAll(trash, 0o755); err != nil {
		return fmt.Errorf("embedded: create trash: %w", err)
	}
	ents, err := os.ReadDir(filepath.Join(l.dir, "topics"))
	if err != nil {
		return fmt.Errorf("embedded: list topics: %w", err)
	}
	var metas []topicMeta
	disk := map[partKey]int64{}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		tdir := filepath.Join(l.dir, "topics", e.Name())
		m, err := readTopicMeta(tdir)
		if err != nil {
			return err
		}
		if m.Name != e.Name() {
			return fmt.Errorf("embedded: %s holds topic %q", tdir, m.Name)
		}
		metas = append(metas, m)
		for i := int32(0); i < m.Partitions; i++ {
			end, err := diskEnd(partitionDir(tdir, i))
			if err != nil {
				return fmt.Errorf("embedded: recover %s/%d: %w", m.Name, i, err)
			}
			disk[partKey{topic: m.Name, id: m.ID, part: i}] = end
		}
	}
	onDisk := func(e *journalEntry) bool {
		for k, end := range e.ends {
			if d, ok := disk[k]; ok && end > d {
				return false
			}
		}
		return true
	}
	jr, st, err := openJournal(l.dir, l.lg.Warn, onDisk)
	if err != nil {
		return err
	}
	l.jr = jr
	for _, m := range metas {
		t := newTopic(m, &l.opts)
		l.topics[t.name] = t
		tdir := filepath.Join(l.dir, "topics", m.Name)
		for i := int32(0); i < m.Partitions; i++ {
			k := partKey{topic: t.name, id: t.id, part: i}
			p, _, err := recoverPartition(t, i, partitionDir(tdir, i), st.ends[k], &l.opts)
			if err != nil {
				return fmt.Errorf("embedded: recover %s/%d: %w", t.name, i, err)
			}
			t.parts = append(t.parts, p)
		}
	}
	for k, v := range st.groups {
		if t := l.topics[k.topic]; t != nil && t.id == v.topicID {
			l.groups[k] = v
		}
	}
	return nil
}

// closeFiles releases every file; used by Close and a failed Open.
func (l *Log) closeFiles() {
	for _, t := range l.topics {
		for _, p := range t.parts {
			if p != nil {
				p.releaseAll()
			}
		}
	}
	if l.jr != nil {
		l.jr.f.Close()
	}
	syscall.Flock(int(l.lock.Fd()), syscall.LOCK_UN)
	l.lock.Close()
}

// Close aborts open transactions, stops the background work, flushes per
// the sync policy and releases the directory.
func (l *Log) Close() error {
	l.ddlMu.Lock()
	l.lockSync()
	l.commitMu.Lock()
	l.commitBatch(l.takeQueue())
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.commitMu.Unlock()
		l.unlockSync()
		l.ddlMu.Unlock()
		return nil
	}
	l.closed = true
	for _, t := range l.txns {
		t.fenced.Store(true)
	}
	l.txns = map[string]*txn{}
	close(l.closing)
	l.mu.Unlock()
	l.commitMu.Unlock()
	l.unlockSync()
	l.ddlMu.Unlock()

	l.cancel()
	l.wg.Wait()

	var err error
	if l.opts.Sync == SyncInterval {
		l.syncDirty() // segments rolled away from since the last tick
	}
	if l.opts.Sync != SyncNever {
		err = l.syncAll()
	}
	l.closeFiles()
	return err
}

// syncAll flushes every active segment and the journal.
func (l *Log) syncAll() error {
	l.lockSync()
	defer l.unlockSync()
	l.commitMu.Lock()
	defer l.commitMu.Unlock()
	var errs []error
	for _, t := range l.topics {
		for _, p := range t.parts {
			if p.wact != nil {
				errs = append(errs, p.wact.f.Sync())
			}
		}
	}
	errs = append(errs, l.jr.f.Sync())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("embedded: sync on close: %w", err)
	}
	return nil
}

func (l *Log) lockSync()   { l.syncMu <- struct{}{} }
func (l *Log) unlockSync() { <-l.syncMu }

func (l *Log) checkOpen() error {
	select {
	case <-l.closing:
		return logstore.ErrClosed
	default:
		return nil
	}
}

// topic returns a live topic.
func (l *Log) topic(name string) (*topic, error) {
	l.mu.RLock()
	t, closed := l.topics[name], l.closed
	l.mu.RUnlock()
	if closed {
		return nil, logstore.ErrClosed
	}
	if t == nil {
		return nil, fmt.Errorf("embedded: topic %q: %w", name, logstore.ErrUnknownTopic)
	}
	return t, nil
}

func (l *Log) partition(tp logstore.TopicPartition) (*partition, error) {
	t, err := l.topic(tp.Topic)
	if err != nil {
		return nil, err
	}
	if tp.Partition < 0 || tp.Partition >= int32(len(t.parts)) {
		return nil, fmt.Errorf("embedded: %s/%d of %d partitions: %w", tp.Topic, tp.Partition, len(t.parts), logstore.ErrUnknownPartition)
	}
	return t.parts[tp.Partition], nil
}

// CommittedOffsets implements logstore.Log.
func (l *Log) CommittedOffsets(ctx context.Context, group string, tps []logstore.TopicPartition) (map[logstore.TopicPartition]int64, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	out := make(map[logstore.TopicPartition]int64, len(tps))
	l.mu.RLock()
	defer l.mu.RUnlock()
	l.groupsMu.RLock()
	defer l.groupsMu.RUnlock()
	for _, tp := range tps {
		v, ok := l.groups[groupKey{group: group, topic: tp.Topic, part: tp.Partition}]
		if t := l.topics[tp.Topic]; ok && t != nil && t.id == v.topicID {
			out[tp] = v.offset
		}
	}
	return out, nil
}
