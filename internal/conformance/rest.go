package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/server"
)

// The REST query validation tests (rest-query-validation-tests) run
// against the real HTTP server on a real listener, driven over HTTP the
// way ksqlDB's RestTestExecutor drives its server: the statements before
// the first SELECT go to /ksql as one request, the inputs are produced,
// the persistent queries are given time to process them, then each query
// goes to /query and its whole response is read. Responses are compared
// field by field with the expected ones (see rest_match.go).

// restServerConfig is the server configuration ksqlDB's REST tests run
// with (RestQueryTranslationTest and TestKsqlRestApp): queries read topics
// from the start, table scans and scalable push queries are enabled.
var restServerConfig = map[string]string{
	"ksql.streams.auto.offset.reset":         "earliest",
	"ksql.query.pull.table.scan.enabled":     "true",
	"ksql.query.pull.interpreter.enabled":    "true",
	"ksql.query.push.v2.registry.installed":  "true",
	"ksql.query.push.v2.enabled":             "true",
	"ksql.query.push.v2.new.latest.delay.ms": "0",
	"ksql.headers.columns.enabled":           "true",
	"ksql.service.id":                        "default_",
}

// Timeouts bound what ksqlDB's executor waits for without limit; a test
// that reaches one fails with what arrived so far.
const (
	restCatchUpTimeout = 10 * time.Second
	restQueryTimeout   = 10 * time.Second
	restOutputTimeout  = 5 * time.Second
)

// restEnv is one REST test's engine, served over HTTP.
type restEnv struct {
	*testEnv
	base   string
	cancel context.CancelFunc
	served chan error
}

func (r *Runner) newRESTEnv(ctx context.Context, t Test) (*restEnv, error) {
	cfg := make(map[string]string, len(restServerConfig))
	for k, v := range restServerConfig {
		cfg[k] = v
	}
	env, err := r.newEnv(ctx, t, false, cfg)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Options{
		Engine: env.eng, Queries: server.EngineQueries{Engine: env.eng}, Log: env.log,
		Functions: r.Functions, Config: cfg, ServiceID: cfg["ksql.service.id"], Logger: env.logger,
		SchemaRegistry: env.sr.Handler(),
	})
	if err != nil {
		env.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		env.close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e := &restEnv{testEnv: env, base: "http://" + ln.Addr().String(), cancel: cancel, served: make(chan error, 1)}
	go func() { e.served <- srv.Serve(sctx, ln, nil) }()
	return e, nil
}

// close stops the server, waiting for its handlers, then the engine and
// storage.
func (e *restEnv) close() {
	e.cancel()
	<-e.served
	e.testEnv.close()
}

// restResponse is one response the executor collected: an admin entity
// from /ksql, or the rows of one query.
type restResponse struct {
	kind    string // "admin", "query" or "queryProto"
	payload any
}

func (r *Runner) runREST(ctx context.Context, t Test) (err error) {
	env, err := r.newRESTEnv(ctx, t)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	defer env.close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	if err := r.createTopics(ctx, env.testEnv, t, true); err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	props := map[string]any{}
	for k, v := range t.Properties {
		x, err := decodeAny(v)
		if err != nil {
			return fmt.Errorf("property %s: %w", k, err)
		}
		props[k] = x
	}
	expected, err := decodeResponses(t.Responses)
	if err != nil {
		return err
	}
	admin, queries, err := splitRESTStatements(t.Statements)
	if err != nil {
		return err
	}
	var got []restResponse
	if len(admin) > 0 {
		status, body, err := env.post(ctx, "/ksql", map[string]any{"ksql": strings.Join(admin, "\n"), "streamsProperties": props})
		if err != nil {
			return fmt.Errorf("/ksql: %w", err)
		}
		if status != 200 {
			// ksqlDB's executor stops at a failed admin request: the test
			// passes when the failure is the expected one.
			return matchRESTError(t, status, body)
		}
		entities, ok := body.([]any)
		if !ok {
			return fmt.Errorf("/ksql: want an array of entities, got %s", jsonText(body))
		}
		for _, e := range entities {
			got = append(got, restResponse{kind: "admin", payload: e})
		}
	}
	waitPush := waitForActivePushQuery(t)
	if !waitPush {
		if err := env.produce(ctx, t); err != nil {
			return fmt.Errorf("inputs: %w", err)
		}
	}
	if t.ExpectedError == nil && len(expected) > len(admin) {
		if err := env.waitCaughtUp(ctx); err != nil {
			return err
		}
	}
	queryResults := 0
	for i, q := range queries {
		var afterHeader func() error
		if waitPush && i == 0 {
			afterHeader = func() error { return env.produce(ctx, t) }
		} else if waitPush {
			return errors.New("invalid test: only one query may be used with inputConditions")
		}
		want := -1
		if idx := len(got); idx < len(expected) {
			if rows, ok := expected[idx]["query"].([]any); ok {
				want = len(rows)
			}
		}
		status, body, rows, err := env.query(ctx, q, props, want, afterHeader)
		if err != nil {
			return fmt.Errorf("/query %q: %w", q, err)
		}
		if status != 200 {
			if err := matchRESTError(t, status, body); err != nil {
				return err
			}
			continue
		}
		got = append(got, restResponse{kind: "query", payload: rows})
		queryResults++
	}
	if queryResults > 0 && t.ExpectedError != nil {
		return fmt.Errorf("expected the last statement to fail with %q, but its queries returned rows", t.ExpectedError.Message)
	}
	if testPullWithProtoFormat(t) {
		for _, q := range queries {
			status, _, rows, err := env.queryProto(ctx, q, props)
			if err != nil {
				return fmt.Errorf("/query-stream %q: %w", q, err)
			}
			if status == 200 {
				got = append(got, restResponse{kind: "queryProto", payload: rows})
			}
		}
	}
	if err := env.verifyOutputs(ctx, r, t); err != nil {
		return err
	}
	return verifyRESTResponses(got, expected, t.Statements, verifyOrder(t))
}

