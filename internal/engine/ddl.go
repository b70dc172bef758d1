package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/stream/op"
	"github.com/sluicedb/sluice/internal/types"
)

func kindWord(table bool) string {
	if table {
		return "table"
	}
	return "stream"
}

func (e *Engine) createSource(ctx context.Context, sess *Session, s *ast.CreateSource, text string) (*Result, error) {
	name := s.Name.Name
	word := kindWord(s.Table)
	existing, exists := e.cat.Source(name)
	if exists && !s.OrReplace {
		if s.IfNotExists {
			return &Result{Message: fmt.Sprintf("Cannot add %s %s: A %s with the same name already exists.", word, name, strings.ToLower(existing.Kind.String()))}, nil
		}
		return nil, fmt.Errorf("Cannot add %s '%s': A %s with the same name already exists", word, name, strings.ToLower(existing.Kind.String()))
	}
	if s.OrReplace && (s.Source || (exists && existing.ReadOnly)) {
		return nil, fmt.Errorf("Cannot add %s '%s': CREATE OR REPLACE is not supported on source %ss.", word, name, word)
	}
	props, err := parseWith(s.Props, createProps)
	if err != nil {
		return nil, err
	}
	topic, ok := props.str("KAFKA_TOPIC")
	if !ok {
		return nil, errors.New("Missing required property \"KAFKA_TOPIC\" which has no default value.")
	}
	src := &catalog.Source{
		Name:     name,
		Kind:     catalog.Stream,
		Topic:    topic,
		ReadOnly: s.Source,
		SQL:      text,
	}
	if s.Table {
		src.Kind = catalog.Table
	}
	if err := e.resolveFormats(sess, name, props, src); err != nil {
		return nil, err
	}
	// An unknown format is reported before anything about the columns.
	if _, _, err := op.Formats(src, e.opts.Registry); err != nil {
		return nil, err
	}
	cols, err := e.tableElements(s.Elements)
	if err != nil {
		return nil, err
	}
	if err := e.ensureTopic(ctx, props, src); err != nil {
		return nil, err
	}
	cols, err = e.inferColumns(ctx, src, cols)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, errors.New("The statement does not define any columns.")
	}
	src.Schema = catalog.Schema{Columns: orderColumns(cols)}
	if s.Table && len(src.Schema.Key()) == 0 {
		return nil, errors.New("Tables require a PRIMARY KEY. Please define the PRIMARY KEY.")
	}
	if err := e.applyWindow(props, src); err != nil {
		return nil, err
	}
	if err := e.applyTimestamp(props, src); err != nil {
		return nil, err
	}
	e.unwrapFromConfig(sess, src)
	if err := e.validateFormats(src); err != nil {
		return nil, err
	}
	if err := e.cat.PutSource(src, s.OrReplace); err != nil {
		return nil, err
	}
	if s.Source && s.Table {
		if err := e.startMaterializer(ctx, src); err != nil {
			_ = e.cat.DropSource(name)
			return nil, err
		}
	}
	msg := "Stream created"
	if s.Table {
		msg = "Table created"
	}
	return &Result{Message: msg, Source: src}, nil
}

