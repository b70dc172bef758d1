// Package logstoretest owns the conformance suite that every logstore
// backend runs. It checks only what the logstore.Log contract promises, so
// the embedded log and a real Kafka cluster pass the same tests: offsets
// are compared for order and uniqueness, never assumed dense, because
// Kafka spends offsets on transaction markers.
package logstoretest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

// Run runs the suite. newLog returns a fresh, empty backend for one test;
// the suite closes it (Close must tolerate a second call by newLog's own
// cleanup).
func Run(t *testing.T, newLog func(t *testing.T) logstore.Log) {
	tests := []struct {
		name string
		fn   func(t *testing.T, l logstore.Log)
	}{
		{"Topics", testTopics},
		{"TopicErrors", testTopicErrors},
		{"RoundTrip", testRoundTrip},
		{"OffsetsMonotonic", testOffsetsMonotonic},
		{"FetchLimits", testFetchLimits},
		{"FetchErrors", testFetchErrors},
		{"ProduceErrors", testProduceErrors},
		{"TxnInvisibleUntilCommit", testTxnInvisibleUntilCommit},
		{"TxnAbort", testTxnAbort},
		{"TxnMultiPartition", testTxnMultiPartition},
		{"TxnFenced", testTxnFenced},
		{"TxnFinished", testTxnFinished},
		{"GroupOffsets", testGroupOffsets},
		{"LongPoll", testLongPoll},
		{"LongPollTimeout", testLongPollTimeout},
		{"OffsetForTime", testOffsetForTime},
		{"ListOffsets", testListOffsets},
		{"DeleteRecreate", testDeleteRecreate},
		{"ConcurrentProducers", testConcurrentProducers},
		{"ReadWhileWriting", testReadWhileWriting},
		{"ManyPartitions", testManyPartitions},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLog(t)
			defer l.Close()
			tc.fn(t, l)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustCreate(t *testing.T, l logstore.Log, name string, partitions int32) {
	t.Helper()
	if err := l.CreateTopic(ctxFor(t), name, logstore.TopicConfig{Partitions: partitions, Replicas: 1}); err != nil {
		t.Fatalf("CreateTopic(%q): %v", name, err)
	}
}

// produce commits recs to topic in one transaction and returns the
// offsets assigned per partition.
func produce(t *testing.T, l logstore.Log, topic string, recs ...logstore.Record) map[logstore.TopicPartition][]int64 {
	t.Helper()
	ctx := ctxFor(t)
	tx, err := l.Begin(ctx, "")
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	if err := tx.Produce(ctx, topic, recs...); err != nil {
		t.Fatalf("Produce: %v", err)
	}
	offs, err := tx.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return offs
}

func val(s string) logstore.Record {
	return logstore.Record{Key: []byte("k-" + s), Value: []byte(s), Timestamp: 1000}
}

// fetchAll reads a partition from offset to its current end.
func fetchAll(t *testing.T, l logstore.Log, tp logstore.TopicPartition, from int64) []logstore.Record {
	t.Helper()
	ctx := ctxFor(t)
	offs, err := l.ListOffsets(ctx, tp)
	if err != nil {
		t.Fatalf("ListOffsets(%v): %v", tp, err)
	}
	var out []logstore.Record
	next := from
	for next < offs.End {
		recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatalf("Fetch(%v, %d): %v", tp, next, err)
		}
		if len(recs) == 0 {
			// Past the last record: only markers (Kafka) remain.
			break
		}
		for _, r := range recs {
			if r.Offset < next {
				t.Fatalf("Fetch(%v, %d) returned offset %d", tp, next, r.Offset)
			}
			next = r.Offset + 1
		}
		out = append(out, recs...)
	}
	return out
}

func values(recs []logstore.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Value)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func tp(topic string, p int32) logstore.TopicPartition {
	return logstore.TopicPartition{Topic: topic, Partition: p}
}

func describe(r logstore.Record) string {
	return fmt.Sprintf("{key=%q value=%q ts=%d headers=%v}", r.Key, r.Value, r.Timestamp, r.Headers)
}
