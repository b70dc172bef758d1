package op

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/expr"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function/javatime"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Env is what building operators needs from the engine.
type Env struct {
	Registry format.Registry
	Log      logstore.Log
	// Group is the query's consumer group, the prefix of its internal
	// topic and store names.
	Group string
}

// Build turns a planned persistent query into the runtime's spec: one
// sub-topology per stretch of the plan between repartition topics. Each
// task gets its own operator instances (and so its own buffers and state
// views).
func Build(ctx context.Context, q *plan.Query, env Env) (stream.QuerySpec, error) {
	info, err := env.Log.DescribeTopic(ctx, q.Sink.Target.Topic)
	if err != nil {
		return stream.QuerySpec{}, fmt.Errorf("sink topic %s: %w", q.Sink.Target.Topic, err)
	}
	sinkParts := info.Partitions
	// Validate the sink's serdes once so a bad format fails the statement,
	// not the first record.
	if _, err := newSink(ctx, q.Sink.Target, sinkParts, env); err != nil {
		return stream.QuerySpec{}, err
	}
	b := &builder{env: env, group: env.Group}
	target := q.Sink.Target
	err = b.sub(ctx, q.Sink.Input, func(tc *stream.TaskContext) (Op, error) {
		return newSink(tc.Context(), target, sinkParts, env)
	})
	if err != nil {
		return stream.QuerySpec{}, err
	}
	if _, view := NewAggregateView(q, env.Group); !view && q.Sink.Create && Materializable(target) {
		// Pull queries read a table result from its materialization
		// (materialize.go), which the query keeps after its own work,
		// unless its aggregate store serves (aggview.go).
		b.subs = append(b.subs, MaterializeSub(target, env, false))
	}
	return stream.QuerySpec{ID: q.ID, Subs: b.subs}, nil
}

// builder accumulates sub-topologies.
type builder struct {
	env   Env
	group string
	subs  []stream.SubSpec
	// filters counts table filters, to name their stores.
	filters int
}

// stage builds one operator given the operator after it.
type stage func(tc *stream.TaskContext, next Op) (Op, error)

// sub builds the sub-topology ending at terminal, whose input is found by
// walking down from n, and recursively the ones below any repartition.
func (b *builder) sub(ctx context.Context, n plan.Node, terminal func(tc *stream.TaskContext) (Op, error)) error {
	var stages []stage
	var stores []string
	table := false
	for {
		switch x := n.(type) {
		case *plan.Source:
			src := x.Src
			table = src.Kind == catalog.Table
			if _, err := newSource(ctx, src, b.env); err != nil {
				return err
			}
			if x.Changes {
				store := x.Store
				stores = append(stores, store)
				stages = append([]stage{func(tc *stream.TaskContext, next Op) (Op, error) {
					st, err := tc.Store(store)
					if err != nil {
						return nil, err
					}
					return &TableChange{Store: st, Next: next}, nil
				}}, stages...)
			}
			b.subs = append(b.subs, stream.SubSpec{
				Inputs: []stream.Input{{Topic: src.Topic}},
				Stores: stores,
				NewProcessor: func(tc *stream.TaskContext) (stream.Processor, error) {
					next, err := assemble(tc, stages, terminal, table)
					if err != nil {
						return nil, err
					}
					s, err := newSource(tc.Context(), src, b.env)
					if err != nil {
						return nil, err
					}
					s.Next = next
					return &Chain{Sources: []*Source{s}}, nil
				},
			})
			return nil
		case *plan.Repartition:
			topic := b.group + "-" + x.Topic
			parts := max(x.Partitions, 1)
			b.subs = append(b.subs, stream.SubSpec{
				Inputs: []stream.Input{{Topic: topic, Create: parts}},
				Stores: stores,
				NewProcessor: func(tc *stream.TaskContext) (stream.Processor, error) {
					next, err := assemble(tc, stages, terminal, table)
					if err != nil {
						return nil, err
					}
					rs := &RepartitionSource{Next: next}
					return &internalChain{src: rs}, nil
				},
			})
			return b.sub(ctx, x.Input, func(*stream.TaskContext) (Op, error) {
				return &RepartitionSink{Topic: topic, Partitions: parts}, nil
			})
		case *plan.Join:
			if x.Changes {
				store := x.ChangeStore
				stores = append(stores, store)
				stages = append([]stage{func(tc *stream.TaskContext, next Op) (Op, error) {
					st, err := tc.Store(store)
					if err != nil {
						return nil, err
					}
					return &TableChange{Store: st, Next: next}, nil
				}}, stages...)
			}
			return b.joinSub(ctx, x, stages, stores, terminal)
		case *plan.Filter, *plan.Project:
			st, store := b.stateless(n)
			if store != "" {
				stores = append(stores, store)
			}
			stages = append([]stage{st}, stages...)
			n = n.Children()[0]
		case *plan.FlatMap:
			calls := make([]TableEval, len(x.Calls))
			for i, c := range x.Calls {
				calls[i] = c.Eval
			}
			stages = append([]stage{func(_ *stream.TaskContext, next Op) (Op, error) {
				return &FlatMap{Calls: calls, Next: next}, nil
			}}, stages...)
			n = x.Input
		case *plan.Aggregate:
			agg := x
			stores = append(stores, agg.Store)
			if agg.Final {
				stores = append(stores, agg.Store+"-Suppress")
			}
			stages = append([]stage{func(tc *stream.TaskContext, next Op) (Op, error) {
				st, err := tc.Store(agg.Store)
				if err != nil {
					return nil, err
				}
				op := &Aggregate{Window: agg.Window, Store: st, Next: next, Final: agg.Final}
				if agg.Final {
					if op.Suppress, err = tc.Store(agg.Store + "-Suppress"); err != nil {
						return nil, err
					}
				}
				for _, c := range agg.Aggs {
					op.Aggs = append(op.Aggs, AggSpec{Name: c.Name, Agg: c.Agg, Args: exprEvals(c.Args), Widen: c.Widen})
				}
				return op, nil
			}}, stages...)
			n = x.Input
		default:
			return fmt.Errorf("plan node %T is not supported yet", n)
		}
	}
}

