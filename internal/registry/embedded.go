package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Options configures an Embedded registry. The zero value is usable.
type Options struct {
	// Topic holds the registry's records. Default "_schemas", Confluent's
	// kafkastore.topic default.
	Topic string
	// TxnID is the transactional id the registry writes with. Default
	// "sluice-schema-registry".
	TxnID string
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// EnsureDefaults fills in unset fields.
func (o *Options) EnsureDefaults() {
	if o.Topic == "" {
		o.Topic = "_schemas"
	}
	if o.TxnID == "" {
		o.TxnID = "sluice-schema-registry"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Embedded is the in-process registry. Every change is a record in the
// compacted topic Options.Topic, committed in a log transaction, and the
// state is only ever changed by reading the topic back: Open replays it,
// and each write catches up (picking up other writers' records too) before
// it decides and after it commits.
//
// Several registries may share a topic (servers sharing a Kafka cluster):
// each sees the others' changes at its next write or Sync. Two writes that
// race between catching up and committing can still both take the same id;
// Confluent avoids that by electing one leader to write, which Sluice does
// not do yet, so one server should own registry writes.
type Embedded struct {
	log  logstore.Log
	opts Options

	// mu guards st. Writers hold it across the log commit so that ids and
	// versions are assigned in commit order and a concurrent register of
	// the same schema sees the first one's result.
	mu sync.RWMutex
	st *state
	// next is the offset after the last record applied.
	next int64
	// exact maps a subject and a schema's exact text (registerCacheKey) to
	// its id, so that re-registering, which serializers do on every
	// start, skips parsing. Deletes clear it.
	exact map[string]int
}

var _ Registry = (*Embedded)(nil)

// Open creates the topic if needed and replays it.
func Open(ctx context.Context, log logstore.Log, opts Options) (*Embedded, error) {
	opts.EnsureDefaults()
	e := &Embedded{log: log, opts: opts, st: newState(opts.Logger), exact: map[string]int{}}
	err := log.CreateTopic(ctx, opts.Topic, logstore.TopicConfig{
		Partitions: 1,
		Replicas:   1,
		Compact:    true,
		Configs:    map[string]string{"cleanup.policy": "compact"},
	})
	if err != nil && !errors.Is(err, logstore.ErrTopicExists) {
		return nil, fmt.Errorf("schema registry: create topic %s: %w", opts.Topic, err)
	}
	if err := e.catchUp(ctx); err != nil {
		return nil, err
	}
	opts.Logger.Debug("schema registry: replayed", "topic", opts.Topic, "next_offset", e.next, "max_id", e.st.maxID)
	return e, nil
}

// catchUp applies every record committed to the topic since the last one
// applied. It is how the state changes, at start and after each write
// alike, so the state is always a replay of the topic. The caller holds
// e.mu (Open needs no lock).
func (e *Embedded) catchUp(ctx context.Context) error {
	tp := logstore.TopicPartition{Topic: e.opts.Topic}
	offs, err := e.log.ListOffsets(ctx, tp)
	if err != nil {
		return fmt.Errorf("schema registry: list offsets of %s: %w", e.opts.Topic, err)
	}
	off := max(e.next, offs.Start)
	for off < offs.End {
		recs, err := e.log.Fetch(ctx, tp, off, logstore.FetchOptions{MaxRecords: 1000})
		if err != nil {
			return fmt.Errorf("schema registry: read %s at offset %d: %w", e.opts.Topic, off, err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			d, err := decodeRecord(r.Key, r.Value)
			if err != nil {
				// A record this version cannot read must not stop the
				// server; Confluent skips what it does not understand too.
				e.opts.Logger.Warn("schema registry: skipping unreadable record", "offset", r.Offset, "err", err)
				continue
			}
			if d.keyType == keySchema && (d.schema == nil || d.schema.Deleted) {
				clear(e.exact)
			}
			e.st.apply(d)
		}
		off = recs[len(recs)-1].Offset + 1
	}
	e.next = off
	return nil
}

// Sync catches up with records other writers committed to the topic. An
// Embedded registry that is the topic's only writer never needs it.
func (e *Embedded) Sync(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.catchUp(ctx)
}

// write commits records in one transaction and then reads them back into
// the state. The caller holds e.mu and has caught up before deciding what
// to write.
func (e *Embedded) write(ctx context.Context, changes ...change) error {
	recs := make([]logstore.Record, len(changes))
	for i, c := range changes {
		r, err := c.record()
		if err != nil {
			return storeError(err)
		}
		recs[i] = r
	}
	txn, err := e.log.Begin(ctx, e.opts.TxnID)
	if err != nil {
		return storeError(fmt.Errorf("begin: %w", err))
	}
	if err := txn.Produce(ctx, e.opts.Topic, recs...); err != nil {
		_ = txn.Abort(ctx)
		return storeError(fmt.Errorf("produce: %w", err))
	}
	if _, err := txn.Commit(ctx); err != nil {
		return storeError(fmt.Errorf("commit: %w", err))
	}
	if err := e.catchUp(ctx); err != nil {
		return storeError(err)
	}
	return nil
}

// lockForWrite takes the write lock and catches up, so a write decides on
// the latest state of the topic.
func (e *Embedded) lockForWrite(ctx context.Context) error {
	e.mu.Lock()
	if err := e.catchUp(ctx); err != nil {
		e.mu.Unlock()
		return storeError(err)
	}
	return nil
}

// Handler serves Confluent's REST API over this registry.
func (e *Embedded) Handler() http.Handler { return NewHandler(e, nil) }

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
	if ok {
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
		if e.st.byID[v.id].key == key {
			e.exact[exactKey] = v.id
			return v.id, nil
		}
	}
	if msgs := e.checkSubject(subject, e.st.level(subject), p, 0); len(msgs) > 0 {
		return 0, newError(CodeIncompatibleSchema,
			"Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]",
			subject, strings.Join(msgs, ", "))
	}
	id, ok = e.st.byKey[key]
	if !ok {
		id = e.st.maxID + 1
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
	e.opts.Logger.Info("schema registry: registered", "subject", subject, "version", version, "id", id)
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
