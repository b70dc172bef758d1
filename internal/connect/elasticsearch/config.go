package elasticsearch

import (
	"fmt"
	"regexp"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/elasticsearch/bulk"
)

// ClassName is the connector class users write in connector.class.
const ClassName = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"

// The values of the enumerated keys, in the Confluent connector's spelling.
const (
	nullIgnore = "ignore"
	nullDelete = "delete"
	nullFail   = "fail"

	malformedIgnore = "ignore"
	malformedWarn   = "warn"
	malformedFail   = "fail"

	methodInsert = "insert"
	methodUpsert = "upsert"
)

// Spec declares the connector's own keys with the Confluent connector's
// names and defaults. The runtime adds the keys every sink has (topics,
// topics.regex, errors.tolerance, errors.deadletterqueue.topic.name); the
// task reads them from the merged config.
var Spec = connect.NewSpec(
	connect.Key{Name: "connection.url", Type: connect.TypeList, Required: true,
		Doc: "Comma-separated Elasticsearch or OpenSearch HTTP URLs, e.g. http://eshost1:9200,http://eshost2:9200."},
	connect.Key{Name: "connection.username", Type: connect.TypeString,
		Doc: "User for HTTP basic authentication; used only with connection.password."},
	connect.Key{Name: "connection.password", Type: connect.TypePassword, Secret: true,
		Doc: "Password for HTTP basic authentication; masked in every output."},
	connect.Key{Name: "key.ignore", Type: connect.TypeBool, Default: "false",
		Doc: "Use topic+partition+offset as the document id instead of the record key."},
	connect.Key{Name: "schema.ignore", Type: connect.TypeBool, Default: "false",
		Doc: "Let the server infer the mapping instead of creating it from the value schema."},
	connect.Key{Name: "type.name", Type: connect.TypeString,
		Doc: "Mapping type; sent only to servers that still have types (Elasticsearch before 7)."},
	connect.Key{Name: "behavior.on.null.values", Type: connect.TypeString, Default: nullFail,
		Allowed: []string{nullIgnore, nullDelete, nullFail},
		Doc:     "What a record with a null value (a tombstone) does: ignore it, delete the document with its key, or fail."},
	connect.Key{Name: "behavior.on.malformed.documents", Type: connect.TypeString, Default: malformedFail,
		Allowed: []string{malformedIgnore, malformedWarn, malformedFail},
		Doc:     "What a document the server rejects as malformed (mapping or parse error) does: ignore it, log a warning, or fail the task. With errors.tolerance=all it goes to the dead-letter topic."},
	connect.Key{Name: "write.method", Type: connect.TypeString, Default: methodInsert,
		Allowed: []string{methodInsert, methodUpsert},
		Doc:     "insert replaces the whole document; upsert merges the value into it."},
	connect.Key{Name: "batch.size", Type: connect.TypeInt, Default: "2000",
		Doc: "Most records in one bulk request."},
	connect.Key{Name: "bulk.size.bytes", Type: connect.TypeLong, Default: "5242880",
		Doc: "Most bytes in one bulk request."},
	connect.Key{Name: "linger.ms", Type: connect.TypeLong, Default: "1",
		Doc: "How long a partial batch waits for more records before it is sent."},
	connect.Key{Name: "max.in.flight.requests", Type: connect.TypeInt, Default: "5",
		Doc: "Most bulk requests outstanding at once. Inserts are versioned by offset, so order across requests does not matter; write.method=upsert sends one request at a time instead, as an update cannot be versioned."},
	connect.Key{Name: "max.buffered.records", Type: connect.TypeLong, Default: "20000", Ignored: true,
		Doc: "Accepted for compatibility; the buffer is bounded by batch.size × max.in.flight.requests."},
	connect.Key{Name: "flush.timeout.ms", Type: connect.TypeLong, Default: "180000",
		Doc: "How long a flush waits for outstanding requests; offsets are not committed past a timed-out flush."},
	connect.Key{Name: "max.retries", Type: connect.TypeInt, Default: "5",
		Doc: "Retries of a document the server rejects with 429 or 5xx. An unreachable server is waited for without limit."},
	connect.Key{Name: "retry.backoff.ms", Type: connect.TypeLong, Default: "100",
		Doc: "First retry wait, doubled per attempt with jitter."},
	connect.Key{Name: "connection.timeout.ms", Type: connect.TypeInt, Default: "1000", Ignored: true,
		Doc: "Accepted for compatibility."},
	connect.Key{Name: "read.timeout.ms", Type: connect.TypeInt, Default: "3000",
		Doc: "Bound on one HTTP round trip; a timed-out request is retried."},
	connect.Key{Name: "drop.invalid.message", Type: connect.TypeBool, Default: "false",
		Doc: "Drop records that cannot become documents (a null key without key.ignore, an unsupported key type) instead of failing."},
	connect.Key{Name: "sluice.key.fields.include", Type: connect.TypeBool, Default: "true",
		Doc: "Sluice: write the key columns into the document when the value lacks them (a struct key gives its fields; a primitive key needs sluice.key.field.name)."},
	connect.Key{Name: "sluice.key.field.name", Type: connect.TypeString,
		Doc: "Sluice: the document field a primitive key is written to under sluice.key.fields.include."},
)

