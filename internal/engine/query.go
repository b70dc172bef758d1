package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/plan"
	"github.com/sluicedb/sluice/internal/planner"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/stream/op"
)

func (e *Engine) planner(sess *Session) *planner.Planner {
	return &planner.Planner{
		Catalog:   e.cat,
		Functions: e.opts.Functions,
		Property:  func(name, def string) string { return e.property(sess, name, def) },
	}
}

func (e *Engine) createAsSelect(ctx context.Context, sess *Session, s *ast.CreateAsSelect, text string) (*Result, error) {
	name := s.Name.Name
	word := kindWord(s.Table)
	if existing, ok := e.cat.Source(name); ok && !s.OrReplace {
		if s.IfNotExists {
			return &Result{Message: fmt.Sprintf("Cannot add %s %s: A %s with the same name already exists.", word, name, strings.ToLower(existing.Kind.String()))}, nil
		}
		return nil, fmt.Errorf("Cannot add %s '%s': A %s with the same name already exists", word, name, strings.ToLower(existing.Kind.String()))
	}
	props, err := parseWith(s.Props, createAsProps)
	if err != nil {
		return nil, err
	}
	pl := e.planner(sess)
	planned, err := pl.Plan(s.Query, name, nil)
	if err != nil {
		return nil, err
	}
	// From here on ksqlDB's errors show the statement as its engine
	// restated it.
	restate := func(err error) error { return &restatedError{text: pl.StatementText(s), err: err} }
	if s.Table && !planned.Table {
		return nil, restate(errors.New("Invalid result type. Your SELECT query produces a STREAM. Please use CREATE STREAM AS SELECT statement instead."))
	}
	if !s.Table && planned.Table {
		return nil, restate(errors.New("Invalid result type. Your SELECT query produces a TABLE. Please use CREATE TABLE AS SELECT statement instead."))
	}
	sink, err := e.sinkSource(ctx, sess, name, s.Table, props, planned, text)
	if err != nil {
		return nil, restate(err)
	}
	prefix := "CSAS"
	if s.Table {
		prefix = "CTAS"
	}
	id := e.nextQueryID(prefix + "_" + name)
	q := &plan.Query{ID: id, Sink: &plan.Sink{Input: planned.Root, Target: sink, Create: true}, Sources: sourceNames(planned)}
	if err := e.cat.PutSource(sink, s.OrReplace); err != nil {
		return nil, err
	}
	if err := e.startQuery(ctx, sess, q, text); err != nil {
		_ = e.cat.DropSource(name)
		return nil, err
	}
	sink.CreatedBy = id
	return &Result{Message: "Created query with ID " + id, QueryID: id, Source: sink}, nil
}

func sourceNames(p *planner.Planned) []string {
	var out []string
	for _, s := range p.Sources {
		out = append(out, s.Name)
	}
	return out
}

