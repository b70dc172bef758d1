package connect

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/sluicedb/sluice/internal/registry"
)

// Converter class names users write in key.converter / value.converter.
const (
	AvroConverterClass      = "io.confluent.connect.avro.AvroConverter"
	JSONConverterClass      = "org.apache.kafka.connect.json.JsonConverter"
	StringConverterClass    = "org.apache.kafka.connect.storage.StringConverter"
	ByteArrayConverterClass = "org.apache.kafka.connect.converters.ByteArrayConverter"
)

func addBuiltinConverters(p *Plugins) {
	p.AddConverter(&ConverterClass{Name: AvroConverterClass, Aliases: []string{"avro", "AvroConverter"}, New: newAvroConverter})
	p.AddConverter(&ConverterClass{Name: JSONConverterClass, Aliases: []string{"json", "JsonConverter"}, New: newJSONConverter})
	p.AddConverter(&ConverterClass{Name: StringConverterClass, Aliases: []string{"string", "StringConverter"}, New: func(map[string]string, ConverterEnv) (Converter, error) { return stringConverter{}, nil }})
	p.AddConverter(&ConverterClass{Name: ByteArrayConverterClass, Aliases: []string{"bytes", "ByteArrayConverter"}, New: func(map[string]string, ConverterEnv) (Converter, error) { return byteConverter{}, nil }})
}

// avroConverter is Confluent's AvroConverter: Confluent wire format (magic
// byte, schema id) over Avro binary, schemas registered under the topic's
// -key or -value subject.
type avroConverter struct {
	reg   SchemaRegistry
	isKey bool
	// ids caches the registered id of each schema text, so that a schema
	// is registered once per subject; byObj caches it per topic and schema
	// object, which is what the per-record path looks up: hashing the
	// schema's whole text per record cost ~5% of a capture's CPU.
	mu      sync.Mutex
	ids     map[avroKey]int
	byObj   map[objKey]int
	texts   map[*Schema]string
	decoded map[int]*avroNode
}

type objKey struct {
	topic  string
	schema *Schema
}

type avroKey struct {
	subject string
	text    string
}

func newAvroConverter(cfg map[string]string, env ConverterEnv) (Converter, error) {
	reg := env.Registry
	if u := strings.TrimSpace(cfg["schema.registry.url"]); u != "" {
		c, err := registry.NewClient(registry.ClientOptions{URL: u})
		if err != nil {
			return nil, &ConfigError{Key: "schema.registry.url", Msg: err.Error()}
		}
		reg = c
	}
	if reg == nil {
		return nil, &ConfigError{Key: "schema.registry.url", Msg: "the Avro converter needs a schema registry and none is configured"}
	}
	return &avroConverter{reg: reg, isKey: env.IsKey, ids: map[avroKey]int{}, byObj: map[objKey]int{}, texts: map[*Schema]string{}, decoded: map[int]*avroNode{}}, nil
}

func (c *avroConverter) FromConnect(ctx context.Context, topic string, s *Schema, v any) ([]byte, error) {
	if v == nil && (s == nil || s.Optional) {
		return nil, nil
	}
	if s == nil {
		return nil, fmt.Errorf("avro converter: a schema is needed to write %T to %s", v, topic)
	}
	c.mu.Lock()
	id, ok := c.byObj[objKey{topic, s}]
	c.mu.Unlock()
	if !ok {
		var err error
		if id, err = c.register(ctx, registry.Subject(topic, c.isKey), s); err != nil {
			return nil, err
		}
		c.mu.Lock()
		c.byObj[objKey{topic, s}] = id
		c.mu.Unlock()
	}
	b := registry.AppendHeader(make([]byte, 0, 64), id)
	b, err := appendAvro(b, s.WithOptional(false), v)
	if err != nil {
		return nil, fmt.Errorf("avro converter: topic %s: %w", topic, err)
	}
	return b, nil
}

func (c *avroConverter) register(ctx context.Context, subject string, s *Schema) (int, error) {
	c.mu.Lock()
	text, ok := c.texts[s]
	if !ok {
		var err error
		if text, err = avroSchemaJSON(s); err != nil {
			c.mu.Unlock()
			return 0, err
		}
		c.texts[s] = text
	}
	id, ok := c.ids[avroKey{subject, text}]
	c.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := c.reg.Register(ctx, subject, registry.Schema{Type: registry.Avro, Text: text})
	if err != nil {
		return 0, fmt.Errorf("avro converter: register schema under %s: %w", subject, err)
	}
	c.mu.Lock()
	c.ids[avroKey{subject, text}] = id
	c.mu.Unlock()
	return id, nil
}

func (c *avroConverter) ToConnect(ctx context.Context, topic string, b []byte) (*Schema, any, error) {
	if b == nil {
		return nil, nil, nil
	}
	id, rest, err := registry.DecodeHeader(b)
	if err != nil {
		if c.isKey {
			// ksqlDB writes KAFKA-format (plain string) keys even when
			// the server's key converter is Avro, as in the seed, whose
			// sink still indexes documents by those keys: a key without
			// the wire header is read as a string rather than failing
			// the task.
			return OptString, string(b), nil
		}
		return nil, nil, fmt.Errorf("avro converter: topic %s: %w", topic, err)
	}
	c.mu.Lock()
	n, ok := c.decoded[id]
	c.mu.Unlock()
	if !ok {
		s, err := c.reg.SchemaByID(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("avro converter: schema %d: %w", id, err)
		}
		if n, err = parseAvroSchema(s.Text); err != nil {
			return nil, nil, fmt.Errorf("avro converter: schema %d: %w", id, err)
		}
		c.mu.Lock()
		c.decoded[id] = n
		c.mu.Unlock()
	}
	v, _, err := decodeAvro(n, rest)
	if err != nil {
		return nil, nil, fmt.Errorf("avro converter: topic %s: %w", topic, err)
	}
	return n.connect, v, nil
}

// stringConverter is Kafka's StringConverter: values are written with
// their string form and read back as strings.
type stringConverter struct{}

func (stringConverter) FromConnect(_ context.Context, _ string, _ *Schema, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	case []byte:
		return x, nil
	case *Struct:
		b, err := jsonValue(x.Schema, x, false)
		if err != nil {
			return nil, err
		}
		return marshalJSON(b)
	}
	return []byte(fmt.Sprint(v)), nil
}

func (stringConverter) ToConnect(_ context.Context, _ string, b []byte) (*Schema, any, error) {
	if b == nil {
		return OptString, nil, nil
	}
	return OptString, string(b), nil
}

// byteConverter is Kafka's ByteArrayConverter.
type byteConverter struct{}

func (byteConverter) FromConnect(_ context.Context, _ string, _ *Schema, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return x, nil
	}
	return nil, fmt.Errorf("ByteArrayConverter: cannot write %T", v)
}

func (byteConverter) ToConnect(_ context.Context, _ string, b []byte) (*Schema, any, error) {
	if b == nil {
		return OptBytes, nil, nil
	}
	return OptBytes, b, nil
}
