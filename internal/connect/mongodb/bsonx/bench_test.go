package bsonx

import (
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// oplogBatch returns n recorded-shape oplog inserts of the tutorial's
// orders, with an ObjectId, strings, a double, a nested document and an
// array, about 300 bytes each.
func oplogBatch(b testing.TB, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = mustMarshal(b, bson.D{
			{Key: "ts", Value: bson.Timestamp{T: 1700000000, I: uint32(i)}},
			{Key: "t", Value: int64(1)},
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
				{Key: "qty", Value: int32(i % 7)},
				{Key: "address", Value: bson.D{{Key: "city", Value: "Zürich"}, {Key: "zip", Value: "8001"}}},
				{Key: "tags", Value: bson.A{"new", "priority", int64(i)}},
			}},
		})
	}
	return out
}

// BenchmarkDecodeOplog measures the source's hot path per change: decode
// the oplog entry, write `after` and the key id as JSON. b.SetBytes makes
// `go test -bench` report MB/s of BSON decoded on one core.
func BenchmarkDecodeOplog(b *testing.B) {
	batch := oplogBatch(b, 1024)
	total := 0
	for _, e := range batch {
		total += len(e)
	}
	b.SetBytes(int64(total / len(batch)))
	b.ReportAllocs()
	var buf []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := DecodeOplog(batch[i%len(batch)], func(ev Event) error {
			var err error
			buf, err = AppendJSON(buf[:0], ev.Doc)
			if err != nil {
				return err
			}
			buf, err = AppendValueJSON(buf, ev.IDType, ev.ID)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "changes/s")
}
