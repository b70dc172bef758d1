// Package bsonx owns the protocol side of the MongoDB source that needs no
// server: walking raw BSON without reflection, writing it as the extended
// JSON Debezium puts in its envelopes, and decoding oplog entries and
// change-stream events into one Event model. It knows nothing of Connect
// records or of the driver's connection; the capture package reads the
// server and the mongodb package turns Events into records.
//
// Everything here works on bson.Raw slices as they come off the wire and
// returns sub-slices of them where it can, so a decoded Event aliases the
// buffer it was decoded from: callers that keep an Event past the life of
// that buffer must copy it (Event.Clone).
package bsonx
