// Package registry owns Sluice's schema registry: the Registry interface the
// engine uses to store and find Avro, Protobuf and JSON schemas, an Embedded
// registry persisted in the log's compacted `_schemas` topic, a Client for an
// external Confluent-compatible registry, the Confluent Schema Registry REST
// API (Handler) served over any Registry, the compatibility rules, and the
// Confluent wire-format and subject-naming helpers that belong with them.
//
// The behaviour follows Confluent Schema Registry wherever a client could
// tell the difference: ids are global and shared by identical schemas across
// subjects, versions count from 1 per subject, soft deletion hides versions
// until they are deleted permanently, and errors carry Confluent's codes.
package registry

import (
	"context"
	"fmt"
	"strings"
)

// SchemaType names a schema language. The zero value means AVRO, as an
// absent "schemaType" does in Confluent's REST API.
type SchemaType string

// The schema languages Confluent Schema Registry supports.
const (
	Avro     SchemaType = "AVRO"
	Protobuf SchemaType = "PROTOBUF"
	JSON     SchemaType = "JSON"
)

// Normalize returns the type with the empty default resolved to AVRO and
// the name upper-cased, as the REST API accepts it in any case.
func (t SchemaType) Normalize() SchemaType {
	if t == "" {
		return Avro
	}
	return SchemaType(strings.ToUpper(string(t)))
}

// Valid reports whether t (after Normalize) is a supported type.
func (t SchemaType) Valid() bool {
	switch t.Normalize() {
	case Avro, Protobuf, JSON:
		return true
	}
	return false
}

// Reference points from a schema to another registered schema it imports:
// Name is how the schema refers to it (an Avro full name, a Protobuf import
// path, a JSON Schema $ref URL).
type Reference struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Schema is a schema's text with its type and references. Text is kept as
// registered, so clients get back exactly what they sent.
type Schema struct {
	Type       SchemaType
	Text       string
	References []Reference
}

// SubjectSchema is one version of a subject.
type SubjectSchema struct {
	Subject string
	Version int
	ID      int
	Schema  Schema
	Deleted bool
}

// SubjectVersion names one version of one subject.
type SubjectVersion struct {
	Subject string `json:"subject"`
	Version int    `json:"version"`
}

// Latest asks for a subject's latest version where a version is expected.
const Latest = -1

// Level is a compatibility level.
type Level string

// Confluent's compatibility levels. BACKWARD is the default.
const (
	None               Level = "NONE"
	Backward           Level = "BACKWARD"
	BackwardTransitive Level = "BACKWARD_TRANSITIVE"
	Forward            Level = "FORWARD"
	ForwardTransitive  Level = "FORWARD_TRANSITIVE"
	Full               Level = "FULL"
	FullTransitive     Level = "FULL_TRANSITIVE"
)

// DefaultLevel is the global level until one is set.
const DefaultLevel = Backward

// ParseLevel accepts a level in any case.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToUpper(strings.TrimSpace(s)))
	switch l {
	case None, Backward, BackwardTransitive, Forward, ForwardTransitive, Full, FullTransitive:
		return l, nil
	}
	return "", newError(CodeInvalidCompatibilityLevel,
		"Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
}

// transitive reports whether the level checks every earlier version rather
// than the latest only.
func (l Level) transitive() bool {
	return l == BackwardTransitive || l == ForwardTransitive || l == FullTransitive
}

func (l Level) backward() bool {
	return l == Backward || l == BackwardTransitive || l == Full || l == FullTransitive
}

func (l Level) forward() bool {
	return l == Forward || l == ForwardTransitive || l == Full || l == FullTransitive
}

// CompatibilityResult is the outcome of a compatibility check. Messages
// say why a schema is incompatible.
type CompatibilityResult struct {
	Compatible bool
	Messages   []string
}

