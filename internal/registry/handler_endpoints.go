package registry

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// One method per REST endpoint; NewHandler maps the routes.

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
	h.reply(w, http.StatusOK, page(r, out))
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
	text, err := h.formatted(r.Context(), s, r.URL.Query().Get("format"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, schemaResponse{Schema: text, SchemaType: typeForWire(s.Type), References: s.References})
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
	text, err := h.formatted(r.Context(), s, r.URL.Query().Get("format"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.raw(w, text)
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
	h.reply(w, http.StatusOK, page(r, subs))
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
	h.reply(w, http.StatusOK, page(r, svs))
}

func (h *handler) subjects(w http.ResponseWriter, r *http.Request) {
	deletedOnly := boolParam(r, "deleted_only")
	opts := ListOptions{Deleted: boolParam(r, "deleted") || deletedOnly, Prefix: r.URL.Query().Get("subjectPrefix")}
	subs, err := h.reg.Subjects(r.Context(), opts)
	if err == nil && deletedOnly {
		var live []string
		opts.Deleted = false
		live, err = h.reg.Subjects(r.Context(), opts)
		subs = onlyIn(subs, live)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, page(r, subs))
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
	h.replyVersion(w, r, ss)
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
	subject, deletedOnly := r.PathValue("subject"), boolParam(r, "deleted_only")
	vs, err := h.reg.Versions(r.Context(), subject, boolParam(r, "deleted") || deletedOnly)
	if err == nil && deletedOnly {
		var live []int
		live, err = h.reg.Versions(r.Context(), subject, false)
		if errors.Is(err, ErrSubjectNotFound) {
			live, err = nil, nil // every version is soft-deleted
		}
		vs = onlyIn(vs, live)
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	h.reply(w, http.StatusOK, page(r, vs))
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
	h.replyVersion(w, r, ss)
}

// replyVersion answers with a subject version, its schema in the form
// ?format= asks for.
func (h *handler) replyVersion(w http.ResponseWriter, r *http.Request, ss SubjectSchema) {
	text, err := h.formatted(r.Context(), ss.Schema, r.URL.Query().Get("format"))
	if err != nil {
		h.fail(w, err)
		return
	}
	ss.Schema.Text = text
	h.reply(w, http.StatusOK, versionBody(ss))
}

func (h *handler) rawVersion(w http.ResponseWriter, r *http.Request) {
	ss, err := h.subjectVersion(r)
	if err != nil {
		h.fail(w, err)
		return
	}
	text, err := h.formatted(r.Context(), ss.Schema, r.URL.Query().Get("format"))
	if err != nil {
		h.fail(w, err)
		return
	}
	h.raw(w, text)
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
	level := req.Compatibility
	if level == "" {
		level = req.CompatibilityLevel
	}
	if level == "" {
		// A body with only other settings (normalize, metadata, rule
		// sets, which this registry does not keep) leaves the level be.
		l, err := h.reg.Compatibility(r.Context(), r.PathValue("subject"), true)
		if err != nil {
			h.fail(w, err)
			return
		}
		h.reply(w, http.StatusOK, configSetResponse{Compatibility: l})
		return
	}
	l, err := ParseLevel(level)
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

// getMode answers with the subject's own mode, set by PUT /mode/{subject},
// or the global one under defaultToGlobal (and for the global path), as
// Confluent's does.
func (h *handler) getMode(w http.ResponseWriter, r *http.Request) {
	s := r.PathValue("subject")
	if s != "" && !boolParam(r, "defaultToGlobal") && !h.modes.has(s) {
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
		if s := r.PathValue("subject"); s != "" {
			if err := validSubject(s); err != nil {
				h.fail(w, err)
				return
			}
			h.modes.set(s, true)
		}
		h.reply(w, http.StatusOK, modeBody{Mode: m})
	case "READONLY", "READONLY_OVERRIDE", "IMPORT":
		h.fail(w, newError(CodeOperationNotPermitted, "Mode %s is not supported by this registry", m))
	default:
		h.fail(w, newError(CodeInvalidMode, "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT."))
	}
}

// deleteMode removes a subject's mode and answers with the one it had; a
// subject without one is a 40401, as in Confluent's registry. The global
// mode stays READWRITE.
func (h *handler) deleteMode(w http.ResponseWriter, r *http.Request) {
	if s := r.PathValue("subject"); s != "" {
		if !h.modes.has(s) {
			h.fail(w, subjectNotFound(s))
			return
		}
		h.modes.set(s, false)
	}
	h.reply(w, http.StatusOK, modeBody{Mode: modeReadWrite})
}

// subjectModes records which subjects have a subject-level mode. Since
// READWRITE is the only mode, the record changes no behaviour, only what
// GET /mode/{subject} answers; it lives in memory, and is lost at restart.
type subjectModes struct {
	mu sync.Mutex
	on map[string]bool
}

func (m *subjectModes) has(subject string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.on[subject]
}

func (m *subjectModes) set(subject string, on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.on == nil {
		m.on = map[string]bool{}
	}
	if on {
		m.on[subject] = true
	} else {
		delete(m.on, subject)
	}
}
