package registry

import (
	"context"
	"sort"
	"strings"
)

// The Embedded registry's queries. They hold the read lock only: the state
// is in memory and changes only under the write lock.

// Lookup implements Registry.
func (e *Embedded) Lookup(_ context.Context, subject string, s Schema, deleted bool) (SubjectSchema, error) {
	s, err := normalizeSchema(s)
	if err != nil {
		return SubjectSchema{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	vs := e.st.live(subject, deleted)
	if len(vs) == 0 {
		return SubjectSchema{}, subjectNotFound(subject)
	}
	p, err := e.st.parse(s)
	if err != nil {
		return SubjectSchema{}, err
	}
	key := identityKey(p, s.References)
	for i := len(vs) - 1; i >= 0; i-- {
		if e.st.byID[vs[i].id].key == key {
			return e.st.subjectSchema(subject, vs[i]), nil
		}
	}
	return SubjectSchema{}, newError(CodeSchemaNotFound, "Schema not found")
}

// SchemaByID implements Registry.
func (e *Embedded) SchemaByID(_ context.Context, id int) (Schema, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if ent, ok := e.st.byID[id]; ok {
		return ent.schema, nil
	}
	return Schema{}, schemaIDNotFound(id)
}

// VersionsByID implements Registry.
func (e *Embedded) VersionsByID(_ context.Context, id int, deleted bool) ([]SubjectVersion, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if _, ok := e.st.byID[id]; !ok {
		return nil, schemaIDNotFound(id)
	}
	out := []SubjectVersion{}
	for name, sub := range e.st.subjects {
		for _, v := range sub.versions {
			if v.id == id && (deleted || !v.deleted) {
				out = append(out, SubjectVersion{Subject: name, Version: v.version})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Subject != out[j].Subject {
			return out[i].Subject < out[j].Subject
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// SubjectsByID implements Registry.
func (e *Embedded) SubjectsByID(ctx context.Context, id int, deleted bool) ([]string, error) {
	svs, err := e.VersionsByID(ctx, id, deleted)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, sv := range svs {
		if len(out) == 0 || out[len(out)-1] != sv.Subject {
			out = append(out, sv.Subject)
		}
	}
	return out, nil
}

// Subjects implements Registry.
func (e *Embedded) Subjects(_ context.Context, opts ListOptions) ([]string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := []string{}
	for name := range e.st.subjects {
		if strings.HasPrefix(name, opts.Prefix) && len(e.st.live(name, opts.Deleted)) > 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Versions implements Registry.
func (e *Embedded) Versions(_ context.Context, subject string, deleted bool) ([]int, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	vs := e.st.live(subject, deleted)
	if len(vs) == 0 {
		return nil, subjectNotFound(subject)
	}
	out := make([]int, len(vs))
	for i, v := range vs {
		out[i] = v.version
	}
	return out, nil
}

// Version implements Registry.
func (e *Embedded) Version(_ context.Context, subject string, version int, deleted bool) (SubjectSchema, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	v, err := e.st.version(subject, version, deleted)
	if err != nil {
		return SubjectSchema{}, err
	}
	return e.st.subjectSchema(subject, v), nil
}

// ReferencedBy implements Registry.
func (e *Embedded) ReferencedBy(_ context.Context, subject string, version int) ([]int, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	v, err := e.st.version(subject, version, false)
	if err != nil {
		return nil, err
	}
	ids := e.st.referencedBy(subject, v.version)
	if ids == nil {
		ids = []int{}
	}
	return ids, nil
}

// CheckCompatibility implements Registry.
func (e *Embedded) CheckCompatibility(_ context.Context, subject string, version int, s Schema) (CompatibilityResult, error) {
	s, err := normalizeSchema(s)
	if err != nil {
		return CompatibilityResult{}, err
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	p, err := e.st.parse(s)
	if err != nil {
		return CompatibilityResult{}, err
	}
	level := e.st.level(subject)
	switch {
	case version == Latest && len(e.st.live(subject, false)) == 0:
		// Nothing to be incompatible with, as Confluent answers before the
		// first registration.
		return CompatibilityResult{Compatible: true}, nil
	case version != 0:
		v, err := e.st.version(subject, version, false)
		if err != nil {
			return CompatibilityResult{}, err
		}
		version = v.version
		// A named version is checked on its own, whatever the level's
		// transitivity.
		level = Level(strings.TrimSuffix(string(level), "_TRANSITIVE"))
	}
	msgs := e.checkSubject(subject, level, p, version)
	return CompatibilityResult{Compatible: len(msgs) == 0, Messages: msgs}, nil
}

// Compatibility implements Registry.
func (e *Embedded) Compatibility(_ context.Context, subject string, fallback bool) (Level, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if subject == "" {
		return e.st.level(""), nil
	}
	if l, ok := e.st.levels[subject]; ok {
		return l, nil
	}
	if fallback {
		return e.st.level(""), nil
	}
	return "", newError(CodeSubjectLevelCompatNotSet,
		"Subject '%s' does not have subject-level compatibility configured", subject)
}
