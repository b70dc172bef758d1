package format

import (
	"strings"

	"github.com/sluicedb/sluice/internal/types"
)

// ValidateSchema checks that f can carry t's columns, returning ksqlDB's
// statement-time errors: a map inside a key column first, then a
// wrapping request the format rejects, then, wrapped as ksqlDB's
// SchemaNotSupportedException, whatever the format's serde factory would
// refuse ("Key format does not support schema.\nformat: ...").
func ValidateSchema(f Format, t Target) error {
	if t.IsKey {
		for _, c := range t.Columns {
			if containsMap(c.Type) {
				return newErr(ErrUnsupported, "Map keys, including types that contain maps, are not supported as they may lead to unexpected behavior due to inconsistent serialization. Key column name: `%s`. Column type: %s. See https://github.com/confluentinc/ksql/issues/6621 for more.", c.Name, c.Type)
			}
		}
	}
	if _, err := f.Unwrapped(t); err != nil {
		return err
	}
	if err := f.Validate(t); err != nil {
		return &Error{Kind: ErrUnsupported, Msg: schemaNotSupported(f.Name(), t, err.Error())}
	}
	return nil
}

// schemaNotSupported renders ksqlDB's SchemaNotSupportedException text,
// with the schema as PersistenceSchema.toString prints it.
func schemaNotSupported(name string, t Target, reason string) string {
	var b strings.Builder
	if t.IsKey {
		b.WriteString("Key")
	} else {
		b.WriteString("Value")
	}
	b.WriteString(" format does not support schema.\nformat: ")
	b.WriteString(name)
	b.WriteString("\nschema: Persistence{columns=")
	b.WriteString(FormatColumns(t.Columns, t.IsKey))
	b.WriteString(", features=[")
	switch t.Wrap {
	case Wrapped:
		b.WriteString("WRAP_SINGLES")
	case Unwrapped:
		b.WriteString("UNWRAP_SINGLES")
	}
	b.WriteString("]}\nreason: ")
	b.WriteString(reason)
	return b.String()
}

func containsMap(t *types.Type) bool {
	switch t.Kind {
	case types.Map:
		return true
	case types.Array:
		return containsMap(t.Elem)
	case types.Struct:
		for _, f := range t.Fields {
			if containsMap(f.Type) {
				return true
			}
		}
	}
	return false
}
