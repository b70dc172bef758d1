package format

import (
	"strconv"
	"strings"
)

// schemaIDProp reads the optional schemaId property (KEY_SCHEMA_ID /
// VALUE_SCHEMA_ID): a schema already registered that serializers must use.
func schemaIDProp(p map[string]string) (int, error) {
	s, ok := p[PropSchemaID]
	if !ok {
		return 0, nil
	}
	id, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || id <= 0 {
		return 0, newErr(ErrUnsupported, "Invalid schema id: %s", s)
	}
	return id, nil
}

// boolProp reads an optional boolean property.
func boolProp(p map[string]string, name string) (bool, error) {
	s, ok := p[name]
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, newErr(ErrUnsupported, "Invalid value for %s: %s (expected true or false)", name, s)
}

// withProps maps ksqlDB's WITH-clause property names to FormatInfo
// properties, per side. VALUE_AVRO_SCHEMA_FULL_NAME is the pre-0.24
// spelling ksqlDB still accepts.
var withProps = map[string][2]string{
	// name: {key-side WITH property, value-side WITH property}
	PropSchemaID:               {"KEY_SCHEMA_ID", "VALUE_SCHEMA_ID"},
	PropFullSchemaName:         {"KEY_SCHEMA_FULL_NAME", "VALUE_SCHEMA_FULL_NAME"},
	PropDelimiter:              {"KEY_DELIMITER", "VALUE_DELIMITER"},
	PropNullableRepresentation: {"KEY_PROTOBUF_NULLABLE_REPRESENTATION", "VALUE_PROTOBUF_NULLABLE_REPRESENTATION"},
}

// PropsFromWith picks the key's or the value's format properties out of a
// CREATE statement's WITH clause (names in any case), keyed as New expects
// them. Properties that are not about the format are ignored.
func PropsFromWith(with map[string]string, isKey bool) map[string]string {
	side := 1
	if isKey {
		side = 0
	}
	out := map[string]string{}
	for k, v := range with {
		uk := strings.ToUpper(k)
		for prop, names := range withProps {
			if uk == names[side] {
				out[prop] = v
			}
		}
		if !isKey && uk == "VALUE_AVRO_SCHEMA_FULL_NAME" {
			if _, set := out[PropFullSchemaName]; !set {
				out[PropFullSchemaName] = v
			}
		}
	}
	return out
}

// WrappingFromWith reads WRAP_SINGLE_VALUE from a WITH clause for a value
// schema of columns columns. Without it, the ksql.persistence.wrap.single.values
// setting (configDefault, "" when unset) applies, but only to single-column
// schemas, as in ksqlDB; keys take the format's default.
func WrappingFromWith(with map[string]string, configDefault string, columns int) (Wrapping, error) {
	s := ""
	if columns == 1 {
		s = configDefault
	}
	for k, v := range with {
		if strings.EqualFold(k, "WRAP_SINGLE_VALUE") {
			s = v
		}
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return WrapDefault, nil
	case "true":
		return Wrapped, nil
	case "false":
		return Unwrapped, nil
	}
	return WrapDefault, newErr(ErrUnsupported, "Invalid value for WRAP_SINGLE_VALUE: %s (expected true or false)", s)
}
