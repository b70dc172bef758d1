package registry

import (
	"encoding/json"
	"fmt"

	"github.com/sluicedb/sluice/internal/logstore"
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

// change is one record to write: a key struct and a value struct, or a
// nil value for a tombstone.
type change struct {
	key   any
	value any
}

func schemaChange(v schemaValue) change {
	if v.SchemaType == Avro {
		v.SchemaType = "" // Confluent omits the default type
	}
	return change{key: schemaKey{KeyType: keySchema, Subject: v.Subject, Version: v.Version, Magic: 1}, value: v}
}

func schemaTombstone(subject string, version int) change {
	return change{key: schemaKey{KeyType: keySchema, Subject: subject, Version: version, Magic: 1}}
}

// configChange keys the global config with a null subject, as Confluent.
// A nil level deletes the config.
func configChange(subject string, level *Level) change {
	k := configKey{KeyType: keyConfig}
	if subject != "" {
		k.Subject = &subject
	}
	c := change{key: k}
	if level != nil {
		c.value = configValue{CompatibilityLevel: *level}
	}
	return c
}

func idFloorChange(id int) change {
	return change{key: plainKey{KeyType: keyIDFloor}, value: idFloorValue{ID: id}}
}

func (c change) record() (logstore.Record, error) {
	k, err := json.Marshal(c.key)
	if err != nil {
		return logstore.Record{}, fmt.Errorf("encode %T: %w", c.key, err)
	}
	r := logstore.Record{Key: k}
	if c.value != nil {
		if r.Value, err = json.Marshal(c.value); err != nil {
			return logstore.Record{}, fmt.Errorf("encode %T: %w", c.value, err)
		}
	}
	return r, nil
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
