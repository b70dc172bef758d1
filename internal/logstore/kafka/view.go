package kafka

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
)

// WithNamespace returns a Log over the same cluster connection whose
// topics, groups and transactional ids live under ns (as Options.Namespace
// would put them). Many short-lived views, such as one per conformance
// test, then share one client instead of each dialling the cluster. The
// view has its own metadata cache and transactional producers; closing it
// closes those and leaves l open. l must outlive its views.
func (l *Log) WithNamespace(ns string) (*Log, error) {
	opts := l.opts
	opts.Namespace = ns
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("kafka: namespace %q: %w", ns, logstore.ErrClosed)
	}
	ctx, cancel := context.WithCancel(l.ctx)
	return &Log{
		opts:    opts,
		logger:  l.logger,
		cl:      l.cl,
		adm:     l.adm,
		tv2:     l.tv2,
		parent:  l,
		ctx:     ctx,
		cancel:  cancel,
		meta:    map[string]topicMeta{},
		cursors: map[logstore.TopicPartition]*cursor{},
		idle:    map[string]*producer{},
		live:    map[*producer]struct{}{},
	}, nil
}
