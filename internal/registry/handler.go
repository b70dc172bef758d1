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

// schemas lists subject versions with their schemas, built from the
// interface's listings so it works over any Registry.
func (h *handler) schemas(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	deleted, latestOnly := boolParam(r, "deleted"), boolParam(r, "latestOnly")
	subs, err := h.reg.Subjects(ctx, ListOptions{Deleted: deleted, Prefix: r.URL.Query().Get("subjectPrefix")})
	if err != nil {
		h.fail(w, err)
		return
	}
	out := []versionResponse{}
	for _, sub := range subs {
		vs, err := h.reg.Versions(ctx, sub, deleted)
		if errors.Is(err, ErrSubjectNotFound) {
			continue // deleted since it was listed
		}
		if err != nil {
			h.fail(w, err)
			return
		}
		if latestOnly && len(vs) > 0 {
			vs = vs[len(vs)-1:]
		}
		for _, v := range vs {
			ss, err := h.reg.Version(ctx, sub, v, deleted)
			if errors.Is(err, ErrSubjectNotFound) || errors.Is(err, ErrVersionNotFound) {
				continue
			}
			if err != nil {
				h.fail(w, err)
				return
			}
			out = append(out, versionBody(ss))
		}
	}
	h.reply(w, http.StatusOK, out)
}

func (h *handler) types(w http.ResponseWriter, _ *http.Request) {
	h.reply(w, http.StatusOK, []SchemaType{JSON, Protobuf, Avro})
}

func (h *handler) schemaByID(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	s, err := h.reg.SchemaByID(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, schemaResponse{Schema: s.Text, SchemaType: typeForWire(s.Type), References: s.References})
}

func (h *handler) rawSchemaByID(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	s, err := h.reg.SchemaByID(r.Context(), id)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.raw(w, s.Text)
}

// raw writes a schema's text as the body, as the /schema endpoints do.
func (h *handler) raw(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, text)
}

