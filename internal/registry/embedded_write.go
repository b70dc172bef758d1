package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The Embedded registry's changes. Each takes the write lock, catches up
// with the topic, decides, and commits its records in one transaction.

func validSubject(subject string) error {
	if subject == "" || strings.ContainsFunc(subject, func(r rune) bool { return r < 0x20 }) {
		return invalidSubject(subject)
	}
	return nil
}

func normalizeSchema(s Schema) (Schema, error) {
	s.Type = s.Type.Normalize()
	if !s.Type.Valid() {
		return s, newError(CodeInvalidSchema, "Invalid schema type %s", s.Type)
	}
	if strings.TrimSpace(s.Text) == "" {
		return s, newError(CodeInvalidSchema, "Empty schema")
	}
	return s, nil
}

// Register implements Registry.
func (e *Embedded) Register(ctx context.Context, subject string, s Schema) (int, error) {
	return e.register(ctx, subject, s, 0)
}

// Import registers s under subject with the global id the caller gives,
// as Confluent Schema Registry's IMPORT mode does for schemas copied from
// another registry: no compatibility check, and later ids continue after
// the largest one. An id already held by a different schema is refused;
// one held by the same schema just adds the subject version.
func (e *Embedded) Import(ctx context.Context, subject string, s Schema, id int) (int, error) {
	if id <= 0 {
		return 0, newError(CodeInvalidSchema, "Invalid schema id %d", id)
	}
	return e.register(ctx, subject, s, id)
}

func (e *Embedded) register(ctx context.Context, subject string, s Schema, forceID int) (int, error) {
	if err := validSubject(subject); err != nil {
		return 0, err
	}
	s, err := normalizeSchema(s)
	if err != nil {
		return 0, err
	}
	exactKey := registerCacheKey(subject, s)
	e.mu.RLock()
	id, ok := e.exact[exactKey]
	e.mu.RUnlock()
	if ok && (forceID == 0 || forceID == id) {
		return id, nil
	}
	if err := e.lockForWrite(ctx); err != nil {
		return 0, err
	}
	defer e.mu.Unlock()
	p, err := e.st.parse(s)
	if err != nil {
		return 0, err
	}
	key := identityKey(p, s.References)
	for _, v := range e.st.live(subject, false) {
		if e.st.byID[v.id].key == key && (forceID == 0 || forceID == v.id) {
			e.exact[exactKey] = v.id
			return v.id, nil
		}
	}
	if forceID != 0 {
		if held, ok := e.st.byID[forceID]; ok && held.key != key {
			return 0, newError(CodeOperationNotPermitted, "Overwrite new schema with id %d is not permitted.", forceID)
		}
		id = forceID
	} else {
		if msgs := e.checkSubject(subject, e.st.level(subject), p, 0); len(msgs) > 0 {
			return 0, newError(CodeIncompatibleSchema,
				"Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]",
				subject, strings.Join(msgs, ", "))
		}
		if id, ok = e.st.byKey[key]; !ok {
			id = e.st.maxID + 1
		}
	}
	version := 1
	if all := e.st.live(subject, true); len(all) > 0 {
		version = all[len(all)-1].version + 1
	}
	rec := schemaChange(schemaValue{
		Subject: subject, Version: version, ID: id,
		SchemaType: s.Type, References: s.References, Schema: s.Text,
	})
	if err := e.write(ctx, rec); err != nil {
		return 0, err
	}
	e.exact[exactKey] = id
	e.opts.Logger.Debug("schema registry: registered", "subject", subject, "version", version, "id", id)
	return id, nil
}

// checkSubject checks p against a subject's versions under level: one
// version when version names it, else the versions the level covers.
func (e *Embedded) checkSubject(subject string, level Level, p *parsed, version int) []string {
	var earlier []*parsed
	for _, v := range e.st.live(subject, false) {
		if version != 0 && v.version != version {
			continue
		}
		if prev := e.st.byID[v.id].parsed; prev != nil {
			earlier = append(earlier, prev)
		}
	}
	return checkLevel(level, p, earlier)
}

func referenceExists(subject string, version int) *Error {
	return newError(CodeReferenceExists,
		"One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=%s,version=%d}.", subject, version)
}

