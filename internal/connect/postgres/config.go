// Package postgres is the glue of Sluice's PostgreSQL change data capture
// source, the native counterpart of Debezium's PostgresConnector: its
// config spec, the slot and publication set-up, the consistent initial
// snapshot, and the mapping of rows to Debezium's change events. The
// replication protocol's message decoding lives in postgres/pgoutput.
package postgres

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
)

// ClassName is Debezium's connector class, which users write in
// connector.class.
const ClassName = "io.debezium.connector.postgresql.PostgresConnector"

// Register adds the connector class to p.
func Register(p *connect.Plugins) {
	p.AddClass(&connect.Class{
		Name:    ClassName,
		Aliases: []string{"PostgresConnector"},
		Kind:    connect.Source,
		Spec:    Spec,
		NewSource: func(cfg *connect.Config, env connect.Env) (connect.SourceTask, error) {
			c, err := parseConfig(cfg)
			if err != nil {
				return nil, err
			}
			return newTask(c, env), nil
		},
	})
}

// Spec declares the connector's keys in Debezium's 2.x spelling with the
// 1.x spellings as aliases.
var Spec = &connect.Spec{
	Keys: []connect.Key{
		{Name: "database.hostname", Required: true, Doc: "PostgreSQL host."},
		{Name: "database.port", Type: connect.TypeInt, Default: "5432", Doc: "PostgreSQL port."},
		{Name: "database.user", Required: true, Doc: "User with the REPLICATION attribute (or superuser)."},
		{Name: "database.password", Type: connect.TypePassword, Doc: "The user's password."},
		{Name: "database.dbname", Required: true, Doc: "Database to capture."},
		{Name: "database.sslmode", Default: "disable", Allowed: []string{"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}, Doc: "TLS mode, as libpq's sslmode."},
		{Name: "topic.prefix", Aliases: []string{"database.server.name"}, Required: true, Doc: "Prefix of the topics, <prefix>.<schema>.<table>; Debezium 1.x called it database.server.name."},
		{Name: "plugin.name", Default: "pgoutput", Allowed: []string{"pgoutput", "decoderbufs", "wal2json"}, Doc: "Logical decoding plugin. Sluice always streams with pgoutput, which stock PostgreSQL ships; decoderbufs and wal2json are accepted for compatibility."},
		{Name: "slot.name", Default: "debezium", Doc: "Replication slot name."},
		{Name: "slot.drop.on.stop", Type: connect.TypeBool, Default: "false", Doc: "Drop the slot when the connector stops."},
		{Name: "publication.name", Default: "dbz_publication", Doc: "Publication the slot streams."},
		{Name: "publication.autocreate.mode", Default: "all_tables", Allowed: []string{"all_tables", "disabled", "filtered", "no_tables"}, Doc: "How the publication is created when missing."},
		{Name: "snapshot.mode", Default: "initial", Allowed: []string{"initial", "never", "initial_only", "always", "no_data", "when_needed"}, Doc: "When to take the initial snapshot."},
		{Name: "schema.include.list", Aliases: []string{"schema.whitelist"}, Type: connect.TypeList, Doc: "Regular expressions of schemas to capture."},
		{Name: "schema.exclude.list", Aliases: []string{"schema.blacklist"}, Type: connect.TypeList, Doc: "Regular expressions of schemas not to capture."},
		{Name: "table.include.list", Aliases: []string{"table.whitelist"}, Type: connect.TypeList, Doc: "Regular expressions of tables (schema.table) to capture."},
		{Name: "table.exclude.list", Aliases: []string{"table.blacklist"}, Type: connect.TypeList, Doc: "Regular expressions of tables not to capture."},
		{Name: "column.include.list", Aliases: []string{"column.whitelist"}, Type: connect.TypeList, Doc: "Regular expressions of columns (schema.table.column) to capture."},
		{Name: "column.exclude.list", Aliases: []string{"column.blacklist"}, Type: connect.TypeList, Doc: "Regular expressions of columns not to capture."},
		{Name: "heartbeat.interval.ms", Type: connect.TypeInt, Default: "0", Doc: "Emit a heartbeat record (and store the offset) this often; 0 disables."},
		{Name: "heartbeat.topics.prefix", Aliases: []string{"heartbeat.topic.prefix"}, Default: "__debezium-heartbeat", Doc: "Heartbeat topic prefix; the topic is <prefix>.<topic.prefix>."},
		{Name: "tombstones.on.delete", Type: connect.TypeBool, Default: "true", Doc: "Follow a delete event with a tombstone."},
		{Name: "max.batch.size", Type: connect.TypeInt, Default: "2048", Doc: "Most change events in one batch."},
		{Name: "max.queue.size", Type: connect.TypeInt, Default: "8192", Doc: "Change events buffered between the replication stream and the log."},
		{Name: "poll.interval.ms", Type: connect.TypeInt, Default: "500", Doc: "Longest wait for a batch to fill."},
		{Name: "snapshot.fetch.size", Type: connect.TypeInt, Default: "10240", Doc: "Rows per snapshot batch."},
		{Name: "decimal.handling.mode", Default: "precise", Allowed: []string{"precise", "double", "string"}, Doc: "How numeric columns are represented."},
		{Name: "time.precision.mode", Default: "adaptive", Allowed: []string{"adaptive", "adaptive_time_microseconds", "connect"}, Doc: "How temporal columns are represented."},
		{Name: "binary.handling.mode", Default: "bytes", Allowed: []string{"bytes", "base64", "hex"}, Doc: "How bytea columns are represented."},
		{Name: "interval.handling.mode", Default: "numeric", Allowed: []string{"numeric", "string"}, Doc: "How interval columns are represented."},
		{Name: "unavailable.value.placeholder", Default: "__debezium_unavailable_value", Doc: "Stands for an unchanged TOASTed value PostgreSQL did not send."},
		{Name: "schema.name.adjustment.mode", Default: "avro", Allowed: []string{"none", "avro", "avro_unicode"}, Doc: "Make schema names valid Avro names."},
		{Name: "provide.transaction.metadata", Type: connect.TypeBool, Default: "false", Ignored: true, Doc: "Not supported."},
		{Name: "include.unknown.datatypes", Type: connect.TypeBool, Default: "false", Doc: "Capture columns of unknown types as strings."},
		{Name: "status.update.interval.ms", Type: connect.TypeInt, Default: "10000", Doc: "How often the confirmed LSN is reported to the server."},
		{Name: "slot.max.retries", Type: connect.TypeInt, Default: "6", Ignored: true},
		{Name: "slot.retry.delay.ms", Type: connect.TypeInt, Default: "10000", Ignored: true},
		{Name: "slot.stream.params", Ignored: true},
		{Name: "database.initial.statements", Ignored: true},
		{Name: "database.tcpKeepAlive", Ignored: true},
		{Name: "message.key.columns", Ignored: true},
		{Name: "event.processing.failure.handling.mode", Ignored: true},
		{Name: "snapshot.lock.timeout.ms", Ignored: true},
		{Name: "snapshot.select.statement.overrides", Ignored: true},
		{Name: "toasted.value.placeholder", Ignored: true},
		{Name: "sanitize.field.names", Ignored: true},
		{Name: "hstore.handling.mode", Ignored: true},
		{Name: "include.schema.changes", Ignored: true},
		{Name: "database.history", Ignored: true},
	},
	IgnoredPrefixes: []string{"database.history.", "schema.history.", "schema.history.internal.", "internal.", "signal.", "incremental.snapshot.", "notification.", "topic.creation.", "converters", "datatype.propagate", "column.propagate", "column.mask", "column.truncate", "skipped.operations", "snapshot.include", "snapshot.max.threads", "retriable.restart"},
}

// config is a parsed connector config.
type config struct {
	host, user, password, dbname, sslmode string
	port                                  int
	prefix                                string
	slot, publication, pubMode            string
	snapshotMode                          string
	schemaInc, schemaExc                  []*regexp.Regexp
	tableInc, tableExc                    []*regexp.Regexp
	colInc, colExc                        []*regexp.Regexp
	heartbeat                             time.Duration
	heartbeatTopic                        string
	tombstones                            bool
	maxBatch, queueSize, fetchSize        int
	pollInterval, statusInterval          time.Duration
	decimalMode, timeMode, binaryMode     string
	intervalMode                          string
	placeholder                           string
	adjustNames                           bool
	dropSlotOnStop                        bool
}

func compileList(cfg *connect.Config, key string) ([]*regexp.Regexp, error) {
	var out []*regexp.Regexp
	for _, s := range cfg.List(key) {
		re, err := regexp.Compile("^(?:" + s + ")$")
		if err != nil {
			return nil, &connect.ConfigError{Key: key, Msg: fmt.Sprintf("%q is not a valid regular expression: %v", s, err)}
		}
		out = append(out, re)
	}
	return out, nil
}

func parseConfig(cfg *connect.Config) (*config, error) {
	c := &config{
		host:           cfg.String("database.hostname"),
		port:           int(cfg.Int("database.port")),
		user:           cfg.String("database.user"),
		password:       cfg.String("database.password"),
		dbname:         cfg.String("database.dbname"),
		sslmode:        cfg.String("database.sslmode"),
		prefix:         cfg.String("topic.prefix"),
		slot:           cfg.String("slot.name"),
		publication:    cfg.String("publication.name"),
		pubMode:        cfg.String("publication.autocreate.mode"),
		snapshotMode:   cfg.String("snapshot.mode"),
		heartbeat:      time.Duration(cfg.Int("heartbeat.interval.ms")) * time.Millisecond,
		tombstones:     cfg.Bool("tombstones.on.delete"),
		maxBatch:       int(cfg.Int("max.batch.size")),
		queueSize:      int(cfg.Int("max.queue.size")),
		fetchSize:      int(cfg.Int("snapshot.fetch.size")),
		pollInterval:   time.Duration(cfg.Int("poll.interval.ms")) * time.Millisecond,
		statusInterval: time.Duration(cfg.Int("status.update.interval.ms")) * time.Millisecond,
		decimalMode:    cfg.String("decimal.handling.mode"),
		timeMode:       cfg.String("time.precision.mode"),
		binaryMode:     cfg.String("binary.handling.mode"),
		intervalMode:   cfg.String("interval.handling.mode"),
		placeholder:    cfg.String("unavailable.value.placeholder"),
		adjustNames:    cfg.String("schema.name.adjustment.mode") != "none",
		dropSlotOnStop: cfg.Bool("slot.drop.on.stop"),
	}
	c.heartbeatTopic = cfg.String("heartbeat.topics.prefix") + "." + c.prefix
	if c.snapshotMode == "no_data" {
		c.snapshotMode = "never"
	}
	if c.snapshotMode == "when_needed" {
		c.snapshotMode = "initial"
	}
	if c.maxBatch <= 0 {
		return nil, &connect.ConfigError{Key: "max.batch.size", Msg: "must be positive"}
	}
	if c.fetchSize <= 0 {
		c.fetchSize = 10240
	}
	if c.pollInterval <= 0 {
		c.pollInterval = 500 * time.Millisecond
	}
	if c.statusInterval <= 0 {
		c.statusInterval = 10 * time.Second
	}
	if !validSlotName(c.slot) {
		return nil, &connect.ConfigError{Key: "slot.name", Msg: fmt.Sprintf("%q is not a valid slot name (lower-case letters, digits and underscores)", c.slot)}
	}
	var err error
	for _, x := range []struct {
		key string
		dst *[]*regexp.Regexp
	}{
		{"schema.include.list", &c.schemaInc}, {"schema.exclude.list", &c.schemaExc},
		{"table.include.list", &c.tableInc}, {"table.exclude.list", &c.tableExc},
		{"column.include.list", &c.colInc}, {"column.exclude.list", &c.colExc},
	} {
		if *x.dst, err = compileList(cfg, x.key); err != nil {
			return nil, err
		}
	}
	if len(c.tableInc) > 0 && len(c.tableExc) > 0 {
		return nil, &connect.ConfigError{Key: "table.exclude.list", Msg: "cannot be used together with table.include.list"}
	}
	if len(c.schemaInc) > 0 && len(c.schemaExc) > 0 {
		return nil, &connect.ConfigError{Key: "schema.exclude.list", Msg: "cannot be used together with schema.include.list"}
	}
	return c, nil
}

func validSlotName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// captured reports whether a table is captured, as Debezium's table
// filters decide: schemas first, then tables. System schemas never are.
func (c *config) captured(schema, table string) bool {
	if schema == "pg_catalog" || schema == "information_schema" || strings.HasPrefix(schema, "pg_toast") {
		return false
	}
	if len(c.schemaInc) > 0 && !matchAny(c.schemaInc, schema) {
		return false
	}
	if matchAny(c.schemaExc, schema) {
		return false
	}
	id := schema + "." + table
	if len(c.tableInc) > 0 && !matchAny(c.tableInc, id) {
		return false
	}
	return !matchAny(c.tableExc, id)
}

// columnCaptured applies the column filters.
func (c *config) columnCaptured(schema, table, column string) bool {
	id := schema + "." + table + "." + column
	if len(c.colInc) > 0 && !matchAny(c.colInc, id) {
		return false
	}
	return !matchAny(c.colExc, id)
}

// dsn is the connection string for ordinary (non-replication) sessions.
func (c *config) dsn() string {
	return fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=%s sslmode=%s application_name=sluice-connect",
		quoteDSN(c.host), c.port, quoteDSN(c.user), quoteDSN(c.password), quoteDSN(c.dbname), c.sslmode)
}

func quoteDSN(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