// splitRESTStatements splits the statements at the first query: the
// admin statements before it, the queries from it on, which must all be
// queries, as ksqlDB's executor requires.
func splitRESTStatements(stmts []string) (admin, queries []string, err error) {
	first := len(stmts)
	for i, s := range stmts {
		isQuery := strings.HasPrefix(s, "SELECT ")
		if isQuery && first == len(stmts) {
			first = i
		} else if !isQuery && first < len(stmts) {
			return nil, nil, fmt.Errorf("invalid test: statement %d follows queries, but is not a query", i)
		}
	}
	return stmts[:first], stmts[first:], nil
}

func decodeResponses(raws []json.RawMessage) ([]map[string]any, error) {
	out := make([]map[string]any, len(raws))
	for i, raw := range raws {
		x, err := decodeAny(raw)
		if err != nil {
			return nil, fmt.Errorf("response %d: %w", i, err)
		}
		m, ok := x.(map[string]any)
		if !ok || len(m) != 1 {
			return nil, fmt.Errorf("invalid test: response %d must be an object with one field", i)
		}
		out[i] = m
	}
	return out, nil
}

// rawField reads one field of the vector that Test does not model.
func rawField(t Test, name string) any {
	var m map[string]json.RawMessage
	if json.Unmarshal(t.Raw, &m) != nil {
		return nil
	}
	x, err := decodeAny(m[name])
	if err != nil {
		return nil
	}
	return x
}

func waitForActivePushQuery(t Test) bool {
	c, _ := rawField(t, "inputConditions").(map[string]any)
	b, _ := c["waitForActivePushQuery"].(bool)
	return b
}

func verifyOrder(t Test) bool {
	c, _ := rawField(t, "outputConditions").(map[string]any)
	b, _ := c["verifyOrder"].(bool)
	return b
}

func testPullWithProtoFormat(t Test) bool {
	b, _ := rawField(t, "testPullWithProtoFormat").(bool)
	return b
}

// produce writes the test's inputs through the sources reading their
// topics, with timestamp 0 where the vector gives none, as ksqlDB's
// executor's producer does.
func (e *restEnv) produce(ctx context.Context, t Test) error {
	if len(t.Inputs) == 0 {
		return nil
	}
	txn, err := e.log.Begin(ctx, "")
	if err != nil {
		return err
	}
	for i, rec := range t.Inputs {
		key, val, err := encodeInput(ctx, e.reg, sourceFor(e.eng, rec.Topic), rec)
		if err != nil {
			txn.Abort(ctx)
			return fmt.Errorf("input %d: %w", i, err)
		}
		info, err := e.log.DescribeTopic(ctx, rec.Topic)
		if err != nil {
			txn.Abort(ctx)
			return fmt.Errorf("input %d: %w", i, err)
		}
		part := int32(0)
		if key != nil {
			part = logstore.Partition(key, info.Partitions)
		}
		var ts int64
		if rec.Timestamp != nil {
			ts = *rec.Timestamp
		}
		out := logstore.Record{Key: key, Value: val, Timestamp: ts, Partition: part, Headers: decodeHeaders(rec.Headers)}
		if err := txn.Produce(ctx, rec.Topic, out); err != nil {
			txn.Abort(ctx)
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	_, err = txn.Commit(ctx)
	return err
}

// waitCaughtUp waits until the persistent queries have processed every
// input, as ksqlDB's executor does before its queries.
func (e *restEnv) waitCaughtUp(ctx context.Context) error {
	deadline := time.Now().Add(restCatchUpTimeout)
	for {
		ok, err := e.eng.CaughtUp(ctx)
		if err != nil {
			return fmt.Errorf("persistent queries: %w", err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("persistent queries did not process their inputs in time")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// verifyOutputs compares the output topics with the expected records,
// waiting for them to arrive.
func (e *restEnv) verifyOutputs(ctx context.Context, r *Runner, t Test) error {
	if len(t.Outputs) == 0 {
		return nil
	}
	deadline := time.Now().Add(restOutputTimeout)
	for {
		err := r.checkOutputs(ctx, e.testEnv, t)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
