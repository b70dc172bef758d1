package registry

import (
	"errors"
	"io"
	"net/http"
	"strings"
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
