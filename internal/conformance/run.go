package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
	"github.com/sluicedb/sluice/internal/logstore/kafka"
	"github.com/sluicedb/sluice/internal/registry"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/state/pebblestore"
)

// Runner runs QTT tests against a fresh engine each.
type Runner struct {
	// Functions is shared by every test; it is read-only once built.
	Functions *function.Registry
	// TempDir holds each test's data directory; empty means os.TempDir.
	TempDir string
	Logger  *slog.Logger
	// Kafka, when set, runs each test on this cluster instead of an
	// embedded log, in a namespace of its own (see kafkaLog).
	Kafka *kafka.Log

	// testFuncs registers ksqlDB's test-only functions into Functions
	// before the first test, as ksqlDB's runner loads its test jar.
	testFuncs    sync.Once
	testFuncsErr error

	// runID and tests name each test's Kafka namespace.
	runOnce sync.Once
	runID   string
	tests   atomic.Int64
}

// kafkaLog returns a view of the cluster for one test: its topics, groups
// and transactional ids carry a prefix unique to the run and the test, so
// tests never see each other's data and share one client.
func (r *Runner) kafkaLog() (logstore.Log, error) {
	r.runOnce.Do(func() { r.runID = fmt.Sprintf("%x", time.Now().UnixNano()) })
	return r.Kafka.WithNamespace(fmt.Sprintf("qtt-%s-%d-", r.runID, r.tests.Add(1)))
}

// dropAll deletes a finished test's topics, so a run of two thousand
// tests does not leave ten thousand topics on the cluster.
func dropAll(lg logstore.Log) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := lg.ListTopics(ctx)
	if err != nil {
		return
	}
	for _, t := range topics {
		_ = lg.DeleteTopic(ctx, t.Name)
	}
}

// defaultRESTPartitions is the partition count ksqlDB's REST test
// executor gives the topics it creates without being told one
// (Topic.DEFAULT_PARTITIONS).
const defaultRESTPartitions = 4

// Run executes one test and reports its outcome.
func (r *Runner) Run(ctx context.Context, t Test) Result {
	if t.Disabled() {
		return skipped(t)
	}
	res := Result{File: t.File, Name: t.Name}
	r.testFuncs.Do(func() {
		if _, ok := r.Functions.KindOf("test_udf"); !ok {
			r.testFuncsErr = RegisterTestFunctions(r.Functions)
		}
	})
	if r.testFuncsErr != nil {
		res.Error = r.testFuncsErr.Error()
		return res
	}
	err := r.run(ctx, t)
	if err != nil {
		res.Error = err.Error()
	} else {
		res.OK = true
	}
	return res
}

// testEnv is one test's engine and storage.
type testEnv struct {
	dir   string
	log   logstore.Log
	state *pebblestore.DB
	reg   format.Registry
	sr    *registry.Embedded
	eng   *engine.Engine
	// logger is the engine's, which the REST runner's server shares.
	logger *slog.Logger
	// dropTopics is set on Kafka, where a test's topics outlive it.
	dropTopics bool
	// plog collects processing errors so a failing test can show them.
	plog *processingLog
}

type processingLog struct{ errs []string }

func (p *processingLog) Log(queryID string, tp logstore.TopicPartition, offset int64, err error) {
	if len(p.errs) < 5 {
		p.errs = append(p.errs, fmt.Sprintf("%s %s/%d@%d: %v", queryID, tp.Topic, tp.Partition, offset, err))
	}
}

