package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
	"github.com/sluicedb/sluice/internal/types"
	"github.com/sluicedb/sluice/internal/value"
)

// Column is one column of a transient query's result.
type Column struct {
	Name string
	Type *types.Type
	// Key marks key columns, which ksqlDB's /query header flags.
	Key bool
}

// Cursor is a running transient query's result. A push query's cursor
// yields rows until it is closed or its LIMIT is reached; a pull query's
// ends after its finite result.
type Cursor interface {
	Columns() []Column
	// Next blocks for the next row. ok is false at the end of the result;
	// err reports a failure; ctx's end returns ctx.Err().
	Next(ctx context.Context) (row []value.Value, ok bool, err error)
	// Close releases the query; it is safe to call more than once.
	Close() error
}

// QueryEngine runs transient queries (SELECT). The server parses the
// statement only to tell push (EMIT CHANGES) from pull; the engine
// validates it and reports errors as *engine.StatementError.
type QueryEngine interface {
	Query(ctx context.Context, sess *engine.Session, sql string) (Cursor, error)
}

// transientQuery is one running SELECT.
type transientQuery struct {
	id     string
	push   bool
	cursor Cursor
	ctx    context.Context
	cancel context.CancelFunc
}

var transientSeq atomic.Int64

// startQuery parses, checks and starts a SELECT. The returned query's
// context ends when the request ends or /close-query closes it; the caller
// must call s.endQuery.
func (s *Server) startQuery(ctx context.Context, sess *engine.Session, text string) (*transientQuery, error) {
	segs := parser.Split(text)
	if len(segs) != 1 {
		return nil, &execError{status: http.StatusBadRequest, code: codeBadStatement,
			err: fmt.Errorf("Expected exactly one statement, got %d", len(segs))}
	}
	stmtText := strings.TrimSpace(segs[0].Text)
	if len(stmtText) > s.opts.MaxStatementBytes {
		return nil, &execError{status: http.StatusBadRequest, code: codeBadRequest,
			err: fmt.Errorf("%w: a statement may be at most %d bytes, this one is %d", ErrStatementTooLarge, s.opts.MaxStatementBytes, len(stmtText))}
	}
	substituted := parser.SubstituteVariables(stmtText, sess.Vars)
	parsed, err := parser.ParseStatement(substituted)
	if err != nil {
		// The query endpoints report a syntax error as ksqlDB's do: the
		// position without the parser's details, then the statement.
		var pe *parser.Error
		if errors.As(err, &pe) && strings.HasPrefix(pe.Msg, "Syntax Error") {
			err = fmt.Errorf("line %d:%d: Syntax Error\n\nStatement: %s", pe.Pos.Line, pe.Pos.Col, text)
		}
		return nil, &execError{status: http.StatusBadRequest, code: codeBadStatement, err: err}
	}
	q, ok := parsed.(*ast.Query)
	if !ok {
		return nil, &execError{status: http.StatusBadRequest, code: codeBadStatement,
			err: errors.New("The query endpoints accept only SELECT statements; use /ksql for other statements")}
	}
	if s.opts.Queries == nil {
		return nil, &execError{status: http.StatusBadRequest, code: codeBadStatement, err: ErrQueriesUnavailable}
	}
	qctx, cancel := context.WithCancel(ctx)
	cur, err := s.opts.Queries.Query(qctx, sess, substituted)
	if err != nil {
		cancel()
		return nil, &execError{status: http.StatusBadRequest, code: codeBadStatement, err: err}
	}
	push := q.Emit != ast.EmitNone
	prefix := "transient_"
	if !push {
		prefix = "pull_"
	}
	id := fmt.Sprintf("%s%d", prefix, transientSeq.Add(1))
	if named, ok := cur.(interface{ QueryID() string }); ok && named.QueryID() != "" {
		id = named.QueryID()
	}
	tq := &transientQuery{id: id, push: push, cursor: cur, ctx: qctx, cancel: cancel}
	s.mu.Lock()
	s.transient[tq.id] = cancel
	s.wg.Add(1)
	s.mu.Unlock()
	s.metrics.transient.Inc()
	return tq, nil
}

func (s *Server) endQuery(tq *transientQuery) {
	// The bookkeeping runs even if closing the cursor panics, so that
	// Close never waits for a query that is gone.
	defer func() {
		s.mu.Lock()
		delete(s.transient, tq.id)
		s.mu.Unlock()
		s.metrics.transient.Dec()
		s.wg.Done()
	}()
	tq.cancel()
	if err := tq.cursor.Close(); err != nil {
		s.log.Warn("close transient query", "query_id", tq.id, "err", err)
	}
}

