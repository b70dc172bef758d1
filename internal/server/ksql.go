package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/engine"
	"github.com/sluicedb/sluice/internal/sql/ast"
	"github.com/sluicedb/sluice/internal/sql/parser"
)

// ksqlRequest is the body of POST /ksql and POST /query.
type ksqlRequest struct {
	Ksql                  string         `json:"ksql"`
	StreamsProperties     map[string]any `json:"streamsProperties"`
	SessionVariables      map[string]any `json:"sessionVariables"`
	CommandSequenceNumber *int64         `json:"commandSequenceNumber"`
}

// commandStatus is ksqlDB's CommandStatus.
type commandStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	QueryID string `json:"queryId,omitempty"`
}

// commandStatusEntity is the "currentStatus" entity DDL and DML return.
type commandStatusEntity struct {
	Type                  string        `json:"@type"`
	StatementText         string        `json:"statementText"`
	CommandID             string        `json:"commandId"`
	CommandStatus         commandStatus `json:"commandStatus"`
	CommandSequenceNumber int64         `json:"commandSequenceNumber"`
	Warnings              []warning     `json:"warnings"`
}

type warning struct {
	Message string `json:"message"`
}

// decodeBody reads a JSON body bounded by MaxBodyBytes.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: the limit is %d bytes", ErrBodyTooLarge, mbe.Limit)
		}
		return fmt.Errorf("read request: %w", err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("Invalid JSON in request: %w", err)
	}
	return nil
}

// newSession turns a request's properties and variables into an engine
// session. ksqlDB scopes both to the one request.
func newSession(props, vars map[string]any) *engine.Session {
	sess := engine.NewSession()
	for k, v := range props {
		sess.Props[k] = stringify(v)
	}
	streamsAliases(sess.Props)
	for k, v := range vars {
		sess.Vars[strings.ToUpper(k)] = stringify(v)
	}
	return sess
}

// streamsAliases gives each "ksql.streams.X" property its short name X
// too, unless X is set: ksqlDB accepts both spellings for Kafka Streams and
// client properties such as auto.offset.reset, and the engine reads the
// short one.
func streamsAliases(props map[string]string) {
	for k, v := range props {
		if short, ok := strings.CutPrefix(k, "ksql.streams."); ok {
			if _, set := props[short]; !set {
				props[short] = v
			}
		}
	}
}

func stringify(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func (s *Server) handleKsql(w http.ResponseWriter, r *http.Request) {
	var req ksqlRequest
	if err := s.decodeBody(w, r, &req); err != nil {
		requestError(w, err)
		return
	}
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeHeadless, ErrHeadless.Error())
		return
	}
	if strings.TrimSpace(req.Ksql) == "" {
		writeError(w, http.StatusBadRequest, codeBadRequest, "\"ksql\" field must be populated")
		return
	}
	if req.CommandSequenceNumber != nil {
		// The client saw this command's result from another server, or
		// from this one: it must not run ahead of it here.
		// ksql.server.command.response.timeout.ms defaults to 5s.
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		err := s.opts.Engine.AwaitCommand(ctx, *req.CommandSequenceNumber)
		cancel()
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, codeServerError, fmt.Sprintf("Timed out while waiting for a previous command to execute. command sequence number: %d: %v", *req.CommandSequenceNumber, err))
			return
		}
	}
	sess := newSession(req.StreamsProperties, req.SessionVariables)
	entities, failed, err := s.executeText(r.Context(), sess, req.Ksql)
	if err != nil {
		s.writeExecError(w, err, failed, entities)
		return
	}
	if entities == nil {
		entities = []any{}
	}
	writeJSON(w, http.StatusOK, entities)
}

// execError is a statement's failure with the status and code ksqlDB
// answers it with.
type execError struct {
	status int
	code   int
	err    error
}

func (e *execError) Error() string { return e.err.Error() }
func (e *execError) Unwrap() error { return e.err }

func (s *Server) writeExecError(w http.ResponseWriter, err error, stmt string, entities []any) {
	status, code := http.StatusBadRequest, codeBadStatement
	var ee *execError
	if errors.As(err, &ee) {
		status, code = ee.status, ee.code
	}
	writeStatementError(w, status, code, MaskSecrets(err.Error()), MaskSecrets(stmt), entities)
}

// executeText runs each statement of text in order and returns the
// entities of those that succeeded; on failure it also returns the failing
// statement's text.
func (s *Server) executeText(ctx context.Context, sess *engine.Session, text string) ([]any, string, error) {
	var entities []any
	for _, seg := range parser.Split(text) {
		stmt := strings.TrimSpace(seg.Text)
		if stmt == "" {
			continue
		}
		if len(stmt) > s.opts.MaxStatementBytes {
			return entities, stmt[:min(len(stmt), 200)] + "...", &execError{status: http.StatusBadRequest, code: codeBadRequest,
				err: fmt.Errorf("%w: a statement may be at most %d bytes, this one is %d", ErrStatementTooLarge, s.opts.MaxStatementBytes, len(stmt))}
		}
		ent, err := s.executeOne(ctx, sess, stmt)
		if err != nil {
			s.metrics.statements.WithLabelValues("error").Inc()
			s.log.Info("statement failed", "statement", MaskSecrets(stmt), "err", MaskSecrets(err.Error()))
			return entities, stmt + ";", err
		}
		s.metrics.statements.WithLabelValues("ok").Inc()
		if ent != nil {
			entities = append(entities, ent)
		}
	}
	return entities, "", nil
}