// assemble instantiates a sub-topology's operators for one task.
func assemble(tc *stream.TaskContext, stages []stage, terminal func(tc *stream.TaskContext) (Op, error), _ bool) (Op, error) {
	next, err := terminal(tc)
	if err != nil {
		return nil, err
	}
	for i := len(stages) - 1; i >= 0; i-- {
		if next, err = stages[i](tc, next); err != nil {
			return nil, err
		}
	}
	return next, nil
}

// internalChain is the processor of a sub-topology fed by a repartition
// topic.
type internalChain struct {
	src *RepartitionSource
}

func (c *internalChain) Process(tc *stream.TaskContext, _ int, rec *logstore.Record) error {
	return c.src.Process(tc, rec)
}

func (c *internalChain) Close() error { return nil }

func exprEvals(es []*expr.Expr) []Eval {
	out := make([]Eval, len(es))
	for i, e := range es {
		out[i] = e.Eval
	}
	return out
}

func evals(cols []plan.Column) []Eval {
	out := make([]Eval, len(cols))
	for i, c := range cols {
		out[i] = c.Expr.Eval
	}
	return out
}

// Target returns a source's serde target for its key or value.
func Target(src *catalog.Source, isKey bool) format.Target {
	t := format.Target{Topic: src.Topic, IsKey: isKey}
	if isKey {
		for _, c := range src.Schema.Key() {
			t.Columns = append(t.Columns, format.Column{Name: c.Name, Type: c.Type})
		}
		return t
	}
	for _, c := range src.Schema.ValueOnly() {
		t.Columns = append(t.Columns, format.Column{Name: c.Name, Type: c.Type})
	}
	for _, f := range src.ValueFeatures {
		switch f {
		case "WRAP_SINGLE_VALUE":
			t.Wrap = format.Wrapped
		case "UNWRAP_SINGLE_VALUE":
			t.Wrap = format.Unwrapped
		}
	}
	return t
}

// Formats returns a source's key and value formats.
func Formats(src *catalog.Source, reg format.Registry) (format.Format, format.Format, error) {
	kf, err := format.New(src.KeyFormat.Name, src.KeyFormat.Props, reg)
	if err != nil {
		return nil, nil, err
	}
	vf, err := format.New(src.ValueFormat.Name, src.ValueFormat.Props, reg)
	if err != nil {
		return nil, nil, err
	}
	return kf, vf, nil
}