// sinkSource builds the catalog entry of a CSAS/CTAS result: its topic,
// formats and schema, creating the topic when it does not exist.
func (e *Engine) sinkSource(ctx context.Context, sess *Session, name string, table bool, props withProps, p *planner.Planned, text string) (*catalog.Source, error) {
	topic, ok := props.str("KAFKA_TOPIC")
	if !ok {
		topic = e.property(sess, "ksql.output.topic.name.prefix", "") + name
	}
	src := &catalog.Source{Name: name, Kind: catalog.Stream, Topic: topic, Schema: p.Schema, SQL: text,
		Window: p.Window, WindowSize: p.WindowSize}
	if table {
		src.Kind = catalog.Table
	}
	from := p.From
	// Formats default to the source's, as ksqlDB's sink topics inherit them.
	kf, hasK := props.str("KEY_FORMAT")
	vf, hasV := props.str("VALUE_FORMAT")
	if f, ok := props.str("FORMAT"); ok {
		if hasK || hasV {
			return nil, errors.New("Cannot supply both 'FORMAT' and 'KEY_FORMAT'/'VALUE_FORMAT' properties, as 'FORMAT' sets both key and value formats.")
		}
		kf, vf, hasK, hasV = f, f, true, true
	}
	if p.PartitionByNull {
		// ksqlDB's analyzer: a stream partitioned by NULL has no key, so
		// no key format but NONE makes sense.
		if hasK && !strings.EqualFold(kf, format.None) {
			return nil, errors.New("Key format specified for stream without key columns.")
		}
		kf, hasK = format.None, true
	}
	if !hasK {
		kf = from.KeyFormat.Name
		if strings.EqualFold(kf, format.None) && len(p.Schema.Key()) > 0 {
			kf = e.property(sess, "ksql.persistence.default.format.key", "KAFKA")
		}
	}
	if !hasV {
		vf = from.ValueFormat.Name
	}
	src.KeyFormat = catalog.FormatInfo{Name: strings.ToUpper(kf), Props: map[string]string{}}
	src.ValueFormat = catalog.FormatInfo{Name: strings.ToUpper(vf), Props: map[string]string{}}
	if d, ok := props.str("KEY_DELIMITER"); ok {
		src.KeyFormat.Props[format.PropDelimiter] = d
	} else if !hasK {
		if d, ok := from.KeyFormat.Props[format.PropDelimiter]; ok {
			src.KeyFormat.Props[format.PropDelimiter] = d
		}
	}
	if d, ok := props.str("VALUE_DELIMITER"); ok {
		src.ValueFormat.Props[format.PropDelimiter] = d
	} else if !hasV {
		if d, ok := from.ValueFormat.Props[format.PropDelimiter]; ok {
			src.ValueFormat.Props[format.PropDelimiter] = d
		}
	}
	if !applySchemaProps(props, src, name) {
		e.unwrapFromConfig(sess, src)
	}
	if ts, ok := props.str("TIMESTAMP"); ok {
		src.Timestamp = canonicalColumnName(ts)
		src.TimestampFormat, _ = props.str("TIMESTAMP_FORMAT")
	}
	if err := e.validateFormats(src); err != nil {
		return nil, err
	}
	// The topic: reuse an existing one, or create it with the source's
	// partition count unless PARTITIONS overrides it.
	parts := from.Partitions
	if parts == 0 {
		if info, err := e.opts.Log.DescribeTopic(ctx, from.Topic); err == nil {
			parts = info.Partitions
		}
	}
	if n, ok := props.intVal("PARTITIONS"); ok {
		parts = int32(n)
	}
	if parts <= 0 {
		parts = 1
	}
	info, err := e.opts.Log.DescribeTopic(ctx, topic)
	switch {
	case err == nil:
		if n, ok := props.intVal("PARTITIONS"); ok && int32(n) != info.Partitions {
			return nil, fmt.Errorf("A Kafka topic with the name '%s' already exists, with different partition/replica configuration than required. KSQL expects %d partitions (topic has %d).", topic, n, info.Partitions)
		}
		src.Partitions, src.Replicas = info.Partitions, info.Replicas
	case errors.Is(err, logstore.ErrUnknownTopic):
		cfg := logstore.TopicConfig{Partitions: parts, Replicas: 1, Compact: table}
		if r, ok := props.intVal("REPLICAS"); ok {
			cfg.Replicas = int16(r)
		}
		if err := e.opts.Log.CreateTopic(ctx, topic, cfg); err != nil && !errors.Is(err, logstore.ErrTopicExists) {
			return nil, fmt.Errorf("create topic %s: %w", topic, err)
		}
		src.Partitions, src.Replicas = cfg.Partitions, cfg.Replicas
	default:
		return nil, fmt.Errorf("describe topic %s: %w", topic, err)
	}
	return src, nil
}