// tableElements converts column declarations, rejecting reserved names
// and duplicates as ksqlDB does.
func (e *Engine) tableElements(elems []ast.TableElement) ([]catalog.Column, error) {
	var cols []catalog.Column
	seen := map[string]bool{}
	for _, el := range elems {
		n := el.Name.Name
		if catalog.IsPseudo(strings.ToUpper(n)) && !el.Name.Quoted || catalog.IsPseudo(n) {
			return nil, fmt.Errorf("'%s' is a reserved column name. You cannot use it as a name for a column.", n)
		}
		if seen[n] {
			return nil, fmt.Errorf("Duplicate column names: %s", n)
		}
		seen[n] = true
		t, err := resolveType(el.Type, e.cat)
		if err != nil {
			return nil, err
		}
		c := catalog.Column{Name: n, Type: t}
		switch el.Constraint {
		case ast.ConstraintKey, ast.ConstraintPrimaryKey:
			c.Namespace = catalog.Key
		case ast.ConstraintHeaders:
			c.Namespace = catalog.Header
		case ast.ConstraintHeader:
			c.Namespace = catalog.Header
			c.HeaderKey = el.HeaderKey
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// orderColumns puts key columns first, keeping declaration order within
// each namespace, as ksqlDB's LogicalSchema does.
func orderColumns(cols []catalog.Column) []catalog.Column {
	out := make([]catalog.Column, 0, len(cols))
	for _, c := range cols {
		if c.Namespace == catalog.Key {
			out = append(out, c)
		}
	}
	for _, c := range cols {
		if c.Namespace != catalog.Key {
			out = append(out, c)
		}
	}
	return out
}

// resolveFormats applies FORMAT / KEY_FORMAT / VALUE_FORMAT and the
// server defaults.
func (e *Engine) resolveFormats(sess *Session, name string, props withProps, src *catalog.Source) error {
	f, hasF := props.str("FORMAT")
	kf, hasK := props.str("KEY_FORMAT")
	vf, hasV := props.str("VALUE_FORMAT")
	if hasF && hasK {
		return errors.New("Cannot supply both 'KEY_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.")
	}
	if hasF && hasV {
		return errors.New("Cannot supply both 'VALUE_FORMAT' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.")
	}
	if hasF {
		kf, vf, hasK, hasV = f, f, true, true
	}
	if !hasK {
		kf = e.property(sess, "ksql.persistence.default.format.key", "KAFKA")
	}
	if !hasV {
		vf = e.property(sess, "ksql.persistence.default.format.value", "")
		if vf == "" {
			return errors.New("Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config.")
		}
	}
	src.KeyFormat = catalog.FormatInfo{Name: strings.ToUpper(kf), Props: map[string]string{}}
	src.ValueFormat = catalog.FormatInfo{Name: strings.ToUpper(vf), Props: map[string]string{}}
	if v, ok := props.str("KEY_DELIMITER"); ok {
		src.KeyFormat.Props[format.PropDelimiter] = v
	}
	if v, ok := props.str("VALUE_DELIMITER"); ok {
		src.ValueFormat.Props[format.PropDelimiter] = v
	}
	applySchemaProps(props, src, name)
	return nil
}

// avroName upper-camel-cases a source name as ksqlDB's AvroFormat does for
// key schema names.
func avroName(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// ensureTopic checks the source's topic exists, creating it when
// PARTITIONS is given, as ksqlDB's TopicCreateInjector does.
func (e *Engine) ensureTopic(ctx context.Context, props withProps, src *catalog.Source) error {
	info, err := e.opts.Log.DescribeTopic(ctx, src.Topic)
	if err == nil {
		src.Partitions, src.Replicas = info.Partitions, info.Replicas
		if p, ok := props.intVal("PARTITIONS"); ok && int32(p) != info.Partitions {
			return fmt.Errorf("A Kafka topic with the name '%s' already exists, with different partition/replica configuration than required. KSQL expects %d partitions (topic has %d).", src.Topic, p, info.Partitions)
		}
		return nil
	}
	if !errors.Is(err, logstore.ErrUnknownTopic) {
		return fmt.Errorf("describe topic %s: %w", src.Topic, err)
	}
	p, ok := props.intVal("PARTITIONS")
	if !ok {
		return fmt.Errorf("Kafka topic does not exist: %s", src.Topic)
	}
	cfg := logstore.TopicConfig{Partitions: int32(p), Replicas: 1}
	if r, ok := props.intVal("REPLICAS"); ok {
		cfg.Replicas = int16(r)
	}
	if src.Kind == catalog.Table {
		cfg.Compact = true
	}
	if err := e.opts.Log.CreateTopic(ctx, src.Topic, cfg); err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return fmt.Errorf("create topic %s: %w", src.Topic, err)
	}
	src.Partitions, src.Replicas = cfg.Partitions, cfg.Replicas
	return nil
}

func (e *Engine) applyWindow(props withProps, src *catalog.Source) error {
	wt, ok := props.str("WINDOW_TYPE")
	if !ok {
		if _, has := props.str("WINDOW_SIZE"); has {
			return errors.New("'WINDOW_SIZE' should not be set for SESSION windows or non-windowed sources.")
		}
		return nil
	}
	switch strings.ToUpper(wt) {
	case "TUMBLING":
		src.Window = catalog.Tumbling
	case "HOPPING":
		src.Window = catalog.Hopping
	case "SESSION":
		src.Window = catalog.Session
	default:
		return fmt.Errorf("Error in WITH clause property 'WINDOW_TYPE': Unknown window type: '%s'", wt)
	}
	size, hasSize := props.str("WINDOW_SIZE")
	if src.Window == catalog.Session {
		if hasSize {
			return errors.New("'WINDOW_SIZE' should not be set for SESSION windows.")
		}
		return nil
	}
	if !hasSize {
		return fmt.Errorf("Tumbling and Hopping window types should set WINDOW_SIZE in the WITH clause.")
	}
	ms, err := parseDuration(size)
	if err != nil {
		return fmt.Errorf("Error in WITH clause property 'WINDOW_SIZE': %v\nExample valid value: '10 SECONDS'", err)
	}
	src.WindowSize = ms
	return nil
}

// parseDuration parses "10 SECONDS" style durations to milliseconds.
func parseDuration(s string) (int64, error) {
	parts := strings.Fields(s)
	if len(parts) != 2 {
		return 0, fmt.Errorf("Invalid duration: '%s'. Expected format: '<number> <unit>'", s)
	}
	var n int64
	if _, err := fmt.Sscan(parts[0], &n); err != nil {
		return 0, fmt.Errorf("Invalid duration: '%s'. Expected format: '<number> <unit>'", s)
	}
	ms, ok := unitMillis(parts[1])
	if !ok {
		return 0, fmt.Errorf("Unknown time unit: '%s'", parts[1])
	}
	return n * ms, nil
}

func unitMillis(unit string) (int64, bool) {
	u := strings.TrimSuffix(strings.ToUpper(unit), "S")
	switch u {
	case "MILLISECOND":
		return 1, true
	case "SECOND":
		return 1000, true
	case "MINUTE":
		return 60_000, true
	case "HOUR":
		return 3_600_000, true
	case "DAY":
		return 86_400_000, true
	case "WEEK":
		return 7 * 86_400_000, true
	}
	return 0, false
}

func (e *Engine) applyTimestamp(props withProps, src *catalog.Source) error {
	ts, ok := props.str("TIMESTAMP")
	if !ok {
		if _, has := props.str("TIMESTAMP_FORMAT"); has {
			return nil
		}
		return nil
	}
	name := canonicalColumnName(ts)
	col, found := src.Schema.Find(name)
	if !found {
		return fmt.Errorf("The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'", name)
	}
	tf, hasFmt := props.str("TIMESTAMP_FORMAT")
	switch col.Type.Kind {
	case types.Bigint, types.Timestamp:
	case types.String:
		if !hasFmt {
			return fmt.Errorf("Timestamp column, `%s`, should be of type BIGINT or TIMESTAMP. If using timestamp_format, it should be of type STRING.", name)
		}
	default:
		return fmt.Errorf("Timestamp column, `%s`, should be of type BIGINT or TIMESTAMP. If using timestamp_format, it should be of type STRING.", name)
	}
	src.Timestamp = name
	src.TimestampFormat = tf
	return nil
}

// canonicalColumnName resolves a column named in a property: quoted names
// keep their case, others are upper-cased.
func canonicalColumnName(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '`' && s[len(s)-1] == '`' || s[0] == '"' && s[len(s)-1] == '"') {
		return s[1 : len(s)-1]
	}
	return strings.ToUpper(s)
}

func (e *Engine) createType(s *ast.CreateType) (*Result, error) {
	t, err := resolveType(s.Type, e.cat)
	if err != nil {
		return nil, err
	}
	name := s.Name.Name
	if existing, ok := e.cat.Type(name); ok {
		if s.IfNotExists {
			return &Result{Message: fmt.Sprintf("Registered custom type with name '%s' and SQL type %s", name, existing)}, nil
		}
		return nil, fmt.Errorf("Cannot register custom type '%s' since it is already registered with type: %s", name, existing)
	}
	if err := e.cat.PutType(name, t); err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("Registered custom type with name '%s' and SQL type %s", name, t)}, nil
}

func (e *Engine) dropType(s *ast.DropType) (*Result, error) {
	name := s.Name.Name
	if _, ok := e.cat.Type(name); !ok {
		if s.IfExists {
			return &Result{Message: fmt.Sprintf("Type '%s' does not exist", name)}, nil
		}
		return nil, fmt.Errorf("Type %s does not exist.", name)
	}
	if err := e.cat.DropType(name); err != nil {
		return nil, err
	}
	return &Result{Message: fmt.Sprintf("Dropped type '%s'", name)}, nil
}

func (e *Engine) dropSource(ctx context.Context, s *ast.DropSource) (*Result, error) {
	name := s.Name.Name
	word := kindWord(s.Table)
	src, ok := e.cat.Source(name)
	if !ok {
		if s.IfExists {
			return &Result{Message: fmt.Sprintf("Source `%s` does not exist.", name)}, nil
		}
		return nil, fmt.Errorf("%s %s does not exist.", titleWord(word), name)
	}
	if (src.Kind == catalog.Table) != s.Table {
		return nil, fmt.Errorf("Incompatible data source type is %s, but statement was DROP %s", src.Kind, strings.ToUpper(word))
	}
	if s.DeleteTopic && src.ReadOnly {
		return nil, fmt.Errorf("Cannot delete topic for read-only source: %s", name)
	}
	var readers []string
	for _, q := range e.cat.QueriesReading(name) {
		readers = append(readers, q.ID)
	}
	if len(readers) > 0 {
		return nil, fmt.Errorf("Cannot drop %s.\nThe following queries read from this source: [%s].\nYou need to terminate them before dropping %s.", name, strings.Join(readers, ", "), name)
	}
	for _, q := range e.cat.QueriesWriting(name) {
		e.stopQuery(q.ID)
		e.cat.DropQuery(q.ID)
	}
	if err := e.cat.DropSource(name); err != nil {
		return nil, err
	}
	if err := e.dropMaterializer(name); err != nil {
		return nil, err
	}
	if s.DeleteTopic {
		if err := e.opts.Log.DeleteTopic(ctx, src.Topic); err != nil && !errors.Is(err, logstore.ErrUnknownTopic) {
			return nil, fmt.Errorf("delete topic %s: %w", src.Topic, err)
		}
	}
	return &Result{Message: fmt.Sprintf("Source `%s` (topic: %s) was dropped.", name, src.Topic)}, nil
}

// titleWord capitalizes "stream" or "table".
func titleWord(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

// applySchemaProps applies the WITH properties that CREATE and CREATE AS
// SELECT share about the formats' schemas and wrapping: protobuf nullable
// representation, schema ids, schema full names, WRAP_SINGLE_VALUE. It
// reports whether WRAP_SINGLE_VALUE was given.
func applySchemaProps(props withProps, src *catalog.Source, name string) bool {
	if v, ok := props.str("KEY_PROTOBUF_NULLABLE_REPRESENTATION"); ok {
		src.KeyFormat.Props[format.PropNullableRepresentation] = v
	}
	if v, ok := props.str("VALUE_PROTOBUF_NULLABLE_REPRESENTATION"); ok {
		src.ValueFormat.Props[format.PropNullableRepresentation] = v
	}
	if v, ok := props.str("KEY_SCHEMA_ID"); ok {
		src.KeyFormat.Props[format.PropSchemaID] = v
	}
	if v, ok := props.str("VALUE_SCHEMA_ID"); ok {
		src.ValueFormat.Props[format.PropSchemaID] = v
	}
	if v, ok := props.str("KEY_SCHEMA_FULL_NAME"); ok {
		src.KeyFormat.Props[format.PropFullSchemaName] = v
	} else if src.KeyFormat.Name == format.Avro {
		// A key schema name unique to the source keeps generated Avro
		// classes from clashing (ksqlDB issue 6465).
		src.KeyFormat.Props[format.PropFullSchemaName] = "io.confluent.ksql.avro_schemas." + avroName(name) + "Key"
	}
	if v, ok := props.str("VALUE_AVRO_SCHEMA_FULL_NAME"); ok {
		src.ValueFormat.Props[format.PropFullSchemaName] = v
	} else if v, ok := props.str("VALUE_SCHEMA_FULL_NAME"); ok {
		src.ValueFormat.Props[format.PropFullSchemaName] = v
	}
	w, ok := props.boolVal("WRAP_SINGLE_VALUE")
	switch {
	case ok && w:
		src.ValueFeatures = []string{"WRAP_SINGLE_VALUE"}
	case ok:
		src.ValueFeatures = []string{"UNWRAP_SINGLE_VALUE"}
	}
	return ok
}
