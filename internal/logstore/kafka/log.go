// Package kafka owns Sluice's Kafka log backend: logstore.Log on any
// Kafka-protocol cluster through franz-go. Reads are direct partition
// fetches under read_committed isolation (no consumer group: the stream
// runtime assigns partitions itself); writes go through transactional
// producers pooled by transactional.id, so a task's outputs, changelogs and
// source offsets commit together, and a restarted task fences its zombie.
// Kafka is the distributed engine: this package never coordinates servers
// itself.
package kafka

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Log is a logstore.Log on a Kafka cluster. It is safe for concurrent use.
//
// Log.mu and a txn's mu are never held together, and neither is held
// across a network call.
type Log struct {
	opts   Options
	logger *slog.Logger
	// cl serves metadata, fetches, admin requests and the offset commits
	// of non-transactional writers.
	cl  *kgo.Client
	adm *kadm.Client
	// tv2 is whether the cluster runs transaction.version 2 (KIP-890),
	// where TxnOffsetCommit adds a group to the transaction by itself.
	tv2 bool

	// ctx is cancelled by Close, which interrupts every long poll and
	// in-flight request issued on behalf of callers.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	meta    map[string]topicMeta                // physical topic name → metadata
	cursors map[logstore.TopicPartition]*cursor // logical partition → read-ahead
	// idle holds producers by transactional id that no open Txn uses.
	idle map[string]*producer
	// live holds every producer handed to an open Txn, so that Close can
	// abort them.
	live map[*producer]struct{}
	// plain is the shared idempotent producer behind Begin(""), created
	// on first use.
	plain *kgo.Client
	// parent is the Log a namespaced view shares its client and plain
	// producer with (WithNamespace); nil for a Log that owns them.
	parent *Log
	// pollers are idle clients for fetches that wait in the broker, kept
	// by the Log that owns cl (fetch.go: poller).
	pollers []*kgo.Client
}

var _ logstore.Log = (*Log)(nil)

// Open connects to the cluster and checks that it answers. The context
// bounds only this first contact.
func Open(ctx context.Context, opts Options) (*Log, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	base, err := opts.clientOpts()
	if err != nil {
		return nil, fmt.Errorf("kafka: %w", err)
	}
	cl, err := kgo.NewClient(base...)
	if err != nil {
		return nil, fmt.Errorf("kafka: new client: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka: reach %v: %w", opts.BootstrapServers, explainConnect(err, &opts))
	}
	tv2, err := transactionV2(ctx, cl)
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("kafka: api versions: %w", err)
	}
	lctx, cancel := context.WithCancel(context.Background())
	return &Log{
		tv2:     tv2,
		opts:    opts,
		logger:  opts.Logger,
		cl:      cl,
		adm:     kadm.NewClient(cl),
		ctx:     lctx,
		cancel:  cancel,
		meta:    map[string]topicMeta{},
		cursors: map[logstore.TopicPartition]*cursor{},
		idle:    map[string]*producer{},
		live:    map[*producer]struct{}{},
	}, nil
}

// transactionV2 reports whether the cluster finalized transaction.version
// 2 or later.
func transactionV2(ctx context.Context, cl *kgo.Client) (bool, error) {
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, cl)
	if err != nil {
		return false, err
	}
	for _, f := range resp.FinalizedFeatures {
		if f.Name == "transaction.version" {
			return f.MaxVersionLevel >= 2, nil
		}
	}
	return false, nil
}

// Close aborts open transactions, interrupts long polls and closes every
// client. A second Close is a no-op.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.cancel()
	var prods []*producer
	for _, p := range l.idle {
		prods = append(prods, p)
	}
	for p := range l.live {
		prods = append(prods, p)
	}
	l.idle, l.live = nil, nil
	plain := l.plain
	l.plain = nil
	pollers := l.pollers
	l.pollers = nil
	l.mu.Unlock()
	for _, p := range pollers {
		p.Close()
	}

	for _, p := range prods {
		p.close()
	}
	if plain != nil {
		plain.Close()
	}
	if l.parent == nil {
		l.cl.Close()
	}
	return nil
}

// op returns a context that ends with the caller's or with Close, and
// ErrClosed if the Log is already closed.
func (l *Log) op(ctx context.Context) (context.Context, context.CancelFunc, error) {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, nil, logstore.ErrClosed
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(l.ctx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

// closedErr turns a cancellation caused by Close into ErrClosed.
func (l *Log) closedErr(err error) error {
	if err != nil && l.ctx.Err() != nil {
		return fmt.Errorf("%w: %w", logstore.ErrClosed, err)
	}
	return err
}

// physical maps a logical topic name to the cluster's name.
func (l *Log) physical(name string) string {
	if l.opts.Namespace == "" {
		return name
	}
	full := l.opts.Namespace + name
	if len(full) <= logstore.MaxTopicNameLen {
		return full
	}
	// Keep the name recognisable and unique: a prefix of it, then a hash
	// of all of it.
	sum := sha256.Sum256([]byte(name))
	tag := "." + hex.EncodeToString(sum[:8])
	keep := logstore.MaxTopicNameLen - len(l.opts.Namespace) - len(tag)
	return l.opts.Namespace + name[:keep] + tag
}

// logical maps a cluster topic name back, reporting false for a topic
// outside the namespace.
func (l *Log) logical(name string) (string, bool) {
	if l.opts.Namespace == "" {
		return name, true
	}
	rest, ok := strings.CutPrefix(name, l.opts.Namespace)
	return rest, ok && rest != ""
}

// group and txnID map consumer groups and transactional ids into the
// namespace.
func (l *Log) group(g string) string  { return l.opts.Namespace + g }
func (l *Log) txnID(id string) string { return l.opts.Namespace + id }
