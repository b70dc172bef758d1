package format

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/sluicedb/sluice/internal/registry"
)

// Schema types, as Confluent Schema Registry names them.
const (
	SchemaAvro     = "AVRO"
	SchemaProtobuf = "PROTOBUF"
	SchemaJSON     = "JSON"
)

// Schema is a registry schema's text with its type. Refs holds the schemas
// it imports, already resolved, keyed by the name the text uses for them
// (a Protobuf import path, an Avro full name).
type Schema struct {
	Type string
	Text string
	Refs map[string]string
}

// Registry is the part of a schema registry the formats need. It is kept
// this small so any registry (embedded, remote, or a test double backed by
// a real embedded registry) adapts to it in a few lines. Implementations
// must be safe for concurrent use.
type Registry interface {
	// Register stores s under subject and returns its global id;
	// registering a schema the subject already holds returns its id.
	Register(ctx context.Context, subject string, s Schema) (int, error)
	// SchemaByID returns the schema with a global id.
	SchemaByID(ctx context.Context, id int) (Schema, error)
	// Latest returns the newest schema of subject and its id.
	Latest(ctx context.Context, subject string) (int, Schema, error)
}

// Subject names a topic's key or value subject under Confluent's
// TopicNameStrategy, which ksqlDB uses.
func Subject(topic string, isKey bool) string {
	if isKey {
		return topic + "-key"
	}
	return topic + "-value"
}

const (
	magicByte  = 0
	headerSize = 5
)

// appendHeader appends Confluent's wire-format prefix: magic byte 0 and the
// 4-byte big-endian schema id.
func appendHeader(b []byte, id int) []byte {
	b = append(b, magicByte)
	return binary.BigEndian.AppendUint32(b, uint32(id))
}

// splitHeader returns the schema id and payload of a wire-format message.
func splitHeader(b []byte) (int, []byte, error) {
	if len(b) < headerSize {
		return 0, nil, fmt.Errorf("Unknown magic byte!: message of %d bytes is shorter than the schema registry header", len(b))
	}
	if b[0] != magicByte {
		return 0, nil, fmt.Errorf("Unknown magic byte!")
	}
	return int(int32(binary.BigEndian.Uint32(b[1:headerSize]))), b[headerSize:], nil
}

// needRegistry returns the error for a registry-backed format built without
// a registry.
func needRegistry(format string, reg Registry) error {
	if reg == nil {
		return newErr(ErrUnsupported, "%s format requires a schema registry, and none is configured", format)
	}
	return nil
}

// registerOrReuse registers a generated schema under subject and returns
// its id. When the registry refuses it as incompatible with what the
// subject already holds (a sink topic whose schema was registered by its
// owner first), the subject's latest schema is used instead if use accepts
// it: the serializer then writes that schema, as ksqlDB writes into a sink
// whose subject already has a schema.
func registerOrReuse(ctx context.Context, reg Registry, subject string, s Schema, use func(Schema, int) error) (int, Schema, error) {
	id, err := reg.Register(ctx, subject, s)
	if err == nil {
		return id, s, nil
	}
	regErr := &Error{Kind: ErrSchema, Msg: fmt.Sprintf("register %s schema for %s", s.Type, subject), Err: err}
	if !errors.Is(err, registry.ErrIncompatibleSchema) {
		return 0, Schema{}, regErr
	}
	lid, latest, lerr := reg.Latest(ctx, subject)
	if lerr != nil || !strings.EqualFold(latest.Type, s.Type) {
		return 0, Schema{}, regErr
	}
	if uerr := use(latest, lid); uerr != nil {
		return 0, Schema{}, &Error{Kind: ErrSchema, Msg: regErr.Msg, Err: fmt.Errorf("%w; the subject's latest schema does not fit either: %w", err, uerr)}
	}
	return lid, latest, nil
}