func (e *Engine) insertInto(ctx context.Context, sess *Session, s *ast.InsertInto, text string) (*Result, error) {
	target, ok := e.cat.Source(s.Target.Name)
	if !ok {
		return nil, fmt.Errorf("%s: Source `%s` does not exist.", posText(s.Target.Pos), s.Target.Name)
	}
	if target.Kind != catalog.Stream {
		return nil, fmt.Errorf("INSERT INTO can only be used to insert into a stream. %s is a table.", target.Name)
	}
	if target.ReadOnly {
		return nil, fmt.Errorf("Cannot insert into read-only stream: %s", target.Name)
	}
	planned, err := e.planner(sess).Plan(s.Query, target.Name, target)
	if err != nil {
		return nil, err
	}
	if planned.Table {
		return nil, errors.New("INSERT INTO can only be used to insert into a stream. The query produces a table.")
	}
	if !sameSchema(planned.Schema, target.Schema) {
		return nil, fmt.Errorf("Incompatible schema between results and sink.\nResult schema is %s\nSink schema is %s", planned.Schema, target.Schema)
	}
	id := e.nextQueryID("INSERTQUERY")
	q := &plan.Query{ID: id, Sink: &plan.Sink{Input: planned.Root, Target: target}, Sources: sourceNames(planned)}
	if err := e.startQuery(ctx, sess, q, text); err != nil {
		return nil, err
	}
	return &Result{Message: "Created query with ID " + id, QueryID: id}, nil
}

func posText(p ast.Pos) string { return fmt.Sprintf("Line: %d, Col: %d", p.Line, p.Col) }

func sameSchema(a, b catalog.Schema) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for i := range a.Columns {
		x, y := a.Columns[i], b.Columns[i]
		if x.Name != y.Name || !x.Type.Equal(y.Type) || (x.Namespace == catalog.Key) != (y.Namespace == catalog.Key) {
			return false
		}
	}
	return true
}

// startQuery builds the operators of q, records it in the catalog and runs
// it (or, in Manual mode, prepares it for Step).
func (e *Engine) startQuery(ctx context.Context, sess *Session, q *plan.Query, text string) error {
	group := "_confluent-ksql-" + e.opts.ServiceID + "query_" + q.ID
	spec, err := op.Build(ctx, q, op.Env{Registry: e.opts.Registry, Log: e.opts.Log, Group: group})
	if err != nil {
		return err
	}
	spec.Group = group
	if err := e.attachBootstrap(ctx, &spec); err != nil {
		return err
	}
	spec.OffsetReset = strings.ToLower(e.property(sess, "auto.offset.reset", "latest"))
	if v, ok := sess.Props["ksql.streams.auto.offset.reset"]; ok {
		spec.OffsetReset = strings.ToLower(v)
	}
	spec.Distributed = e.distributed()
	spec.LatestAtPrepare = !e.restoring
	if spec.CommitInterval, err = e.commitInterval(sess); err != nil {
		return err
	}
	if spec.AtLeastOnce, err = e.atLeastOnce(sess); err != nil {
		return err
	}
	rq, err := e.rt.Prepare(ctx, spec)
	if err != nil {
		return err
	}
	sink := ""
	if q.Sink != nil && q.Sink.Create {
		sink = q.Sink.Target.Name
	}
	kind := "PERSISTENT"
	if q.Sink != nil && !q.Sink.Create {
		kind = "INSERT"
	}
	e.cat.PutQuery(&catalog.Query{ID: q.ID, SQL: text, Sink: sink, Sources: q.Sources, Kind: kind, State: "RUNNING"})
	e.mu.Lock()
	e.running[q.ID] = rq
	if v, ok := op.NewAggregateView(q, group); ok {
		e.views[q.ID] = v
	}
	e.mu.Unlock()
	if !e.opts.Manual {
		rq.Start(context.WithoutCancel(ctx))
	}
	if spec.Distributed {
		if err := e.joinTasks(ctx, sess, rq); err != nil {
			e.stopQuery(q.ID)
			e.cat.DropQuery(q.ID)
			return err
		}
	}
	return nil
}

var _ = stream.QuerySpec{}

// nextQueryID allocates a query id, or reuses the one the command log
// recorded so a replayed query resumes its consumer group and state.
func (e *Engine) nextQueryID(prefix string) string {
	id := e.cat.NextQueryID(prefix)
	if e.forcedQueryID != "" {
		return e.forcedQueryID
	}
	return id
}
