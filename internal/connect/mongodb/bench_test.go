package mongodb

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/sluicedb/sluice/internal/connect/mongodb/bsonx"
	"github.com/sluicedb/sluice/internal/connect/mongodb/capture"
)

func benchEntries(b *testing.B, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		doc, err := bson.Marshal(bson.D{
			{Key: "ts", Value: bson.Timestamp{T: 1700000000, I: uint32(i)}},
			{Key: "op", Value: "i"},
			{Key: "ns", Value: "logistics.orders"},
			{Key: "wall", Value: bson.DateTime(1700000000000)},
			{Key: "o", Value: bson.D{
				{Key: "_id", Value: bson.NewObjectID()},
				{Key: "customer_id", Value: fmt.Sprint(i % 100)},
				{Key: "order_id", Value: fmt.Sprint(i)},
				{Key: "price", Value: 50.5 + float64(i%10)},
				{Key: "currency", Value: "usd"},
				{Key: "ts", Value: "2020-04-03T11:20:00"},
				{Key: "address", Value: bson.D{{Key: "city", Value: "Zürich"}, {Key: "zip", Value: "8001"}}},
			}},
		})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = doc
	}
	return out
}

// BenchmarkChange measures one change through everything the task does
// per change after the bytes arrive: oplog decoding, the envelope with
// after as JSON, the key, and the offset. MB/s is BSON decoded per core.
func BenchmarkChange(b *testing.B) {
	entries := benchEntries(b, 1024)
	total := 0
	for _, e := range entries {
		total += len(e)
	}
	bl := &builder{cfg: &config{prefix: "my-replica-set", tombstones: true}, rs: "rs0", schemas: schemaCache{prefix: "my-replica-set"}, now: func() int64 { return 0 }}
	b.SetBytes(int64(total / len(entries)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		err := bsonx.DecodeOplog(entries[i%len(entries)], func(ev bsonx.Event) error {
			_, err := bl.records(nil, &ev, nil, offsetOf(capturePos(ev), false), "")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, total/len(entries))
}

// BenchmarkChangeUnwrapped adds ExtractNewDocumentState: parsing after
// back and inferring the flat record's schema.
func BenchmarkChangeUnwrapped(b *testing.B) {
	entries := benchEntries(b, 1024)
	total := 0
	for _, e := range entries {
		total += len(e)
	}
	bl := &builder{cfg: &config{prefix: "my-replica-set", tombstones: true}, rs: "rs0", schemas: schemaCache{prefix: "my-replica-set"}, now: func() int64 { return 0 }}
	cfg, err := unwrapSpec.Validate(nil)
	if err != nil {
		b.Fatal(err)
	}
	tr, _ := newUnwrap(cfg)
	b.SetBytes(int64(total / len(entries)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU()
	for i := 0; i < b.N; i++ {
		err := bsonx.DecodeOplog(entries[i%len(entries)], func(ev bsonx.Event) error {
			recs, err := bl.records(nil, &ev, nil, nil, "")
			if err != nil {
				return err
			}
			_, err = tr.Apply(recs[0])
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.report(b, total/len(entries))
}

// cpuClock measures the process's CPU time (user and system, every
// thread, the garbage collector's included) over a benchmark loop. The
// machine is shared, so wall-clock MB/s moves with other work; bytes per
// CPU-second is the per-core figure the issue asks for.
type cpuClock time.Duration

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock(processCPU()) }

// report adds changes/s (wall clock), MB/cpu-s and changes/cpu-s for b.N
// changes of perChange bytes of BSON each.
func (c cpuClock) report(b *testing.B, perChange int) {
	b.StopTimer()
	used := (processCPU() - time.Duration(c)).Seconds()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
	if used > 0 {
		b.ReportMetric(float64(b.N)*float64(perChange)/1e6/used, "MB/cpu-s")
		b.ReportMetric(float64(b.N)/used, "changes/cpu-s")
	}
}

func capturePos(ev bsonx.Event) capture.Position { return capture.Of(ev) }