func newSource(ctx context.Context, src *catalog.Source, env Env) (*Source, error) {
	kf, vf, err := Formats(src, env.Registry)
	if err != nil {
		return nil, err
	}
	kd, err := kf.Deserializer(ctx, Target(src, true))
	if err != nil {
		return nil, err
	}
	vd, err := vf.Deserializer(ctx, Target(src, false))
	if err != nil {
		return nil, err
	}
	s := &Source{Topic: src.Topic, KeyDe: kd, ValDe: vd, KeyLen: len(src.Schema.Key()), Table: src.Kind == catalog.Table}
	switch src.Window {
	case catalog.Tumbling, catalog.Hopping:
		size := src.WindowSize
		s.Window = func(key []byte) ([]byte, *value.Window, error) {
			if len(key) < 8 {
				return nil, nil, fmt.Errorf("windowed key of %d bytes is too short", len(key))
			}
			start := int64(binary.BigEndian.Uint64(key[len(key)-8:]))
			return key[:len(key)-8], &value.Window{Start: start, End: start + size}, nil
		}
	case catalog.Session:
		s.Window = func(key []byte) ([]byte, *value.Window, error) {
			if len(key) < 16 {
				return nil, nil, fmt.Errorf("session key of %d bytes is too short", len(key))
			}
			end := int64(binary.BigEndian.Uint64(key[len(key)-16:]))
			start := int64(binary.BigEndian.Uint64(key[len(key)-8:]))
			return key[:len(key)-16], &value.Window{Start: start, End: end}, nil
		}
	}
	if hs := headerLayout(src.Schema); hs != nil {
		s.Headers = hs
	}
	if src.Timestamp != "" {
		tf, err := timeExtractor(src)
		if err != nil {
			return nil, err
		}
		s.Time = tf
	}
	return s, nil
}

// headerLayout returns a function that spreads decoded value columns and
// header columns into declaration order, or nil when there are no header
// columns.
func headerLayout(sch catalog.Schema) func(row *value.Row, hs []logstore.Header) {
	vals := sch.Value()
	hasHeader := false
	for _, c := range vals {
		if c.Namespace == catalog.Header {
			hasHeader = true
		}
	}
	if !hasHeader {
		return nil
	}
	return func(row *value.Row, hs []logstore.Header) {
		decoded := row.Val
		out := make([]value.Value, len(vals))
		di := 0
		for i, c := range vals {
			switch {
			case c.Namespace == catalog.Value:
				if di < len(decoded) {
					out[i] = decoded[di]
				}
				di++
			case c.HeaderKey != "":
				for _, h := range hs {
					if h.Key == c.HeaderKey {
						out[i] = value.Bytes(h.Value)
					}
				}
			default:
				elems := make([]value.Value, len(hs))
				for j, h := range hs {
					elems[j] = value.Struct([]value.Value{value.String(h.Key), value.Bytes(h.Value)})
				}
				out[i] = value.Array(elems)
			}
		}
		row.Val = out
	}
}

