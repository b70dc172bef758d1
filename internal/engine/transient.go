package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/stream/op"
	"github.com/sluicedb/sluice/internal/value"
)

// Cursor is a transient query's result: a pull query's finite rows, or a
// push query's rows as they happen, until Close or its LIMIT.
type Cursor struct {
	// ID identifies the query (for /close-query).
	ID string
	// Columns are the result columns: the select items in order.
	Columns []catalog.Column
	// Pull reports a pull query.
	Pull bool
	// FinalMessage ends the query's /query result when it completes:
	// "Limit Reached" for a push query, "Query Completed" for a pull query
	// on a stream, none for a pull query on a table.
	FinalMessage string

	rows chan pushRow
	// tomb reports that the row Next returned last is a table's tombstone.
	tomb   bool
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
	stop   func()
	limit  int64
	count  atomic.Int64
	static [][]value.Value
}

// Next returns the next row. ok is false when the query has ended (pull
// results exhausted, LIMIT reached, or closed); err reports a failure.
func (c *Cursor) Next(ctx context.Context) ([]value.Value, bool, error) {
	if c.Pull {
		if len(c.static) == 0 {
			return nil, false, nil
		}
		r := c.static[0]
		c.static = c.static[1:]
		return r, true, nil
	}
	select {
	case r, ok := <-c.rows:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return nil, false, c.err
		}
		c.tomb = r.tomb
		return r.vals, true, nil
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// Close stops a push query; it is safe to call more than once.
func (c *Cursor) Close() error {
	c.once.Do(func() {
		if c.done != nil {
			close(c.done)
		}
		if c.stop != nil {
			c.stop()
		}
	})
	return nil
}

var transientSeq atomic.Int64

// Query runs a SELECT as a transient query: a push query (EMIT CHANGES or
// EMIT FINAL) streams rows until closed; any other SELECT is a pull query
// answered from the data present.
func (e *Engine) Query(ctx context.Context, sess *Session, text string) (*Cursor, error) {
	if sess == nil {
		sess = NewSession()
	}
	text = parser.SubstituteVariables(text, sess.Vars)
	stmt, err := parser.ParseStatement(text)
	if err != nil {
		return nil, &StatementError{Statement: text, Err: err}
	}
	q, ok := stmt.(*ast.Query)
	if !ok {
		return nil, &StatementError{Statement: text, Err: errors.New("not a query")}
	}
	pull := q.Emit == ast.EmitNone
	var from *catalog.Source
	if pull {
		if as, ok := q.From.(*ast.AliasedSource); ok {
			if src, ok := e.cat.Source(as.Name.Name); ok {
				from = src
			}
		}
		if err := validatePull(q); err != nil {
			return nil, &StatementError{Statement: text, Err: err}
		}
	}
	if as, ok := q.From.(*ast.AliasedSource); ok && !pull {
		if src, ok := e.cat.Source(as.Name.Name); ok {
			if err := windowBoundInWhere(q, src); err != nil {
				return nil, &StatementError{Statement: text, Err: err}
			}
		}
	}
	pl := e.planner(sess)
	pl.Transient = true
	toPlan := q
	if !pull {
		toPlan = e.groupAllIfAggregate(q)
	}
	planned, err := pl.Plan(toPlan, "", nil)
	if err != nil {
		if pull {
			err = withWhereStatement(err, q.Where)
		}
		return nil, &StatementError{Statement: text, Err: err}
	}
	seen := map[string]bool{}
	for _, c := range planned.Schema.Value() {
		if seen[c.Name] {
			return nil, &StatementError{Statement: text, Err: fmt.Errorf("Duplicate value columns found in schema: `%s` %s", c.Name, c.Type.SQL())}
		}
		seen[c.Name] = true
	}
	if from != nil {
		if err := checkQueryable(from); err != nil {
			return nil, &StatementError{Statement: text, Err: err}
		}
		if err := e.checkPullWhere(sess, from, q.Where); err != nil {
			return nil, &StatementError{Statement: text, Err: err}
		}
	}
	cols := planned.Schema.Value()
	for i := range cols {
		cols[i].Namespace = catalog.Value
	}
	// A pull query on a table flags the key columns it selects, and the
	// window bounds of a windowed one, as ksqlDB's header does; push
	// queries and pull queries on streams return value columns only.
	if proj, ok := planned.Root.(*plan.Project); ok && from != nil && from.Kind == catalog.Table {
		for i, isKey := range proj.KeyItems {
			if i >= len(cols) {
				break
			}
			bound := from.Window != catalog.NoWindow && (cols[i].Name == catalog.WindowStart || cols[i].Name == catalog.WindowEnd) && isWindowBoundRef(proj.Val[i].Expr)
			if isKey || bound {
				cols[i].Namespace = catalog.Key
			}
		}
	}
	id := fmt.Sprintf("transient_%s_%d", strings.ToUpper(planned.From.Name), transientSeq.Add(1))
	limit := int64(-1)
	if q.Limit != nil {
		limit = *q.Limit
	}
	if pull {
		var rows [][]value.Value
		handled := false
		if from != nil && from.Kind == catalog.Table && !e.forceScan {
			rows, handled, err = e.pullStore(ctx, id, planned.Root, from, q.Where, limit)
		}
		if !handled && err == nil {
			rows, err = e.pull(ctx, sess, id, planned.Root, limit)
		}
		if err != nil {
			return nil, &StatementError{Statement: text, Err: err}
		}
		c := &Cursor{ID: id, Columns: cols, Pull: true, static: rows}
		if from == nil || from.Kind != catalog.Table {
			c.FinalMessage = "Query Completed"
			if limit >= 0 && int64(len(rows)) >= limit {
				c.FinalMessage = "Limit Reached"
			}
		}
		return c, nil
	}
	scalable := e.isScalablePush(sess, q)
	if scalable {
		id = scalablePushID()
	}
	if limit == 0 {
		// LIMIT 0 has nothing to wait for.
		return &Cursor{ID: id, Columns: cols, Pull: true, FinalMessage: "Limit Reached"}, nil
	}
	var tomb func(*value.Row) []value.Value
	if as, ok := q.From.(*ast.AliasedSource); ok {
		if src, ok := e.cat.Source(as.Name.Name); ok && src.Kind == catalog.Table {
			tomb = tombstoneRow(planned.Root)
		}
	}
	if scalable {
		// A scalable push query skips rows with a NULL key or value, as
		// ksqlDB's ScalablePushConsumer does.
		tomb = nil
	}
	c, err := e.push(ctx, sess, id, planned.Root, limit, tomb, scalable)
	if err != nil {
		return nil, &StatementError{Statement: text, Err: err}
	}
	c.Columns = cols
	c.FinalMessage = "Limit Reached"
	return c, nil
}

// pushRow is one row of a push query, or the tombstone of a table's row.
type pushRow struct {
	vals []value.Value
	tomb bool
}

// Tombstone reports whether the row Next returned last is a tombstone: a
// push query on a table shows a deleted row with its key columns and
// window bounds, and nulls for the rest.
func (c *Cursor) Tombstone() bool { return c.tomb }

// tombstoneRow computes a push query's tombstone row from the deleted
// row's key and window: the projection over the key with null values.
func tombstoneRow(root plan.Node) func(row *value.Row) []value.Value {
	proj, ok := root.(*plan.Project)
	if !ok {
		return nil
	}
	nvals := len(proj.Input.Schema().Value())
	return func(row *value.Row) []value.Value {
		in := value.Row{Key: row.Key, Window: row.Window, Time: row.Time, Partition: row.Partition, Offset: row.Offset, Val: make([]value.Value, nvals)}
		out := make([]value.Value, len(proj.Val))
		for i, c := range proj.Val {
			if v, err := c.Expr.Eval(&in); err == nil {
				out[i] = v
			}
		}
		return out
	}
}

func (e *Engine) push(ctx context.Context, sess *Session, id string, root plan.Node, limit int64, tombstone func(*value.Row) []value.Value, skipNullKeys bool) (*Cursor, error) {
	c := &Cursor{ID: id, rows: make(chan pushRow, 256), done: make(chan struct{}), limit: limit}
	group := "_confluent-ksql-" + e.opts.ServiceID + id
	var closeOnce sync.Once
	finish := func() { closeOnce.Do(func() { close(c.rows) }) }
	emit := func(tc *stream.TaskContext, row *value.Row) error {
		if row.Val == nil && (tombstone == nil || row.Undo) {
			return nil
		}
		if skipNullKeys && len(row.Key) > 0 && (row.NullKey || hasNullValue(row.Key)) {
			return nil
		}
		if c.limit >= 0 && c.count.Load() >= c.limit {
			return nil
		}
		out := pushRow{vals: append([]value.Value(nil), row.Val...)}
		if row.Val == nil {
			out = pushRow{vals: tombstone(row), tomb: true}
		}
		select {
		case c.rows <- out:
		case <-c.done:
			return nil
		case <-tc.Context().Done():
			return tc.Context().Err()
		}
		if n := c.count.Add(1); c.limit >= 0 && n >= c.limit {
			go c.Close()
		}
		return nil
	}
	spec, err := op.BuildTransient(ctx, id, root, op.Env{Registry: e.opts.Registry, Log: e.opts.Log, Group: group}, emit)
	if err != nil {
		return nil, err
	}
	spec.Group = group
	spec.OffsetReset = strings.ToLower(e.property(sess, "auto.offset.reset", "latest"))
	if err := e.attachBootstrap(ctx, &spec); err != nil {
		return nil, err
	}
	rq, err := e.rt.Prepare(ctx, spec)
	if err != nil {
		return nil, err
	}
	qctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	// stop must be set before the tasks start: a LIMIT reached in the
	// first batch closes the cursor from a task's goroutine.
	c.stop = func() {
		cancel()
		if err := rq.Stop(); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
		}
		finish()
	}
	rq.Start(qctx)
	go func() {
		select {
		case <-c.done:
		case <-qctx.Done():
		}
		c.Close()
	}()
	return c, nil
}

