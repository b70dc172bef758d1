package bulk

import (
	"strconv"
	"testing"
)

// BenchmarkBatchAdd measures adding one document to a bulk request: the
// action line and the source copied into the batch's pooled body.
func BenchmarkBatchAdd(b *testing.B) {
	src := []byte(`{"O_ORDER_ID":"123456","SHIPMENT_ID":"1123456","CUSTOMER_ID":"456","CUSTOMER_NAME":"sue","CUSTOMER_AGE":36,"ORIGIN":"iowa","PRICE":34.56,"CURRENCY":"usd"}`)
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	bt := newBatch(2000)
	for i := 0; i < b.N; i++ {
		if len(bt.actions) == 2000 {
			bt.release()
			bt = newBatch(2000)
		}
		bt.add(Action{Op: OpIndex, Index: "shipped_orders", ID: ids[i%2000], Versioned: true, Version: int64(i), Source: src})
	}
}