// DeleteSubject implements Registry.
func (e *Embedded) DeleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error) {
	if err := e.lockForWrite(ctx); err != nil {
		return nil, err
	}
	defer e.mu.Unlock()
	all := e.st.live(subject, true)
	if len(all) == 0 {
		return nil, subjectNotFound(subject)
	}
	live := e.st.live(subject, false)
	if permanent && len(live) > 0 {
		return nil, newError(CodeSubjectNotSoftDeleted,
			"Subject '%s' was not deleted first before being permanently deleted", subject)
	}
	if !permanent && len(live) == 0 {
		return nil, newError(CodeSubjectSoftDeleted,
			"Subject '%s' was soft deleted.Set permanent=true to delete permanently", subject)
	}
	targets := live
	if permanent {
		targets = all
	}
	var recs []change
	versions := make([]int, 0, len(targets))
	for _, v := range targets {
		if !permanent {
			if refs := e.st.referencedBy(subject, v.version); len(refs) > 0 {
				return nil, referenceExists(subject, v.version)
			}
		}
		versions = append(versions, v.version)
		recs = append(recs, e.deleteRecord(subject, v, permanent))
	}
	if permanent {
		recs = append(recs, e.idFloorRecord())
		if _, ok := e.st.levels[subject]; ok {
			recs = append(recs, configChange(subject, nil))
		}
	}
	if err := e.write(ctx, recs...); err != nil {
		return nil, err
	}
	clear(e.exact)
	return versions, nil
}

// DeleteVersion implements Registry.
func (e *Embedded) DeleteVersion(ctx context.Context, subject string, version int, permanent bool) (int, error) {
	if version == 0 || version < Latest {
		return 0, invalidVersion(fmt.Sprint(version))
	}
	if err := e.lockForWrite(ctx); err != nil {
		return 0, err
	}
	defer e.mu.Unlock()
	if len(e.st.live(subject, true)) == 0 {
		return 0, subjectNotFound(subject)
	}
	// A numbered version is found even when soft-deleted, so that deleting
	// it again says so; "latest" means the newest live one for a soft
	// delete.
	v, err := e.st.version(subject, version, version != Latest || permanent)
	if errors.Is(err, ErrSubjectNotFound) {
		// Every version is soft-deleted: the subject exists for a
		// permanent delete but not for a soft one.
		err = versionNotFound(version)
	}
	if err != nil {
		return 0, err
	}
	switch {
	case !permanent && v.deleted:
		return 0, newError(CodeVersionSoftDeleted,
			"Subject '%s' Version %d was soft deleted.Set permanent=true to delete permanently", subject, v.version)
	case permanent && !v.deleted:
		return 0, newError(CodeVersionNotSoftDeleted,
			"Subject '%s' Version %d was not deleted first before being permanently deleted", subject, v.version)
	}
	if refs := e.st.referencedBy(subject, v.version); len(refs) > 0 {
		return 0, referenceExists(subject, v.version)
	}
	recs := []change{e.deleteRecord(subject, v, permanent)}
	if permanent {
		recs = append(recs, e.idFloorRecord())
	}
	if err := e.write(ctx, recs...); err != nil {
		return 0, err
	}
	clear(e.exact)
	return v.version, nil
}

func (e *Embedded) deleteRecord(subject string, v *versionState, permanent bool) change {
	if permanent {
		return schemaTombstone(subject, v.version)
	}
	s := e.st.byID[v.id].schema
	return schemaChange(schemaValue{
		Subject: subject, Version: v.version, ID: v.id,
		SchemaType: s.Type, References: s.References, Schema: s.Text, Deleted: true,
	})
}

func (e *Embedded) idFloorRecord() change { return idFloorChange(e.st.maxID) }

// SetCompatibility implements Registry.
func (e *Embedded) SetCompatibility(ctx context.Context, subject string, level Level) error {
	level, err := ParseLevel(string(level))
	if err != nil {
		return err
	}
	if err := e.lockForWrite(ctx); err != nil {
		return err
	}
	defer e.mu.Unlock()
	return e.write(ctx, configChange(subject, &level))
}

// DeleteCompatibility implements Registry. For the global level it resets
// to the default and returns the level it replaced.
func (e *Embedded) DeleteCompatibility(ctx context.Context, subject string) (Level, error) {
	if err := e.lockForWrite(ctx); err != nil {
		return "", err
	}
	defer e.mu.Unlock()
	prev := e.st.level(subject)
	if subject != "" {
		l, ok := e.st.levels[subject]
		if !ok {
			return "", newError(CodeSubjectLevelCompatNotSet,
				"Subject '%s' does not have subject-level compatibility configured", subject)
		}
		prev = l
	}
	if err := e.write(ctx, configChange(subject, nil)); err != nil {
		return "", err
	}
	return prev, nil
}
