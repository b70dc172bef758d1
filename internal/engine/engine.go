// Package engine owns statement execution: it takes ksqlDB statements,
// resolves them against the catalog, changes the catalog, and starts,
// steps and stops the persistent queries the runtime runs. The REST server,
// headless mode and the conformance runner all execute through it.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/catalog"
	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/format"
	"github.com/sluicedb/sluice/internal/function"
	"github.com/sluicedb/sluice/internal/logstore"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/state"
	"github.com/sluicedb/sluice/internal/stream"
	"github.com/sluicedb/sluice/internal/stream/op"
)

// Options configures an Engine.
type Options struct {
	Log       logstore.Log
	State     state.DB
	Registry  format.Registry
	Functions *function.Registry
	// ServiceID is ksql.service.id; it prefixes internal topic and group names.
	ServiceID string
	// Config holds server-level ksqlDB properties (ksql.*), the defaults a
	// session's SET overrides.
	Config map[string]string
	Logger *slog.Logger
	// Manual prepares persistent queries without starting them; the caller
	// drives them with Step. The conformance runner uses it to process
	// records deterministically.
	Manual        bool
	ProcessingLog stream.ProcessingLogger
	// Connectors runs CREATE SOURCE|SINK CONNECTOR statements; nil
	// rejects them.
	Connectors *connect.Runtime
	// Advertised is the URL of this server's internal listener, which it
	// advertises to the servers it shares queries with (ksqlDB's
	// ksql.internal.listener); Forward sends pull query reads to theirs
	// (pullroute.go).
	Advertised string
	Forward    PullForwarder
}

// Session is one client's state: properties set with SET and variables
// defined with DEFINE.
type Session struct {
	Props map[string]string
	Vars  map[string]string
}

// NewSession returns an empty session.
func NewSession() *Session {
	return &Session{Props: map[string]string{}, Vars: map[string]string{}}
}

// Engine executes statements.
type Engine struct {
	opts   Options
	cat    *catalog.Catalog
	rt     *stream.Runtime
	logger *slog.Logger

	mu      sync.Mutex
	running map[string]*stream.Query
	// materializers keep the stores of source tables, by table name
	// (materialize.go).
	materializers map[string]*stream.Query
	// views read GROUP BY results from their aggregate stores, by query
	// id (op.AggregateView).
	views map[string]*op.AggregateView
	// keySers caches the key serializers pull queries route keys with,
	// by *catalog.Source.
	keySers sync.Map
	// forceScan answers pull queries on tables by scanning their topics,
	// for benchmarks that compare the two paths.
	forceScan bool

	// commandLog is set once Restore has opened the command topic;
	// replaying is set while it replays, so nothing is logged twice.
	commandLog bool
	replaying  bool
	// restoring is set while Restore replays the commands a previous run
	// executed, as opposed to new ones.
	restoring bool
	// cmdTopic is the command topic Restore chose.
	cmdTopic      string
	commandSeq    int64
	forcedQueryID string

	// stmtMu runs statements one at a time; cluster is set when servers
	// share the log (cluster.go).
	stmtMu  sync.Mutex
	cluster *cluster
}

// New returns an engine with an empty catalog.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ServiceID == "" {
		opts.ServiceID = "default_"
	}
	if opts.Config == nil {
		opts.Config = map[string]string{}
	}
	return &Engine{
		opts:          opts,
		cat:           catalog.New(),
		rt:            stream.New(stream.Options{Log: opts.Log, State: opts.State, Logger: opts.Logger, ProcessingLog: opts.ProcessingLog}),
		logger:        opts.Logger,
		running:       map[string]*stream.Query{},
		materializers: map[string]*stream.Query{},
		views:         map[string]*op.AggregateView{},
		cluster:       newCluster(opts.Log, opts.Manual),
	}
}

// Catalog returns the engine's catalog.
func (e *Engine) Catalog() *catalog.Catalog { return e.cat }

// Result is what one statement produced.
type Result struct {
	Statement string
	// Message is the command status message, e.g. "Stream created".
	Message string
	// QueryID is set when the statement started a persistent query.
	QueryID string
	// CommandSeq is the statement's offset in the command topic, ksqlDB's
	// command sequence number, when it was recorded there.
	CommandSeq *int64
	// Source is set for statements that created or described a source.
	Source *catalog.Source
	// Entity holds statement-specific data for SHOW/DESCRIBE-style
	// statements; the REST layer renders it.
	Entity any
}

