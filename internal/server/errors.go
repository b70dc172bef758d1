package server

import (
	"encoding/json"
	"errors"
	"net/http"
)

// ksqlDB derives an error code from the HTTP status times 100, plus a small
// offset for refinements; clients switch on these numbers, so they are kept
// exactly.
const (
	codeBadRequest      = 40000
	codeBadStatement    = 40001
	codeQueryEndpoint   = 40002
	codeUnauthorized    = 40100
	codeForbidden       = 40300
	codeNotFound        = 40400
	codeTooLarge        = 41300
	codeServerError     = 50000
	codeNotReady        = 50300
	codeHeadless        = 40300
	msgQueryEndpointFmt = "The following statement types should be issued to the websocket endpoint '/query':\n\t* PRINT\n\t* SELECT"
)

// Errors a request can fail with; the REST edge maps them to status codes
// with errors.Is.
var (
	// ErrBodyTooLarge is a request body over Options.MaxBodyBytes.
	ErrBodyTooLarge = errors.New("request body too large")
	// ErrStatementTooLarge is one statement over Options.MaxStatementBytes.
	ErrStatementTooLarge = errors.New("statement too large")
	// ErrQueriesUnavailable is returned for transient queries while the
	// server has no QueryEngine.
	ErrQueriesUnavailable = errors.New("transient queries are not available on this server yet")
	// ErrHeadless refuses statements on a server running a query file.
	ErrHeadless = errors.New("the server is running in headless mode: interactive use is disabled")
	// ErrUnknownQuery is a close-query or EXPLAIN of a query id that does
	// not exist.
	ErrUnknownQuery = errors.New("unknown query")
)

// errorMessage is ksqlDB's KsqlErrorMessage.
type errorMessage struct {
	Type      string `json:"@type"`
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// statementError is ksqlDB's KsqlStatementErrorMessage: the failed
// statement and the entities of the statements before it that succeeded.
type statementError struct {
	Type          string `json:"@type"`
	ErrorCode     int    `json:"error_code"`
	Message       string `json:"message"`
	StatementText string `json:"statementText"`
	Entities      []any  `json:"entities"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, errorMessage{Type: "generic_error", ErrorCode: code, Message: msg})
}

func writeStatementError(w http.ResponseWriter, status, code int, msg, stmt string, entities []any) {
	if entities == nil {
		entities = []any{}
	}
	writeJSON(w, status, statementError{Type: "statement_error", ErrorCode: code, Message: msg,
		StatementText: stmt, Entities: entities})
}

// requestError maps a request-level failure (reading or decoding the
// body) to ksqlDB's status and code.
func requestError(w http.ResponseWriter, err error) {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, ErrBodyTooLarge):
		writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, err.Error())
	default:
		writeError(w, http.StatusBadRequest, codeBadRequest, err.Error())
	}
}
