package op

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicedb/sluice/internal/catalog"
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
}

// Build turns a planned persistent query into the runtime's spec. Each task
// gets its own operator instances (and so its own serializer buffers).
func Build(ctx context.Context, q *plan.Query, env Env) (stream.QuerySpec, error) {
	src, chain, err := linearChain(q.Sink)
	if err != nil {
		return stream.QuerySpec{}, err
	}
	info, err := env.Log.DescribeTopic(ctx, q.Sink.Target.Topic)
	if err != nil {
		return stream.QuerySpec{}, fmt.Errorf("sink topic %s: %w", q.Sink.Target.Topic, err)
	}
	sinkParts := info.Partitions
	// Validate serdes once up front so that a bad format fails the
	// statement, not the first record.
	if _, err := newSource(ctx, src.Src, env); err != nil {
		return stream.QuerySpec{}, err
	}
	if _, err := newSink(ctx, q.Sink.Target, sinkParts, env); err != nil {
		return stream.QuerySpec{}, err
	}
	sub := stream.SubSpec{
		Inputs: []stream.Input{{Topic: src.Src.Topic}},
		NewProcessor: func(tc *stream.TaskContext) (stream.Processor, error) {
			sink, err := newSink(tc.Context(), q.Sink.Target, sinkParts, env)
			if err != nil {
				return nil, err
			}
			var next Op = sink
			for i := len(chain) - 1; i >= 0; i-- {
				next = chain[i](next, src.Src.Kind == catalog.Table)
			}
			s, err := newSource(tc.Context(), src.Src, env)
			if err != nil {
				return nil, err
			}
			s.Next = next
			return &Chain{Sources: []*Source{s}}, nil
		},
	}
	return stream.QuerySpec{ID: q.ID, Subs: []stream.SubSpec{sub}}, nil
}

// linearChain walks Sink → ... → Source and returns the operator factories
// in source-to-sink order.
func linearChain(sink *plan.Sink) (*plan.Source, []func(Op, bool) Op, error) {
	var chain []func(Op, bool) Op
	n := sink.Input
	for {
		switch x := n.(type) {
		case *plan.Source:
			return x, chain, nil
		case *plan.Filter:
			pred := x.Pred
			chain = append([]func(Op, bool) Op{func(next Op, table bool) Op { return &Filter{Pred: pred.Eval, Next: next, Table: table} }}, chain...)
			n = x.Input
		case *plan.Project:
			keys, vals := evals(x.Key), evals(x.Val)
			chain = append([]func(Op, bool) Op{func(next Op, _ bool) Op { return &Project{Key: keys, Val: vals, Next: next} }}, chain...)
			n = x.Input
		default:
			return nil, nil, fmt.Errorf("plan node %T is not supported yet", n)
		}
	}
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
	return &Sink{Topic: dst.Topic, Partitions: parts, KeySer: ks, ValSer: vs}, nil
}