// newEnv opens a test's storage and engine. manual engines are stepped by
// the runner (QTT); the REST runner's engine runs its queries itself, as
// a server's does, configured with cfg instead of the test's properties
// (which its requests carry).
func (r *Runner) newEnv(ctx context.Context, t Test, manual bool, cfg map[string]string) (*testEnv, error) {
	dir, err := os.MkdirTemp(r.TempDir, "qtt-")
	if err != nil {
		return nil, err
	}
	var lg logstore.Log
	if r.Kafka != nil {
		lg, err = r.kafkaLog()
	} else {
		lg, err = embedded.Open(dir, embedded.Options{Sync: embedded.SyncNever})
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	sr, err := registry.Open(ctx, lg, registry.Options{})
	if err != nil {
		lg.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	logger := r.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(discard{}, nil))
	}
	if cfg == nil {
		cfg = map[string]string{}
		for k, v := range t.Properties {
			var s string
			if json.Unmarshal(v, &s) != nil {
				s = strings.Trim(string(v), `"`)
			}
			cfg[k] = s
		}
	}
	reg := engine.SchemaRegistry(sr)
	plog := &processingLog{}
	sdb, err := pebblestore.Open(filepath.Join(dir, "state"), pebblestore.Options{InMemory: true})
	if err != nil {
		lg.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	eng := engine.New(engine.Options{
		Log: lg, State: sdb, Registry: reg, Functions: r.Functions, Config: cfg, Logger: logger, Manual: manual,
		ProcessingLog: plog,
	})
	return &testEnv{dir: dir, log: lg, state: sdb, reg: reg, sr: sr, eng: eng, plog: plog, logger: logger,
		dropTopics: r.Kafka != nil}, nil
}

func (e *testEnv) close() {
	e.eng.Close()
	e.state.Close()
	if e.dropTopics {
		dropAll(e.log)
	}
	e.log.Close()
	os.RemoveAll(e.dir)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (r *Runner) run(ctx context.Context, t Test) (err error) {
	if t.IsREST() {
		return r.runREST(ctx, t)
	}
	env, err := r.newEnv(ctx, t, true, nil)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer env.close()
	defer func() {
		// A panic anywhere in the engine is a failed test, not a dead
		// runner; report it with the test.
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if err := r.createTopics(ctx, env, t, false); err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	sess := engine.NewSession()
	var stmtErr error
	// ksqlDB's test executor runs the statements as one text, one per
	// line, so error positions count lines across them.
	if _, err := env.eng.Execute(ctx, sess, strings.Join(t.Statements, "\n")); err != nil {
		stmtErr = err
	}
	if t.ExpectedException != nil {
		if stmtErr == nil {
			// Some expected exceptions happen while processing records.
			stmtErr = r.feed(ctx, env, t)
			if stmtErr == nil {
				return fmt.Errorf("expected exception %q, but every statement succeeded", t.ExpectedException.Message)
			}
		}
		if m := t.ExpectedException.Message; m != "" && !strings.Contains(exceptionMessage(stmtErr), m) {
			return fmt.Errorf("expected exception message %q, got %q", m, exceptionMessage(stmtErr))
		}
		return nil
	}
	if stmtErr != nil {
		return fmt.Errorf("statement failed: %w", stmtErr)
	}
	if err := r.feed(ctx, env, t); err != nil {
		return err
	}
	if err := r.checkOutputs(ctx, env, t); err != nil {
		if len(env.plog.errs) > 0 {
			return fmt.Errorf("%w (processing log: %s)", err, strings.Join(env.plog.errs, "; "))
		}
		return err
	}
	return r.checkPost(env, t)
}

// createTopics creates the topics the test names, and those its inputs,
// outputs and statements use, as ksqlDB's test executors do
// (TestCaseBuilderUtil.getAllTopics); it also registers the schemas the
// test provides. A topic the test lists has the partitions it gives, or
// 1; a topic named by a CREATE STREAM or TABLE has its PARTITIONS, or the
// default; so has a topic only the inputs (or, on REST, outputs) name.
//
// The default differs by executor. The REST executor runs on a real Kafka
// cluster where those topics have 4 partitions (Topic.DEFAULT_PARTITIONS),
// and inputs are spread over them by key, so ROWPARTITION and partition
// count checks see 4. The QTT executor also reports 4 to ksqlDB, but runs
// the topology in TopologyTestDriver, where every topic physically has
// one partition and records are processed in input order; an engine with
// real partitions matches its outputs only with one partition.
func (r *Runner) createTopics(ctx context.Context, env *testEnv, t Test, rest bool) error {
	def := int32(1)
	if rest {
		def = defaultRESTPartitions
	}
	want := map[string]int32{}
	// explicit marks topics whose partition count the test gives; a CREATE
	// statement's PARTITIONS decides the others.
	explicit := map[string]bool{}
	for _, tp := range t.Topics {
		p := int32(tp.Partitions)
		if p <= 0 {
			p = 1
		} else {
			explicit[tp.Name] = true
		}
		want[tp.Name] = p
	}
	// Topics named by CREATE STREAM/TABLE statements exist before the
	// statements run, as ksqlDB's test executor creates them.
	for _, text := range t.Statements {
		for _, seg := range parser.Split(text) {
			st, err := parser.ParseStatement(seg.Text)
			if err != nil {
				continue
			}
			cs, ok := st.(*ast.CreateSource)
			if !ok {
				continue
			}
			topicExpr, ok := cs.Props.Get("KAFKA_TOPIC")
			if !ok {
				continue
			}
			lit, ok := topicExpr.(*ast.StringLit)
			if !ok {
				continue
			}
			if explicit[lit.Value] {
				continue
			}
			if pe, ok := cs.Props.Get("PARTITIONS"); ok {
				if il, ok := pe.(*ast.IntegerLit); ok && il.Value > 0 {
					want[lit.Value] = int32(il.Value)
					explicit[lit.Value] = true
					continue
				}
			}
			if _, ok := want[lit.Value]; !ok {
				want[lit.Value] = def
			}
		}
	}
	// Topics only the records name come last.
	recs := t.Inputs
	if rest {
		recs = append(append([]Record(nil), t.Inputs...), t.Outputs...)
	}
	for _, rec := range recs {
		if _, ok := want[rec.Topic]; !ok {
			want[rec.Topic] = def
		}
	}
	for name, p := range want {
		if err := env.log.CreateTopic(ctx, name, logstore.TopicConfig{Partitions: p, Replicas: 1}); err != nil && !errors.Is(err, logstore.ErrTopicExists) {
			return err
		}
	}
	ids := &schemaIDs{}
	for _, tp := range t.Topics {
		key := schemaSpec{format: firstNonEmpty(tp.KeyFormat, tp.Format), raw: tp.KeySchema, id: tp.KeySchemaID, refs: tp.KeySchemaReferences}
		if err := registerSchema(ctx, env.sr, ids, format.Subject(tp.Name, true), key); err != nil {
			return err
		}
		val := schemaSpec{format: firstNonEmpty(tp.ValueFormat, tp.Format), raw: firstRaw(tp.ValueSchema, tp.Schema), id: tp.ValueSchemaID, refs: tp.ValueSchemaReferences}
		if err := registerSchema(ctx, env.sr, ids, format.Subject(tp.Name, false), val); err != nil {
			return err
		}
	}
	return nil
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// schemaSpec is a schema a test registers for a topic's key or value.
type schemaSpec struct {
	format string
	raw    json.RawMessage
	id     *int // the id ksqlDB's test registry gives it, if the test names one
	refs   []SchemaRef
}

func firstRaw(xs ...json.RawMessage) json.RawMessage {
	for _, x := range xs {
		if len(x) > 0 && string(x) != "null" {
			return x
		}
	}
	return nil
}

// schemaIDs tracks the ids the test's schemas take in the fresh registry.
// ksqlDB's test registry resolves references inside the schema, so they
// take no ids there; here they must be registered, so they take ids far
// above the test's own, which keep the numbers the vectors expect.
type schemaIDs struct {
	max     int
	nextRef int
}

const firstRefID = 1 << 20

// registerSchema registers a test's schema under subject, its references
// first, each under a subject named after the reference, and with the id
// the test names, if any.
func registerSchema(ctx context.Context, reg *registry.Embedded, ids *schemaIDs, subject string, spec schemaSpec) error {
	if len(spec.raw) == 0 || string(spec.raw) == "null" {
		return nil
	}
	s := registry.Schema{Type: schemaType(spec.format), Text: schemaText(spec.raw)}
	for _, ref := range spec.refs {
		rs := registry.Schema{Type: schemaType(firstNonEmpty(ref.Format, spec.format)), Text: schemaText(ref.Schema)}
		if ids.nextRef == 0 {
			ids.nextRef = firstRefID
		}
		id, err := reg.Import(ctx, ref.Name, rs, ids.nextRef)
		if err != nil {
			return fmt.Errorf("reference %s: %w", ref.Name, err)
		}
		if id == ids.nextRef {
			ids.nextRef++
		}
		s.References = append(s.References, registry.Reference{Name: ref.Name, Subject: ref.Name, Version: 1})
	}
	id := ids.max + 1
	if spec.id != nil {
		id = *spec.id
	}
	got, err := reg.Import(ctx, subject, s, id)
	if err != nil {
		return err
	}
	if got < firstRefID {
		ids.max = max(ids.max, got)
	}
	return nil
}

func schemaText(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	return text
}

func schemaType(fmtName string) registry.SchemaType {
	switch strings.ToUpper(fmtName) {
	case "PROTOBUF", "PROTOBUF_NOSR":
		return registry.Protobuf
	case "JSON", "JSON_SR":
		return registry.JSON
	}
	return registry.Avro
}

// sourceFor finds the source a topic's records are written through.
func sourceFor(eng *engine.Engine, topic string) *catalog.Source {
	var best *catalog.Source
	for _, s := range eng.Catalog().Sources() {
		if s.Topic != topic {
			continue
		}
		if best == nil || (best.CreatedBy == "" && s.CreatedBy != "") {
			best = s
		}
	}
	return best
}

var _ = sort.Strings

// exceptionMessage renders err as ksqlDB's KsqlStatementException does
// for the test executor: the message, then the failed statement's text,
// which for a parse failure is the raw text with its terminator, and for
// a failure after planning the statement as ksqlDB's engine restated it.
func exceptionMessage(err error) string {
	var se *engine.StatementError
	if errors.As(err, &se) && se.Restated != "" {
		return err.Error() + "\nStatement: " + se.Restated
	}
	if errors.As(err, &se) && se.Statement != "" {
		text := se.Statement
		var pe *parser.Error
		if errors.As(err, &pe) && !strings.HasSuffix(text, ";") {
			text += ";"
		}
		return err.Error() + "\nStatement: " + text
	}
	return err.Error()
}
