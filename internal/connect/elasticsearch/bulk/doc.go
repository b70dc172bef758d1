// Package bulk owns the wire side of the Elasticsearch / OpenSearch sink:
// a client over opensearch-go, the Bulk API request and response, and a
// Writer that batches actions by count, bytes and linger time, keeps a
// bounded number of bulk requests in flight, and retries what the server
// rejects transiently. It knows nothing of Connect records; the connector
// glue turns records into Actions and decides what a rejected document
// means (dead-letter, ignore or fail).
//
// Delivery contract: an Action handed to Add is either acknowledged by the
// server, reported to Options.OnFailure, or the Writer records a fatal
// error that Flush returns. Nothing is dropped silently. An unreachable
// server (connection refused, 502/503/504 for the whole request) is waited
// out: the batch is retried with capped backoff until it goes through or the
// Writer is closed, so a search engine restart loses nothing.
package bulk