// settings is a validated config in the form the task uses.
type settings struct {
	client      bulk.ClientConfig
	writer      bulk.Options
	topics      []string
	topicsRegex *regexp.Regexp
	keyIgnore   bool
	schemaIgn   bool
	typeName    string
	onNull      string
	onMalformed string
	method      string
	dropInvalid bool
	tolerateAll bool
	dlq         string
	keyInclude  bool
	keyField    string
}

func parseSettings(c *connect.Config) (*settings, error) {
	s := &settings{
		client: bulk.ClientConfig{
			URLs:           c.List("connection.url"),
			Username:       c.String("connection.username"),
			Password:       c.String("connection.password"),
			RequestTimeout: max(ms(c.Int("read.timeout.ms")), 30*time.Second),
			MaxConns:       int(c.Int("max.in.flight.requests")),
		},
		writer: bulk.Options{
			BatchSize:    int(c.Int("batch.size")),
			BatchBytes:   int(c.Int("bulk.size.bytes")),
			Linger:       ms(c.Int("linger.ms")),
			MaxInFlight:  int(c.Int("max.in.flight.requests")),
			MaxRetries:   int(c.Int("max.retries")),
			RetryBackoff: ms(c.Int("retry.backoff.ms")),
			FlushTimeout: ms(c.Int("flush.timeout.ms")),
		},
		topics:      c.List("topics"),
		keyIgnore:   c.Bool("key.ignore"),
		schemaIgn:   c.Bool("schema.ignore"),
		typeName:    c.String("type.name"),
		onNull:      c.String("behavior.on.null.values"),
		onMalformed: c.String("behavior.on.malformed.documents"),
		method:      c.String("write.method"),
		dropInvalid: c.Bool("drop.invalid.message"),
		tolerateAll: c.String("errors.tolerance") == "all",
		dlq:         c.String("errors.deadletterqueue.topic.name"),
		keyInclude:  c.Bool("sluice.key.fields.include"),
		keyField:    c.String("sluice.key.field.name"),
	}
	if len(s.client.URLs) == 0 {
		return nil, &connect.ConfigError{Key: "connection.url", Msg: "at least one URL is required"}
	}
	if rx := c.String("topics.regex"); rx != "" {
		if len(s.topics) > 0 {
			return nil, &connect.ConfigError{Key: "topics.regex", Msg: "set topics or topics.regex, not both"}
		}
		re, err := regexp.Compile("^(?:" + rx + ")$")
		if err != nil {
			return nil, &connect.ConfigError{Key: "topics.regex", Msg: fmt.Sprintf("%q is not a valid regular expression: %v", rx, err)}
		}
		s.topicsRegex = re
	}
	if s.writer.BatchSize < 1 || s.writer.BatchSize > 1_000_000 {
		return nil, &connect.ConfigError{Key: "batch.size", Msg: "must be between 1 and 1000000"}
	}
	if s.writer.MaxInFlight < 1 {
		return nil, &connect.ConfigError{Key: "max.in.flight.requests", Msg: "must be at least 1"}
	}
	if s.writer.MaxRetries < 0 {
		return nil, &connect.ConfigError{Key: "max.retries", Msg: "must not be negative"}
	}
	return s, nil
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
