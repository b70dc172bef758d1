package demo_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/sluicedb/sluice/internal/demo"
)

// BenchmarkShipmentToSearchable measures, with the tutorial's pipeline
// running on real services, the time from inserting a shipment into
// MongoDB to its document being returned by a search of shipped_orders,
// and reports p50 and p99 (target: p99 under 500 ms). Each shipment
// belongs to a fresh order inserted just before it, so every measurement
// makes a new document. The index refreshes every 100 ms, the setting a
// user who wants fresh search results would choose (the default is 1 s).
//
//	go test -run '^$' -bench ShipmentToSearchable -benchtime 1000x ./internal/demo
func BenchmarkShipmentToSearchable(b *testing.B) {
	p := startPipeline(b, func(searchURL string) {
		req, _ := http.NewRequest(http.MethodPut, strings.TrimRight(searchURL, "/")+"/shipped_orders",
			bytes.NewReader([]byte(`{"settings":{"index":{"refresh_interval":"100ms","number_of_replicas":0}}}`)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	})
	ctx := context.Background()
	if _, body, err := demo.WaitDocs(ctx, p.searchURL, "shipped_orders", 5, nil); err != nil {
		b.Fatalf("%v\n%s", err, body)
	}
	cl, err := mongo.Connect(options.Client().ApplyURI(p.mongoURI))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Disconnect(ctx)
	orders := cl.Database("logistics").Collection("orders")
	shipments := cl.Database("logistics").Collection("shipments")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("b%d", i)
		if _, err := orders.InsertOne(ctx, bson.D{{Key: "customer_id", Value: "2"}, {Key: "order_id", Value: id}, {Key: "price", Value: 1.0}, {Key: "currency", Value: "usd"}, {Key: "ts", Value: "2020-04-08T10:00:00"}}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := shipments.InsertOne(ctx, bson.D{{Key: "order_id", Value: id}, {Key: "shipment_id", Value: "s" + id}, {Key: "origin", Value: "bench"}, {Key: "ts", Value: "2020-04-08T11:00:00"}}); err != nil {
			b.Fatal(err)
		}
		for {
			if searchable(b, p.searchURL, id) {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatalf("document %s never became searchable", id)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) time.Duration { return lat[int(q*float64(len(lat)-1))] }
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
}

// searchable reports whether a search for the document's id finds it.
func searchable(tb testing.TB, searchURL, id string) bool {
	body := fmt.Sprintf(`{"query":{"ids":{"values":[%q]}}}`, id)
	req, _ := http.NewRequest(http.MethodPost, strings.TrimRight(searchURL, "/")+"/shipped_orders/_search", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return strings.Contains(buf.String(), `"_id":"`+id+`"`)
}
