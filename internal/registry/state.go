package registry

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
)

// state is the registry's in-memory model, rebuilt from `_schemas` and
// changed only by apply, so that replay at start and a live write go
// through the same code and cannot disagree.
type state struct {
	subjects map[string]*subjectState
	byID     map[int]*idEntry
	byKey    map[string]int // identityKey → id
	global   Level          // "" until set: DefaultLevel applies
	levels   map[string]Level
	maxID    int
	logger   *slog.Logger
}

type subjectState struct {
	versions []*versionState // ascending by version
}

type versionState struct {
	version int
	id      int
	deleted bool
}

// idEntry is one schema under its global id. The text is the one first
// registered under the id; parsed is nil if the schema no longer parses
// (its references were deleted), which only disables dedup for it.
type idEntry struct {
	schema Schema
	parsed *parsed
	key    string
}

func newState(logger *slog.Logger) *state {
	return &state{
		subjects: map[string]*subjectState{},
		byID:     map[int]*idEntry{},
		byKey:    map[string]int{},
		levels:   map[string]Level{},
		logger:   logger,
	}
}

func (st *state) apply(r decodedRecord) {
	switch r.keyType {
	case keySchema:
		if r.schema == nil {
			st.removeVersion(r.subject, r.version)
			return
		}
		st.putVersion(*r.schema)
	case keyConfig:
		switch {
		case r.config == nil && r.subject == "":
			st.global = ""
		case r.config == nil:
			delete(st.levels, r.subject)
		case r.subject == "":
			st.global = r.config.CompatibilityLevel
		default:
			st.levels[r.subject] = r.config.CompatibilityLevel
		}
	case keyIDFloor:
		if r.idFloor != nil && r.idFloor.ID > st.maxID {
			st.maxID = r.idFloor.ID
		}
	}
}

func (st *state) putVersion(v schemaValue) {
	if v.ID > st.maxID {
		st.maxID = v.ID
	}
	if _, ok := st.byID[v.ID]; !ok {
		s := Schema{Type: v.SchemaType.Normalize(), Text: v.Schema, References: v.References}
		e := &idEntry{schema: s}
		if p, err := st.parse(s); err != nil {
			st.logger.Warn("schema registry: stored schema no longer parses", "id", v.ID, "subject", v.Subject, "err", err)
		} else {
			e.parsed = p
			e.key = identityKey(p, s.References)
			if _, taken := st.byKey[e.key]; !taken {
				st.byKey[e.key] = v.ID
			}
		}
		st.byID[v.ID] = e
	}
	sub := st.subjects[v.Subject]
	if sub == nil {
		sub = &subjectState{}
		st.subjects[v.Subject] = sub
	}
	i := sort.Search(len(sub.versions), func(i int) bool { return sub.versions[i].version >= v.Version })
	if i < len(sub.versions) && sub.versions[i].version == v.Version {
		sub.versions[i].id = v.ID
		sub.versions[i].deleted = v.Deleted
		return
	}
	sub.versions = append(sub.versions, nil)
	copy(sub.versions[i+1:], sub.versions[i:])
	sub.versions[i] = &versionState{version: v.Version, id: v.ID, deleted: v.Deleted}
}

func (st *state) removeVersion(subject string, version int) {
	sub := st.subjects[subject]
	if sub == nil {
		return
	}
	var id int
	for i, v := range sub.versions {
		if v.version == version {
			id = v.id
			sub.versions = append(sub.versions[:i], sub.versions[i+1:]...)
			break
		}
	}
	if len(sub.versions) == 0 {
		delete(st.subjects, subject)
	}
	if id != 0 && !st.idInUse(id) {
		if e := st.byID[id]; e != nil && st.byKey[e.key] == id {
			delete(st.byKey, e.key)
		}
		delete(st.byID, id)
	}
}

func (st *state) idInUse(id int) bool {
	for _, sub := range st.subjects {
		for _, v := range sub.versions {
			if v.id == id {
				return true
			}
		}
	}
	return false
}

// parse validates a schema against the current state's references.
func (st *state) parse(s Schema) (*parsed, error) {
	deps, err := collectDeps(s, st.resolveRef)
	if err != nil {
		return nil, invalidSchema(err)
	}
	return parseSchema(s, deps)
}

func (st *state) resolveRef(ref Reference) (Schema, error) {
	v, err := st.version(ref.Subject, ref.Version, true)
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			return Schema{}, fmt.Errorf("reference %q: %s", ref.Name, re.Message)
		}
		return Schema{}, fmt.Errorf("reference %q: %w", ref.Name, err)
	}
	return st.byID[v.id].schema, nil
}

// live returns a subject's versions that are not soft-deleted (or all of
// them with deleted).
func (st *state) live(subject string, deleted bool) []*versionState {
	sub := st.subjects[subject]
	if sub == nil {
		return nil
	}
	var out []*versionState
	for _, v := range sub.versions {
		if deleted || !v.deleted {
			out = append(out, v)
		}
	}
	return out
}

// version finds one version; Latest is the newest visible one.
func (st *state) version(subject string, version int, deleted bool) (*versionState, error) {
	vs := st.live(subject, deleted)
	if len(vs) == 0 {
		return nil, subjectNotFound(subject)
	}
	if version == Latest {
		return vs[len(vs)-1], nil
	}
	for _, v := range vs {
		if v.version == version {
			return v, nil
		}
	}
	return nil, versionNotFound(version)
}

func (st *state) level(subject string) Level {
	if l, ok := st.levels[subject]; ok && subject != "" {
		return l
	}
	if st.global != "" {
		return st.global
	}
	return DefaultLevel
}

func (st *state) subjectSchema(subject string, v *versionState) SubjectSchema {
	return SubjectSchema{Subject: subject, Version: v.version, ID: v.id, Schema: st.byID[v.id].schema, Deleted: v.deleted}
}

// referencedBy returns the ids of schemas, held by some version that is not
// soft-deleted, that reference subject/version.
func (st *state) referencedBy(subject string, version int) []int {
	var ids []int
	for id, e := range st.byID {
		for _, r := range e.schema.References {
			if r.Subject == subject && r.Version == version && st.idLive(id) {
				ids = append(ids, id)
				break
			}
		}
	}
	sort.Ints(ids)
	return ids
}

func (st *state) idLive(id int) bool {
	for _, sub := range st.subjects {
		for _, v := range sub.versions {
			if v.id == id && !v.deleted {
				return true
			}
		}
	}
	return false
}
