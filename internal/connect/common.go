package connect

// commonSpec holds the keys every connector accepts, as Kafka Connect's
// ConnectorConfig and SinkConnectorConfig define them. Converter and
// transform keys are open prefixes: their own specs check them.
var commonSpec = &Spec{
	Keys: []Key{
		{Name: "name", Doc: "The connector's name; CREATE CONNECTOR sets it."},
		{Name: "connector.class", Required: true, Doc: "The connector class."},
		{Name: "tasks.max", Type: TypeInt, Default: "1", Doc: "Accepted for compatibility; Sluice runs one task per connector, as Debezium's PostgreSQL connector does."},
		{Name: "key.converter", Type: TypeClass, Doc: "Converter for record keys; the server's default when unset."},
		{Name: "value.converter", Type: TypeClass, Doc: "Converter for record values; the server's default when unset."},
		{Name: "header.converter", Type: TypeClass, Ignored: true, Doc: "Headers are written as strings."},
		{Name: "transforms", Type: TypeList, Doc: "Aliases of the transforms to apply, in order."},
		{Name: "predicates", Type: TypeList, Ignored: true, Doc: "Predicates are not supported; transforms always apply."},
		{Name: "errors.tolerance", Default: "none", Allowed: []string{"none", "all"}, Doc: "Whether a record that fails conversion or transformation fails the task (none) or is skipped (all)."},
		{Name: "errors.log.enable", Type: TypeBool, Default: "false", Doc: "Log records skipped under errors.tolerance=all."},
		{Name: "errors.log.include.messages", Type: TypeBool, Default: "false", Doc: "Include the record in the log line."},
		{Name: "errors.deadletterqueue.topic.name", Doc: "Sink connectors: topic for records that cannot be delivered."},
		{Name: "errors.deadletterqueue.topic.replication.factor", Type: TypeInt, Default: "1", Doc: "Replication of the dead-letter topic."},
		{Name: "errors.deadletterqueue.context.headers.enable", Type: TypeBool, Default: "false", Doc: "Add __connect.errors.* headers to dead-letter records."},
		{Name: "errors.retry.timeout", Type: TypeLong, Default: "0", Ignored: true, Doc: "Failed tasks are always restarted with backoff."},
		{Name: "errors.retry.delay.max.ms", Type: TypeLong, Default: "60000", Doc: "Longest delay between task restarts."},
		{Name: "topics", Type: TypeList, Doc: "Sink connectors: topics to consume."},
		{Name: "topics.regex", Doc: "Sink connectors: a regular expression of topics to consume."},
		{Name: "config.action.reload", Ignored: true},
		{Name: "exactly.once.support", Ignored: true},
		{Name: "transaction.boundary", Ignored: true},
		{Name: "offsets.storage.topic", Ignored: true},
	},
	OpenPrefixes:    []string{"key.converter.", "value.converter.", "transforms."},
	IgnoredPrefixes: []string{"header.converter.", "predicates.", "producer.override.", "consumer.override.", "admin.override.", "topic.creation."},
}
