package engine

import (
	"context"
	"fmt"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/stream/op"
)

// Every queryable table has a materialization (stream/op/materialize.go)
// that its pull queries read. A CTAS result's is the aggregate store of an
// unwindowed GROUP BY, read through its HAVING filter and projection
// (op.AggregateView), or else the last sub-topology of the query that
// writes it; either way it shares the query's consumer group, its task
// assignment across servers, and its life: a terminated query's table
// falls back to a scan of its topic. A CREATE SOURCE TABLE has no query in
// the catalog, so the engine runs one of its own for it, outside the
// catalog (SHOW QUERIES does not list it), named after the table.

// dropMaterializer stops the materialization of a dropped source table and
// deletes its stores, so a table created again under the name restores
// from its topic rather than resuming from them.
func (e *Engine) dropMaterializer(name string) error {
	e.stopMaterializer(name)
	if e.opts.State == nil {
		return nil
	}
	if _, err := e.opts.State.DropStores(e.materializerGroup(name) + "/"); err != nil {
		return fmt.Errorf("table %s: drop its store: %w", name, err)
	}
	return nil
}

// materializerID is the id of the query materializing source table name.
func materializerID(name string) string { return "CST_" + name }

// materializerGroup is the consumer group of that query, the prefix of its
// store names.
func (e *Engine) materializerGroup(name string) string {
	return "_confluent-ksql-" + e.opts.ServiceID + "query_" + materializerID(name)
}

// startMaterializer starts the query materializing source table src.
func (e *Engine) startMaterializer(ctx context.Context, src *catalog.Source) error {
	if !op.Materializable(src) || e.opts.State == nil {
		return nil
	}
	id := materializerID(src.Name)
	group := e.materializerGroup(src.Name)
	env := op.Env{Registry: e.opts.Registry, Log: e.opts.Log, Group: group}
	spec := stream.QuerySpec{ID: id, Group: group, Subs: []stream.SubSpec{op.MaterializeSub(src, env, true)},
		OffsetReset: "earliest", Distributed: e.distributed()}
	var err error
	if spec.CommitInterval, err = e.commitInterval(NewSession()); err != nil {
		return err
	}
	rq, err := e.rt.Prepare(ctx, spec)
	if err != nil {
		return fmt.Errorf("table %s: materialize: %w", src.Name, err)
	}
	e.mu.Lock()
	e.materializers[src.Name] = rq
	e.mu.Unlock()
	if !e.opts.Manual {
		rq.Start(context.WithoutCancel(ctx))
	}
	if spec.Distributed {
		if err := e.joinTasks(ctx, NewSession(), rq); err != nil {
			e.stopMaterializer(src.Name)
			return err
		}
	}
	return nil
}

// stopMaterializer stops the materialization of source table name, if any.
func (e *Engine) stopMaterializer(name string) {
	e.mu.Lock()
	q := e.materializers[name]
	delete(e.materializers, name)
	e.mu.Unlock()
	if q == nil {
		return
	}
	e.leaveTasks(q.ID())
	if err := q.Stop(); err != nil {
		e.logger.Warn("stop materialization", "table", name, "err", err)
	}
}

// tableStore is where pull queries read a table.
type tableStore struct {
	q *stream.Query
	// store is the store's name in q; its partition p belongs to the
	// task reading partition p of topic.
	store string
	topic string
	// view decodes an aggregate store (op.AggregateView); nil for a
	// materialization of the table's topic.
	view *op.AggregateView
}

// materialization returns where pull queries read table src, if anywhere.
func (e *Engine) materialization(src *catalog.Source) (*tableStore, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if q := e.materializers[src.Name]; q != nil {
		return &tableStore{q: q, store: op.MaterializedStore, topic: src.Topic}, true
	}
	q := e.running[src.CreatedBy]
	if src.CreatedBy == "" || q == nil {
		return nil, false
	}
	if v := e.views[src.CreatedBy]; v != nil {
		return &tableStore{q: q, store: v.Store, topic: v.Topic, view: v}, true
	}
	for _, sub := range q.Spec().Subs {
		for _, in := range sub.Inputs {
			if in.Materialize != nil && in.Topic == src.Topic {
				return &tableStore{q: q, store: op.MaterializedStore, topic: src.Topic}, true
			}
		}
	}
	return nil, false
}