// pullChain builds a pull query's filter and projection over its source,
// collecting up to limit rows (negative: no limit) into out.
func pullChain(root plan.Node, limit int64, out *[][]value.Value) (*plan.Source, op.Op, bool) {
	collect := op.Func(func(tc *stream.TaskContext, row *value.Row) error {
		if row.Val == nil || (limit >= 0 && int64(len(*out)) >= limit) {
			return nil
		}
		*out = append(*out, append([]value.Value(nil), row.Val...))
		return nil
	})
	return op.Stateless(root, collect)
}

// pull answers a pull query by scanning its source's topic: every record
// of a stream, or the latest row per key of a table, through the query's
// filters and projection. Tables with a materialization are read from it
// instead (pullstore.go); the scan serves streams, as ksqlDB's table scan
// of a stream's topic does, and tables whose writing query is gone.
func (e *Engine) pull(ctx context.Context, sess *Session, id string, root plan.Node, limit int64) ([][]value.Value, error) {
	var out [][]value.Value
	srcNode, chain, ok := pullChain(root, limit, &out)
	if !ok {
		return nil, errors.New("Pull queries don't support JOIN, GROUP BY, PARTITION BY or WINDOW clauses.")
	}
	src := srcNode.Src
	env := op.Env{Registry: e.opts.Registry, Log: e.opts.Log}
	tc := stream.NewTaskContext(ctx, id, e.logger, e.opts.ProcessingLog)
	type keyed struct {
		key string
		row value.Row
	}
	latest := map[string]*keyed{}
	var stream_ []value.Row
	dec, err := op.NewSource(ctx, src, env)
	if err != nil {
		return nil, err
	}
	table := src.Kind == catalog.Table
	dec.Next = op.Func(func(tc *stream.TaskContext, row *value.Row) error {
		cp := value.Row{Key: append([]value.Value(nil), row.Key...), Time: row.Time, Partition: row.Partition, Offset: row.Offset, Window: row.Window}
		if row.Val != nil {
			cp.Val = append([]value.Value(nil), row.Val...)
		}
		if !table {
			stream_ = append(stream_, cp)
			return nil
		}
		var kb []byte
		for _, k := range cp.Key {
			kb = value.AppendKey(kb, k)
		}
		if cp.Window != nil {
			kb = append(kb, []byte(fmt.Sprint(cp.Window.Start, "/", cp.Window.End))...)
		}
		if cp.Val == nil {
			delete(latest, string(kb))
			return nil
		}
		latest[string(kb)] = &keyed{key: string(kb), row: cp}
		return nil
	})
	info, err := e.opts.Log.DescribeTopic(ctx, src.Topic)
	if err != nil {
		return nil, err
	}
	for p := int32(0); p < info.Partitions; p++ {
		tp := logstore.TopicPartition{Topic: src.Topic, Partition: p}
		offs, err := e.opts.Log.ListOffsets(ctx, tp)
		if err != nil {
			return nil, err
		}
		tc.Input = tp
		for off := offs.Start; off < offs.End; {
			recs, err := e.opts.Log.Fetch(ctx, tp, off, logstore.FetchOptions{})
			if err != nil {
				return nil, err
			}
			if len(recs) == 0 {
				break
			}
			for i := range recs {
				if recs[i].Offset >= offs.End {
					break
				}
				if err := dec.Process(tc, &recs[i]); err != nil {
					return nil, err
				}
				off = recs[i].Offset + 1
			}
		}
	}
	rows := stream_
	if table {
		ks := make([]*keyed, 0, len(latest))
		for _, k := range latest {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(i, j int) bool { return bytes.Compare([]byte(ks[i].key), []byte(ks[j].key)) < 0 })
		for _, k := range ks {
			rows = append(rows, k.row)
		}
	}
	for i := range rows {
		if err := chain.Process(tc, &rows[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func hasNullValue(vs []value.Value) bool {
	for _, v := range vs {
		if v.IsNull() {
			return true
		}
	}
	return false
}
