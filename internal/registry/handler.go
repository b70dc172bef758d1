package registry

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ContentType is the media type Confluent's REST API answers with.
const ContentType = "application/vnd.schemaregistry.v1+json"

// maxBody bounds a request body; schemas are text and rarely large.
const maxBody = 16 << 20

// Wire shapes of Confluent's REST API. Field order matches Confluent's
// responses, which some clients' tests compare as text.
type (
	registerRequest struct {
		Schema     string      `json:"schema"`
		SchemaType SchemaType  `json:"schemaType,omitempty"`
		References []Reference `json:"references,omitempty"`
	}
	idResponse struct {
		ID int `json:"id"`
	}
	versionResponse struct {
		Subject    string      `json:"subject"`
		Version    int         `json:"version"`
		ID         int         `json:"id"`
		SchemaType SchemaType  `json:"schemaType,omitempty"`
		References []Reference `json:"references,omitempty"`
		Schema     string      `json:"schema"`
	}
	schemaResponse struct {
		Schema     string      `json:"schema"`
		SchemaType SchemaType  `json:"schemaType,omitempty"`
		References []Reference `json:"references,omitempty"`
	}
	compatResponse struct {
		IsCompatible bool     `json:"is_compatible"`
		Messages     []string `json:"messages,omitempty"`
	}
	configRequest struct {
		Compatibility string `json:"compatibility"`
		// CompatibilityLevel is the spelling GET answers with; Confluent's
		// clients send either.
		CompatibilityLevel string `json:"compatibilityLevel"`
	}
	configResponse struct {
		CompatibilityLevel Level `json:"compatibilityLevel"`
	}
	configSetResponse struct {
		Compatibility Level `json:"compatibility"`
	}
	modeBody struct {
		Mode string `json:"mode"`
	}
	errorResponse struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
)

// typeForWire omits the default type, as Confluent's responses do.
func typeForWire(t SchemaType) SchemaType {
	if t.Normalize() == Avro {
		return ""
	}
	return t.Normalize()
}

type handler struct {
	reg    Registry
	logger *slog.Logger
	modes  subjectModes
}

// NewHandler serves Confluent Schema Registry's REST API over reg, so the
// embedded registry (or a proxy to a remote one) is usable by any
// Confluent client. A nil logger means slog.Default().
func NewHandler(reg Registry, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	h := &handler{reg: reg, logger: logger}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { h.reply(w, http.StatusOK, struct{}{}) })
	mux.HandleFunc("GET /schemas", h.schemas)
	mux.HandleFunc("GET /schemas/types", h.types)
	mux.HandleFunc("GET /schemas/ids/{id}", h.schemaByID)
	mux.HandleFunc("GET /schemas/ids/{id}/schema", h.rawSchemaByID)
	mux.HandleFunc("GET /schemas/ids/{id}/subjects", h.subjectsByID)
	mux.HandleFunc("GET /schemas/ids/{id}/versions", h.versionsByID)
	mux.HandleFunc("GET /subjects", h.subjects)
	mux.HandleFunc("POST /subjects/{subject}", h.lookup)
	mux.HandleFunc("DELETE /subjects/{subject}", h.deleteSubject)
	mux.HandleFunc("GET /subjects/{subject}/versions", h.versions)
	mux.HandleFunc("POST /subjects/{subject}/versions", h.register)
	mux.HandleFunc("GET /subjects/{subject}/versions/{version}", h.version)
	mux.HandleFunc("GET /subjects/{subject}/versions/{version}/schema", h.rawVersion)
	mux.HandleFunc("GET /subjects/{subject}/versions/{version}/referencedby", h.referencedBy)
	mux.HandleFunc("DELETE /subjects/{subject}/versions/{version}", h.deleteVersion)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions", h.compat)
	mux.HandleFunc("POST /compatibility/subjects/{subject}/versions/{version}", h.compat)
	mux.HandleFunc("GET /config", h.getConfig)
	mux.HandleFunc("PUT /config", h.putConfig)
	mux.HandleFunc("DELETE /config", h.deleteConfig)
	mux.HandleFunc("GET /config/{subject}", h.getConfig)
	mux.HandleFunc("PUT /config/{subject}", h.putConfig)
	mux.HandleFunc("DELETE /config/{subject}", h.deleteConfig)
	mux.HandleFunc("GET /mode", h.getMode)
	mux.HandleFunc("GET /mode/{subject}", h.getMode)
	mux.HandleFunc("PUT /mode", h.putMode)
	mux.HandleFunc("PUT /mode/{subject}", h.putMode)
	mux.HandleFunc("DELETE /mode", h.deleteMode)
	mux.HandleFunc("DELETE /mode/{subject}", h.deleteMode)
	mux.HandleFunc("GET /contexts", func(w http.ResponseWriter, _ *http.Request) { h.reply(w, http.StatusOK, []string{"."}) })
	// The catch-all answers in Confluent's error shape, which the mux's
	// plain-text 404 and 405 are not. It sees every request no other
	// pattern takes, so it tells a wrong method from a wrong path itself.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
				h.fail(w, &Error{Code: codeMethodNotAllowed, Message: "HTTP 405 Method Not Allowed"})
				return
			}
		}
		h.fail(w, &Error{Code: CodeNotFound, Message: "HTTP 404 Not Found"})
	})
	return mux
}

func (h *handler) reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		h.logger.Debug("schema registry: write response", "err", err)
	}
}

// fail maps an error to Confluent's error body; anything that is not an
// *Error is an internal error and is logged, not shown.
func (h *handler) fail(w http.ResponseWriter, err error) {
	var re *Error
	if !errors.As(err, &re) {
		h.logger.Error("schema registry: request failed", "err", err)
		re = &Error{Code: CodeInternal, Message: "Internal Server Error"}
	} else if re.Err != nil {
		h.logger.Error("schema registry: request failed", "code", re.Code, "err", re.Err)
	}
	h.reply(w, re.Status(), errorResponse{ErrorCode: re.Code, Message: re.Message})
}

func boolParam(r *http.Request, name string) bool {
	v, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return v
}

// parseVersion accepts "latest", -1 or a version in [1, 2^31-1].
func parseVersion(s string) (int, error) {
	if strings.EqualFold(s, "latest") {
		return Latest, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v == 0 || v < -1 || v > math.MaxInt32 {
		return 0, invalidVersion(s)
	}
	return int(v), nil
}

func parseID(r *http.Request) (int, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, newError(CodeSchemaNotFound, "Schema %s not found", s)
	}
	return int(id), nil
}

func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return &Error{Code: CodeBadRequest, Message: "Could not read the request body", Err: err}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return newError(CodeBadRequest, "Unrecognized request body: %v", err)
	}
	return nil
}

func (req registerRequest) schema() Schema {
	return Schema{Type: req.SchemaType, Text: req.Schema, References: req.References}
}

func versionBody(ss SubjectSchema) versionResponse {
	return versionResponse{
		Subject: ss.Subject, Version: ss.Version, ID: ss.ID,
		SchemaType: typeForWire(ss.Schema.Type), References: ss.Schema.References, Schema: ss.Schema.Text,
	}
}
