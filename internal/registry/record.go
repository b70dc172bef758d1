package registry

import (
	"encoding/json"
	"fmt"
)

// The `_schemas` topic uses Confluent Schema Registry's own record layout,
// so a Sluice registry can be read by (and could read) Confluent's: JSON
// keys naming what changed and JSON values holding the new state, with a
// tombstone removing it. Key bytes must be deterministic because
// compaction keeps the latest record per key, hence the structs below with
// their fixed field order rather than maps.

const (
	keySchema = "SCHEMA"
	keyConfig = "CONFIG"
	keyNoop   = "NOOP"
	// keyIDFloor is Sluice's own record: the highest id ever assigned, kept
	// because compaction may remove the tombstoned record that held it, and
	// ids must never be reused. Confluent's readers skip unknown key types.
	keyIDFloor = "SLUICE_ID_FLOOR"
)

type schemaKey struct {
	KeyType string `json:"keytype"`
	Subject string `json:"subject"`
	Version int    `json:"version"`
	Magic   int    `json:"magic"`
}

type configKey struct {
	KeyType string  `json:"keytype"`
	Subject *string `json:"subject"`
	Magic   int     `json:"magic"`
}

type plainKey struct {
	KeyType string `json:"keytype"`
	Magic   int    `json:"magic"`
}

type schemaValue struct {
	Subject    string      `json:"subject"`
	Version    int         `json:"version"`
	ID         int         `json:"id"`
	SchemaType SchemaType  `json:"schemaType,omitempty"`
	References []Reference `json:"references,omitempty"`
	Schema     string      `json:"schema"`
	Deleted    bool        `json:"deleted"`
}

type configValue struct {
	CompatibilityLevel Level `json:"compatibilityLevel"`
}

type idFloorValue struct {
	ID int `json:"id"`
}

func encodeSchemaKey(subject string, version int) []byte {
	return mustJSON(schemaKey{KeyType: keySchema, Subject: subject, Version: version, Magic: 1})
}

// encodeConfigKey keys the global config with a null subject, as Confluent.
func encodeConfigKey(subject string) []byte {
	k := configKey{KeyType: keyConfig}
	if subject != "" {
		k.Subject = &subject
	}
	return mustJSON(k)
}

func encodeIDFloorKey() []byte { return mustJSON(plainKey{KeyType: keyIDFloor}) }

func encodeSchemaValue(v schemaValue) []byte {
	if v.SchemaType == Avro {
		v.SchemaType = "" // Confluent omits the default type
	}
	return mustJSON(v)
}

// mustJSON marshals values made only of strings, ints and bools, which
// cannot fail; a failure is a programming error caught by the tests.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("registry: marshal %T: %v", v, err))
	}
	return b
}

// decodedRecord is one `_schemas` record in a form the state applies.
type decodedRecord struct {
	keyType string
	subject string // CONFIG: "" is global
	version int
	schema  *schemaValue  // SCHEMA; nil for a tombstone
	config  *configValue  // CONFIG; nil for a tombstone
	idFloor *idFloorValue // SLUICE_ID_FLOOR
}

func decodeRecord(key, value []byte) (decodedRecord, error) {
	var k struct {
		KeyType string  `json:"keytype"`
		Subject *string `json:"subject"`
		Version int     `json:"version"`
	}
	if err := json.Unmarshal(key, &k); err != nil {
		return decodedRecord{}, fmt.Errorf("decode _schemas key %q: %w", key, err)
	}
	r := decodedRecord{keyType: k.KeyType, version: k.Version}
	if k.Subject != nil {
		r.subject = *k.Subject
	}
	if value == nil {
		return r, nil
	}
	var err error
	switch k.KeyType {
	case keySchema:
		r.schema = &schemaValue{}
		err = json.Unmarshal(value, r.schema)
	case keyConfig:
		r.config = &configValue{}
		err = json.Unmarshal(value, r.config)
	case keyIDFloor:
		r.idFloor = &idFloorValue{}
		err = json.Unmarshal(value, r.idFloor)
	}
	if err != nil {
		return decodedRecord{}, fmt.Errorf("decode _schemas %s value: %w", k.KeyType, err)
	}
	return r, nil
}
