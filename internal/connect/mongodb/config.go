// Package mongodb is the glue of Sluice's MongoDB change data capture
// source, the native counterpart of Debezium's MongoDbConnector: its config
// spec (Debezium 1.x and 2.x keys), the task that snapshots and then
// streams through the capture package, the Debezium MongoDB envelope and
// key built from bsonx events, and the ExtractNewDocumentState transform
// with its schema inferred from the documents. Reading the server lives in
// mongodb/capture and BSON decoding in mongodb/bsonx.
package mongodb

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/sluicedb/sluice/internal/connect"
	"github.com/sluicedb/sluice/internal/connect/mongodb/capture"
)

// ClassName is Debezium's connector class, which users write in
// connector.class.
const ClassName = "io.debezium.connector.mongodb.MongoDbConnector"

// Register adds the connector class and the ExtractNewDocumentState
// transform to p.
func Register(p *connect.Plugins) {
	p.AddClass(&connect.Class{
		Name:    ClassName,
		Aliases: []string{"MongoDbConnector"},
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
	p.AddTransform(&connect.TransformClass{
		Name:    UnwrapClass,
		Aliases: []string{"io.debezium.connector.mongodb.transforms.UnwrapFromMongoDbEnvelope"},
		Spec:    unwrapSpec,
		New:     newUnwrap,
	})
}

// Spec declares the connector's keys in Debezium's 2.x spelling with the
// 1.x spellings as aliases.
var Spec = &connect.Spec{
	Keys: []connect.Key{
		{Name: "mongodb.connection.string", Doc: "MongoDB connection string (mongodb://...); Debezium 2.x. Either it or mongodb.hosts is required."},
		{Name: "mongodb.hosts", Doc: "Debezium 1.x host list: host:port[,host:port] or replicaSet/host:port[,...]."},
		{Name: "topic.prefix", Aliases: []string{"mongodb.name"}, Required: true, Doc: "Prefix of the topics, <prefix>.<db>.<collection>; Debezium 1.x called it mongodb.name."},
		{Name: "mongodb.user", Doc: "User name."},
		{Name: "mongodb.password", Type: connect.TypePassword, Doc: "The user's password."},
		{Name: "mongodb.authsource", Default: "admin", Doc: "Database the user is defined in."},
		{Name: "mongodb.ssl.enabled", Type: connect.TypeBool, Default: "false", Doc: "Connect with TLS."},
		{Name: "mongodb.ssl.invalid.hostname.allowed", Type: connect.TypeBool, Default: "false", Doc: "Accept a server certificate whose host name does not match."},
		{Name: "database.include.list", Aliases: []string{"database.whitelist"}, Type: connect.TypeList, Doc: "Regular expressions of databases to capture."},
		{Name: "database.exclude.list", Aliases: []string{"database.blacklist"}, Type: connect.TypeList, Doc: "Regular expressions of databases not to capture."},
		{Name: "collection.include.list", Aliases: []string{"collection.whitelist"}, Type: connect.TypeList, Doc: "Regular expressions of collections (db.collection) to capture."},
		{Name: "collection.exclude.list", Aliases: []string{"collection.blacklist"}, Type: connect.TypeList, Doc: "Regular expressions of collections not to capture."},
		{Name: "field.exclude.list", Aliases: []string{"field.blacklist"}, Type: connect.TypeList, Doc: "Fields to leave out, as db.collection.field[.nested]; db and collection may be *."},
		{Name: "snapshot.mode", Default: "initial", Allowed: []string{"initial", "never", "initial_only", "no_data", "when_needed", "always"}, Doc: "When to take the initial snapshot."},
		{Name: "capture.mode", Allowed: []string{"change_streams", "change_streams_update_full", "change_streams_with_pre_image", "change_streams_update_full_with_pre_image", "oplog"}, Doc: "How changes are read; unset picks change streams where the server has them and the oplog otherwise. Change streams always look up the full document and ask for pre-images."},
		{Name: "heartbeat.interval.ms", Type: connect.TypeInt, Default: "0", Doc: "Emit a heartbeat record (and store the offset) this often; 0 disables."},
		{Name: "heartbeat.topics.prefix", Aliases: []string{"heartbeat.topic.prefix"}, Default: "__debezium-heartbeat", Doc: "Heartbeat topic prefix; the topic is <prefix>.<topic.prefix>."},
		{Name: "tombstones.on.delete", Type: connect.TypeBool, Default: "true", Doc: "Follow a delete event with a tombstone."},
		{Name: "max.batch.size", Type: connect.TypeInt, Default: "2048", Doc: "Most change events in one batch."},
		{Name: "poll.interval.ms", Type: connect.TypeInt, Default: "500", Doc: "Longest wait for a batch; also the oplog polling interval on servers without tailable cursors (capped at 100ms)."},
		{Name: "snapshot.fetch.size", Type: connect.TypeInt, Default: "0", Ignored: true},
		{Name: "mongodb.members.auto.discover", Type: connect.TypeBool, Ignored: true},
		{Name: "mongodb.poll.interval.ms", Ignored: true},
		{Name: "mongodb.connect.timeout.ms", Ignored: true},
		{Name: "mongodb.socket.timeout.ms", Ignored: true},
		{Name: "mongodb.server.selection.timeout.ms", Ignored: true},
		{Name: "connect.backoff.initial.delay.ms", Ignored: true},
		{Name: "connect.backoff.max.delay.ms", Ignored: true},
		{Name: "connect.max.attempts", Ignored: true},
		{Name: "initial.sync.max.threads", Ignored: true},
		{Name: "snapshot.max.threads", Ignored: true},
		{Name: "max.queue.size", Ignored: true},
		{Name: "schema.name.adjustment.mode", Default: "avro", Allowed: []string{"none", "avro", "avro_unicode"}, Doc: "Make schema names valid Avro names (the Avro converter always does)."},
		{Name: "sanitize.field.names", Ignored: true},
		{Name: "provide.transaction.metadata", Ignored: true},
		{Name: "database.history", Ignored: true},
	},
	IgnoredPrefixes: []string{"database.history.", "schema.history.", "internal.", "signal.", "incremental.snapshot.", "notification.", "topic.creation.", "converters", "skipped.operations", "snapshot.include", "retriable.restart", "mongodb.ssl.keystore", "mongodb.ssl.truststore", "cursor."},
}

// config is a parsed connector config.
type config struct {
	uri            string
	prefix         string
	mode           capture.Mode
	filter         *capture.Filter
	exclude        []fieldRule
	snapshotMode   string
	heartbeat      time.Duration
	heartbeatTopic string
	tombstones     bool
	maxBatch       int
	poll           time.Duration
}

// fieldRule is one field.exclude.list entry: a collection pattern and a
// dotted path into its documents.
type fieldRule struct {
	db, coll string // may be *
	path     []string
}

func (r fieldRule) matches(db, coll string) bool {
	return (r.db == "*" || r.db == db) && (r.coll == "*" || r.coll == coll)
}

func parseConfig(cfg *connect.Config) (*config, error) {
	c := &config{
		prefix:         cfg.String("topic.prefix"),
		snapshotMode:   cfg.String("snapshot.mode"),
		heartbeat:      time.Duration(cfg.Int("heartbeat.interval.ms")) * time.Millisecond,
		heartbeatTopic: cfg.String("heartbeat.topics.prefix") + "." + cfg.String("topic.prefix"),
		tombstones:     cfg.Bool("tombstones.on.delete"),
		maxBatch:       int(cfg.Int("max.batch.size")),
		poll:           time.Duration(cfg.Int("poll.interval.ms")) * time.Millisecond,
	}
	if c.maxBatch <= 0 {
		return nil, &connect.ConfigError{Key: "max.batch.size", Msg: "must be positive"}
	}
	switch m := cfg.String("capture.mode"); {
	case m == "oplog":
		c.mode = capture.ModeOplog
	case strings.HasPrefix(m, "change_streams"):
		c.mode = capture.ModeChangeStream
	}
	uri, err := connectionURI(cfg)
	if err != nil {
		return nil, err
	}
	c.uri = uri
	lists := capture.FilterLists{
		DBInclude:   cfg.List("database.include.list"),
		DBExclude:   cfg.List("database.exclude.list"),
		CollInclude: cfg.List("collection.include.list"),
		CollExclude: cfg.List("collection.exclude.list"),
	}
	for key, l := range map[string][]string{"database.include.list": lists.DBInclude, "database.exclude.list": lists.DBExclude, "collection.include.list": lists.CollInclude, "collection.exclude.list": lists.CollExclude} {
		for _, p := range l {
			if _, err := regexp.Compile(p); err != nil {
				return nil, &connect.ConfigError{Key: key, Msg: fmt.Sprintf("%q is not a valid regular expression: %v", p, err)}
			}
		}
	}
	if c.filter, err = capture.NewFilter(lists); err != nil {
		return nil, &connect.ConfigError{Key: "collection.include.list", Msg: err.Error()}
	}
	for _, f := range cfg.List("field.exclude.list") {
		parts := strings.Split(f, ".")
		if len(parts) < 3 {
			return nil, &connect.ConfigError{Key: "field.exclude.list", Msg: fmt.Sprintf("%q is not of the form db.collection.field", f)}
		}
		c.exclude = append(c.exclude, fieldRule{db: parts[0], coll: parts[1], path: parts[2:]})
	}
	return c, nil
}

// connectionURI builds the driver's URI from mongodb.connection.string or
// from Debezium 1.x's mongodb.hosts, adding the credentials, auth source
// and TLS settings given as separate keys.
func connectionURI(cfg *connect.Config) (string, error) {
	raw := strings.TrimSpace(cfg.String("mongodb.connection.string"))
	if raw == "" {
		hosts := strings.TrimSpace(cfg.String("mongodb.hosts"))
		if hosts == "" {
			return "", &connect.ConfigError{Key: "mongodb.connection.string", Msg: "either mongodb.connection.string or mongodb.hosts must be set"}
		}
		rs := ""
		if i := strings.IndexByte(hosts, '/'); i >= 0 {
			rs, hosts = hosts[:i], hosts[i+1:]
		}
		raw = "mongodb://" + hosts + "/"
		if rs != "" {
			raw += "?replicaSet=" + url.QueryEscape(rs)
		}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "mongodb" && u.Scheme != "mongodb+srv") {
		return "", &connect.ConfigError{Key: "mongodb.connection.string", Msg: fmt.Sprintf("%q is not a mongodb:// URI", raw)}
	}
	if user := cfg.String("mongodb.user"); user != "" && u.User == nil {
		u.User = url.UserPassword(user, cfg.String("mongodb.password"))
	}
	q := u.Query()
	if u.User != nil && q.Get("authSource") == "" {
		q.Set("authSource", cfg.String("mongodb.authsource"))
	}
	if cfg.Bool("mongodb.ssl.enabled") {
		q.Set("tls", "true")
		if cfg.Bool("mongodb.ssl.invalid.hostname.allowed") {
			q.Set("tlsAllowInvalidHostnames", "true")
		}
	}
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