func (h *handler) subjectsByID(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	subs, err := h.reg.SubjectsByID(r.Context(), id, boolParam(r, "deleted"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, subs)
}

func (h *handler) versionsByID(w http.ResponseWriter, r *http.Request) {
	id, err := parseID(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	svs, err := h.reg.VersionsByID(r.Context(), id, boolParam(r, "deleted"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, svs)
}

func (h *handler) subjects(w http.ResponseWriter, r *http.Request) {
	subs, err := h.reg.Subjects(r.Context(), ListOptions{
		Deleted: boolParam(r, "deleted"),
		Prefix:  r.URL.Query().Get("subjectPrefix"),
	})
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, subs)
}

func (h *handler) lookup(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := decodeBody(r, &req); err != nil {
		h.fail(w, err)
		return
	}
	ss, err := h.reg.Lookup(r.Context(), r.PathValue("subject"), req.schema(), boolParam(r, "deleted"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, versionBody(ss))
}

func (h *handler) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := decodeBody(r, &req); err != nil {
		h.fail(w, err)
		return
	}
	id, err := h.reg.Register(r.Context(), r.PathValue("subject"), req.schema())
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, idResponse{ID: id})
}

func (h *handler) versions(w http.ResponseWriter, r *http.Request) {
	vs, err := h.reg.Versions(r.Context(), r.PathValue("subject"), boolParam(r, "deleted"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, vs)
}

func (h *handler) subjectVersion(r *http.Request) (SubjectSchema, error) {
	v, err := parseVersion(r.PathValue("version"))
	if err != nil {
		return SubjectSchema{}, err
	}
	return h.reg.Version(r.Context(), r.PathValue("subject"), v, boolParam(r, "deleted"))
}

func (h *handler) version(w http.ResponseWriter, r *http.Request) {
	ss, err := h.subjectVersion(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, versionBody(ss))
}

func (h *handler) rawVersion(w http.ResponseWriter, r *http.Request) {
	ss, err := h.subjectVersion(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.raw(w, ss.Schema.Text)
}

func (h *handler) referencedBy(w http.ResponseWriter, r *http.Request) {
	v, err := parseVersion(r.PathValue("version"))
	if err != nil {
		h.fail(w, err)
		return
	}
	ids, err := h.reg.ReferencedBy(r.Context(), r.PathValue("subject"), v)
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, ids)
}

func (h *handler) deleteSubject(w http.ResponseWriter, r *http.Request) {
	vs, err := h.reg.DeleteSubject(r.Context(), r.PathValue("subject"), boolParam(r, "permanent"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, vs)
}

func (h *handler) deleteVersion(w http.ResponseWriter, r *http.Request) {
	v, err := parseVersion(r.PathValue("version"))
	if err != nil {
		h.fail(w, err)
		return
	}
	deleted, err := h.reg.DeleteVersion(r.Context(), r.PathValue("subject"), v, boolParam(r, "permanent"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, deleted)
}

func (h *handler) compat(w http.ResponseWriter, r *http.Request) {
	version := 0
	if s := r.PathValue("version"); s != "" {
		v, err := parseVersion(s)
		if err != nil {
			h.fail(w, err)
			return
		}
		version = v
	}
	var req registerRequest
	if err := decodeBody(r, &req); err != nil {
		h.fail(w, err)
		return
	}
	res, err := h.reg.CheckCompatibility(r.Context(), r.PathValue("subject"), version, req.schema())
	if err != nil {
		h.fail(w, err)
		return
	}
	out := compatResponse{IsCompatible: res.Compatible}
	if boolParam(r, "verbose") {
		out.Messages = res.Messages
		if out.Messages == nil {
			out.Messages = []string{}
		}
	}
	h.reply(w, http.StatusOK, out)
}

func (h *handler) getConfig(w http.ResponseWriter, r *http.Request) {
	l, err := h.reg.Compatibility(r.Context(), r.PathValue("subject"), boolParam(r, "defaultToGlobal"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, configResponse{CompatibilityLevel: l})
}

func (h *handler) putConfig(w http.ResponseWriter, r *http.Request) {
	var req configRequest
	if err := decodeBody(r, &req); err != nil {
		h.fail(w, err)
		return
	}
	l, err := ParseLevel(req.Compatibility)
	if err != nil {
		h.fail(w, err)
		return
	}
	if err := h.reg.SetCompatibility(r.Context(), r.PathValue("subject"), l); err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, configSetResponse{Compatibility: l})
}

func (h *handler) deleteConfig(w http.ResponseWriter, r *http.Request) {
	l, err := h.reg.DeleteCompatibility(r.Context(), r.PathValue("subject"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, configResponse{CompatibilityLevel: l})
}

// modeReadWrite is the only mode Sluice's registry runs in: it has no
// import or read-only mode, so clients that ask see READWRITE.
const modeReadWrite = "READWRITE"

func (h *handler) getMode(w http.ResponseWriter, r *http.Request) {
	if s := r.PathValue("subject"); s != "" && !boolParam(r, "defaultToGlobal") {
		h.fail(w, newError(CodeSubjectLevelModeNotSet, "Subject '%s' does not have subject-level mode configured", s))
		return
	}
	h.reply(w, http.StatusOK, modeBody{Mode: modeReadWrite})
}

func (h *handler) putMode(w http.ResponseWriter, r *http.Request) {
	var req modeBody
	if err := decodeBody(r, &req); err != nil {
		h.fail(w, err)
		return
	}
	switch m := strings.ToUpper(req.Mode); m {
	case modeReadWrite:
		h.reply(w, http.StatusOK, modeBody{Mode: m})
	case "READONLY", "READONLY_OVERRIDE", "IMPORT":
		h.fail(w, newError(CodeOperationNotPermitted, "Mode %s is not supported by this registry", m))
	default:
		h.fail(w, newError(CodeInvalidMode, "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT."))
	}
}