// ListOptions filters subject and version listings.
type ListOptions struct {
	// Deleted includes soft-deleted subjects or versions.
	Deleted bool
	// Prefix keeps only subjects that start with it.
	Prefix string
}

// Registry is a schema registry: the embedded one or a remote one behind a
// Client. All methods are safe for concurrent use. Errors are *Error values
// carrying Confluent's error codes; compare them with errors.Is against the
// Err* sentinels.
//
// Versions are positive; Latest stands for the newest version that is not
// soft-deleted. A subject of "" in the compatibility methods means the
// global setting.
type Registry interface {
	// Register adds s under subject and returns its global id. Registering
	// a schema the subject already has returns the existing id and adds no
	// version; a schema registered under another subject keeps its id.
	Register(ctx context.Context, subject string, s Schema) (int, error)
	// Lookup finds s among the subject's versions (ErrSchemaNotFound if it
	// is not there).
	Lookup(ctx context.Context, subject string, s Schema, deleted bool) (SubjectSchema, error)
	// SchemaByID returns the schema with a global id.
	SchemaByID(ctx context.Context, id int) (Schema, error)
	// SubjectsByID lists the subjects that hold the schema with id.
	SubjectsByID(ctx context.Context, id int, deleted bool) ([]string, error)
	// VersionsByID lists the subject versions that hold the schema with id.
	VersionsByID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error)
	// Subjects lists subjects, sorted.
	Subjects(ctx context.Context, opts ListOptions) ([]string, error)
	// Versions lists a subject's versions in ascending order.
	Versions(ctx context.Context, subject string, deleted bool) ([]int, error)
	// Version returns one version of a subject, or its latest for Latest.
	Version(ctx context.Context, subject string, version int, deleted bool) (SubjectSchema, error)
	// ReferencedBy lists the ids of schemas that reference a subject version.
	ReferencedBy(ctx context.Context, subject string, version int) ([]int, error)
	// DeleteSubject soft-deletes every version of a subject, or removes a
	// soft-deleted subject for good when permanent; it returns the versions.
	DeleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error)
	// DeleteVersion deletes one version, soft or permanent, and returns it.
	DeleteVersion(ctx context.Context, subject string, version int, permanent bool) (int, error)
	// CheckCompatibility checks s against one version of a subject, or
	// against the versions the subject's level names when version is 0.
	CheckCompatibility(ctx context.Context, subject string, version int, s Schema) (CompatibilityResult, error)
	// Compatibility returns the level set for subject; with fallback, a
	// subject without its own level gets the global one.
	Compatibility(ctx context.Context, subject string, fallback bool) (Level, error)
	// SetCompatibility sets the level for subject, or the global level.
	SetCompatibility(ctx context.Context, subject string, level Level) error
	// DeleteCompatibility removes a subject's own level and returns it.
	DeleteCompatibility(ctx context.Context, subject string) (Level, error)
}

// KeySubject and ValueSubject name a topic's subjects under Confluent's
// default TopicNameStrategy, which ksqlDB and Kafka Connect use.
func KeySubject(topic string) string { return topic + "-key" }

// ValueSubject is the value counterpart of KeySubject.
func ValueSubject(topic string) string { return topic + "-value" }

// Subject picks KeySubject or ValueSubject.
func Subject(topic string, isKey bool) string {
	if isKey {
		return KeySubject(topic)
	}
	return ValueSubject(topic)
}

// RecordSubject and TopicRecordSubject name subjects under Confluent's
// RecordNameStrategy and TopicRecordNameStrategy, which Kafka Connect
// users select with key/value.subject.name.strategy; recordName is the
// fully qualified record (or Protobuf message) name.
func RecordSubject(recordName string) string { return recordName }

// TopicRecordSubject is "<topic>-<recordName>".
func TopicRecordSubject(topic, recordName string) string { return topic + "-" + recordName }

func (s SubjectVersion) String() string { return fmt.Sprintf("%s/%d", s.Subject, s.Version) }
