package elasticsearch

import (
	"strconv"
	"testing"

	"github.com/sluicedb/sluice/internal/connect"
)

// BenchmarkAction measures the sink's work per record before the bulk
// writer: the index, the id, the version and the document JSON with the
// key column added, for the tutorial's shipped_orders shape. The JSON is
// written into the builder's reused buffer, so it allocates nothing.
func BenchmarkAction(b *testing.B) {
	key := connect.NewStructSchema("k").Field("O_ORDER_ID", connect.OptString).Build()
	val := connect.NewStructSchema("v").
		Field("SHIPMENT_ID", connect.OptString).Field("CUSTOMER_ID", connect.OptString).
		Field("CUSTOMER_NAME", connect.OptString).Field("CUSTOMER_AGE", connect.OptInt32).
		Field("ORIGIN", connect.OptString).Field("PRICE", connect.OptFloat64).
		Field("CURRENCY", connect.OptString).Build()
	recs := make([]*connect.Record, 1024)
	for i := range recs {
		k := connect.NewStruct(key)
		k.Values[0] = strconv.Itoa(i)
		v := connect.NewStruct(val)
		copy(v.Values, []any{strconv.Itoa(1_000_000 + i), strconv.Itoa(i % 1000), "sue", int32(20 + i%60), "iowa", float64(i%10000) / 100, "usd"})
		recs[i] = &connect.Record{Topic: "shipped_orders", KeySchema: key, Key: k, ValueSchema: val, Value: v, Offset: int64(i)}
	}
	bl := builder{s: &settings{keyInclude: true}}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		a, ok, err := bl.action(recs[i%len(recs)])
		if err != nil || !ok {
			b.Fatal(err)
		}
		n += len(a.Source)
	}
	b.SetBytes(int64(n / max(b.N, 1)))
}