// next returns the next row; ok false ends the result, including when the
// query was closed.
func (tq *transientQuery) next() ([]value.Value, bool, error) {
	row, ok, err := tq.cursor.Next(tq.ctx)
	if err != nil && tq.ctx.Err() != nil {
		return nil, false, nil
	}
	return row, ok, err
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// handleQuery is POST /query: ksqlDB's chunked JSON array of StreamedRow
// objects, a header first and a final message last.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	var req ksqlRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		requestError(w, err)
		return
	}
	sess := newSession(req.StreamsProperties, req.SessionVariables)
	tq, err := s.startQuery(r.Context(), sess, req.Ksql)
	if err != nil {
		s.writeExecError(w, err, req.Ksql, nil)
		return
	}
	defer s.endQuery(tq)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	fmt.Fprintf(w, "[%s", enc(map[string]any{"header": map[string]any{"queryId": tq.id, "schema": schemaString(tq.cursor.Columns())}}))
	flush(w)
	cols := tq.cursor.Columns()
	for {
		row, ok, err := tq.next()
		if err != nil {
			fmt.Fprintf(w, ",\n%s", enc(map[string]any{"errorMessage": errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: err.Error()}}))
			break
		}
		if !ok {
			if msg := finalMessage(tq); msg != "" && tq.ctx.Err() == nil {
				fmt.Fprintf(w, ",\n%s", enc(map[string]any{"finalMessage": msg}))
			}
			break
		}
		r := map[string]any{"columns": restRow(cols, row)}
		if t, ok := tq.cursor.(interface{ Tombstone() bool }); ok && t.Tombstone() {
			r["tombstone"] = true
		}
		fmt.Fprintf(w, ",\n%s", enc(map[string]any{"row": r}))
		flush(w)
	}
	fmt.Fprint(w, "]\n")
	flush(w)
}

// finalMessage is the message /query ends a result with: "Limit Reached"
// for a push query, "Query Completed" for a pull query on a stream, and
// none for a pull query on a table, as ksqlDB answers.
func finalMessage(tq *transientQuery) string {
	if f, ok := tq.cursor.(interface{ FinalMessage() string }); ok {
		return f.FinalMessage()
	}
	if tq.push {
		return "Limit Reached"
	}
	return "Query Completed"
}

// queryStreamRequest is the body of POST /query-stream.
type queryStreamRequest struct {
	SQL              string         `json:"sql"`
	Properties       map[string]any `json:"properties"`
	SessionVariables map[string]any `json:"sessionVariables"`
}

const delimitedType = "application/vnd.ksqlapi.delimited.v1"

// handleQueryStream is POST /query-stream, the HTTP/2 API: a metadata
// object then one JSON array per row, newline-delimited, or one JSON array
// of them when the client accepts application/json.
func (s *Server) handleQueryStream(w http.ResponseWriter, r *http.Request) {
	var req queryStreamRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		requestError(w, err)
		return
	}
	sess := newSession(req.Properties, req.SessionVariables)
	tq, err := s.startQuery(r.Context(), sess, req.SQL)
	if err != nil {
		status, code := http.StatusBadRequest, codeBadStatement
		var ee *execError
		if errors.As(err, &ee) {
			status, code = ee.status, ee.code
		}
		writeError(w, status, code, err.Error())
		return
	}
	defer s.endQuery(tq)
	if strings.Contains(r.Header.Get("Accept"), protobufType) {
		s.writeProtobufRows(r.Context(), w, tq)
		return
	}
	asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	if asJSON {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", delimitedType)
	}
	w.WriteHeader(http.StatusOK)
	cols := tq.cursor.Columns()
	names := make([]string, len(cols))
	typeNames := make([]string, len(cols))
	for i, c := range cols {
		names[i], typeNames[i] = c.Name, c.Type.String()
	}
	meta := map[string]any{"queryId": tq.id, "columnNames": names, "columnTypes": typeNames}
	// Delimited output ends every object with a newline so a client can
	// act on each line as it arrives; JSON output is one array.
	write := func(first bool, v any) {
		b, _ := json.Marshal(v)
		switch {
		case !asJSON:
			fmt.Fprintf(w, "%s\n", b)
		case first:
			fmt.Fprintf(w, "[%s", b)
		default:
			fmt.Fprintf(w, ",\n%s", b)
		}
		flush(w)
	}
	write(true, meta)
	for {
		row, ok, err := tq.next()
		if err != nil {
			write(false, errorMessage{Type: "generic_error", ErrorCode: codeServerError, Message: err.Error()})
			break
		}
		if !ok {
			break
		}
		write(false, restRow(cols, row))
	}
	if asJSON {
		fmt.Fprint(w, "]\n")
	}
	flush(w)
}

// handleCloseQuery is POST /close-query.
func (s *Server) handleCloseQuery(w http.ResponseWriter, r *http.Request) {
	var req struct {
		QueryID string `json:"queryId"`
	}
	if err := s.decodeBody(w, r, &req); err != nil {
		requestError(w, err)
		return
	}
	s.mu.Lock()
	cancel, ok := s.transient[req.QueryID]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusBadRequest, codeBadRequest, "No query with id "+req.QueryID)
		return
	}
	cancel()
	w.WriteHeader(http.StatusOK)
}
