package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/logstore/embedded"
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

	// testFuncs registers ksqlDB's test-only functions into Functions
	// before the first test, as ksqlDB's runner loads its test jar.
	testFuncs    sync.Once
	testFuncsErr error
}

// Run executes one test and reports its outcome.
func (r *Runner) Run(ctx context.Context, t Test) Result {
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
	log   *embedded.Log
	state *pebblestore.DB
	reg   format.Registry
	eng   *engine.Engine
	// plog collects processing errors so a failing test can show them.
	plog *processingLog
}

type processingLog struct{ errs []string }

func (p *processingLog) Log(queryID string, tp logstore.TopicPartition, offset int64, err error) {
	if len(p.errs) < 5 {
		p.errs = append(p.errs, fmt.Sprintf("%s %s/%d@%d: %v", queryID, tp.Topic, tp.Partition, offset, err))
	}
}

func (r *Runner) newEnv(ctx context.Context, t Test) (*testEnv, error) {
	dir, err := os.MkdirTemp(r.TempDir, "qtt-")
	if err != nil {
		return nil, err
	}
	lg, err := embedded.Open(dir, embedded.Options{Sync: embedded.SyncNever})
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
	cfg := map[string]string{}
	for k, v := range t.Properties {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = strings.Trim(string(v), `"`)
		}
		cfg[k] = s
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
		Log: lg, State: sdb, Registry: reg, Functions: r.Functions, Config: cfg, Logger: logger, Manual: true,
		ProcessingLog: plog,
	})
	return &testEnv{dir: dir, log: lg, state: sdb, reg: reg, eng: eng, plog: plog}, nil
}

func (e *testEnv) close() {
	e.eng.Close()
	e.state.Close()
	e.log.Close()
	os.RemoveAll(e.dir)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (r *Runner) run(ctx context.Context, t Test) (err error) {
	env, err := r.newEnv(ctx, t)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer env.close()
	defer func() {
		// A panic anywhere in the engine is a failed test, not a dead
		// runner; report it with the test.
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if err := r.createTopics(ctx, env, t); err != nil {
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
// outputs and statements use, as ksqlDB's test executor does; it also
// registers the schemas the test provides.
func (r *Runner) createTopics(ctx context.Context, env *testEnv, t Test) error {
	want := map[string]int32{}
	for _, tp := range t.Topics {
		p := int32(tp.Partitions)
		if p <= 0 {
			p = 1
		}
		want[tp.Name] = p
	}
	for _, rec := range t.Inputs {
		if _, ok := want[rec.Topic]; !ok {
			want[rec.Topic] = 1
		}
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
			if _, ok := want[lit.Value]; ok {
				continue
			}
			parts := int32(1)
			if pe, ok := cs.Props.Get("PARTITIONS"); ok {
				if il, ok := pe.(*ast.IntegerLit); ok && il.Value > 0 {
					parts = int32(il.Value)
				}
			}
			want[lit.Value] = parts
		}
	}
	for name, p := range want {
		if err := env.log.CreateTopic(ctx, name, logstore.TopicConfig{Partitions: p, Replicas: 1}); err != nil && !errors.Is(err, logstore.ErrTopicExists) {
			return err
		}
	}
	for _, tp := range t.Topics {
		if err := registerSchema(ctx, env.reg, tp.Name, true, tp.KeyFormat, tp.Format, tp.KeySchema); err != nil {
			return err
		}
		if err := registerSchema(ctx, env.reg, tp.Name, false, tp.ValueFormat, tp.Format, firstRaw(tp.ValueSchema, tp.Schema)); err != nil {
			return err
		}
	}
	return nil
}

func firstRaw(xs ...json.RawMessage) json.RawMessage {
	for _, x := range xs {
		if len(x) > 0 && string(x) != "null" {
			return x
		}
	}
	return nil
}

func registerSchema(ctx context.Context, reg format.Registry, topic string, isKey bool, fmtName, fallback string, raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if fmtName == "" {
		fmtName = fallback
	}
	var text string
	if json.Unmarshal(raw, &text) != nil {
		text = string(raw)
	}
	typ := format.SchemaAvro
	switch strings.ToUpper(fmtName) {
	case "PROTOBUF":
		typ = format.SchemaProtobuf
	case "JSON", "JSON_SR":
		typ = format.SchemaJSON
	}
	_, err := reg.Register(ctx, format.Subject(topic, isKey), format.Schema{Type: typ, Text: text})
	return err
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
// which for a parse failure is the raw text with its terminator.
func exceptionMessage(err error) string {
	var se *engine.StatementError
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