// StatementError is a statement that failed; it carries the statement text
// so the REST layer can echo it, as ksqlDB's error responses do.
type StatementError struct {
	Statement string
	// Restated, when set, is the statement as ksqlDB's engine holds it by
	// the time this error arose: sanitized and printed again by its
	// SqlFormatter (see planner.StatementText). ksqlDB's own test
	// executor shows that text after "Statement:".
	Restated string
	Err      error
}

// restatedError carries the restated text of a statement that failed
// after it was planned, up to executeLocked's StatementError.
type restatedError struct {
	text string
	err  error
}

func (e *restatedError) Error() string { return e.err.Error() }
func (e *restatedError) Unwrap() error { return e.err }

func (e *StatementError) Error() string { return e.Err.Error() }
func (e *StatementError) Unwrap() error { return e.Err }

// Execute runs every statement in text in order and returns their results.
// It stops at the first failure; results of the statements before it stand.
func (e *Engine) Execute(ctx context.Context, sess *Session, text string) ([]*Result, error) {
	var out []*Result
	for _, seg := range parser.Split(text) {
		r, err := e.executeAt(ctx, sess, seg.Text, seg.Pos)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ExecuteOne runs one statement.
func (e *Engine) ExecuteOne(ctx context.Context, sess *Session, text string) (*Result, error) {
	return e.executeAt(ctx, sess, text, ast.Pos{Line: 1, Col: 1})
}

// executeAt runs one statement found at pos in a larger text, so that the
// lines and columns its errors name are those of the whole text, as
// ksqlDB reports them.
func (e *Engine) executeAt(ctx context.Context, sess *Session, text string, pos ast.Pos) (*Result, error) {
	if sess == nil {
		sess = NewSession()
	}
	if e.commandLog && e.distributed() {
		// A statement that fails to parse is reported below, as anywhere.
		if stmt, err := parseAt(parser.SubstituteVariables(text, sess.Vars), pos); err == nil && changesCatalog(stmt) {
			return e.submit(ctx, sess, text, pos)
		}
	}
	e.stmtMu.Lock()
	defer e.stmtMu.Unlock()
	return e.executeLocked(ctx, sess, text, pos)
}

func (e *Engine) executeLocked(ctx context.Context, sess *Session, text string, pos ast.Pos) (*Result, error) {
	if sess == nil {
		sess = NewSession()
	}
	substituted := parser.SubstituteVariables(text, sess.Vars)
	stmt, err := parseAt(substituted, pos)
	if err != nil {
		return nil, &StatementError{Statement: text, Err: err}
	}
	r, err := e.execute(ctx, sess, stmt, substituted)
	if err != nil {
		se := &StatementError{Statement: substituted, Err: err}
		var re *restatedError
		if errors.As(err, &re) {
			se.Restated = re.text
		}
		return nil, se
	}
	r.Statement = substituted
	if e.commandLog && !e.replaying && changesCatalog(stmt) {
		seq, err := e.appendCommand(ctx, sess, substituted, r)
		if err != nil {
			return nil, &StatementError{Statement: substituted, Err: err}
		}
		r.CommandSeq = &seq
	}
	return r, nil
}

// parseAt parses one statement found at pos in a larger text, so that the
// lines and columns its errors name are those of the whole text.
func parseAt(text string, pos ast.Pos) (ast.Statement, error) {
	if pos.Line > 1 || pos.Col > 1 {
		text = strings.Repeat("\n", max(pos.Line-1, 0)) + strings.Repeat(" ", max(pos.Col-1, 0)) + text
	}
	return parser.ParseStatement(text)
}

func (e *Engine) execute(ctx context.Context, sess *Session, stmt ast.Statement, text string) (*Result, error) {
	switch s := stmt.(type) {
	case *ast.CreateSource:
		return e.createSource(ctx, sess, s, text)
	case *ast.CreateAsSelect:
		return e.createAsSelect(ctx, sess, s, text)
	case *ast.InsertInto:
		return e.insertInto(ctx, sess, s, text)
	case *ast.InsertValues:
		return e.insertValues(ctx, sess, s)
	case *ast.DropSource:
		return e.dropSource(ctx, s)
	case *ast.CreateType:
		return e.createType(s)
	case *ast.DropType:
		return e.dropType(s)
	case *ast.SetProperty:
		sess.Props[s.Name] = s.Value
		return &Result{Message: fmt.Sprintf("Successfully changed local property '%s' to '%s'.", s.Name, s.Value)}, nil
	case *ast.UnsetProperty:
		delete(sess.Props, s.Name)
		return &Result{Message: fmt.Sprintf("Successfully unset local property '%s'.", s.Name)}, nil
	case *ast.DefineVariable:
		sess.Vars[strings.ToUpper(s.Name)] = s.Value
		return &Result{Message: ""}, nil
	case *ast.UndefineVariable:
		delete(sess.Vars, strings.ToUpper(s.Name))
		return &Result{Message: ""}, nil
	case *ast.QueryControl:
		return e.queryControl(s)
	case *ast.CreateConnector:
		return e.createConnector(ctx, s)
	case *ast.DropConnector:
		return e.dropConnector(ctx, s)
	case *ast.AlterSource:
		return e.alterSource(s)
	}
	return nil, fmt.Errorf("statement not supported yet: %T", stmt)
}

// property returns a ksqlDB property: the session's value, else the
// server's, else def.
func (e *Engine) property(sess *Session, name, def string) string {
	if v, ok := sess.Props[name]; ok {
		return v
	}
	if v, ok := e.opts.Config[name]; ok {
		return v
	}
	// Kafka Streams settings may come with ksqlDB's ksql.streams. prefix
	// (ksql.streams.auto.offset.reset) from clients and config files.
	if !strings.HasPrefix(name, "ksql.") {
		if v, ok := sess.Props["ksql.streams."+name]; ok {
			return v
		}
		if v, ok := e.opts.Config["ksql.streams."+name]; ok {
			return v
		}
	}
	return def
}

// runningQueries lists the running persistent queries in creation order,
// so a caller visits a query after the ones it reads from.
func (e *Engine) runningQueries() []*stream.Query {
	var qs []*stream.Query
	e.mu.Lock()
	defer e.mu.Unlock()
	// Source tables' materializations read only their topics, so they go
	// first.
	for _, src := range e.cat.Sources() {
		if q := e.materializers[src.Name]; q != nil {
			qs = append(qs, q)
		}
	}
	for _, cq := range e.cat.Queries() {
		if q := e.running[cq.ID]; q != nil {
			qs = append(qs, q)
		}
	}
	return qs
}

// Step drives every prepared query once (Manual mode) and reports whether
// any made progress.
func (e *Engine) Step(ctx context.Context) (bool, error) {
	// Step queries in creation order, so a query runs after the ones it
	// reads from, as a record flows through a pipeline.
	qs := e.runningQueries()
	progressed := false
	for _, q := range qs {
		ok, err := q.Step(ctx)
		if err != nil {
			return progressed, fmt.Errorf("query %s: %w", q.ID(), err)
		}
		progressed = progressed || ok
	}
	return progressed, nil
}

// RunUntilIdle steps every query until none makes progress.
func (e *Engine) RunUntilIdle(ctx context.Context) error {
	for {
		ok, err := e.Step(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
	}
}

// Close stops every query.
func (e *Engine) Close() error {
	e.stopFollowing()
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for id, q := range e.running {
		e.leaveTasks(id)
		errs = append(errs, q.Stop())
		delete(e.running, id)
	}
	for name, q := range e.materializers {
		e.leaveTasks(q.ID())
		errs = append(errs, q.Stop())
		delete(e.materializers, name)
	}
	return errors.Join(errs...)
}

func (e *Engine) queryControl(s *ast.QueryControl) (*Result, error) {
	if s.Action != ast.ActionTerminate {
		return nil, fmt.Errorf("%s is not supported yet", s.Action)
	}
	var ids []string
	if s.All {
		for _, q := range e.cat.Queries() {
			ids = append(ids, q.ID)
		}
	} else {
		id := strings.ToUpper(s.QueryID.Name)
		if _, ok := e.cat.Query(id); !ok {
			return nil, fmt.Errorf("Unknown queryId: %s", s.QueryID.Name)
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		e.stopQuery(id)
		e.cat.DropQuery(id)
	}
	return &Result{Message: "Query terminated."}, nil
}

func (e *Engine) stopQuery(id string) {
	e.mu.Lock()
	q := e.running[id]
	delete(e.running, id)
	delete(e.views, id)
	e.mu.Unlock()
	e.leaveTasks(id)
	if q != nil {
		if err := q.Stop(); err != nil {
			e.logger.Warn("stop query", "query_id", id, "err", err)
		}
	}
}

// QueryStats returns the counters of a running persistent query.
func (e *Engine) QueryStats(ctx context.Context, id string) (stream.Stats, bool) {
	e.mu.Lock()
	q := e.running[id]
	e.mu.Unlock()
	if q == nil {
		return stream.Stats{}, false
	}
	return q.Stats(ctx), true
}
