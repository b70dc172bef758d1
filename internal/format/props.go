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
