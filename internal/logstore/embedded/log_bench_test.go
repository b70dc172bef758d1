package embedded

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/sluicedb/sluice/internal/logstore"
)

const benchValueBytes = 100

// BenchmarkProduce commits transactions of 1,000 records with 100-byte
// values and 8-byte keys to one partition. b.N counts records.
func BenchmarkProduce(b *testing.B) {
	for _, sync := range []SyncMode{SyncNever, SyncInterval, SyncAlways} {
		b.Run("sync="+sync.String(), func(b *testing.B) {
			l := openTest(b, b.TempDir(), Options{Sync: sync})
			ctx := context.Background()
			l.CreateTopic(ctx, "bench", logstore.TopicConfig{Partitions: 1})
			recs := benchRecords(1000)
			b.SetBytes(int64(benchValueBytes + 8))
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; n += len(recs) {
				batch := recs[:min(len(recs), b.N-n)]
				tx, err := l.Begin(ctx, "bench")
				if err != nil {
					b.Fatal(err)
				}
				if err := tx.Produce(ctx, "bench", batch...); err != nil {
					b.Fatal(err)
				}
				if _, err := tx.Commit(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkFetch reads a partition sequentially in fetches of up to 1 MiB.
// b.N counts records.
func BenchmarkFetch(b *testing.B) {
	l := openTest(b, b.TempDir(), Options{Sync: SyncNever})
	ctx := context.Background()
	l.CreateTopic(ctx, "bench", logstore.TopicConfig{Partitions: 1})
	const total = 1_000_000
	recs := benchRecords(10000)
	for n := 0; n < total; n += len(recs) {
		tx, _ := l.Begin(ctx, "")
		tx.Produce(ctx, "bench", recs...)
		if _, err := tx.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	tp := logstore.TopicPartition{Topic: "bench", Partition: 0}
	b.SetBytes(int64(benchValueBytes + 8))
	b.ReportAllocs()
	b.ResetTimer()
	var next int64
	for n := 0; n < b.N; {
		if next >= total {
			next = 0
		}
		got, err := l.Fetch(ctx, tp, next, logstore.FetchOptions{MaxRecords: min(10000, b.N-n)})
		if err != nil {
			b.Fatal(err)
		}
		n += len(got)
		next = got[len(got)-1].Offset + 1
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func benchRecords(n int) []logstore.Record {
	recs := make([]logstore.Record, n)
	val := make([]byte, benchValueBytes)
	for i := range recs {
		recs[i] = logstore.Record{Key: []byte(fmt.Sprintf("%08d", i)), Value: val, Timestamp: 1700000000000 + int64(i)}
	}
	return recs
}

// BenchmarkConcurrentCommits runs many small transactions (10 records)
// from parallel committers, one partition each, under Sync=always: the
// case group commit is for. b.N counts transactions.
func BenchmarkConcurrentCommits(b *testing.B) {
	for _, writers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			l := openTest(b, b.TempDir(), Options{Sync: SyncAlways})
			ctx := context.Background()
			l.CreateTopic(ctx, "bench", logstore.TopicConfig{Partitions: int32(writers)})
			b.ResetTimer()
			var wg sync.WaitGroup
			per := (b.N + writers - 1) / writers
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					recs := benchRecords(10)
					for i := range recs {
						recs[i].Partition = int32(w)
					}
					for i := 0; i < per; i++ {
						tx, err := l.Begin(ctx, fmt.Sprint(w))
						if err != nil {
							b.Error(err)
							return
						}
						tx.Produce(ctx, "bench", recs...)
						if _, err := tx.Commit(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*writers)/b.Elapsed().Seconds(), "txns/s")
		})
	}
}
