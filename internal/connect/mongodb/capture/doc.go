// Package capture owns the MongoDB source's conversation with the server:
// choosing between change streams and oplog tailing, recording the position
// a snapshot starts from, reading the included collections for the
// snapshot, and then reading changes from that position on. It returns
// bsonx.Events and Positions; it knows nothing of Connect records, topics
// or offsets storage, which the mongodb package adds.
//
// Readers are pull-based (Next returns a batch) so that the connector task
// decides when to read, and none of them starts a goroutine.
package capture