// timeExtractor reads event time from the source's TIMESTAMP column.
func timeExtractor(src *catalog.Source) (func(*value.Row) (int64, error), error) {
	idx, isKey := -1, false
	var typ *types.Type
	for i, c := range src.Schema.Key() {
		if c.Name == src.Timestamp {
			idx, isKey, typ = i, true, c.Type
		}
	}
	if idx < 0 {
		for i, c := range src.Schema.Value() {
			if c.Name == src.Timestamp {
				idx, typ = i, c.Type
			}
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("timestamp column %s not found", src.Timestamp)
	}
	get := func(row *value.Row) value.Value {
		if isKey {
			return row.Key[idx]
		}
		if idx < len(row.Val) {
			return row.Val[idx]
		}
		return value.Null
	}
	switch typ.Kind {
	case types.String:
		f, err := javatime.Compile(src.TimestampFormat)
		if err != nil {
			return nil, fmt.Errorf("Invalid timestamp format '%s': %w", src.TimestampFormat, err)
		}
		return func(row *value.Row) (int64, error) {
			v := get(row)
			if v.IsNull() {
				return 0, fmt.Errorf("timestamp column %s is null", src.Timestamp)
			}
			t, err := f.ParseTime(v.Str(), time.UTC)
			if err != nil {
				return 0, fmt.Errorf("Failed to parse timestamp '%s' with formatter '%s': %w", v.Str(), src.TimestampFormat, err)
			}
			return t.UnixMilli(), nil
		}, nil
	default:
		return func(row *value.Row) (int64, error) {
			v := get(row)
			if v.IsNull() {
				return 0, fmt.Errorf("timestamp column %s is null", src.Timestamp)
			}
			return v.Millis(), nil
		}, nil
	}
}

func newSink(ctx context.Context, dst *catalog.Source, parts int32, env Env) (*Sink, error) {
	kf, vf, err := Formats(dst, env.Registry)
	if err != nil {
		return nil, err
	}
	ks, err := kf.Serializer(ctx, Target(dst, true))
	if err != nil {
		return nil, err
	}
	vs, err := vf.Serializer(ctx, Target(dst, false))
	if err != nil {
		return nil, err
	}
	sink := &Sink{Topic: dst.Topic, Partitions: parts, KeySer: ks, ValSer: vs}
	if dst.Timestamp != "" {
		if sink.Time, err = timeExtractor(dst); err != nil {
			return nil, err
		}
	}
	switch dst.Window {
	case catalog.Tumbling, catalog.Hopping:
		sink.Window = func(b []byte, w *value.Window) []byte { return binary.BigEndian.AppendUint64(b, uint64(w.Start)) }
	case catalog.Session:
		sink.Window = func(b []byte, w *value.Window) []byte {
			b = binary.BigEndian.AppendUint64(b, uint64(w.End))
			return binary.BigEndian.AppendUint64(b, uint64(w.Start))
		}
	}
	return sink, nil
}

// branch is one or more inputs of a multi-input sub-topology, feeding one
// operator: a source's or repartition topic's chain, or a nested join with
// the inputs of both its sides.
type branch struct {
	inputs []stream.Input
	stores []string
	// entry builds, for one task, the processors of the inputs (in order)
	// that end by feeding next.
	entry func(tc *stream.TaskContext, next Op) ([]recordProcessor, error)
	table bool
}

// recordProcessor decodes one input's records and feeds its chain.
type recordProcessor interface {
	Process(tc *stream.TaskContext, rec *logstore.Record) error
}

// branchOf walks down from n to the branch's input, collecting its stages;
// below a repartition it builds the lower sub-topology too.
func (b *builder) branchOf(ctx context.Context, n plan.Node) (*branch, error) {
	var stages []stage
	var stores []string
	table := false
	for {
		switch x := n.(type) {
		case *plan.Source:
			src := x.Src
			table = src.Kind == catalog.Table
			if _, err := newSource(ctx, src, b.env); err != nil {
				return nil, err
			}
			st := stages
			return &branch{inputs: []stream.Input{{Topic: src.Topic}}, stores: stores, table: table, entry: func(tc *stream.TaskContext, next Op) ([]recordProcessor, error) {
				chain, err := assemble(tc, st, func(*stream.TaskContext) (Op, error) { return next, nil }, table)
				if err != nil {
					return nil, err
				}
				s, err := newSource(tc.Context(), src, b.env)
				if err != nil {
					return nil, err
				}
				s.Next = chain
				return []recordProcessor{s}, nil
			}}, nil
		case *plan.Repartition:
			topic := b.group + "-" + x.Topic
			parts := max(x.Partitions, 1)
			if err := b.sub(ctx, x.Input, func(*stream.TaskContext) (Op, error) {
				return &RepartitionSink{Topic: topic, Partitions: parts}, nil
			}); err != nil {
				return nil, err
			}
			st := stages
			return &branch{inputs: []stream.Input{{Topic: topic, Create: parts}}, stores: stores, table: isTable(x.Input), entry: func(tc *stream.TaskContext, next Op) ([]recordProcessor, error) {
				chain, err := assemble(tc, st, func(*stream.TaskContext) (Op, error) { return next, nil }, false)
				if err != nil {
					return nil, err
				}
				return []recordProcessor{&RepartitionSource{Next: chain}}, nil
			}}, nil
		case *plan.Join:
			// A join below a join shares the sub-topology: its inputs join
			// the outer one's, and its results feed the outer join directly,
			// as ksqlDB's n-way joins on one key need no repartition.
			inner, err := b.joinBranch(ctx, x)
			if err != nil {
				return nil, err
			}
			st := stages
			innerEntry := inner.entry
			inner.stores = append(inner.stores, stores...)
			inner.entry = func(tc *stream.TaskContext, next Op) ([]recordProcessor, error) {
				chain, err := assemble(tc, st, func(*stream.TaskContext) (Op, error) { return next, nil }, false)
				if err != nil {
					return nil, err
				}
				return innerEntry(tc, chain)
			}
			return inner, nil
		case *plan.Filter, *plan.Project:
			st, store := b.stateless(n)
			if store != "" {
				stores = append(stores, store)
			}
			stages = append([]stage{st}, stages...)
			n = n.Children()[0]
		default:
			return nil, fmt.Errorf("plan node %T is not supported below a join yet", n)
		}
	}
}

// isTable reports whether a plan node produces a table.
func isTable(n plan.Node) bool {
	switch x := n.(type) {
	case *plan.Source:
		return x.Src.Kind == catalog.Table
	case *plan.Join:
		return x.Kind == plan.TableTable
	case *plan.Aggregate:
		return true
	}
	for _, c := range n.Children() {
		return isTable(c)
	}
	return false
}

// joinBranch builds a join's inputs and operator as a branch whose
// results feed the given next operator.
func (b *builder) joinBranch(ctx context.Context, j *plan.Join) (*branch, error) {
	if j.ForeignKey != nil {
		return b.fkJoinBranch(ctx, j)
	}
	left, err := b.branchOf(ctx, j.Left)
	if err != nil {
		return nil, err
	}
	right, err := b.branchOf(ctx, j.Right)
	if err != nil {
		return nil, err
	}
	// A stream-table join reads its table up to the end first, so that
	// stream records find the rows already there.
	rightInputs := append([]stream.Input(nil), right.inputs...)
	if j.Kind == plan.StreamTable {
		for i := range rightInputs {
			rightInputs[i].Bootstrap = true
		}
	}
	out := &branch{
		inputs: append(append([]stream.Input(nil), left.inputs...), rightInputs...),
		stores: append(append(append([]string(nil), left.stores...), right.stores...), j.LeftStore, j.RightStore),
		table:  j.Kind == plan.TableTable,
	}
	outerStore := ""
	if j.Kind == plan.StreamStream && j.Window != nil && j.Window.HasGrace && j.Type != plan.InnerJoin {
		outerStore = j.LeftStore + "-outer"
		out.stores = append(out.stores, outerStore)
	}
	out.entry = func(tc *stream.TaskContext, next Op) ([]recordProcessor, error) {
		ls, err := tc.Store(j.LeftStore)
		if err != nil {
			return nil, err
		}
		rs, err := tc.Store(j.RightStore)
		if err != nil {
			return nil, err
		}
		op := &Join{Type: j.Type, Kind: j.Kind, Window: j.Window, LeftWidth: j.LeftWidth, RightWidth: j.RightWidth, Left: ls, Right: rs, Next: next, WindowedKeys: j.WindowedKeys, SessionKeys: j.SessionKeys}
		if outerStore != "" {
			if op.Outer, err = tc.Store(outerStore); err != nil {
				return nil, err
			}
		}
		if err := op.Init(); err != nil {
			return nil, err
		}
		le, err := left.entry(tc, op.LeftInput())
		if err != nil {
			return nil, err
		}
		re, err := right.entry(tc, op.RightInput())
		if err != nil {
			return nil, err
		}
		return append(le, re...), nil
	}
	return out, nil
}

// joinSub builds the sub-topology of a join: its inputs feeding the join
// operator, then the stages above it.
func (b *builder) joinSub(ctx context.Context, j *plan.Join, stages []stage, stores []string, terminal func(tc *stream.TaskContext) (Op, error)) error {
	br, err := b.joinBranch(ctx, j)
	if err != nil {
		return err
	}
	b.subs = append(b.subs, stream.SubSpec{
		Inputs: br.inputs,
		Stores: append(stores, br.stores...),
		NewProcessor: func(tc *stream.TaskContext) (stream.Processor, error) {
			next, err := assemble(tc, stages, terminal, false)
			if err != nil {
				return nil, err
			}
			entries, err := br.entry(tc, next)
			if err != nil {
				return nil, err
			}
			return &multiChain{entries: entries}, nil
		},
	})
	return nil
}

// multiChain is the processor of a sub-topology with several inputs.
type multiChain struct {
	entries []recordProcessor
}

func (c *multiChain) Process(tc *stream.TaskContext, input int, rec *logstore.Record) error {
	return c.entries[input].Process(tc, rec)
}

func (c *multiChain) Close() error { return nil }

// stateless builds the stage of a filter or projection. A filter over a
// table remembers which keys passed, in the store it returns, so it sends
// a tombstone only for a key whose previous row had passed.
func (b *builder) stateless(n plan.Node) (stage, string) {
	switch x := n.(type) {
	case *plan.Filter:
		pred := x.Pred
		tbl := isTable(x.Input)
		store := ""
		if tbl {
			b.filters++
			store = fmt.Sprintf("Filter-%d-Passed", b.filters)
		}
		return func(tc *stream.TaskContext, next Op) (Op, error) {
			f := &Filter{Pred: pred.Eval, Next: next, Table: tbl}
			if store != "" {
				st, err := tc.Store(store)
				if err != nil {
					return nil, err
				}
				f.Passed = st
			}
			return f, nil
		}, store
	case *plan.Project:
		keys, vals, keep, keepKey, dropNull, rekey, needsVal := evals(x.Key), evals(x.Val), x.KeepVal, x.KeepKey, x.DropNullKey, x.Rekey, x.KeyNeedsValue
		return func(_ *stream.TaskContext, next Op) (Op, error) {
			return &Project{Key: keys, Val: vals, Next: next, KeepVal: keep, KeepKey: keepKey, DropNullKey: dropNull, Rekey: rekey, KeyNeedsValue: needsVal}, nil
		}, ""
	}
	return nil, ""
}
