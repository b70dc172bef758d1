package kafka

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/sluicedb/sluice/internal/logstore"
)

const (
	benchPartitions = 4
	benchTxnSize    = 1000
)

func benchRecords(n int) []logstore.Record {
	value := bytes.Repeat([]byte("v"), 100)
	recs := make([]logstore.Record, n)
	for i := range recs {
		recs[i] = logstore.Record{
			Key:       []byte(fmt.Sprintf("key-%08d", i)),
			Value:     value,
			Timestamp: int64(i),
			Partition: int32(i % benchPartitions),
		}
	}
	return recs
}

// produceTxns writes n records in transactions of benchTxnSize.
func produceTxns(b *testing.B, l *Log, topic, id string, n int) {
	ctx := ctxFor(b)
	recs := benchRecords(benchTxnSize)
	for done := 0; done < n; done += benchTxnSize {
		tx, err := l.Begin(ctx, id)
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Produce(ctx, topic, recs[:min(benchTxnSize, n-done)]...); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProduce commits 100-byte records in transactions of 1,000
// across 4 partitions, as a task's commit would.
func BenchmarkProduce(b *testing.B) {
	for _, id := range []string{"txn", ""} {
		name := "transactional"
		if id == "" {
			name = "idempotent"
		}
		b.Run(name, func(b *testing.B) {
			l := newLog(b)
			mustCreate(b, l, "bench", benchPartitions)
			n := max(b.N, benchTxnSize)
			b.SetBytes(100)
			b.ResetTimer()
			start := time.Now()
			produceTxns(b, l, "bench", id, n)
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkFetch reads one partition sequentially, as a task's poll loop
// does, from records committed in transactions of 1,000.
func BenchmarkFetch(b *testing.B) {
	l := newLog(b)
	mustCreate(b, l, "bench", benchPartitions)
	const total = 200_000
	produceTxns(b, l, "bench", "load", total)
	tp := logstore.TopicPartition{Topic: "bench"}
	ctx := ctxFor(b)
	b.SetBytes(100)
	b.ResetTimer()
	start := time.Now()
	read, next := 0, int64(0)
	for read < b.N {
		recs, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: 1000})
		if err != nil {
			b.Fatal(err)
		}
		if len(recs) == 0 {
			next = 0 // wrap around: the partition holds total/4 records
			continue
		}
		read += len(recs)
		next = recs[len(recs)-1].Offset + 1
	}
	b.ReportMetric(float64(read)/time.Since(start).Seconds(), "records/s")
}
