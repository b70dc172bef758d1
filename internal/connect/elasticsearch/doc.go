// Package elasticsearch owns Sluice's Elasticsearch / OpenSearch sink: the
// connector class io.confluent.connect.elasticsearch.ElasticsearchSinkConnector
// with the Confluent connector's config keys, the conversion of Connect
// records into documents (index, _id, JSON source, mapping) and the sink
// task that feeds them to the bulk writer in package bulk.
//
// Documents follow the Confluent connector: the index is the topic lower
// cased; _id is the key as a string (topic+partition+offset under
// key.ignore=true), written with the record offset as an external version
// so replays and reordered retries are idempotent; the source is the value
// as schemaless JSON with field names as written.
//
// One Sluice extension, on by default: sluice.key.fields.include writes the
// key columns into the document when the value lacks them. ksqlDB keeps a
// key column only in the record key, yet users expect to search on it (the
// tutorial's documents carry O_ORDER_ID). A struct key contributes its
// fields; a primitive key is written under sluice.key.field.name when that
// is set.
package elasticsearch