// executeOne runs one statement: admin statements here, the rest through
// the engine. A nil entity means the statement answers with nothing, as
// SET, DEFINE and INSERT VALUES do in ksqlDB.
func (s *Server) executeOne(ctx context.Context, sess *engine.Session, text string) (any, error) {
	substituted := parser.SubstituteVariables(text, sess.Vars)
	parsed, err := parser.ParseStatement(substituted)
	if err != nil {
		return nil, err
	}
	stmtText := MaskSecrets(substituted) + ";"
	switch parsed.(type) {
	case *ast.Query, *ast.Print:
		return nil, &execError{status: http.StatusBadRequest, code: codeQueryEndpoint, err: errors.New(msgQueryEndpointFmt)}
	case *ast.Show, *ast.Describe, *ast.DescribeSources, *ast.DescribeFunction, *ast.Explain, *ast.DescribeConnector:
		return s.admin(ctx, sess, parsed, stmtText)
	case *ast.RunScript:
		return nil, errors.New("RUN SCRIPT is a CLI command: run it from sluice cli")
	case *ast.SetProperty, *ast.UnsetProperty, *ast.DefineVariable, *ast.UndefineVariable, *ast.InsertValues:
		if _, err := s.opts.Engine.ExecuteOne(ctx, sess, text); err != nil {
			return nil, err
		}
		return nil, nil
	}
	res, err := s.opts.Engine.ExecuteOne(ctx, sess, text)
	if err != nil {
		return nil, err
	}
	return s.statusEntity(parsed, res, stmtText), nil
}

// statusEntity records a command's outcome and renders it as ksqlDB's
// currentStatus entity.
func (s *Server) statusEntity(stmt ast.Statement, res *engine.Result, text string) commandStatusEntity {
	id := commandID(stmt)
	st := commandStatus{Status: "SUCCESS", Message: res.Message, QueryID: res.QueryID}
	s.mu.Lock()
	seq := s.seq
	s.seq++
	if res.CommandSeq != nil {
		// ksqlDB's sequence number is the command's offset in the
		// command topic, the same on every server.
		seq = *res.CommandSeq
		s.seq = max(s.seq, seq+1)
	}
	s.statuses[id] = st
	s.mu.Unlock()
	return commandStatusEntity{Type: "currentStatus", StatementText: text, CommandID: id,
		CommandStatus: st, CommandSequenceNumber: seq, Warnings: []warning{}}
}

// commandID names a command as ksqlDB's CommandId does: type/entity/action.
func commandID(stmt ast.Statement) string {
	kind := func(table bool) string {
		if table {
			return "table"
		}
		return "stream"
	}
	switch st := stmt.(type) {
	case *ast.CreateSource:
		return kind(st.Table) + "/" + st.Name.Name + "/create"
	case *ast.CreateAsSelect:
		return kind(st.Table) + "/" + st.Name.Name + "/create"
	case *ast.DropSource:
		return kind(st.Table) + "/" + st.Name.Name + "/drop"
	case *ast.InsertInto:
		return "stream/" + st.Target.Name + "/create"
	case *ast.QueryControl:
		if st.All {
			return "terminate/ALL/execute"
		}
		return "terminate/" + strings.ToUpper(st.QueryID.Name) + "/execute"
	case *ast.CreateType:
		return "type/" + st.Name.Name + "/create"
	case *ast.DropType:
		return "type/" + st.Name.Name + "/drop"
	}
	return "cluster/CLUSTER/execute"
}

// handleTerminate is POST /ksql/terminate: it terminates every persistent
// query, as ksqlDB's cluster terminate does for the queries it owns.
func (s *Server) handleTerminate(w http.ResponseWriter, r *http.Request) {
	if s.opts.Headless {
		writeError(w, http.StatusForbidden, codeHeadless, ErrHeadless.Error())
		return
	}
	var body map[string]any
	_ = s.decodeBody(w, r, &body)
	if _, err := s.opts.Engine.ExecuteOne(r.Context(), nil, "TERMINATE ALL"); err != nil {
		writeError(w, http.StatusInternalServerError, codeServerError, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, commandStatusEntity{Type: "currentStatus", StatementText: "TERMINATE CLUSTER;",
		CommandID: "cluster/CLUSTER/terminate", CommandStatus: commandStatus{Status: "SUCCESS", Message: "Terminated"},
		Warnings: []warning{}})
}

func (s *Server) handleStatuses(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	out := make(map[string]string, len(s.statuses))
	for k, v := range s.statuses {
		out[k] = v.Status
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"commandStatuses": out})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("type") + "/" + r.PathValue("entity") + "/" + r.PathValue("action")
	s.mu.Lock()
	st, ok := s.statuses[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, codeNotFound, "Command not found")
		return
	}
	writeJSON(w, http.StatusOK, st)
}
